package flagship_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// connServer is a flagshiptest handler served on loopback by a server
// that watches its connections, so that a test can tell that keep-alive
// connections were reused and were still open when the client closed.
type connServer struct {
	*flagshiptest.Handler
	URL string

	requests atomic.Int64
	mu       sync.Mutex
	opened   int
	idle     map[net.Conn]bool // open connections, true while idle
}

func newConnServer(t *testing.T) *connServer {
	t.Helper()
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green"})),
	))
	require.NoError(t, err)
	s := &connServer{Handler: h, idle: map[net.Conn]bool{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(c net.Conn, st http.ConnState) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch st {
		case http.StateNew:
			s.opened++
			s.idle[c] = false
		case http.StateActive:
			s.idle[c] = false
		case http.StateIdle:
			s.idle[c] = true
		case http.StateHijacked, http.StateClosed:
			delete(s.idle, c)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// conns returns the number of connections opened so far and of those
// open and idle now.
func (s *connServer) conns() (opened, idle int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, isIdle := range s.idle {
		if isIdle {
			idle++
		}
	}
	return s.opened, idle
}

// TestCloseLeavesNoGoroutine is a user's leak test: after Close, no
// goroutine of the SDK is left, not even those of the keep-alive
// connections it held to Flagship when Close was called.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	tests := []struct {
		name     string
		giveMode flagship.Mode
	}{
		{name: "DECISION_API", giveMode: flagship.DecisionAPI},
		{name: "BUCKETING", giveMode: flagship.Bucketing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newConnServer(t)
			// The server is the test's, as are the goroutines of other
			// tests: only what New starts must be gone after Close.
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()), flagship.WithMode(tt.giveMode))
			c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", opts...)
			require.NoError(t, err)
			require.NoError(t, c.WaitReady(ctx))
			v, err := c.NewVisitor("v1", map[string]any{"plan": "gold"})
			require.NoError(t, err)
			for range 3 {
				require.NoError(t, v.Synchronize(ctx))
				require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
				require.NoError(t, c.Flush(ctx))
			}

			opened, _ := srv.conns()
			assert.Less(t, int64(opened), srv.requests.Load(), "connections were reused")
			// The server marks a connection idle just after its answer.
			require.Eventually(t, func() bool {
				_, idle := srv.conns()
				return idle > 0
			}, 5*time.Second, time.Millisecond, "keep-alive connections are open when Close is called")
			require.NoError(t, c.Close(ctx))
		})
	}
}

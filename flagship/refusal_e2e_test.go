package flagship_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// refusalNotes records the notifications of a client.
type refusalNotes struct {
	mu    sync.Mutex
	notes []flagship.Notification
}

func (r *refusalNotes) OnNotification(_ context.Context, n flagship.Notification) {
	r.mu.Lock()
	r.notes = append(r.notes, n)
	r.mu.Unlock()
}

func (r *refusalNotes) of(k flagship.NotificationKind, sink string) []flagship.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []flagship.Notification
	for _, n := range r.notes {
		if n.Kind == k && n.Sink == sink {
			out = append(out, n)
		}
	}
	return out
}

// TestRevokedKeyRefusesActivations: through the client, an activation
// endpoint answering 401 (a revoked key) dead-letters no activation: the
// client notifies NotifyDestinationRefused once, Flush returns an error
// rather than nil, and once the endpoint takes them again every
// activation is delivered.
func TestRevokedKeyRefusesActivations(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green"}))))
	var revoked atomic.Bool
	revoked.Store(true)
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"revoked key"}`))
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	notes := &refusalNotes{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", append(srv.Options(),
		flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL, Activate: gate.URL + "/v2/activate"}),
		flagship.WithNotifications(notes),
		flagship.WithLogger(slog.New(slog.DiscardHandler)),
		flagship.WithDelivery(flagship.DeliveryOptions{FlushInterval: 10 * time.Millisecond, RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}),
	)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		require.NoError(t, c.Close(cctx))
	})
	require.NoError(t, c.WaitReady(ctx))

	const visitors = 5
	for i := range visitors {
		v, err := c.NewVisitor("v"+strconv.Itoa(i), nil)
		require.NoError(t, err)
		require.NoError(t, v.Synchronize(ctx))
		require.NoError(t, v.Activate(ctx, "btn-color"))
	}
	activations := func() eventqueue.SinkStats {
		for _, s := range c.QueueStats().Sinks {
			if s.Name == flagship.SinkHTTPActivations {
				return s
			}
		}
		t.Fatal("no activations sink")
		return eventqueue.SinkStats{}
	}
	require.Eventually(t, func() bool { return len(notes.of(flagship.NotifyBatchFailed, flagship.SinkHTTPActivations)) >= 3 },
		30*time.Second, time.Millisecond, "the activations are retried")

	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	require.ErrorIs(t, c.Flush(short), context.DeadlineExceeded, "no nil Flush while the endpoint refuses")
	refused := notes.of(flagship.NotifyDestinationRefused, flagship.SinkHTTPActivations)
	require.Len(t, refused, 1, "notified once")
	assert.Contains(t, refused[0].Err.Error(), "401")
	assert.Contains(t, refused[0].Err.Error(), "revoked key")
	assert.NotContains(t, refused[0].Err.Error(), "test-api-key")
	assert.Equal(t, "destination refused", refused[0].Kind.String())
	assert.Empty(t, notes.of(flagship.NotifyDeadLettered, flagship.SinkHTTPActivations))
	assert.Zero(t, c.QueueStats().DeadLetters)
	queued := activations().Depth
	assert.Positive(t, queued)
	assert.Empty(t, srv.Activations())

	revoked.Store(false)
	fctx, fcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer fcancel()
	require.NoError(t, c.Flush(fctx))
	assert.Len(t, srv.Activations(), int(queued), "every activation delivered")
	assert.Zero(t, c.QueueStats().DeadLetters)
	st := activations()
	assert.Zero(t, st.DeadLettered)
	assert.Zero(t, st.Depth)
	assert.Len(t, notes.of(flagship.NotifyDestinationRefused, flagship.SinkHTTPActivations), 1)
}

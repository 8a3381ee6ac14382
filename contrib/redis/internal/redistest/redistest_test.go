package redistest_test

import (
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStopRestartPause(t *testing.T) {
	srv := redistest.Start(t)
	_, err := srv.Do("SET", "k", "v")
	require.NoError(t, err)
	addr := srv.Addr()

	srv.Stop()
	_, err = srv.Do("PING")
	require.Error(t, err, "stopped")
	srv.Stop() // twice is fine

	srv.Restart()
	assert.Equal(t, addr, srv.Addr(), "same port")
	got, err := srv.Do("EXISTS", "k")
	require.NoError(t, err)
	assert.Equal(t, "0", got, "nothing persisted")

	srv.Pause(300 * time.Millisecond)
	start := time.Now()
	got, err = srv.Do("GET", "k") // read commands wait too with ALL
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
}

func TestNotDefaultPort(t *testing.T) {
	srv := redistest.Start(t)
	_, port, err := net.SplitHostPort(srv.Addr())
	require.NoError(t, err)
	assert.NotEqual(t, "6379", port)
}

// recorder is a testing.TB that records Skip and Fatal and ends the
// goroutine as they do.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (*recorder) Helper() {}

func (r *recorder) Skipf(string, ...any) {
	r.skipped = true
	runtime.Goexit()
}

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

func TestMissingBinary(t *testing.T) {
	tests := []struct {
		name        string
		giveRequire string
		wantSkipped bool
		wantFailed  bool
	}{
		{name: "skips by default", giveRequire: "", wantSkipped: true},
		{name: "fails when required", giveRequire: "1", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv(redistest.RequireEnv, tt.giveRequire)
			r := &recorder{TB: t}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				redistest.Start(r)
			}()
			wg.Wait()
			assert.Equal(t, tt.wantSkipped, r.skipped, "skipped")
			assert.Equal(t, tt.wantFailed, r.failed, "failed")
		})
	}
}

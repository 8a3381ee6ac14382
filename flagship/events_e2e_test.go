package flagship_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestEventHandlerSeesLogsErrorsAndEvents(t *testing.T) {
	srv := abServer(t)
	h := &syncEvents{}
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithEventHandler(h), flagship.WithLogger(logger))
	assert.True(t, h.saw(flagship.EventStatusChanged, flagship.StatusReady))
	updates := h.of(flagship.EventBucketingUpdated)
	require.NotEmpty(t, updates)
	assert.Equal(t, "network", updates[0].Source)
	assert.Equal(t, 2, updates[0].N, "campaigns in the file")
	assert.False(t, updates[0].Time.IsZero())

	// A failing download is an error, an event and a log record.
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 500})
	require.Eventually(t, func() bool { return len(h.of(flagship.EventBucketingFailed)) > 0 }, 5*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, r := range h.logs {
			if r.Level == slog.LevelWarn {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "OnLog receives the poller's warnings")
	assert.NotEmpty(t, h.errors())
	assert.Equal(t, flagship.StatusReady, c.Status())
}

func TestLogEvents(t *testing.T) {
	var buf bytes.Buffer
	h := flagship.LogEvents(slog.New(slog.NewTextHandler(&buf, nil)))
	ctx := context.Background()
	h.OnEvent(ctx, flagship.Event{Kind: flagship.EventStatusChanged, Status: flagship.StatusPanic, Previous: flagship.StatusReady})
	h.OnEvent(ctx, flagship.Event{Kind: flagship.EventSynchronizeFailed, VisitorID: "v1", Err: context.DeadlineExceeded})
	out := buf.String()
	assert.Contains(t, out, `level=INFO msg="flagship: status changed" status=PANIC previous=READY`)
	assert.Contains(t, out, `level=WARN msg="flagship: synchronize failed" visitor=v1 err="context deadline exceeded"`)
}

// TestAPIKeyNeverWritten runs a BUCKETING client with an API key and
// checks that no file it wrote holds the key.
func TestAPIKeyNeverWritten(t *testing.T) {
	const key = "secret-key-in-files-777"
	srv := abServer(t)
	dir := t.TempDir()
	c, err := flagship.New(context.Background(), srv.EnvID(), key,
		append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithCacheDir(dir))...)
	require.NoError(t, err)
	require.NoError(t, c.WaitReady(context.Background()))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(context.Background()))
	require.NoError(t, v.Activate(context.Background(), "btn-color"))
	require.NoError(t, c.Close(context.Background()))
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.False(t, strings.Contains(string(b), key), "%s holds the API key", path)
		files++
		return nil
	}))
	assert.Positive(t, files, "the client wrote its cache")
}

func TestSlowEventsEndpointDoesNotBlockCallers(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithHitTimeout(100*time.Millisecond), flagship.WithEventHandler(h),
		flagship.WithRetryBackoff(10*time.Millisecond, 50*time.Millisecond))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	// The endpoint answers the first request after an hour: a flush that
	// completes shows that request was cut at the hit timeout and retried.
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Latency: time.Hour})
	require.NoError(t, returns(t, "SendHit", func() error { return v.SendHit(context.Background(), hits.Screen{Name: "home"}) }),
		"queued: the endpoint is not on the caller's path")
	flush(t, c)
	require.Len(t, srv.Hits(), 1)
	failed := h.of(flagship.EventBatchFailed)
	require.NotEmpty(t, failed)
	assert.ErrorIs(t, failed[0].Err, context.DeadlineExceeded)
	assert.Equal(t, flagship.SinkHTTPHits, failed[0].Sink)
}

func TestOnLogGetsLoggerAttributes(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 500})
	c := newClient(t, srv, flagship.WithEventHandler(h), flagship.WithLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"}, visitor.WithConsent(true))
	require.NoError(t, err)
	require.Error(t, v.Synchronize(context.Background()))
	require.NoError(t, c.Close(context.Background()))
	h.mu.Lock()
	defer h.mu.Unlock()
	require.NotEmpty(t, h.logs)
	found := false
	h.logs[len(h.logs)-1].Attrs(func(a slog.Attr) bool {
		found = found || (a.Key == "component" && a.Value.String() == "flagship")
		return true
	})
	assert.True(t, found, "OnLog records carry the logger's attributes")
}

func TestOwedHitFailureIsADeliveryEvent(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	refuse := true
	tracker := trackerFunc(func(ctx context.Context, r hits.Record) error {
		if refuse {
			return flagship.ErrQueueFull
		}
		return nil
	})
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithEventHandler(h), flagship.WithTracker(tracker))
	v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"})
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(context.Background()), "flags resolved: the context hit's failure is reported apart")
	assert.Equal(t, "green", v.String("btn-color", "blue"))
	failed := h.of(flagship.EventDeliveryFailed)
	require.Len(t, failed, 1)
	require.ErrorIs(t, failed[0].Err, flagship.ErrQueueFull)
	refuse = false
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Len(t, h.of(flagship.EventDeliveryFailed), 1, "the context hit is queued by the next Synchronize")
}

func TestBatchEventsReachTheHandler(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithEventHandler(h), flagship.WithRetryBackoff(time.Millisecond, 10*time.Millisecond))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	flush(t, c)
	failed := h.of(flagship.EventBatchFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, 1, failed[0].N)
	assert.Contains(t, failed[0].Err.Error(), "503")
	sent := h.of(flagship.EventBatchSent)
	require.Len(t, sent, 1)
	assert.Equal(t, flagship.SinkHTTPHits, sent[0].Sink)
	assert.Positive(t, sent[0].Duration)
	st := c.QueueStats()
	require.Len(t, st.Sinks, 2)
	assert.EqualValues(t, 1, st.Enqueued)
	assert.EqualValues(t, 1, st.Sinks[0].Sent)
	assert.EqualValues(t, 1, st.Sinks[0].Retried)
}

// trackerFunc adapts a function to visitor.Tracker.
type trackerFunc func(ctx context.Context, r hits.Record) error

func (f trackerFunc) Enqueue(ctx context.Context, r hits.Record) error { return f(ctx, r) }

package flagship_test

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// oldShapeHandler is a notification handler that also has the OnLog and
// OnError methods handlers had before notifications and logs were
// separated: the client must call neither.
type oldShapeHandler struct {
	syncEvents
	logs, errs atomic.Int32
}

func (h *oldShapeHandler) OnLog(context.Context, slog.Record) { h.logs.Add(1) }
func (h *oldShapeHandler) OnError(context.Context, error)     { h.errs.Add(1) }

// TestNotificationsOnlyThroughTheirHandler: updates and failures reach
// the handler of WithNotifications as notifications (failures with Err
// set); logs reach the logger only, and notifications are not logged.
func TestNotificationsOnlyThroughTheirHandler(t *testing.T) {
	srv := abServer(t)
	h := &oldShapeHandler{}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithNotifications(h), flagship.WithLogger(logger))...)
	require.NoError(t, err)
	require.NoError(t, c.WaitReady(t.Context()))
	assert.True(t, h.saw(flagship.NotifyStatusChanged, flagship.StatusReady))
	updates := h.of(flagship.NotifyBucketingUpdated)
	require.NotEmpty(t, updates)
	assert.Equal(t, "network", updates[0].Source)
	assert.Equal(t, 2, updates[0].N, "campaigns in the file")
	assert.False(t, updates[0].Time.IsZero())

	// A failing download is a notification with Err and a log record.
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 500})
	require.Eventually(t, func() bool { return len(h.of(flagship.NotifyBucketingFailed)) > 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, flagship.StatusReady, c.Status(), "a failed download keeps the file in use")
	require.NoError(t, c.Close(context.Background()))
	failed := h.of(flagship.NotifyBucketingFailed)[0]
	require.ErrorIs(t, failed.Err, bucketing.ErrFetch)
	assert.Equal(t, flagship.StatusClosed, c.Status())

	assert.Zero(t, h.logs.Load(), "a log record reached the notification handler")
	assert.Zero(t, h.errs.Load(), "failures are notifications, not OnError calls")
	out := logs.String()
	assert.Contains(t, out, `level=WARN msg="bucketing file fetch failed; keeping the current file"`)
	assert.NotContains(t, out, "flagship: bucketing failed", "notifications are logged only through LogNotifications")
	assert.NotContains(t, out, "flagship: status changed")
}

func TestLogNotifications(t *testing.T) {
	var buf bytes.Buffer
	h := flagship.LogNotifications(slog.New(slog.NewTextHandler(&buf, nil)))
	ctx := context.Background()
	h.OnNotification(ctx, flagship.Notification{Kind: flagship.NotifyStatusChanged, Status: flagship.StatusPanic, Previous: flagship.StatusReady})
	h.OnNotification(ctx, flagship.Notification{Kind: flagship.NotifySynchronizeFailed, VisitorID: "v1", Err: context.DeadlineExceeded})
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
	c := newClient(t, srv, flagship.WithNotifications(h), flagship.WithDelivery(flagship.DeliveryOptions{
		HitTimeout: 100 * time.Millisecond, RetryInitial: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	// The endpoint answers the first request after an hour: a flush that
	// completes shows that request was cut at the hit timeout and retried.
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Latency: time.Hour})
	require.NoError(t, returns(t, "SendHit", func() error { return v.SendHit(context.Background(), hits.Screen{Name: "home"}) }),
		"queued: the endpoint is not on the caller's path")
	flush(t, c)
	require.Len(t, srv.Hits(), 1)
	failed := h.of(flagship.NotifyBatchFailed)
	require.NotEmpty(t, failed)
	assert.ErrorIs(t, failed[0].Err, context.DeadlineExceeded)
	assert.Equal(t, flagship.SinkHTTPHits, failed[0].Sink)
}

func TestOwedHitFailureIsADeliveryNotification(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	refuse := true
	tracker := trackerFunc(func(ctx context.Context, r hits.Record) error {
		if refuse {
			return flagship.ErrQueueFull
		}
		return nil
	})
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(h),
		flagship.WithDelivery(flagship.DeliveryOptions{Tracker: tracker}))
	v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"})
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(context.Background()), "flags resolved: the context hit's failure is reported apart")
	assert.Equal(t, "green", v.String("btn-color", "blue"))
	failed := h.of(flagship.NotifyDeliveryFailed)
	require.Len(t, failed, 1)
	require.ErrorIs(t, failed[0].Err, flagship.ErrQueueFull)
	refuse = false
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Len(t, h.of(flagship.NotifyDeliveryFailed), 1, "the context hit is queued by the next Synchronize")
}

func TestBatchNotificationsReachTheHandler(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithNotifications(h),
		flagship.WithDelivery(flagship.DeliveryOptions{RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	flush(t, c)
	failed := h.of(flagship.NotifyBatchFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, 1, failed[0].N)
	assert.Contains(t, failed[0].Err.Error(), "503")
	sent := h.of(flagship.NotifyBatchSent)
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

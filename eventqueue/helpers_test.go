package eventqueue_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

const testEnv = "env"

// waitLimit bounds every wait of the tests: far above what a wait needs,
// so that a hang fails instead of blocking the run.
const waitLimit = 30 * time.Second

// pageRecord returns a valid KindHit record of visitor vid created now.
func pageRecord(tb testing.TB, vid string) hits.Record {
	tb.Helper()
	return recordOf(tb, testEnv, vid, "", time.Now(), hits.Page{URL: "https://example.com/" + vid})
}

func recordOf(tb testing.TB, env, vid, aid string, created time.Time, h hits.Hit) hits.Record {
	tb.Helper()
	r, err := hits.NewRecord(uuid.New(), env, vid, aid, created, h)
	require.NoError(tb, err)
	return r
}

func activationRecord(tb testing.TB, vid string) hits.Record {
	tb.Helper()
	return recordOf(tb, testEnv, vid, "", time.Now(), hits.Activation{VariationGroupID: "vg", VariationID: "var"})
}

func consentRecord(tb testing.TB, vid string) hits.Record {
	tb.Helper()
	return recordOf(tb, testEnv, vid, "", time.Now(), hits.Consent{Consented: false})
}

// recorder is a Sink that keeps the batches it accepts. fail, if set,
// runs first and its error, if any, is Send's.
type recorder struct {
	fail func(ctx context.Context, batch []eventqueue.Record) error

	mu      sync.Mutex
	batches [][]eventqueue.Record
}

func (r *recorder) Send(ctx context.Context, batch []eventqueue.Record) error {
	if r.fail != nil {
		if err := r.fail(ctx, batch); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.batches = append(r.batches, slices.Clone(batch))
	r.mu.Unlock()
	return nil
}

func (r *recorder) records() []eventqueue.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []eventqueue.Record
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

func (r *recorder) ids() []uuid.UUID {
	var out []uuid.UUID
	for _, rec := range r.records() {
		out = append(out, rec.ID())
	}
	return out
}

func (r *recorder) batchSizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int
	for _, b := range r.batches {
		out = append(out, len(b))
	}
	return out
}

func (r *recorder) count() int { return len(r.records()) }

// eventLog collects the queue's events.
type eventLog struct {
	mu  sync.Mutex
	evs []eventqueue.Event
}

func (l *eventLog) on(_ context.Context, e eventqueue.Event) {
	l.mu.Lock()
	l.evs = append(l.evs, e)
	l.mu.Unlock()
}

func (l *eventLog) of(k eventqueue.EventKind) []eventqueue.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []eventqueue.Event
	for _, e := range l.evs {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// fakeClock is an Options.Now that moves only when told.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testLogger logs to tb, so that the queue's logs show only for a failed
// test or with -v.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// queuePath returns a fresh queue file path.
func queuePath(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "queue.db")
}

// openQueue opens the queue at path and closes it at the end of the test.
func openQueue(tb testing.TB, path string, opts eventqueue.Options) *eventqueue.Queue {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(tb)
	}
	q, err := eventqueue.Open(path, opts)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = q.Close() })
	return q
}

// oneSink returns options with one sink named name, fast to flush and
// retry.
func oneSink(name string, s eventqueue.Sink) eventqueue.Options {
	return eventqueue.Options{Sinks: []eventqueue.SinkConfig{fastSink(name, s)}}
}

func fastSink(name string, s eventqueue.Sink) eventqueue.SinkConfig {
	return eventqueue.SinkConfig{
		Name:          name,
		Sink:          s,
		FlushInterval: 10 * time.Millisecond,
		RetryInitial:  time.Millisecond,
		RetryMax:      4 * time.Millisecond,
	}
}

// startRun runs q until the returned stop is called (at the latest at
// the end of the test) and waits until Run is running. stop returns Run's
// error.
func startRun(tb testing.TB, q *eventqueue.Queue) (stop func() error) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	tb.Cleanup(func() { _ = stop() })
	eventually(tb, func() bool { return eventqueue.IsRunning(q) }, "Run did not start")
	return stop
}

// flush flushes q, failing the test if that takes more than waitLimit.
func flush(tb testing.TB, q *eventqueue.Queue) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(tb, q.Flush(ctx))
}

// settle flushes q and waits for the commit deleting the delivered
// records: Flush returns once the sinks confirmed them.
func settle(tb testing.TB, q *eventqueue.Queue) {
	tb.Helper()
	flush(tb, q)
	eventually(tb, func() bool {
		for _, s := range q.Stats().Sinks {
			if s.Configured && s.Bytes != 0 {
				return false
			}
		}
		return true
	}, "delivered records deleted")
}

// eventually waits until cond holds, failing the test after waitLimit.
func eventually(tb testing.TB, cond func() bool, msg string) {
	tb.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal(msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// enqueueAll enqueues recs in order.
func enqueueAll(tb testing.TB, q *eventqueue.Queue, recs ...hits.Record) {
	tb.Helper()
	for _, r := range recs {
		require.NoError(tb, q.Enqueue(context.Background(), r))
	}
}

// pageRecords returns n page records of visitors v0, v1, ...
func pageRecords(tb testing.TB, n int) []hits.Record {
	tb.Helper()
	out := make([]hits.Record, n)
	for i := range out {
		out[i] = pageRecord(tb, "v"+strconv.Itoa(i))
	}
	return out
}

func idsOf(recs []hits.Record) []uuid.UUID {
	out := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		out[i] = r.ID()
	}
	return out
}

func sinkStats(tb testing.TB, q *eventqueue.Queue, name string) eventqueue.SinkStats {
	tb.Helper()
	for _, s := range q.Stats().Sinks {
		if s.Name == name {
			return s
		}
	}
	tb.Fatalf("no sink %q in Stats", name)
	return eventqueue.SinkStats{}
}

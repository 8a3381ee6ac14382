package eventqueue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// logRecorder is a slog.Handler that keeps the level and message of
// every record.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.recs = append(l.recs, r.Clone())
	l.mu.Unlock()
	return nil
}

// count returns how many records of level have a message starting with
// prefix.
func (l *logRecorder) count(level slog.Level, prefix string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.recs {
		if r.Level == level && strings.HasPrefix(r.Message, prefix) {
			n++
		}
	}
	return n
}

const (
	refusedLog   = "destination refuses delivery"
	recoveredLog = "destination delivers again"
)

// flushFails checks that a Flush cut short by its ctx fails, with the
// records left: a sink refused systemically is not done.
func flushFails(tb testing.TB, q *eventqueue.Queue, left int) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := q.Flush(ctx)
	require.ErrorIs(tb, err, context.DeadlineExceeded)
	assert.Contains(tb, err.Error(), fmt.Sprintf("%d records left", left))
}

// recovered waits for the n-th Info log of the sink delivering again
// (logged right after the delivery, which Flush may see first) and checks
// that there is no other.
func recovered(tb testing.TB, logs *logRecorder, n int) {
	tb.Helper()
	eventually(tb, func() bool { return logs.count(slog.LevelInfo, recoveredLog) >= n }, "no log of the sink delivering again")
	assert.Equal(tb, n, logs.count(slog.LevelInfo, recoveredLog))
}

// failedAtLeast waits until events holds n EventBatchFailed.
func failedAtLeast(tb testing.TB, events *eventLog, n int) {
	tb.Helper()
	eventually(tb, func() bool { return len(events.of(eventqueue.EventBatchFailed)) >= n }, "the sends are not retried")
}

// TestSystemicRefusalRetried: whatever a sink marks Systemic is retried
// with backoff (honouring RetryAfter), reported once per episode with a
// Warn log and EventDestinationRefused, keeps Flush waiting, and
// dead-letters nothing; when the destination takes records again they
// are all delivered, in order, with an Info log.
func TestSystemicRefusalRetried(t *testing.T) {
	base := errors.New("401 revoked key")
	tests := []struct {
		name      string
		give      func(batch []eventqueue.Record) error
		wantDelay time.Duration // the least delay of a retry
	}{
		{name: "systemic", give: func([]eventqueue.Record) error { return eventqueue.Systemic(base) }},
		{name: "systemic and permanent", give: func([]eventqueue.Record) error { return eventqueue.Permanent(eventqueue.Systemic(base)) }},
		{name: "permanent and systemic", give: func([]eventqueue.Record) error { return eventqueue.Systemic(eventqueue.Permanent(base)) }},
		{
			name: "systemic with retry-after",
			give: func([]eventqueue.Record) error {
				return eventqueue.RetryAfter(eventqueue.Systemic(base), 20*time.Millisecond)
			},
			wantDelay: 20 * time.Millisecond,
		},
		{name: "one systemic entry of a partial", give: func(b []eventqueue.Record) error {
			errs := make([]error, len(b))
			for i := range errs {
				errs[i] = eventqueue.Permanent(fmt.Errorf("record %s: too large", b[i].ID()))
			}
			errs[len(errs)-1] = eventqueue.Systemic(base)
			return eventqueue.Partial(errs)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var refuse atomic.Bool
			refuse.Store(true)
			rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
				if refuse.Load() {
					return tt.give(b)
				}
				return nil
			}}
			var events eventLog
			logs := &logRecorder{}
			opts := oneSink("rec", rec)
			opts.OnEvent, opts.Logger = events.on, slog.New(logs)
			q := openQueue(t, queuePath(t), opts)
			recs := pageRecords(t, 6)
			enqueueAll(t, q, recs...)
			startRun(t, q)

			failedAtLeast(t, &events, 3)
			flushFails(t, q, 6)
			dead, err := q.DeadLetters(10)
			require.NoError(t, err)
			assert.Empty(t, dead, "a systemic refusal dead-letters nothing")
			refused := events.of(eventqueue.EventDestinationRefused)
			require.Len(t, refused, 1, "reported once per episode")
			assert.Equal(t, "rec", refused[0].Sink)
			assert.Equal(t, 6, refused[0].N)
			assert.ErrorIs(t, refused[0].Err, base)
			assert.True(t, eventqueue.IsSystemic(refused[0].Err))
			assert.False(t, eventqueue.IsPermanent(refused[0].Err))
			assert.GreaterOrEqual(t, refused[0].Delay, tt.wantDelay)
			for _, f := range events.of(eventqueue.EventBatchFailed) {
				assert.GreaterOrEqual(t, f.Delay, tt.wantDelay)
				assert.LessOrEqual(t, f.Delay, max(tt.wantDelay, 4*time.Millisecond), "RetryMax bounds the backoff")
			}
			assert.Equal(t, 1, logs.count(slog.LevelWarn, refusedLog), "one Warn per episode")
			assert.Zero(t, logs.count(slog.LevelWarn, "send failed"))

			refuse.Store(false)
			flush(t, q)
			assert.Equal(t, idsOf(recs), rec.ids(), "all delivered, in order")
			dead, err = q.DeadLetters(10)
			require.NoError(t, err)
			assert.Empty(t, dead)
			recovered(t, logs, 1)
			assert.Len(t, events.of(eventqueue.EventDestinationRefused), 1)
			st := sinkStats(t, q, "rec")
			assert.Zero(t, st.DeadLettered)
			assert.EqualValues(t, 6, st.Sent)
		})
	}
}

// TestRefusalEpisodes: a refusal after the sink delivered again starts a
// new episode, reported again.
func TestRefusalEpisodes(t *testing.T) {
	var refuse atomic.Bool
	rec := &recorder{fail: func(context.Context, []eventqueue.Record) error {
		if refuse.Load() {
			return eventqueue.Systemic(errors.New("403"))
		}
		return nil
	}}
	var events eventLog
	logs := &logRecorder{}
	opts := oneSink("rec", rec)
	opts.OnEvent, opts.Logger = events.on, slog.New(logs)
	q := openQueue(t, queuePath(t), opts)
	startRun(t, q)
	for episode := 1; episode <= 2; episode++ {
		refuse.Store(true)
		enqueueAll(t, q, pageRecords(t, 2)...)
		failedAtLeast(t, &events, 3*episode)
		refuse.Store(false)
		flush(t, q)
		assert.Len(t, events.of(eventqueue.EventDestinationRefused), episode)
		assert.Equal(t, episode, logs.count(slog.LevelWarn, refusedLog))
		recovered(t, logs, episode)
	}
	assert.Equal(t, 4, rec.count())
}

// TestRefusedAlikeIsSystemic: a permanent refusal of every record of a
// split batch alike, none delivered, is the destination's: nothing is
// dead-lettered, the refusal is reported, and the records are delivered
// once the destination takes them. The same batch refused the same way
// again is not split again.
func TestRefusedAlikeIsSystemic(t *testing.T) {
	tests := []struct {
		name string
		give func(batch []eventqueue.Record) error
	}{
		{name: "batch error", give: func([]eventqueue.Record) error {
			return eventqueue.Permanent(errors.New("400 Bad Request: <html>bad request</html>"))
		}},
		{name: "partial, every entry alike", give: func(b []eventqueue.Record) error {
			errs := make([]error, len(b))
			for i := range errs {
				errs[i] = eventqueue.Permanent(errors.New("message size too large"))
			}
			return eventqueue.Partial(errs)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n = 8
			var refuse atomic.Bool
			refuse.Store(true)
			var mu sync.Mutex
			var sizes []int
			rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
				if !refuse.Load() {
					return nil
				}
				mu.Lock()
				sizes = append(sizes, len(b))
				mu.Unlock()
				return tt.give(b)
			}}
			var events eventLog
			opts := oneSink("rec", rec)
			opts.OnEvent = events.on
			q := openQueue(t, queuePath(t), opts)
			recs := pageRecords(t, n)
			enqueueAll(t, q, recs...)
			startRun(t, q)

			failedAtLeast(t, &events, 4)
			flushFails(t, q, n)
			dead, err := q.DeadLetters(10)
			require.NoError(t, err)
			assert.Empty(t, dead, "records refused alike are not dead-lettered")
			refused := events.of(eventqueue.EventDestinationRefused)
			require.Len(t, refused, 1)
			assert.Equal(t, n, refused[0].N)
			assert.True(t, eventqueue.IsSystemic(refused[0].Err))
			assert.Contains(t, refused[0].Err.Error(), "refused alike")
			mu.Lock()
			split := 0
			for _, s := range sizes {
				if s < n {
					split++
				}
			}
			mu.Unlock()
			assert.Equal(t, 2*n-2, split, "split once (2n-1 sends, the whole batch's included), not at each attempt")

			refuse.Store(false)
			flush(t, q)
			assert.Equal(t, idsOf(recs), rec.ids())
			assert.Zero(t, sinkStats(t, q, "rec").DeadLettered)
		})
	}
}

// TestRefusedByContentStillIsolated: refusals that differ (each names its
// record), or a refused record among delivered ones, are about content:
// the records at fault are dead-lettered, the others delivered.
func TestRefusedByContentStillIsolated(t *testing.T) {
	tests := []struct {
		name     string
		giveBad  func(i int) bool
		wantDead int
	}{
		{name: "every record, each for its own reason", giveBad: func(int) bool { return true }, wantDead: 6},
		{name: "one record among the others", giveBad: func(i int) bool { return i == 4 }, wantDead: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := pageRecords(t, 6)
			bad := map[string]bool{}
			for i, r := range recs {
				bad[r.ID().String()] = tt.giveBad(i)
			}
			rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
				for _, r := range b {
					if bad[r.ID().String()] {
						return eventqueue.Permanent(fmt.Errorf("record %s: field dl: not a URL", r.ID()))
					}
				}
				return nil
			}}
			var events eventLog
			opts := oneSink("rec", rec)
			opts.OnEvent = events.on
			q := openQueue(t, queuePath(t), opts)
			enqueueAll(t, q, recs...)
			startRun(t, q)
			flush(t, q)

			dead, err := q.DeadLetters(10)
			require.NoError(t, err)
			require.Len(t, dead, tt.wantDead)
			for _, d := range dead {
				assert.True(t, bad[d.Record.ID().String()])
				assert.Equal(t, fmt.Sprintf("record %s: field dl: not a URL", d.Record.ID()), d.Reason)
			}
			assert.Equal(t, 6-tt.wantDead, rec.count())
			assert.Empty(t, events.of(eventqueue.EventDestinationRefused))
			assert.Empty(t, events.of(eventqueue.EventBatchFailed))
		})
	}
}

// TestLoneRecordsRefusedAlike: one-record batches (a trickle) to a
// destination that refuses everything alike: the first is taken for bad
// content, as nothing tells it apart, but the next one refused the same
// way makes it a systemic refusal, and nothing more is dead-lettered.
func TestLoneRecordsRefusedAlike(t *testing.T) {
	var refuse atomic.Bool
	refuse.Store(true)
	rec := &recorder{fail: func(context.Context, []eventqueue.Record) error {
		if refuse.Load() {
			return eventqueue.Permanent(errors.New("400 Bad Request"))
		}
		return nil
	}}
	var events eventLog
	cfg := fastSink("rec", rec)
	cfg.BatchSize = 1
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, OnEvent: events.on})
	recs := pageRecords(t, 5)
	enqueueAll(t, q, recs...)
	startRun(t, q)

	failedAtLeast(t, &events, 3)
	flushFails(t, q, 4)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1, "at most the first lone record")
	assert.Equal(t, recs[0].ID(), dead[0].Record.ID())
	require.Len(t, events.of(eventqueue.EventDestinationRefused), 1)

	refuse.Store(false)
	flush(t, q)
	assert.Equal(t, idsOf(recs[1:]), rec.ids())
	dead, err = q.DeadLetters(10)
	require.NoError(t, err)
	assert.Len(t, dead, 1)
}

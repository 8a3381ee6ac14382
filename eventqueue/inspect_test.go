package eventqueue_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestStats(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC))
	var calls atomic.Int32
	poison := pageRecord(t, "poison")
	rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
		time.Sleep(5 * time.Millisecond) // a measurable latency
		if calls.Add(1) == 1 {
			return errors.New("flaky")
		}
		for _, r := range b {
			if r.ID() == poison.ID() {
				return eventqueue.Permanent(errors.New("rejected"))
			}
		}
		return nil
	}}
	cfg := fastSink("rec", rec)
	cfg.MaxAge = time.Hour
	cfg.Kinds = []hits.Kind{hits.KindHit}
	acts := fastSink("acts", &recorder{})
	acts.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, queuePath(t), eventqueue.Options{
		Sinks:      []eventqueue.SinkConfig{cfg, acts},
		MaxRecords: 5,
		Now:        clock.Now,
	})
	ctx := context.Background()
	old := recordOf(t, testEnv, "old", "", clock.Now(), hits.Page{URL: "https://example.com/"})
	enqueueAll(t, q, old)
	clock.Advance(90 * time.Minute)
	good := []hits.Record{
		recordOf(t, testEnv, "a", "", clock.Now().Add(-time.Minute), hits.Page{URL: "https://example.com/a"}),
		recordOf(t, testEnv, "b", "", clock.Now().Add(-time.Minute), hits.Page{URL: "https://example.com/b"}),
	}
	poison = recordOf(t, testEnv, "poison", "", clock.Now(), hits.Page{URL: "https://example.com/poison"})
	enqueueAll(t, q, good[0], poison, good[1])
	require.NoError(t, q.Enqueue(ctx, activationRecord(t, "x")))

	st := q.Stats()
	assert.EqualValues(t, 5, st.Enqueued)
	require.Len(t, st.Sinks, 2)
	assert.Equal(t, "rec", st.Sinks[0].Name)
	assert.True(t, st.Sinks[0].Configured)
	assert.EqualValues(t, 4, st.Sinks[0].Depth)
	assert.Equal(t, 90*time.Minute, st.Sinks[0].OldestAge)
	assert.EqualValues(t, 1, st.Sinks[1].Depth)
	assert.Equal(t, st.Bytes, st.Sinks[0].Bytes+st.Sinks[1].Bytes)
	assert.Positive(t, st.Sinks[0].Bytes)

	// Fill "rec" to MaxRecords and be refused once.
	enqueueAll(t, q, pageRecord(t, "c"))
	require.ErrorIs(t, q.Enqueue(ctx, pageRecord(t, "d")), eventqueue.ErrQueueFull)

	startRun(t, q)
	settle(t, q)

	st = q.Stats()
	assert.EqualValues(t, 6, st.Enqueued)
	assert.EqualValues(t, 1, st.RejectedFull)
	assert.EqualValues(t, 2, st.DeadLetters)
	assert.Zero(t, st.Bytes)
	s := st.Sinks[0]
	assert.Zero(t, s.Depth)
	assert.Zero(t, s.Bytes)
	assert.Zero(t, s.OldestAge)
	assert.EqualValues(t, 3, s.Sent, "a, b and c")
	assert.EqualValues(t, 4, s.Retried, "the first, failed batch of 4")
	assert.EqualValues(t, 2, s.DeadLettered, "old (expired) and poison")
	assert.EqualValues(t, 1, s.Expired)
	assert.GreaterOrEqual(t, s.LastSendLatency, 5*time.Millisecond)
	assert.Positive(t, s.Batches)
	assert.EqualValues(t, 1, st.Sinks[1].Sent)
}

func TestPeek(t *testing.T) {
	hitCfg := fastSink("hits", &recorder{})
	hitCfg.Kinds = []hits.Kind{hits.KindHit}
	actCfg := fastSink("acts", &recorder{})
	actCfg.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg, actCfg}})
	page1, page2, act := pageRecord(t, "a"), pageRecord(t, "b"), activationRecord(t, "a")
	enqueueAll(t, q, page1, act, page2)

	tests := []struct {
		name     string
		giveSink string
		giveN    int
		want     []uuid.UUID
	}{
		{name: "one sink", giveSink: "hits", giveN: 10, want: []uuid.UUID{page1.ID(), page2.ID()}},
		{name: "at most n", giveSink: "hits", giveN: 1, want: []uuid.UUID{page1.ID()}},
		{name: "every sink", giveSink: "", giveN: 10, want: []uuid.UUID{page1.ID(), page2.ID(), act.ID()}},
		{name: "none", giveSink: "acts", giveN: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries, err := q.Peek(tt.giveSink, tt.giveN)
			require.NoError(t, err)
			var got []uuid.UUID
			for _, e := range entries {
				require.NoError(t, e.Err)
				assert.Positive(t, e.Size)
				assert.Positive(t, e.Seq)
				assert.NotEmpty(t, e.Sink)
				got = append(got, e.Record.ID())
			}
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := q.Peek("nope", 1)
	require.ErrorIs(t, err, eventqueue.ErrUnknownSink)
}

// TestPeekEmptyFile: a queue opened without sinks (to inspect a file)
// peeks at nothing rather than failing.
func TestPeekEmptyFile(t *testing.T) {
	q := openQueue(t, queuePath(t), eventqueue.Options{})
	entries, err := q.Peek("", 10)
	require.NoError(t, err)
	assert.Empty(t, entries)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

func TestPurge(t *testing.T) {
	hitCfg := fastSink("hits", &recorder{})
	hitCfg.Kinds = []hits.Kind{hits.KindHit, hits.KindConsent}
	actSink := &recorder{}
	actCfg := fastSink("acts", actSink)
	actCfg.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg, actCfg}})
	hitSink := hitCfg.Sink.(*recorder)
	page := hits.Page{URL: "https://example.com/"}
	var (
		v1Page       = recordOf(t, testEnv, "v1", "", time.Now(), page)
		v1Act        = activationRecord(t, "v1")
		v1Consent    = consentRecord(t, "v1")
		v2Anonymous  = recordOf(t, testEnv, "user-2", "v2", time.Now(), page)
		v1OtherEnv   = recordOf(t, "other-env", "v1", "", time.Now(), page)
		v3Page       = recordOf(t, testEnv, "v3", "", time.Now(), page)
		v3Activation = activationRecord(t, "v3")
	)
	enqueueAll(t, q, v1Page, v1Act, v1Consent, v2Anonymous, v1OtherEnv, v3Page, v3Activation)

	require.NoError(t, q.Purge(context.Background(), testEnv))
	require.NoError(t, q.Purge(context.Background(), testEnv, "v1", "v2", ""))
	entries, err := q.Peek("", 100)
	require.NoError(t, err)
	var left []uuid.UUID
	var size int64
	for _, e := range entries {
		left = append(left, e.Record.ID())
		size += int64(e.Size)
	}
	assert.Equal(t, []uuid.UUID{v1Consent.ID(), v1OtherEnv.ID(), v3Page.ID(), v3Activation.ID()}, left)
	st := q.Stats()
	assert.Equal(t, size, st.Bytes)
	assert.EqualValues(t, 3, st.Sinks[0].Depth)
	assert.EqualValues(t, 1, st.Sinks[1].Depth)

	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{v1Consent.ID(), v1OtherEnv.ID(), v3Page.ID()}, hitSink.ids())
	assert.Equal(t, []uuid.UUID{v3Activation.ID()}, actSink.ids())
}

// TestPurgeDuringSend: records purged while their batch is being sent
// are not counted twice when the batch is confirmed.
func TestPurgeDuringSend(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int32
	rec := &recorder{fail: func(context.Context, []eventqueue.Record) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		return nil
	}}
	q := openQueue(t, queuePath(t), oneSink("rec", rec))
	enqueueAll(t, q, pageRecord(t, "v1"), pageRecord(t, "v2"))
	startRun(t, q)
	<-entered
	require.NoError(t, q.Purge(context.Background(), testEnv, "v1"))
	close(release)
	settle(t, q)
	st := q.Stats()
	assert.Zero(t, st.Sinks[0].Depth)
	assert.Zero(t, st.Sinks[0].Bytes)
	assert.Zero(t, st.Bytes)

	// The accounting still works: a new record is delivered by Flush.
	late := pageRecord(t, "v3")
	enqueueAll(t, q, late)
	flush(t, q)
	assert.Contains(t, rec.ids(), late.ID())
	assert.Zero(t, q.Stats().Sinks[0].Depth)
}

// TestLeftoverBacklog: the backlog of a sink no longer configured stays
// in the file, is shown, is not waited for, and is delivered once the
// sink is configured again.
func TestLeftoverBacklog(t *testing.T) {
	path := queuePath(t)
	hitCfg := fastSink("hits", &recorder{})
	hitCfg.Kinds = []hits.Kind{hits.KindHit}
	actSink := &recorder{}
	actCfg := fastSink("acts", actSink)
	actCfg.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg, actCfg}})
	act := activationRecord(t, "v")
	enqueueAll(t, q, act)
	require.NoError(t, q.Close())

	q = openQueue(t, path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg}})
	st := q.Stats()
	require.Len(t, st.Sinks, 2)
	assert.False(t, st.Sinks[1].Configured)
	assert.Equal(t, "acts", st.Sinks[1].Name)
	assert.EqualValues(t, 1, st.Sinks[1].Depth)
	require.ErrorIs(t, q.Enqueue(context.Background(), activationRecord(t, "w")), eventqueue.ErrInvalidRecord)
	startRun(t, q)
	flush(t, q) // does not wait for the leftover backlog
	entries, err := q.Peek("acts", 10)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.NoError(t, q.Close())

	q = openQueue(t, path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg, actCfg}})
	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{act.ID()}, actSink.ids())
}

func TestCompact(t *testing.T) {
	path := queuePath(t)
	opts := oneSink("rec", &recorder{})
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Millisecond
	q := openQueue(t, path, opts)
	enqueueAll(t, q, pageRecords(t, 3000)...)
	startRun(t, q)
	_, _, err := eventqueue.Compact(path, 20*time.Millisecond)
	require.ErrorIs(t, err, eventqueue.ErrQueueLocked)
	flush(t, q)
	require.NoError(t, q.Close())

	before, after, err := eventqueue.Compact(path, 0)
	require.NoError(t, err)
	assert.Less(t, after, before)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, after, fi.Size())
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	q = openQueue(t, path, oneSink("rec", &recorder{}))
	enqueueAll(t, q, pageRecord(t, "v"))
	assert.EqualValues(t, 1, sinkStats(t, q, "rec").Depth)

	_, _, err = eventqueue.Compact(queuePath(t), 0)
	require.Error(t, err, "no such file")
}

// TestFlushThenCloseLeavesNothing: once Flush returns, the delivered
// records are gone from the file.
func TestFlushThenCloseLeavesNothing(t *testing.T) {
	path := queuePath(t)
	rec := &recorder{}
	q := openQueue(t, path, oneSink("rec", rec))
	enqueueAll(t, q, pageRecords(t, 50)...)
	stop := startRun(t, q)
	flush(t, q)
	require.NoError(t, stop())
	require.NoError(t, q.Close())

	q = openQueue(t, path, oneSink("rec", rec))
	entries, err := q.Peek("", 100)
	require.NoError(t, err)
	assert.Empty(t, entries)
	assert.Zero(t, q.Stats().Bytes)
	assert.Equal(t, 50, rec.count())
}

package eventqueue_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestBatchesBySize(t *testing.T) {
	var events eventLog
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.OnEvent = events.on
	opts.Sinks[0].BatchSize = 10
	opts.Sinks[0].FlushInterval = time.Hour
	q := openQueue(t, queuePath(t), opts)
	recs := pageRecords(t, 25)
	enqueueAll(t, q, recs...)

	startRun(t, q)
	eventually(t, func() bool { return sinkStats(t, q, "rec").Depth == 5 }, "full batches not sent")
	assert.Equal(t, []int{10, 10}, rec.batchSizes(), "a partial batch waits for the interval")

	flush(t, q) // sends the partial batch at once
	assert.Equal(t, []int{10, 10, 5}, rec.batchSizes())
	assert.Equal(t, idsOf(recs), rec.ids())
	assert.EqualValues(t, 3, sinkStats(t, q, "rec").Batches)
	var sent []int
	for _, e := range events.of(eventqueue.EventBatchSent) {
		assert.Equal(t, "rec", e.Sink)
		assert.Positive(t, e.Latency)
		sent = append(sent, e.N)
	}
	assert.Equal(t, []int{10, 10, 5}, sent)
}

func TestBatchesByInterval(t *testing.T) {
	const interval = 40 * time.Millisecond
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.Sinks[0].FlushInterval = interval
	opts.Durability = eventqueue.Buffered // the 3 records share a commit
	opts.BufferDelay = 20 * time.Millisecond
	q := openQueue(t, queuePath(t), opts)
	startRun(t, q)
	enqueueAll(t, q, pageRecord(t, "warm-up"))
	flush(t, q) // the dispatcher is now idle, waiting for records

	start := time.Now()
	enqueueAll(t, q, pageRecords(t, 3)...)
	eventually(t, func() bool { return rec.count() == 4 }, "partial batch not sent after FlushInterval")
	assert.GreaterOrEqual(t, time.Since(start), interval)
	assert.Equal(t, []int{1, 3}, rec.batchSizes())
}

func TestFlushSendsPartialBatchAtOnce(t *testing.T) {
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.Sinks[0].FlushInterval = time.Hour
	q := openQueue(t, queuePath(t), opts)
	startRun(t, q)
	enqueueAll(t, q, pageRecord(t, "warm-up"))
	flush(t, q)
	enqueueAll(t, q, pageRecords(t, 3)...)
	// FlushInterval is an hour: a Flush that waited for it would fail at
	// flush's waitLimit deadline instead of returning nil.
	flush(t, q)
	assert.Equal(t, 4, rec.count())
}

func TestKindsRouting(t *testing.T) {
	hitSink, actSink, allSink := &recorder{}, &recorder{}, &recorder{}
	hitCfg := fastSink("hits", hitSink)
	hitCfg.Kinds = []hits.Kind{hits.KindHit, hits.KindConsent}
	actCfg := fastSink("activations", actSink)
	actCfg.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitCfg, actCfg, fastSink("all", allSink)}})
	page, act, consent := pageRecord(t, "v"), activationRecord(t, "v"), consentRecord(t, "v")
	enqueueAll(t, q, page, act, consent)

	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{page.ID(), consent.ID()}, hitSink.ids())
	assert.Equal(t, []uuid.UUID{act.ID()}, actSink.ids())
	assert.Equal(t, []uuid.UUID{page.ID(), act.ID(), consent.ID()}, allSink.ids())
	got := actSink.records()[0]
	assert.Equal(t, act.Fields(), got.Fields())
	assert.Equal(t, act.Kind(), got.Kind())
	assert.Equal(t, act.Type(), got.Type())
	assert.Equal(t, act.VisitorID(), got.VisitorID())
	assert.True(t, act.Created().Equal(got.Created()))
}

// TestStuckSinkDoesNotHoldBackOthers: each sink has its own backlog and
// dispatcher.
func TestStuckSinkDoesNotHoldBackOthers(t *testing.T) {
	tests := []struct {
		name     string
		giveSend eventqueue.SinkFunc
	}{
		{name: "failing", giveSend: func(context.Context, []eventqueue.Record) error { return errors.New("down") }},
		{name: "blocking", giveSend: func(ctx context.Context, _ []eventqueue.Record) error {
			<-ctx.Done()
			return ctx.Err()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := &recorder{}
			stuck := fastSink("stuck", tt.giveSend)
			stuck.SendTimeout = time.Hour
			q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{stuck, fastSink("good", good)}})
			recs := pageRecords(t, 50)
			startRun(t, q)
			enqueueAll(t, q, recs...)
			eventually(t, func() bool { return good.count() == 50 }, "the good sink was held back")
			assert.Equal(t, idsOf(recs), good.ids())

			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			err := q.Flush(ctx)
			require.ErrorIs(t, err, context.DeadlineExceeded, "the stuck sink keeps its backlog")
			assert.EqualValues(t, 50, sinkStats(t, q, "stuck").Depth)
			assert.Zero(t, sinkStats(t, q, "good").Depth)
		})
	}
}

// TestDeleteOnlyAfterConfirm: failed sends keep the records; a Close with
// records pending leaves them in the file, and the next Run delivers
// them (resume), with the attempts counted so far.
func TestDeleteOnlyAfterConfirm(t *testing.T) {
	path := queuePath(t)
	var sends atomic.Int32
	down := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error {
		sends.Add(1)
		return errors.New("503")
	})
	q := openQueue(t, path, oneSink("rec", down))
	recs := pageRecords(t, 5)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	eventually(t, func() bool { return sends.Load() >= 3 }, "no retries")
	entries, err := q.Peek("rec", 10)
	require.NoError(t, err)
	require.Len(t, entries, 5)
	require.NoError(t, q.Close())

	rec := &recorder{}
	q = openQueue(t, path, oneSink("rec", rec))
	assert.EqualValues(t, 5, sinkStats(t, q, "rec").Depth)
	startRun(t, q)
	settle(t, q)
	assert.Equal(t, idsOf(recs), rec.ids())
	assert.GreaterOrEqual(t, rec.records()[0].Attempts, uint32(2), "attempts survive the restart")
	entries, err = q.Peek("rec", 10)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// TestPoisonRecordIsolated: a permanent rejection splits the batch until
// the record at fault is alone; only it is dead-lettered.
func TestPoisonRecordIsolated(t *testing.T) {
	recs := pageRecords(t, 100)
	poison := recs[37].ID()
	var events eventLog
	rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
		for _, r := range b {
			if r.ID() == poison {
				return eventqueue.Permanent(errors.New("schema error: field dl"))
			}
		}
		return nil
	}}
	opts := oneSink("rec", rec)
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	flush(t, q)

	want := idsOf(append(recs[:37:37], recs[38:]...))
	assert.Equal(t, want, rec.ids(), "99 delivered in order")
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, poison, dead[0].Record.ID())
	assert.Equal(t, "schema error: field dl", dead[0].Reason)
	assert.Equal(t, "rec", dead[0].Sink)
	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 99, st.Sent)
	assert.EqualValues(t, 1, st.DeadLettered)
	assert.Zero(t, st.Retried)
	assert.EqualValues(t, 1, q.Stats().DeadLetters)
	ev := events.of(eventqueue.EventDeadLettered)
	require.Len(t, ev, 1)
	assert.Equal(t, 1, ev[0].N)
	assert.Equal(t, "schema error: field dl", ev[0].Reason)
	assert.Empty(t, events.of(eventqueue.EventBatchFailed))
}

// TestRetryBackoff: retryable errors back off exponentially, with jitter,
// up to RetryMax, forever.
func TestRetryBackoff(t *testing.T) {
	const (
		initial  = 4 * time.Millisecond
		maxDelay = 32 * time.Millisecond
		failures = 8
	)
	var events eventLog
	var calls atomic.Int32
	rec := &recorder{fail: func(context.Context, []eventqueue.Record) error {
		if calls.Add(1) <= failures {
			return errors.New("unavailable")
		}
		return nil
	}}
	cfg := fastSink("rec", rec)
	cfg.RetryInitial, cfg.RetryMax = initial, maxDelay
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, OnEvent: events.on})
	enqueueAll(t, q, pageRecords(t, 3)...)
	startRun(t, q)
	flush(t, q)

	failed := events.of(eventqueue.EventBatchFailed)
	require.Len(t, failed, failures)
	exact := 0
	for i, e := range failed {
		nominal := min(initial<<i, maxDelay)
		assert.Equal(t, "rec", e.Sink)
		assert.Equal(t, 3, e.N)
		assert.EqualError(t, e.Err, "unavailable")
		assert.GreaterOrEqual(t, e.Delay, nominal/2, "attempt %d", i)
		assert.LessOrEqual(t, e.Delay, maxDelay, "attempt %d: at most RetryMax", i)
		assert.LessOrEqual(t, e.Delay, nominal*3/2+1, "attempt %d", i)
		if nominal*3/2 <= maxDelay && e.Delay == nominal {
			exact++ // not jittered (the capped delays may well be RetryMax)
		}
	}
	assert.Less(t, exact, 3, "jittered: not every delay below the cap is the nominal one")
	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 3*failures, st.Retried)
	assert.EqualValues(t, 3, st.Sent)
	recs := rec.records()
	require.Len(t, recs, 3)
	assert.EqualValues(t, failures, recs[0].Attempts)
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name          string
		giveAsk       time.Duration
		giveMaxRetry  time.Duration
		wantMinDelay  time.Duration
		wantMaxDelay  time.Duration
		wantMinActual time.Duration
	}{
		{name: "honoured", giveAsk: 150 * time.Millisecond, giveMaxRetry: time.Hour,
			wantMinDelay: 150 * time.Millisecond, wantMaxDelay: 150 * time.Millisecond, wantMinActual: 150 * time.Millisecond},
		{name: "capped by MaxRetryAfter", giveAsk: time.Hour, giveMaxRetry: 60 * time.Millisecond,
			wantMinDelay: 60 * time.Millisecond, wantMaxDelay: 60 * time.Millisecond, wantMinActual: 60 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events eventLog
			var mu sync.Mutex
			var times []time.Time
			rec := &recorder{fail: func(context.Context, []eventqueue.Record) error {
				mu.Lock()
				defer mu.Unlock()
				times = append(times, time.Now())
				if len(times) == 1 {
					return eventqueue.RetryAfter(errors.New("429"), tt.giveAsk)
				}
				return nil
			}}
			cfg := fastSink("rec", rec)
			cfg.MaxRetryAfter = tt.giveMaxRetry
			q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, OnEvent: events.on})
			enqueueAll(t, q, pageRecord(t, "v"))
			startRun(t, q)
			flush(t, q)

			failed := events.of(eventqueue.EventBatchFailed)
			require.Len(t, failed, 1)
			assert.GreaterOrEqual(t, failed[0].Delay, tt.wantMinDelay)
			assert.LessOrEqual(t, failed[0].Delay, tt.wantMaxDelay)
			d, ok := eventqueue.RetryAfterOf(failed[0].Err)
			assert.True(t, ok)
			assert.Equal(t, tt.giveAsk, d)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, times, 2)
			assert.GreaterOrEqual(t, times[1].Sub(times[0]), tt.wantMinActual)
		})
	}
}

// TestAttemptsCounted: each failed send counts in the stored records,
// visible to the sink and to Peek.
func TestAttemptsCounted(t *testing.T) {
	var mu sync.Mutex
	var seen []uint32
	second := make(chan struct{})
	release := make(chan struct{})
	rec := &recorder{fail: func(ctx context.Context, b []eventqueue.Record) error {
		mu.Lock()
		seen = append(seen, b[0].Attempts)
		n := len(seen)
		mu.Unlock()
		switch n {
		case 1:
			return errors.New("first failure")
		case 2:
			close(second)
			<-release
			return errors.New("second failure")
		}
		return nil
	}}
	q := openQueue(t, queuePath(t), oneSink("rec", rec))
	enqueueAll(t, q, pageRecords(t, 2)...)
	startRun(t, q)
	<-second
	entries, err := q.Peek("rec", 10)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.EqualValues(t, 1, entries[0].Attempts)
	assert.EqualValues(t, 1, entries[1].Attempts)
	close(release)
	flush(t, q)

	mu.Lock()
	assert.Equal(t, []uint32{0, 1, 2}, seen)
	mu.Unlock()
	for _, r := range rec.records() {
		assert.EqualValues(t, 2, r.Attempts)
	}
	assert.EqualValues(t, 4, sinkStats(t, q, "rec").Retried)
}

// TestSendTimeout: a Send that outlives SendTimeout is cancelled and
// retried.
func TestSendTimeout(t *testing.T) {
	var calls atomic.Int32
	rec := &recorder{fail: func(ctx context.Context, _ []eventqueue.Record) error {
		if calls.Add(1) == 1 {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}}
	cfg := fastSink("rec", rec)
	cfg.SendTimeout = 20 * time.Millisecond
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}})
	enqueueAll(t, q, pageRecord(t, "v"))
	startRun(t, q)
	flush(t, q)
	assert.Equal(t, 1, rec.count())
	assert.EqualValues(t, 2, calls.Load())
}

func TestMaxAgeExpires(t *testing.T) {
	var events eventLog
	clock := newFakeClock(time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC))
	rec := &recorder{}
	cfg := fastSink("rec", rec)
	cfg.MaxAge = time.Hour
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, Now: clock.Now, OnEvent: events.on})
	var old []hits.Record
	for i := range 3 {
		old = append(old, recordOf(t, testEnv, "old"+string(rune('a'+i)), "", clock.Now(), hits.Page{URL: "https://example.com/"}))
	}
	enqueueAll(t, q, old...)
	clock.Advance(2 * time.Hour)
	fresh := recordOf(t, testEnv, "fresh", "", clock.Now().Add(-59*time.Minute), hits.Page{URL: "https://example.com/"})
	enqueueAll(t, q, fresh)
	assert.Equal(t, 2*time.Hour, sinkStats(t, q, "rec").OldestAge)

	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{fresh.ID()}, rec.ids())
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 3)
	for i, d := range dead {
		assert.Equal(t, eventqueue.ReasonExpired, d.Reason)
		assert.Equal(t, old[i].ID(), d.Record.ID())
		assert.True(t, clock.Now().Equal(d.At))
	}
	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 3, st.Expired)
	assert.EqualValues(t, 3, st.DeadLettered)
	assert.Zero(t, st.OldestAge)
	ev := events.of(eventqueue.EventDeadLettered)
	require.Len(t, ev, 1)
	assert.Equal(t, 3, ev[0].N)
	assert.Equal(t, eventqueue.ReasonExpired, ev[0].Reason)
}

func TestFlushWithoutRunWaitsForCtx(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("rec", &recorder{}))
	flush(t, q) // empty: returns at once
	enqueueAll(t, q, pageRecord(t, "v"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, q.Flush(ctx), context.DeadlineExceeded)
}

// TestFlushReturnsWhenClosed: a Flush waiting on a dead sink returns
// ErrClosed when the queue closes.
func TestFlushReturnsWhenClosed(t *testing.T) {
	down := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return errors.New("down") })
	q := openQueue(t, queuePath(t), oneSink("rec", down))
	enqueueAll(t, q, pageRecord(t, "v"))
	startRun(t, q)
	done := make(chan error, 1)
	go func() { done <- q.Flush(context.Background()) }()
	require.NoError(t, q.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, eventqueue.ErrClosed)
	case <-time.After(waitLimit):
		t.Fatal("Flush did not return after Close")
	}
}

// TestBufferedFlush: Flush waits for records a Buffered queue has not
// committed yet, and delivers them.
func TestBufferedFlush(t *testing.T) {
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = 20 * time.Millisecond
	q := openQueue(t, queuePath(t), opts)
	startRun(t, q)
	recs := pageRecords(t, 5)
	enqueueAll(t, q, recs...)
	flush(t, q)
	assert.Equal(t, idsOf(recs), rec.ids())
}

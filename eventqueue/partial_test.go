package eventqueue_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// partialSink is a Sink whose answer to each call is decided by judge:
// it returns the per-record errors of the call (nil: deliver the whole
// batch) or, with whole set, an error for the whole call. The records
// whose entry is nil count as delivered.
type partialSink struct {
	judge func(call int, batch []eventqueue.Record) (errs []error, whole error)

	mu        sync.Mutex
	calls     [][]eventqueue.Record // every batch received
	delivered []eventqueue.Record   // the records confirmed, in order
}

func (s *partialSink) Send(_ context.Context, batch []eventqueue.Record) error {
	s.mu.Lock()
	call := len(s.calls)
	s.calls = append(s.calls, slices.Clone(batch))
	s.mu.Unlock()
	errs, whole := s.judge(call, batch)
	if whole != nil {
		return whole
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range batch {
		if errs == nil || i < len(errs) && errs[i] == nil {
			s.delivered = append(s.delivered, r)
		}
	}
	if errs == nil {
		return nil
	}
	return eventqueue.Partial(errs)
}

func (s *partialSink) deliveredIDs() []uuid.UUID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uuid.UUID
	for _, r := range s.delivered {
		out = append(out, r.ID())
	}
	return out
}

func (s *partialSink) callsSnapshot() [][]eventqueue.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func recordIDs(recs []eventqueue.Record) []uuid.UUID {
	out := make([]uuid.UUID, len(recs))
	for i, r := range recs {
		out[i] = r.ID()
	}
	return out
}

func pick(recs []hits.Record, idx ...int) []uuid.UUID {
	out := make([]uuid.UUID, len(idx))
	for i, j := range idx {
		out[i] = recs[j].ID()
	}
	return out
}

// TestPartialRetriesOnlyFailedRecords: a Send that delivers the
// even-indexed records and fails the odd ones retryably gets only the odd
// ones again, once, in their order, with their attempt counted; the
// delivered ones leave the backlog at once and are never sent again.
func TestPartialRetriesOnlyFailedRecords(t *testing.T) {
	recs := pageRecords(t, 10)
	var events eventLog
	second := make(chan struct{})
	release := make(chan struct{})
	sink := &partialSink{judge: func(call int, b []eventqueue.Record) ([]error, error) {
		switch call {
		case 0:
			errs := make([]error, len(b))
			for i := range errs {
				if i%2 == 1 {
					errs[i] = errors.New("leader not available")
				}
			}
			return errs, nil
		case 1:
			close(second)
			<-release
		}
		return nil, nil
	}}
	opts := oneSink("rec", sink)
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, recs...)
	startRun(t, q)

	select {
	case <-second:
	case <-time.After(waitLimit):
		t.Fatal("the failed records were not retried")
	}
	// The delivered records were deleted before the retry: only the
	// failed ones are left, their attempt counted.
	entries, err := q.Peek("rec", 100)
	require.NoError(t, err)
	var left []uuid.UUID
	for _, e := range entries {
		left = append(left, e.Record.ID())
		assert.EqualValues(t, 1, e.Attempts)
	}
	assert.Equal(t, pick(recs, 1, 3, 5, 7, 9), left)
	assert.EqualValues(t, 5, sinkStats(t, q, "rec").Depth)
	close(release)
	flush(t, q)

	calls := sink.callsSnapshot()
	require.Len(t, calls, 2)
	assert.Equal(t, idsOf(recs), recordIDs(calls[0]))
	assert.Equal(t, pick(recs, 1, 3, 5, 7, 9), recordIDs(calls[1]), "only the failed records, in order")
	for _, r := range calls[0] {
		assert.Zero(t, r.Attempts)
	}
	for _, r := range calls[1] {
		assert.EqualValues(t, 1, r.Attempts, "the failed attempt is counted")
	}
	assert.Equal(t, pick(recs, 0, 2, 4, 6, 8, 1, 3, 5, 7, 9), sink.deliveredIDs(), "each record delivered exactly once")

	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 10, st.Sent)
	assert.EqualValues(t, 5, st.Retried)
	assert.EqualValues(t, 2, st.Batches)
	assert.Zero(t, st.DeadLettered)
	assert.Zero(t, st.Depth)
	var sent []int
	for _, e := range events.of(eventqueue.EventBatchSent) {
		sent = append(sent, e.N)
	}
	assert.Equal(t, []int{5, 5}, sent)
	failed := events.of(eventqueue.EventBatchFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, 5, failed[0].N)
	assert.EqualError(t, failed[0].Err, "leader not available")
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

// TestPartialIsolatesPoisonInRejectedGroup: like a Kafka partition whose
// whole batch is refused for one message too large, the sink rejects for
// good every record of the group holding the poison record. Only that one
// is dead-lettered, with the sink's reason; its neighbours, in its group
// and in the others, are delivered once.
func TestPartialIsolatesPoisonInRejectedGroup(t *testing.T) {
	const reason = "kafka: message size too large"
	recs := pageRecords(t, 8)
	poison := recs[5].ID()
	index := map[uuid.UUID]int{}
	for i, r := range recs {
		index[r.ID()] = i
	}
	group := func(r eventqueue.Record) int { return index[r.ID()] % 2 } // two "partitions"
	var events eventLog
	sink := &partialSink{judge: func(_ int, b []eventqueue.Record) ([]error, error) {
		rejected := map[int]bool{}
		for _, r := range b {
			if r.ID() == poison {
				rejected[group(r)] = true
			}
		}
		if len(rejected) == 0 {
			return nil, nil
		}
		errs := make([]error, len(b))
		for i, r := range b {
			if rejected[group(r)] {
				errs[i] = eventqueue.Permanent(errors.New(reason))
			}
		}
		return errs, nil
	}}
	opts := oneSink("rec", sink)
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	flush(t, q)

	got := sink.deliveredIDs()
	assert.ElementsMatch(t, pick(recs, 0, 1, 2, 3, 4, 6, 7), got, "every neighbour delivered exactly once")
	assert.Equal(t, pick(recs, 0, 2, 4, 6), got[:min(4, len(got))], "the accepted group first")
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1, "only the poison record is dead-lettered")
	assert.Equal(t, poison, dead[0].Record.ID())
	assert.Equal(t, reason, dead[0].Reason)
	assert.Equal(t, "rec", dead[0].Sink)

	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 7, st.Sent)
	assert.EqualValues(t, 1, st.DeadLettered)
	assert.Zero(t, st.Retried, "a permanent rejection is not retried with backoff")
	assert.Zero(t, st.Depth)
	assert.Empty(t, events.of(eventqueue.EventBatchFailed))
	ev := events.of(eventqueue.EventDeadLettered)
	require.Len(t, ev, 1)
	assert.Equal(t, 1, ev[0].N)
	assert.Equal(t, reason, ev[0].Reason)
	for _, c := range sink.callsSnapshot() {
		for _, r := range c {
			assert.Zero(t, r.Attempts, "no attempt counted")
		}
	}
}

// TestPartialOfWrongLengthRetriesWholeBatch: a Partial without one entry
// per record says nothing reliable about which records were delivered:
// the whole batch is retried with backoff, none deleted early, none
// dead-lettered, even when the entries are permanent errors.
func TestPartialOfWrongLengthRetriesWholeBatch(t *testing.T) {
	tests := []struct {
		name     string
		giveErrs func(n int) []error
	}{
		{name: "shorter, retryable", giveErrs: func(n int) []error {
			errs := make([]error, n-1)
			errs[1] = errors.New("timeout")
			return errs
		}},
		{name: "longer, retryable", giveErrs: func(n int) []error {
			errs := make([]error, n+1)
			errs[n] = errors.New("timeout")
			return errs
		}},
		{name: "shorter, permanent", giveErrs: func(n int) []error {
			errs := make([]error, n-1)
			for i := range errs {
				if i%2 == 1 {
					errs[i] = eventqueue.Permanent(errors.New("too large"))
				}
			}
			return errs
		}},
		{name: "one entry, permanent", giveErrs: func(int) []error {
			return []error{eventqueue.Permanent(errors.New("too large"))}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := pageRecords(t, 6)
			var events eventLog
			second := make(chan struct{})
			release := make(chan struct{})
			var mu sync.Mutex
			var calls [][]eventqueue.Record
			sink := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
				mu.Lock()
				calls = append(calls, slices.Clone(b))
				n := len(calls)
				mu.Unlock()
				switch n {
				case 1:
					return eventqueue.Partial(tt.giveErrs(len(b)))
				case 2:
					close(second)
					<-release
				}
				return nil
			})
			opts := oneSink("rec", sink)
			opts.OnEvent = events.on
			q := openQueue(t, queuePath(t), opts)
			enqueueAll(t, q, recs...)
			startRun(t, q)

			select {
			case <-second:
			case <-time.After(waitLimit):
				t.Fatal("the batch was not retried")
			}
			entries, err := q.Peek("rec", 100)
			require.NoError(t, err)
			var left []uuid.UUID
			for _, e := range entries {
				left = append(left, e.Record.ID())
				assert.EqualValues(t, 1, e.Attempts)
			}
			assert.Equal(t, idsOf(recs), left, "nothing deleted early")
			close(release)
			flush(t, q)

			mu.Lock()
			defer mu.Unlock()
			require.Len(t, calls, 2)
			assert.Equal(t, idsOf(recs), recordIDs(calls[0]))
			assert.Equal(t, idsOf(recs), recordIDs(calls[1]), "the whole batch again")
			for _, r := range calls[1] {
				assert.EqualValues(t, 1, r.Attempts)
			}
			st := sinkStats(t, q, "rec")
			assert.EqualValues(t, 6, st.Retried)
			assert.EqualValues(t, 6, st.Sent)
			assert.EqualValues(t, 1, st.Batches)
			assert.Zero(t, st.DeadLettered)
			assert.Zero(t, st.Depth)
			failed := events.of(eventqueue.EventBatchFailed)
			require.Len(t, failed, 1)
			assert.Equal(t, 6, failed[0].N)
			dead, err := q.DeadLetters(10)
			require.NoError(t, err)
			assert.Empty(t, dead, "nothing lost")
		})
	}
}

// TestPartialAllNilIsSuccess: Partial of entries that are all nil is nil,
// and a sink returning it has delivered the batch, as with a nil error.
func TestPartialAllNilIsSuccess(t *testing.T) {
	assert.NoError(t, eventqueue.Partial(nil))
	assert.NoError(t, eventqueue.Partial([]error{}))
	assert.NoError(t, eventqueue.Partial([]error{nil, nil, nil}))

	var events eventLog
	var mu sync.Mutex
	var sizes []int
	sink := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		mu.Lock()
		sizes = append(sizes, len(b))
		mu.Unlock()
		return eventqueue.Partial(make([]error, len(b)))
	})
	opts := oneSink("rec", sink)
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, pageRecords(t, 5)...)
	startRun(t, q)
	flush(t, q)

	mu.Lock()
	assert.Equal(t, []int{5}, sizes, "one call, nothing sent again")
	mu.Unlock()
	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 5, st.Sent)
	assert.EqualValues(t, 1, st.Batches)
	assert.Zero(t, st.Retried)
	assert.Zero(t, st.DeadLettered)
	assert.Empty(t, events.of(eventqueue.EventBatchFailed))
	require.Len(t, events.of(eventqueue.EventBatchSent), 1)
	assert.Equal(t, 5, events.of(eventqueue.EventBatchSent)[0].N)
}

// TestPartialErrorUnwraps: a Partial error exposes its entries to
// errors.Is and errors.As, and so to IsPermanent and RetryAfterOf.
func TestPartialErrorUnwraps(t *testing.T) {
	sentinel := errors.New("boom")
	err := eventqueue.Partial([]error{nil, eventqueue.RetryAfter(sentinel, time.Second), nil})
	require.Error(t, err)
	assert.ErrorIs(t, err, sentinel)
	assert.False(t, eventqueue.IsPermanent(err))
	d, ok := eventqueue.RetryAfterOf(err)
	assert.True(t, ok)
	assert.Equal(t, time.Second, d)
	assert.Contains(t, err.Error(), "1 of 3")
	assert.Contains(t, err.Error(), "boom")

	perm := eventqueue.Partial([]error{eventqueue.Permanent(sentinel), nil})
	assert.True(t, eventqueue.IsPermanent(perm))
	assert.ErrorIs(t, perm, sentinel)
}

// TestPartialMixedPermanentAndRetryable: when some failed records have a
// retryable error, every failed record is retried, the permanent ones
// included (the retry may well succeed: nothing is dead-lettered on that
// attempt), and a RetryAfter among the entries is honoured.
func TestPartialMixedPermanentAndRetryable(t *testing.T) {
	const retryAfter = 50 * time.Millisecond
	recs := pageRecords(t, 6)
	var events eventLog
	sink := &partialSink{judge: func(call int, b []eventqueue.Record) ([]error, error) {
		if call > 0 {
			return nil, nil
		}
		return []error{
			nil,
			eventqueue.Permanent(errors.New("invalid record")),
			eventqueue.RetryAfter(errors.New("throttled"), retryAfter),
			eventqueue.Permanent(errors.New("invalid record")),
			nil,
			nil,
		}, nil
	}}
	opts := oneSink("rec", sink)
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	flush(t, q)

	calls := sink.callsSnapshot()
	require.Len(t, calls, 2)
	assert.Equal(t, pick(recs, 1, 2, 3), recordIDs(calls[1]), "every failed record retried, in order")
	for _, r := range calls[1] {
		assert.EqualValues(t, 1, r.Attempts)
	}
	assert.Equal(t, pick(recs, 0, 4, 5, 1, 2, 3), sink.deliveredIDs())
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead, "no dead letter while a retryable error is among the failures")
	st := sinkStats(t, q, "rec")
	assert.EqualValues(t, 6, st.Sent)
	assert.EqualValues(t, 3, st.Retried)
	assert.Zero(t, st.DeadLettered)
	assert.Zero(t, st.Depth)
	assert.Empty(t, events.of(eventqueue.EventDeadLettered))
	failed := events.of(eventqueue.EventBatchFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, 3, failed[0].N)
	assert.GreaterOrEqual(t, failed[0].Delay, retryAfter, "the entry's RetryAfter is honoured")
	assert.False(t, eventqueue.IsPermanent(failed[0].Err))
}

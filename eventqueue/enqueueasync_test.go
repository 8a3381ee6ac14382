package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// enqueueIn runs enqueue in a goroutine and returns the channel its error
// arrives on.
func enqueueIn(enqueue func(context.Context, hits.Record) error, r hits.Record) <-chan error {
	done := make(chan error, 1) // buffered: the goroutine never waits for the test
	go func() { done <- enqueue(context.Background(), r) }()
	return done
}

// returned waits for done within waitLimit and returns its error.
func returned(tb testing.TB, done <-chan error, what string) error {
	tb.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(waitLimit):
		tb.Fatalf("%s did not return", what)
		return nil
	}
}

// peekIDs returns the ids of the records committed to sink's backlog.
func peekIDs(tb testing.TB, q *eventqueue.Queue, sink string) []uuid.UUID {
	tb.Helper()
	entries, err := q.Peek(sink, 100)
	require.NoError(tb, err)
	var out []uuid.UUID
	for _, e := range entries {
		out = append(out, e.Record.ID())
	}
	return out
}

// TestEnqueueAsyncDoesNotWaitForTheCommit: while no commit can run,
// EnqueueAsync returns (its record accepted, not yet in the file) and a
// Durable Enqueue waits; once commits run again, both records are in the
// file in order, and delivered.
func TestEnqueueAsyncDoesNotWaitForTheCommit(t *testing.T) {
	rec := &recorder{}
	q := openQueue(t, queuePath(t), oneSink("rec", rec))
	release := eventqueue.HoldCommits(q)
	t.Cleanup(release)
	first, second := pageRecord(t, "v1"), pageRecord(t, "v2")

	require.NoError(t, returned(t, enqueueIn(q.EnqueueAsync, first), "EnqueueAsync with commits held"))
	assert.EqualValues(t, 1, q.Stats().Enqueued)
	assert.Empty(t, peekIDs(t, q, "rec"), "not committed yet")

	waiting := enqueueIn(q.Enqueue, second)
	eventually(t, func() bool { return q.Stats().Enqueued == 2 }, "Enqueue did not take its record")
	select {
	case err := <-waiting:
		t.Fatalf("a Durable Enqueue returned (%v) before its commit could run", err)
	case <-time.After(50 * time.Millisecond):
	}

	release()
	require.NoError(t, returned(t, waiting, "Enqueue after the commits resumed"))
	assert.Equal(t, []uuid.UUID{first.ID(), second.ID()}, peekIDs(t, q, "rec"), "both committed, in order")
	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{first.ID(), second.ID()}, rec.ids())
}

// TestEnqueueAsyncIsCommittedWithoutAnotherCall: the writer commits an
// async record at once, with no later Enqueue or Flush to push it.
func TestEnqueueAsyncIsCommittedWithoutAnotherCall(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("rec", &recorder{}))
	r := pageRecord(t, "v1")
	require.NoError(t, q.EnqueueAsync(context.Background(), r))
	eventually(t, func() bool { return len(peekIDs(t, q, "rec")) == 1 }, "the async record was never committed")
	assert.Equal(t, []uuid.UUID{r.ID()}, peekIDs(t, q, "rec"))
	// The counters follow the transaction.
	eventually(t, func() bool { return sinkStats(t, q, "rec").Depth == 1 }, "the committed record is not counted")
}

// TestEnqueueAsyncIsDurableAfterClose: Close commits what EnqueueAsync
// accepted, in both durability modes; the next Open delivers it.
func TestEnqueueAsyncIsDurableAfterClose(t *testing.T) {
	tests := []struct {
		name string
		give eventqueue.Durability
	}{
		{name: "durable", give: eventqueue.Durable},
		{name: "buffered for an hour", give: eventqueue.Buffered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := queuePath(t)
			opts := oneSink("rec", &recorder{})
			opts.Durability, opts.BufferDelay = tt.give, time.Hour
			q := openQueue(t, path, opts)
			r := pageRecord(t, "v1")
			require.NoError(t, q.EnqueueAsync(context.Background(), r))
			require.NoError(t, q.Close())

			rec := &recorder{}
			q2 := openQueue(t, path, oneSink("rec", rec))
			startRun(t, q2)
			flush(t, q2)
			assert.Equal(t, []uuid.UUID{r.ID()}, rec.ids())
		})
	}
}

// TestEnqueueAsyncRefusesLikeEnqueue: a record EnqueueAsync cannot take
// is refused at once with Enqueue's errors, and nothing is stored.
func TestEnqueueAsyncRefusesLikeEnqueue(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	// An invalid record cannot be built (NewRecord refuses an empty
	// visitor id): the zero Record stands for it.
	_, err := hits.NewRecord(uuid.New(), "env", "", "", time.Now(), hits.Page{URL: "https://x"})
	require.ErrorIs(t, err, hits.ErrInvalidRecord)
	var invalid hits.Record
	tests := []struct {
		name    string
		giveCtx context.Context
		giveRec func(t *testing.T) hits.Record
		want    error
	}{
		{name: "invalid record", giveCtx: context.Background(), giveRec: func(*testing.T) hits.Record { return invalid }, want: eventqueue.ErrInvalidRecord},
		{name: "no sink takes the kind", giveCtx: context.Background(), giveRec: func(t *testing.T) hits.Record { return activationRecord(t, "v1") }, want: eventqueue.ErrInvalidRecord},
		{name: "queue full", giveCtx: context.Background(), giveRec: func(t *testing.T) hits.Record { return pageRecord(t, "v2") }, want: eventqueue.ErrQueueFull},
		{name: "ctx done", giveCtx: canceled, giveRec: func(t *testing.T) hits.Record { return pageRecord(t, "v3") }, want: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := eventqueue.Options{MaxRecords: 1, Sinks: []eventqueue.SinkConfig{{
				Name: "hits", Sink: &recorder{}, Kinds: []hits.Kind{hits.KindHit}}}}
			q := openQueue(t, queuePath(t), opts)
			require.NoError(t, q.Enqueue(context.Background(), pageRecord(t, "v0"))) // fills MaxRecords
			require.ErrorIs(t, q.EnqueueAsync(tt.giveCtx, tt.giveRec(t)), tt.want)
			assert.Len(t, peekIDs(t, q, "hits"), 1, "nothing more stored")
			assert.EqualValues(t, 1, q.Stats().Enqueued)
		})
	}
}

// TestEnqueueAsyncCommitFailure: a commit that fails loses the async
// records it carried: EventCommitFailed reports how many (not the
// waiting Enqueue's, which gets the error), and nothing is stored.
func TestEnqueueAsyncCommitFailure(t *testing.T) {
	events := &eventLog{}
	opts := oneSink("rec", &recorder{})
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	release := eventqueue.HoldCommits(q)
	t.Cleanup(release)

	require.NoError(t, returned(t, enqueueIn(q.EnqueueAsync, pageRecord(t, "v1")), "EnqueueAsync with commits held"))
	require.NoError(t, returned(t, enqueueIn(q.EnqueueAsync, pageRecord(t, "v2")), "EnqueueAsync with commits held"))
	waiting := enqueueIn(q.Enqueue, pageRecord(t, "v3"))
	eventually(t, func() bool { return q.Stats().Enqueued == 3 }, "Enqueue did not take its record")
	require.NoError(t, eventqueue.CloseFile(q))
	release()

	err := returned(t, waiting, "Enqueue whose commit failed")
	require.ErrorIs(t, err, berrors.ErrDatabaseNotOpen, "the waiting Enqueue gets the commit's error")
	eventually(t, func() bool { return len(events.of(eventqueue.EventCommitFailed)) > 0 }, "no EventCommitFailed")
	failed := events.of(eventqueue.EventCommitFailed)
	require.Len(t, failed, 1, "one commit failed")
	assert.Equal(t, 2, failed[0].N, "the two async records are lost; the waiting one was reported to its caller")
	require.ErrorIs(t, failed[0].Err, berrors.ErrDatabaseNotOpen)
	assert.Equal(t, "commit failed", failed[0].Kind.String())
	assert.Zero(t, sinkStats(t, q, "rec").Depth)
}

// TestEnqueueCommitFailureWithoutAsyncRecords: a failed commit with no
// async record reports its error to the caller only.
func TestEnqueueCommitFailureWithoutAsyncRecords(t *testing.T) {
	events := &eventLog{}
	opts := oneSink("rec", &recorder{})
	opts.OnEvent = events.on
	q := openQueue(t, queuePath(t), opts)
	require.NoError(t, eventqueue.CloseFile(q))
	require.ErrorIs(t, q.Enqueue(context.Background(), pageRecord(t, "v1")), berrors.ErrDatabaseNotOpen)
	assert.Empty(t, events.of(eventqueue.EventCommitFailed))
}

package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestPurgeBufferedPending: in Buffered mode a hit handed to the
// writer but not yet committed when the visitor withdraws consent must be
// purged too, not committed and delivered afterwards.
func TestPurgeBufferedPending(t *testing.T) {
	path := queuePath(t)
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Hour // the writer would commit only at Close
	q, err := eventqueue.Open(path, opts)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, q.Enqueue(ctx, pageRecord(t, "v1")))
	require.NoError(t, q.Enqueue(ctx, consentRecord(t, "v1")))
	require.NoError(t, q.Enqueue(ctx, pageRecord(t, "v2")))
	require.NoError(t, q.Purge(ctx, testEnv, "v1"))
	require.NoError(t, q.Close())

	q = openQueue(t, path, eventqueue.Options{})
	entries, err := q.Peek("rec", 10)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Record.VisitorID()+" "+e.Record.Kind().String())
	}
	require.Equal(t, []string{"v1 consent", "v2 hit"}, left, "v1's page hit was purged")
}

// TestPurgeDuringSendKeepsFlushWaiting: records purged while their
// batch is being sent are still counted in deleting when the send
// succeeds, but already gone from depth: Flush's depth-deleting then
// undercounts until the writer's next commit (BufferDelay in Buffered
// mode), and Flush returns while other records still wait for the sink.
func TestPurgeDuringSendKeepsFlushWaiting(t *testing.T) {
	sending := make(chan []eventqueue.Record)
	release := make(chan struct{})
	n := 0
	rec := &recorder{fail: func(ctx context.Context, b []eventqueue.Record) error {
		if n++; n == 1 { // the first batch waits for the test
			select {
			case sending <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}}
	cfg := fastSink("rec", rec)
	cfg.BatchSize = 2
	q := openQueue(t, queuePath(t), eventqueue.Options{
		Sinks:       []eventqueue.SinkConfig{cfg},
		Durability:  eventqueue.Buffered,
		BufferDelay: time.Hour, // deletes wait for the next commit
	})
	ctx := context.Background()
	for _, v := range []string{"a", "a", "b", "b", "b", "b"} {
		require.NoError(t, q.Enqueue(ctx, pageRecord(t, v)))
	}
	require.Error(t, q.Flush(canceled())) // commits the records first, then gives up
	startRun(t, q)
	first := <-sending
	require.Len(t, first, 2)
	require.Equal(t, "a", first[0].VisitorID())
	require.NoError(t, q.Purge(ctx, testEnv, "a")) // while a's batch is out
	close(release)

	fctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := q.Flush(fctx)
	var b int
	for _, r := range rec.records() {
		if r.VisitorID() == "b" {
			b++
		}
	}
	if err == nil {
		assert.Equal(t, 4, b, "Flush returned nil: every record was confirmed")
	} else {
		t.Errorf("Flush: %v (%d of 4 records of b confirmed)", err, b)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

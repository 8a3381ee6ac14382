package eventqueue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestFlushCommitsBuffered: a Flush cut short by its ctx (a sink
// down) leaves a Buffered queue's records committed, not only handed to
// the writer: "Close(ctx) ... leaves the rest durable" relies on it.
func TestFlushCommitsBuffered(t *testing.T) {
	down := &recorder{fail: func(context.Context, []eventqueue.Record) error { return errors.New("down") }}
	opts := oneSink("rec", down)
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Hour
	q := openQueue(t, queuePath(t), opts)
	startRun(t, q)
	require.NoError(t, q.Enqueue(context.Background(), pageRecord(t, "v1")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, q.Flush(ctx), context.Canceled)
	require.EqualValues(t, 1, sinkStats(t, q, "rec").Depth, "the record is committed")
}

package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestReviewPurgeBufferedPending: in Buffered mode a hit handed to the
// writer but not yet committed when the visitor withdraws consent must be
// purged too, not committed and delivered afterwards.
func TestReviewPurgeBufferedPending(t *testing.T) {
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
		left = append(left, e.Record.VisitorID+" "+e.Record.Kind.String())
	}
	require.Equal(t, []string{"v1 consent", "v2 hit"}, left, "v1's page hit was purged")
}

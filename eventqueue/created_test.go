package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// A zero or absurd creation time would overflow the stored nanoseconds
// and break expiry. Such a record cannot be built any more: NewRecord
// refuses it, naming Created; the queue only ever sees the zero Record in
// its place, which Enqueue refuses.
func TestOutOfRangeCreationTimeRefused(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("s", &recorder{}))
	for _, created := range []time.Time{{}, time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)} {
		r, err := hits.NewRecord(uuid.New(), "env", "v1", "", created, hits.Page{URL: "https://x"})
		require.ErrorIs(t, err, hits.ErrInvalidRecord)
		require.ErrorContains(t, err, "Created")
		require.True(t, r.IsZero())
		err = q.Enqueue(context.Background(), r)
		require.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
		require.ErrorIs(t, err, hits.ErrInvalidRecord)
	}
	require.NoError(t, q.Enqueue(context.Background(), pageRecord(t, "v1")))
	require.Len(t, peekIDs(t, q, "s"), 1, "only the valid record is stored")
}

package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// A zero or absurd creation time would overflow the stored nanoseconds
// and break expiry: Enqueue refuses it.
func TestEnqueueRefusesOutOfRangeCreationTime(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("s", &recorder{}))
	for _, created := range []time.Time{{}, time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)} {
		r := recordOf(t, "env", "v1", "", time.Now(), hits.Page{URL: "https://x"})
		r.Created = created
		err := q.Enqueue(context.Background(), r)
		require.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
		require.ErrorContains(t, err, "creation time")
	}
	require.NoError(t, q.Enqueue(context.Background(), pageRecord(t, "v1")))
}

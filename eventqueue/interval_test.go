package eventqueue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// Records left behind by a full batch go out one FlushInterval after
// they arrived, not one interval after that batch was sent.
func TestLeftoversKeepTheirInterval(t *testing.T) {
	const interval = time.Second
	rec := &recorder{}
	slow := eventqueue.SinkFunc(func(ctx context.Context, b []eventqueue.Record) error {
		if len(b) == 10 {
			time.Sleep(interval / 2) // a slow full batch
		}
		return rec.Send(ctx, b)
	})
	cfg := fastSink("s", slow)
	cfg.BatchSize, cfg.FlushInterval = 10, interval
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}})
	startRun(t, q)
	// Wait for the start-up pass (a backlog found at start goes at once).
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	enqueueAll(t, q, pageRecords(t, 15)...)
	eventually(t, func() bool { return rec.count() == 15 }, "the leftovers were not sent")
	took := time.Since(start)
	require.Equal(t, []int{10, 5}, rec.batchSizes())
	assert.Less(t, took, interval+interval/4, "the 5 leftovers waited one interval from their arrival, not from the full batch's send")
	assert.GreaterOrEqual(t, took, interval, "a partial batch waits for its interval")
}

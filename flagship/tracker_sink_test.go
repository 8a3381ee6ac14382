package flagship_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// keepTracker is a visitor.Tracker and visitor.Purger that keeps what
// it is given.
type keepTracker struct {
	mu     sync.Mutex
	recs   []hits.Record
	purged []string
}

func (t *keepTracker) Enqueue(_ context.Context, r hits.Record) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recs = append(t.recs, r)
	return nil
}

func (t *keepTracker) Purge(_ context.Context, _ string, ids ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purged = append(t.purged, ids...)
	return nil
}

// TestTrackerAndSink: a sink of DeliveryOptions.Sinks receives the
// records also when DeliveryOptions.Tracker replaces the HTTP delivery
// (Tracker: "The queue file is still opened for Sinks"; Sinks: "every
// record of the kinds a sink takes is also delivered through its Sink").
func TestTrackerAndSink(t *testing.T) {
	srv := abServer(t)
	var mu sync.Mutex
	var got []eventqueue.Record
	sink := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		mu.Lock()
		got = append(got, b...)
		mu.Unlock()
		return nil
	})
	tr := &keepTracker{}
	opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()), flagship.WithDelivery(flagship.DeliveryOptions{
		Tracker: tr,
		Sinks:   []eventqueue.SinkConfig{{Name: "mine", Sink: sink, FlushInterval: time.Millisecond}},
	}))
	c, err := flagship.New(context.Background(), srv.EnvID(), "key", opts...)
	require.NoError(t, err)
	defer c.Close(context.Background())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
	mu.Lock()
	defer mu.Unlock()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	assert.Len(t, tr.recs, 1, "the tracker got the hit")
	require.Len(t, got, 1, "the sink got the hit too")
	assert.Equal(t, tr.recs[0].ID(), got[0].ID())
}

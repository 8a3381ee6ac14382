package flagship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestCloseLeavesBufferedHitsDurable: with DeliveryOptions.BufferDelay,
// a Close whose ctx has ended returns with the acknowledged hits on disk
// ("Close commits it"), even though the goroutines finish on their own.
func TestCloseLeavesBufferedHitsDurable(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	release := make(chan struct{})
	slow := eventqueue.SinkFunc(func(ctx context.Context, _ []eventqueue.Record) error {
		<-ctx.Done()
		<-release // stops a little after its ctx ends: Close does not wait for it
		return ctx.Err()
	})
	opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()),
		flagship.WithDelivery(flagship.DeliveryOptions{
			BufferDelay: time.Hour,
			Sinks:       []eventqueue.SinkConfig{{Name: "slow", Sink: slow, FlushInterval: time.Millisecond}},
		}))
	c, err := flagship.New(context.Background(), srv.EnvID(), "key", opts...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, c.Close(ctx), context.DeadlineExceeded)
	depth := c.QueueStats().Sinks[0].Depth
	close(release)
	require.NoError(t, c.Close(context.Background()))
	require.EqualValues(t, 1, depth, "the acknowledged hit was on disk when Close returned")
}

// TestConcurrentCloseHonoursContext: while one Close drains the
// queue (the events endpoint is down), another Close returns when its own
// ctx ends instead of waiting for the first one's drain.
func TestConcurrentCloseHonoursContext(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1_000_000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()),
		flagship.WithDelivery(flagship.DeliveryOptions{RetryInitial: 5 * time.Millisecond, RetryMax: 10 * time.Millisecond}))
	c, err := flagship.New(context.Background(), srv.EnvID(), "key", opts...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))

	long, stopLong := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() { firstDone <- c.Close(long) }()
	require.Eventually(t, func() bool { _, err := c.NewVisitor("x", nil); return err != nil }, 5*time.Second, time.Millisecond, "the first Close started")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	second := make(chan error, 1)
	go func() { second <- c.Close(ctx) }()
	// The first Close drains until stopLong (the endpoint never recovers):
	// a second Close that returns before then did not wait for that drain.
	var secondErr error
	returned := false
	select {
	case secondErr = <-second:
		returned = true
	case <-time.After(hangLimit):
	}
	firstDraining := len(firstDone) == 0
	stopLong()
	require.ErrorIs(t, <-firstDone, context.Canceled)
	if !returned {
		secondErr = <-second
	}
	assert.True(t, returned, "the second Close returned at its deadline, not after the first one's drain")
	assert.True(t, firstDraining, "the first Close was still draining when the second returned")
	require.ErrorIs(t, secondErr, context.DeadlineExceeded)
	require.NoError(t, c.Close(context.Background()))
}

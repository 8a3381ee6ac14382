package flagship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestReviewCloseLeavesBufferedHitsDurable: with WithBufferedDelivery,
// a Close whose ctx has ended returns with the acknowledged hits on disk
// ("Close commits it"), even though the goroutines finish on their own.
func TestReviewCloseLeavesBufferedHitsDurable(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	release := make(chan struct{})
	slow := eventqueue.SinkFunc(func(ctx context.Context, _ []eventqueue.Record) error {
		<-ctx.Done()
		<-release // stops a little after its ctx ends: Close does not wait for it
		return ctx.Err()
	})
	opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()),
		flagship.WithBufferedDelivery(time.Hour),
		flagship.WithSink(eventqueue.SinkConfig{Name: "slow", Sink: slow, FlushInterval: time.Millisecond}))
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

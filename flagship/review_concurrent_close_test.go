package flagship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestReviewConcurrentCloseHonoursContext: while one Close drains the
// queue (the events endpoint is down), another Close returns when its own
// ctx ends instead of waiting for the first one's drain.
func TestReviewConcurrentCloseHonoursContext(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1_000_000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	opts := append(flagshiptest.ClientOptions(srv.URL, t.TempDir()), flagship.WithRetryBackoff(5*time.Millisecond, 10*time.Millisecond))
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
	var secondErr error
	returned := false
	select {
	case secondErr = <-second:
		returned = true
	case <-time.After(2 * time.Second):
	}
	stopLong()
	require.ErrorIs(t, <-firstDone, context.Canceled)
	if !returned {
		secondErr = <-second
	}
	assert.True(t, returned, "the second Close returned at its deadline, not after the first one's drain")
	require.ErrorIs(t, secondErr, context.DeadlineExceeded)
	require.NoError(t, c.Close(context.Background()))
}

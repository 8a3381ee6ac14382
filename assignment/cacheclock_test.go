package assignment_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
)

// TestCacheRealClockWhileRunning: with the real clock (CacheOptions.Now
// nil), hits read the clock Run refreshes every second; entries still
// expire, at most that second late, whether Run runs or not.
func TestCacheRealClockWhileRunning(t *testing.T) {
	store := newFakeStore()
	store.put("v", assignment.Assignments{"vg": {VariationID: "a"}})
	c := assignment.NewCache(store, assignment.CacheOptions{TTL: time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()

	into := make([]assignment.Assignments, 1)
	require.NoError(t, c.Load(context.Background(), []string{"v"}, into))
	require.Equal(t, 1, store.numLoads())
	deadline := time.Now().Add(10 * time.Second)
	for store.numLoads() < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		require.NoError(t, c.Load(context.Background(), []string{"v"}, into))
	}
	assert.Equal(t, 2, store.numLoads(), "the entry expired while Run ran")
	assert.Equal(t, "a", into[0]["vg"].VariationID)

	cancel()
	<-done
	time.Sleep(5 * time.Millisecond)
	require.NoError(t, c.Load(context.Background(), []string{"v"}, into))
	assert.Equal(t, 3, store.numLoads(), "without Run, hits read the clock themselves")
}

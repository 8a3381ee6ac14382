package fsredis_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestSDKOneReadPerSynchronize checks that a Synchronize that misses the
// cache reads Redis in one round trip, for the visitor id and its
// anonymous id together, that its writes happen behind it, and that a
// returning visitor costs no round trip.
func TestSDKOneReadPerSynchronize(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(
		bucketingFile(t, settings{XPC: true}, abCampaign("home", "color", 50), abCampaign("cart", "size", 50))))
	r := newReplica(t, fs, rs.Addr(), patient())
	rec := recordCalls(t, r.rdb)

	v := r.synced(t, "rt-user", visitor.WithAnonymousID("rt-anon"))
	require.True(t, v.Has("color"))
	reads, _ := rec.split()
	assert.Equal(t, [][]string{{"hgetall", "hgetall"}}, reads, "one pipeline reads both keys")

	r.waitWritten(t)
	reads, writes := rec.split()
	assert.Len(t, reads, 1, "writing reads nothing")
	require.NotEmpty(t, writes)
	for _, w := range writes {
		// Both keys in one pipeline; a new server does not know the
		// script yet, so the first write is sent again with its source.
		assert.Contains(t, [][]string{{"evalsha", "evalsha"}, {"eval", "eval"}}, w)
	}
	assert.Equal(t, uint64(2), r.AssignmentStats().Saved)

	// A returning visitor is decided from the cache.
	before := rec.count()
	v = r.synced(t, "rt-user", visitor.WithAnonymousID("rt-anon"))
	assert.True(t, v.Has("color"))
	assert.Equal(t, before, rec.count(), "no round trip for a returning visitor")

	// An anonymous visitor: one key, one round trip.
	r.synced(t, "rt-other")
	reads, _ = rec.split()
	require.Len(t, reads, 2)
	assert.Equal(t, []string{"hgetall"}, reads[1])
}

package fsredis_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestSDKConsentWithdrawalDeletesAssignments(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(
		bucketingFile(t, settings{XPC: true}, abCampaign("home", "color", 50))))
	r := newReplica(t, fs, rs.Addr(), patient())
	inspect := newClient(t, rs.Addr())

	v := r.synced(t, "user-c", visitor.WithAnonymousID("anon-c"))
	info, ok := v.Info("color")
	require.True(t, ok)
	for _, id := range []string{"user-c", "anon-c"} {
		waitStored(t, inspect, id, "vg_home", stored{VariationID: info.VariationID})
	}

	require.NoError(t, v.SetConsent(t.Context(), false))
	assert.False(t, exists(t, inspect, "user-c"), "the visitor id's assignments are deleted")
	assert.False(t, exists(t, inspect, "anon-c"), "so are its anonymous id's")

	// Without consent, later decisions keep nothing either.
	require.NoError(t, v.Synchronize(t.Context()))
	_, ok = v.Info("color")
	assert.True(t, ok, "the visitor is still decided")
	require.NoError(t, r.Close(t.Context())) // writes what the cache holds
	assert.False(t, exists(t, inspect, "user-c"), "no assignment written back after the withdrawal")
	assert.False(t, exists(t, inspect, "anon-c"))
}

func TestSDKEraseVisitorData(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(abCampaign("home", "color", 50)))
	r1 := newReplica(t, fs, rs.Addr(), patient())
	r2 := newReplica(t, fs, rs.Addr(), patient())
	inspect := newClient(t, rs.Addr())

	for _, id := range []string{"erase-1", "erase-2", "keep"} {
		info, ok := r1.synced(t, id).Info("color")
		require.True(t, ok)
		waitStored(t, inspect, id, "vg_home", stored{VariationID: info.VariationID})
	}

	require.NoError(t, r1.EraseVisitorData(t.Context(), "erase-1"))
	assert.False(t, exists(t, inspect, "erase-1"), "erased by the replica that assigned it")
	require.NoError(t, r2.EraseVisitorData(t.Context(), "erase-2"))
	assert.False(t, exists(t, inspect, "erase-2"), "erased by another replica")
	assert.True(t, exists(t, inspect, "keep"))
}

package fsredis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The tests of this file run two replicas of a service (two flagship
// clients, each with its own cache directory, queue file and go-redis
// client) on one redis-server, and check that sticky assignments hold
// across them.

func TestReplicasKeepVariationAfterAllocationChange(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(abCampaign("home", "color", 100)))
	r1 := newReplica(t, fs, rs.Addr(), patient())
	r2 := newReplica(t, fs, rs.Addr(), patient())
	inspect := newClient(t, rs.Addr())

	ids := make([]string, 10)
	for i := range ids {
		ids[i] = fmt.Sprintf("sticky-%d", i)
		v := r1.synced(t, ids[i])
		require.Equal(t, "a", v.String("color", ""), ids[i])
	}
	for _, id := range ids {
		waitStored(t, inspect, id, "vg_home", stored{VariationID: "home_a"})
	}

	// Every visitor not seen before now gets b. Replica 2, which never
	// read these visitors, polls the new file.
	fs.SetCampaigns(abCampaign("home", "color", 0))
	r2.waitForFile(t, func(v *visitor.Visitor) bool { return v.String("color", "") == "b" })
	// A replica started after the change has an empty cache.
	r3 := newReplica(t, fs, rs.Addr(), patient())
	for name, r := range map[string]*replica{"polling": r2, "started after": r3} {
		for _, id := range ids {
			v := r.synced(t, id)
			assert.Equal(t, "a", v.String("color", ""), "%s replica, %s", name, id)
			info, ok := v.Info("color")
			require.True(t, ok)
			assert.Equal(t, "home_a", info.VariationID)
		}
		assert.Equal(t, "b", r.synced(t, "fresh-"+name).String("color", ""), "%s replica, a new visitor", name)
	}
	for _, id := range ids {
		assert.Equal(t, map[string]stored{"vg_home": {VariationID: "home_a"}}, hash(t, inspect, id), id)
	}
}

func TestReplicasOneVisitorOneTest(t *testing.T) {
	rs := redistest.Start(t)
	on := settings{OneVisitorOneTest: true}
	campB := abCampaign("camp_b", "flag_b", 50)
	fs := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(bucketingFile(t, on, campB)))
	r1 := newReplica(t, fs, rs.Addr(), patient())
	r2 := newReplica(t, fs, rs.Addr(), patient())
	inspect := newClient(t, rs.Addr())

	// one-1 is exposed to B on replica 1; one-2 is assigned B, not exposed.
	exposed := r1.synced(t, "one-1")
	infoB, ok := exposed.Info("flag_b")
	require.True(t, ok)
	require.NoError(t, exposed.Activate(t.Context(), "flag_b"))
	waitStored(t, inspect, "one-1", "vg_camp_b", stored{VariationID: infoB.VariationID, Activated: true})
	assigned, ok := r1.synced(t, "one-2").Info("flag_b")
	require.True(t, ok)
	waitStored(t, inspect, "one-2", "vg_camp_b", stored{VariationID: assigned.VariationID})

	// A is added before B: under 1V1T a visitor gets the first A/B test
	// it is targeted by, unless it was exposed to another one.
	require.NoError(t, fs.SetBucketingFile(bucketingFile(t, on, abCampaign("camp_a", "flag_a", 50), campB)))
	r2.waitForFile(t, func(v *visitor.Visitor) bool { return v.Has("flag_a") && !v.Has("flag_b") })

	v := r2.synced(t, "one-1")
	assert.True(t, v.Has("flag_b"), "replica 2 keeps the test replica 1 exposed the visitor to")
	assert.False(t, v.Has("flag_a"), "one visitor, one test")
	info, ok := v.Info("flag_b")
	require.True(t, ok)
	assert.Equal(t, infoB.VariationID, info.VariationID)

	v = r2.synced(t, "one-2")
	assert.True(t, v.Has("flag_a"), "an assignment never activated does not hold the visitor")
	assert.False(t, v.Has("flag_b"))
}

func TestReplicasAnonymousToAuthenticated(t *testing.T) {
	rs := redistest.Start(t)
	xpc := settings{XPC: true}
	fs := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(bucketingFile(t, xpc, abCampaign("home", "color", 100))))
	r1 := newReplica(t, fs, rs.Addr(), patient())
	r2 := newReplica(t, fs, rs.Addr(), patient())
	inspect := newClient(t, rs.Addr())

	for _, anon := range []string{"anon-1", "anon-2"} {
		require.Equal(t, "a", r1.synced(t, anon).String("color", ""))
		waitStored(t, inspect, anon, "vg_home", stored{VariationID: "home_a"})
	}

	require.NoError(t, fs.SetBucketingFile(bucketingFile(t, xpc, abCampaign("home", "color", 0))))
	r2.waitForFile(t, func(v *visitor.Visitor) bool { return v.String("color", "") == "b" })

	// Logged in on replica 2, created authenticated or authenticated later.
	v := r2.synced(t, "user-1", visitor.WithAnonymousID("anon-1"))
	assert.Equal(t, "a", v.String("color", ""), "WithAnonymousID")
	v, err := r2.NewVisitor("anon-2", nil)
	require.NoError(t, err)
	require.NoError(t, v.Authenticate("user-2"))
	require.NoError(t, v.Synchronize(t.Context()))
	assert.Equal(t, "a", v.String("color", ""), "Authenticate")
	// Without an anonymous history, the new allocation applies.
	assert.Equal(t, "b", r2.synced(t, "user-3", visitor.WithAnonymousID("anon-3")).String("color", ""))

	// The authenticated ids now hold what they inherited.
	for _, id := range []string{"user-1", "user-2"} {
		waitStored(t, inspect, id, "vg_home", stored{VariationID: "home_a"})
	}
	assert.Equal(t, map[string]stored{"vg_home": {VariationID: "home_a"}}, hash(t, inspect, "anon-1"))
}

// TestReplicasConcurrentSavesKeepActivations has replica 1 activate
// visitors while replica 2 decides for the same visitors, re-reading Redis
// almost every time (a 1 ms cache TTL) and so saving their fresh
// allocations, not activated, as long as replica 1's writes have not
// landed. No activation may be lost.
func TestReplicasConcurrentSavesKeepActivations(t *testing.T) {
	rs := redistest.Start(t)
	// Activations reach the store only under 1V1T, where they matter.
	fs := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(
		bucketingFile(t, settings{OneVisitorOneTest: true}, abCampaign("home", "color", 50))))
	r1 := newReplica(t, fs, rs.Addr(), patient())
	r2 := newReplica(t, fs, rs.Addr(), assignment.CacheOptions{TTL: time.Millisecond, ReadBudget: patientBudget})
	// Replica 2's writes are slow, so that many of them land after replica
	// 1 activated the same visitors.
	r2.rdb.AddHook(slowWrites(10 * time.Millisecond))
	inspect := newClient(t, rs.Addr())

	const (
		visitors = 100
		workers  = 4
		rounds   = 3
	)
	id := func(i int) string { return fmt.Sprintf("conc-%d", i) }
	var (
		mu     sync.Mutex
		shown  = map[string]map[string]bool{} // visitor -> variations shown, both replicas
		errs   []error
		wg     sync.WaitGroup
		ctx    = context.Background()
		record = func(id string, v *visitor.Visitor, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			info, _ := v.Info("color")
			if shown[id] == nil {
				shown[id] = map[string]bool{}
			}
			shown[id][info.VariationID] = true
		}
	)
	for w := range workers {
		wg.Add(2)
		go func() { // replica 1: decide and activate its share of the visitors
			defer wg.Done()
			for range rounds {
				for i := w; i < visitors; i += workers {
					v, err := r1.NewVisitor(id(i), nil)
					if err == nil {
						err = v.Synchronize(ctx)
					}
					if err == nil {
						err = v.Activate(ctx, "color")
					}
					record(id(i), v, err)
				}
			}
		}()
		go func() { // replica 2: decide for every visitor
			defer wg.Done()
			for range rounds {
				for i := range visitors {
					v, err := r2.NewVisitor(id(i), nil)
					if err == nil {
						err = v.Synchronize(ctx)
					}
					record(id(i), v, err)
				}
			}
		}()
	}
	wg.Wait()
	require.Empty(t, errs)
	r1.waitWritten(t)
	r2.waitWritten(t)

	for i := range visitors {
		require.Len(t, shown[id(i)], 1, "%s was shown several variations", id(i))
		var variation string
		for variation = range shown[id(i)] {
		}
		assert.Equal(t, map[string]stored{"vg_home": {VariationID: variation, Activated: true}}, hash(t, inspect, id(i)), id(i))
	}
	st1, st2 := r1.AssignmentStats(), r2.AssignmentStats()
	t.Logf("replica 1: %+v", st1)
	t.Logf("replica 2: %+v", st2)
	assert.Zero(t, st1.SaveFailures+st2.SaveFailures)
	assert.Zero(t, st1.DroppedWrites+st2.DroppedWrites)
}

// slowWrites is a go-redis hook that delays each pipeline of script
// calls (the Store's writes) by d, as a slow network would.
type slowWrites time.Duration

func (slowWrites) DialHook(next redis.DialHook) redis.DialHook { return next }

func (slowWrites) ProcessHook(next redis.ProcessHook) redis.ProcessHook { return next }

func (d slowWrites) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && strings.HasPrefix(cmds[0].Name(), "eval") {
			select {
			case <-time.After(time.Duration(d)):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return next(ctx, cmds)
	}
}

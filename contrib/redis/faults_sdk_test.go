package fsredis_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// maxSynchronize bounds one Synchronize while Redis is down or paused:
// the read budget (20 ms) plus a decision (microseconds), with a generous
// margin for -race and a loaded machine. A Synchronize waiting for Redis
// (a dial, a paused server: LoadTimeout is 1 s) would exceed it.
const maxSynchronize = time.Second

// faultCampaigns are an A/B test, whose two variations make decisions
// read the store, and a toggle.
func faultCampaigns() flagshiptest.HandlerOption {
	return flagshiptest.WithCampaigns(abCampaign("home", "color", 50),
		flagshiptest.Toggle("checkout", map[string]any{"fast": true}))
}

// syncLoad runs Synchronize for fresh visitors in a loop on each replica
// until stop is called, and records what went wrong.
type syncLoad struct {
	stop    atomic.Bool
	wg      sync.WaitGroup
	n       atomic.Int64
	maxTook atomic.Int64 // ns

	mu       sync.Mutex
	failures []string
}

func startSyncLoad(reps []*replica, workers int) *syncLoad {
	l := &syncLoad{}
	for ri, r := range reps {
		for w := range workers {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				for i := 0; !l.stop.Load(); i++ {
					l.one(r, fmt.Sprintf("load-%d-%d-%d", ri, w, i))
					time.Sleep(time.Millisecond) // requests, not a busy loop starving the others
				}
			}()
		}
	}
	return l
}

func (l *syncLoad) one(r *replica, id string) {
	v, err := r.NewVisitor(id, nil)
	if err != nil {
		l.fail("%s: new visitor: %v", id, err)
		return
	}
	// A deadline far above maxSynchronize: a Synchronize that waits for
	// Redis is measured, not cut short.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	err = v.Synchronize(ctx)
	took := time.Since(start)
	l.n.Add(1)
	for cur := l.maxTook.Load(); int64(took) > cur && !l.maxTook.CompareAndSwap(cur, int64(took)); cur = l.maxTook.Load() {
	}
	switch {
	case err != nil:
		l.fail("%s: synchronize: %v", id, err)
	case !v.Has("color") || !v.Bool("fast", false):
		l.fail("%s: flags %v: want the campaigns (fail-open)", id, v.Flags())
	}
}

func (l *syncLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 10 {
		l.failures = append(l.failures, fmt.Sprintf(format, args...))
	}
}

// end stops the loops and waits for them: a hung Synchronize fails the
// test instead of hanging it.
func (l *syncLoad) end(t *testing.T) {
	t.Helper()
	l.stop.Store(true)
	done := make(chan struct{})
	go func() {
		l.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a Synchronize did not return within 10 s")
	}
}

// waitState waits until every replica's breaker is in state s.
func waitState(t *testing.T, reps []*replica, s assignment.BreakerState, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, r := range reps {
			if r.AssignmentStats().State != s {
				return false
			}
		}
		return true
	}, within, time.Millisecond, "breakers not all %v", s)
}

// countState returns how many times each replica reported state s.
func countState(reps []*replica, s string) []int {
	out := make([]int, len(reps))
	for i, r := range reps {
		for _, got := range r.events.states() {
			if got == s {
				out[i]++
			}
		}
	}
	return out
}

// TestSDKRedisKilledPausedRestarted runs two replicas deciding for fresh
// visitors in a loop while Redis is killed, restarted, then paused for
// longer than the read budget: decisions never fail nor wait for Redis
// (fail-open), the breakers open and close again, failures are reported.
func TestSDKRedisKilledPausedRestarted(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, faultCampaigns())
	o := assignment.CacheOptions{BreakerCooldown: 100 * time.Millisecond}
	reps := []*replica{newReplica(t, fs, rs.Addr(), o), newReplica(t, fs, rs.Addr(), o)}

	load := startSyncLoad(reps, 3)
	t.Cleanup(func() { // before the replicas close, if a require below fails
		load.stop.Store(true)
		load.wg.Wait()
	})
	time.Sleep(150 * time.Millisecond)
	waitState(t, reps, assignment.BreakerClosed, time.Second)

	rs.Stop()
	waitState(t, reps, assignment.BreakerOpen, 3*time.Second)
	time.Sleep(300 * time.Millisecond) // several cooldowns: probes fail, the breaker reopens
	rs.Restart()                       // empty, without the merge script
	waitState(t, reps, assignment.BreakerClosed, 5*time.Second)

	opened := countState(reps, "open")
	const pause = 600 * time.Millisecond // 30 read budgets
	rs.Pause(pause)
	pausedAt := time.Now()
	require.Eventually(t, func() bool {
		now := countState(reps, "open")
		return now[0] > opened[0] && now[1] > opened[1]
	}, 5*time.Second, time.Millisecond, "the breakers did not open while Redis was paused")
	time.Sleep(time.Until(pausedAt.Add(pause)))
	waitState(t, reps, assignment.BreakerClosed, 5*time.Second)
	time.Sleep(100 * time.Millisecond) // a healthy stretch again
	load.end(t)

	t.Logf("%d synchronizations, the longest %v", load.n.Load(), time.Duration(load.maxTook.Load()))
	assert.Empty(t, load.failures)
	assert.Less(t, time.Duration(load.maxTook.Load()), maxSynchronize)
	for i, r := range reps {
		st := r.AssignmentStats()
		t.Logf("replica %d: %+v, breaker %v", i+1, st, r.events.states())
		assert.NotZero(t, st.LoadFailures, "reads failed while Redis was down")
		assert.NotZero(t, st.Degraded, "decisions went on without the store")

		states := r.events.states()
		assert.GreaterOrEqual(t, countState(reps[i:i+1], "open")[0], 2, "opened by the kill and by the pause: %v", states)
		assert.Contains(t, states, "half-open")
		assert.Contains(t, states, "closed")

		failed := r.events.of(flagship.NotifyAssignmentStoreFailed)
		require.NotEmpty(t, failed)
		assert.True(t, slices.ContainsFunc(failed, func(e flagship.Notification) bool { return e.Reason == "load" && e.Err != nil }),
			"a failed load is reported")
	}

	// Redis works again: the writes that waited reach it (the restart
	// emptied it: whatever it holds was written since).
	inspect := newClient(t, rs.Addr())
	for _, r := range reps {
		r.waitWritten(t)
	}
	keys, err := inspect.Keys(t.Context(), keyPrefix+"load-*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	h := hash(t, inspect, strings.TrimPrefix(keys[0], keyPrefix))
	assert.Contains(t, h, "vg_home")
	assert.Equal(t, stored{VariationID: "var_checkout"}, h["vg_checkout"])
}

// TestSDKRedisDownFailClosed checks that, fail-closed, a visitor whose
// assignments cannot be read gets an error wrapping ErrUnavailable and no
// campaigns, while a visitor the cache holds is still decided.
func TestSDKRedisDownFailClosed(t *testing.T) {
	rs := redistest.Start(t)
	fs := flagshiptest.NewServer(t, faultCampaigns())
	r := newReplica(t, fs, rs.Addr(), assignment.CacheOptions{FailClosed: true, BreakerCooldown: 100 * time.Millisecond})

	known := r.synced(t, "known")
	require.True(t, known.Has("color"))
	r.waitWritten(t)

	rs.Stop()
	// Reads fail (over the read budget: a read of a dead server takes
	// about 200 ms with these go-redis options, then with an error), then
	// the breaker opens and refuses them at once.
	refused := func(id string) {
		t.Helper()
		v, err := r.NewVisitor(id, nil)
		require.NoError(t, err)
		start := time.Now()
		err = v.Synchronize(t.Context())
		took := time.Since(start)
		require.Error(t, err)
		assert.True(t, errors.Is(err, assignment.ErrUnavailable), "%v", err)
		assert.Empty(t, v.Flags(), "no campaigns without the visitor's assignments")
		assert.False(t, v.Has("fast"))
		assert.Less(t, took, maxSynchronize)
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; r.AssignmentStats().State != assignment.BreakerOpen; i++ {
		require.True(t, time.Now().Before(deadline), "the breaker did not open")
		refused(fmt.Sprintf("closed-%d", i))
	}
	refused("while-open")
	assert.NotEmpty(t, r.events.of(flagship.NotifySynchronizeFailed))
	assert.NotEmpty(t, r.events.of(flagship.NotifyAssignmentStoreFailed))
	assert.Contains(t, r.events.states(), "open")

	// The cache still answers for a visitor it holds.
	v, err := r.NewVisitor("known", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	assert.Equal(t, known.String("color", ""), v.String("color", ""))

	rs.Restart()
	require.Eventually(t, func() bool {
		v, err := r.NewVisitor("closed-0", nil)
		return err == nil && v.Synchronize(context.Background()) == nil && v.Has("color")
	}, 5*time.Second, 20*time.Millisecond, "decisions resume once Redis is back")
	waitState(t, []*replica{r}, assignment.BreakerClosed, time.Second)
}

package fsopenfeature_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// decisions returns the number of Decision API calls made for visitor id.
func decisions(srv *flagshiptest.Server, id string) int {
	n := 0
	for _, r := range srv.DecisionRequests() {
		if r.VisitorID == id {
			n++
		}
	}
	return n
}

// TestOneDecisionPerContext checks that evaluations of one context share
// one decision, whatever the order and Go types of its attributes, and
// that contexts a visitor tells apart do not.
func TestOneDecisionPerContext(t *testing.T) {
	e := newEnv(t, flagship.DecisionAPI, fsopenfeature.Options{}, campaigns()...)
	ctxs := []openfeature.EvaluationContext{
		userCtx("u1", "plan", "gold", "age", 31),
		userCtx("u1", "age", 31.0, "plan", "gold"),
		userCtx("u1", "age", int64(31), "plan", "gold"),
		userCtx("u1", "age", uint8(31), "plan", "gold"),
	}
	for i := range 10 {
		assert.True(t, e.of.Boolean(t.Context(), "enabled", false, ctxs[i%len(ctxs)]))
		assert.Equal(t, int64(10), e.of.Int(t.Context(), "discount", 0, ctxs[i%len(ctxs)]))
	}
	assert.Equal(t, 1, decisions(e.srv, "u1"))

	others := []openfeature.EvaluationContext{
		userCtx("u1", "plan", "gold", "age", "31"), // a string, not a number
		userCtx("u1", "plan", "gold"),
		userCtx("u1", "plan", "gold", "age", 31, "vip", true),
		userCtx("u1", "plan", "gold", "age", 31.5),
	}
	for i, ec := range others {
		e.of.Boolean(t.Context(), "enabled", false, ec)
		e.of.Boolean(t.Context(), "enabled", false, ec)
		assert.Equal(t, 2+i, decisions(e.srv, "u1"), "context %d", i)
	}
	assert.Equal(t, 0, decisions(e.srv, "u2"))
	e.of.Boolean(t.Context(), "enabled", false, userCtx("u2", "plan", "gold", "age", 31))
	assert.Equal(t, 1, decisions(e.srv, "u2"))
}

// TestCacheInvalidatedByPanic checks that entering panic mode empties the
// cache (DECISION_API mode: the client learns it from a decision).
func TestCacheInvalidatedByPanic(t *testing.T) {
	e := newEnv(t, flagship.DecisionAPI, fsopenfeature.Options{CacheTTL: time.Hour}, campaigns()...)
	require.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
	e.srv.SetPanic(true)
	require.False(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u2")))
	require.False(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
	assert.Equal(t, 2, decisions(e.srv, "u1"))
	e.srv.SetPanic(false)
	e.of.Boolean(t.Context(), "enabled", false, userCtx("u3")) // ends the panic
	require.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
	assert.Equal(t, 3, decisions(e.srv, "u1"))
}

func TestCacheOptions(t *testing.T) {
	tests := []struct {
		name string
		give fsopenfeature.Options
		// wantDecisions is the number of decisions for u1 after
		// evaluating u1, u2, u1, sleeping 100 ms, u1.
		wantDecisions int
	}{
		{name: "default", give: fsopenfeature.Options{}, wantDecisions: 1},
		{name: "short TTL", give: fsopenfeature.Options{CacheTTL: 50 * time.Millisecond}, wantDecisions: 2},
		{name: "size 1", give: fsopenfeature.Options{CacheSize: 1}, wantDecisions: 2},
		{name: "disabled by size", give: fsopenfeature.Options{CacheSize: -1}, wantDecisions: 3},
		{name: "disabled by TTL", give: fsopenfeature.Options{CacheTTL: -1}, wantDecisions: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, flagship.DecisionAPI, tt.give, campaigns()...)
			for _, id := range []string{"u1", "u2", "u1"} {
				require.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx(id)))
			}
			time.Sleep(100 * time.Millisecond)
			require.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
			assert.Equal(t, tt.wantDecisions, decisions(e.srv, "u1"))
		})
	}
}

// TestSingleFlight checks that concurrent evaluations of one context
// share one decision.
func TestSingleFlight(t *testing.T) {
	e := newEnv(t, flagship.DecisionAPI, fsopenfeature.Options{}, campaigns()...)
	e.srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Latency: 200 * time.Millisecond})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			assert.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1", "plan", "gold")))
		})
	}
	wg.Wait()
	assert.Equal(t, 1, decisions(e.srv, "u1"))
}

// TestSingleFlightLeaderGivesUp checks that when the evaluation making a
// decision gives up (its ctx ends), those waiting for it decide again
// rather than fail.
func TestSingleFlightLeaderGivesUp(t *testing.T) {
	e := newEnv(t, flagship.DecisionAPI, fsopenfeature.Options{}, campaigns()...)
	e.srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Latency: 5 * time.Second})
	leaderCtx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	leader := make(chan openfeature.BooleanEvaluationDetails, 1)
	go func() {
		d, _ := e.of.BooleanValueDetails(leaderCtx, "enabled", false, userCtx("u1"))
		leader <- d
	}()
	time.Sleep(50 * time.Millisecond) // the leader's call is on the server
	d, err := e.of.BooleanValueDetails(t.Context(), "enabled", false, userCtx("u1"))
	require.NoError(t, err)
	assert.True(t, d.Value)
	ld := <-leader
	assert.Equal(t, openfeature.GeneralCode, ld.ErrorCode)
}

// TestConcurrentContexts checks that concurrent evaluations of different
// contexts never see each other's flags: each of 100 contexts targets
// its own variation group (attribute "n"), half of them sharing a
// targeting key.
func TestConcurrentContexts(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, perTier(100))
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				id := fmt.Sprintf("user-%d", i)
				if i%2 == 0 {
					id = "shared"
				}
				ec := userCtx(id, "n", i)
				for range 5 {
					d, err := e.of.StringValueDetails(t.Context(), "who", "none", ec)
					if !assert.NoError(t, err) {
						return
					}
					assert.Equal(t, fmt.Sprintf("v-%d", i), d.Value)
					assert.Equal(t, fmt.Sprintf("var-n-%d", i), d.Variant)
				}
			})
		}
		wg.Wait()
	})
}

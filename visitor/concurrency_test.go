package visitor_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestConcurrentUse runs every kind of call at once; run it with -race.
func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	cfg.OnActivateError = func(context.Context, string, string, error) {}
	cfg.OnSynchronizeError = func(context.Context, string, error) {}
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, visitor.WithConsent(true))
	require.NoError(t, v.Synchronize(ctx))

	const workers, rounds = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				switch (w + i) % 8 {
				case 0:
					if err := v.Synchronize(ctx); err != nil {
						errs <- err
					}
				case 1:
					_ = v.String("color", "red")
					_ = v.Int("size", 0)
					_ = v.Object("obj", nil)
					_ = v.Array("arr", nil)
					_ = v.Evaluate("shared", "")
					_, _ = v.Info("color")
					_ = v.Has("color")
					_ = v.Flags()
				case 2:
					if err := v.UpdateContext(visitor.Attributes{"round": i, fmt.Sprintf("w%d", w): true}); err != nil {
						errs <- err
					}
					_ = v.Context()
					_, _ = v.ContextValue("round")
				case 3:
					if err := v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "click"}); err != nil {
						errs <- err
					}
				case 4:
					if err := v.Activate(ctx, "color"); err != nil {
						errs <- err
					}
				case 5:
					_ = v.Activating(ctx).String("shared", "red")
					e.clock.Advance(visitor.DedupWindow)
				case 6:
					e.decider.set(oneFlag("c", "vg", "var", "color", "green"), nil)
					_ = v.ID()
					_ = v.AnonymousID()
					_ = v.HasConsented()
				case 7:
					e.decider.set(twoCampaigns(), nil)
					if err := v.UpdateContextAndSynchronize(ctx, visitor.Attributes{"n": i}); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.NotEmpty(t, e.tracker.OfKind(hits.KindActivation))
	assert.NotEmpty(t, e.tracker.OfKind(hits.KindHit))
	for _, r := range e.tracker.Records() {
		assert.NoError(t, r.Validate())
	}
}

// TestConcurrentAuthenticateAndConsent mixes identity and consent changes
// with tracking; run it with -race.
func TestConcurrentAuthenticateAndConsent(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	e.decider.set(twoCampaigns(), nil)
	v := e.synced(t, "anon-1")

	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				switch (w + i) % 5 {
				case 0:
					_ = v.Authenticate(fmt.Sprintf("user-%d", w))
				case 1:
					_ = v.Unauthenticate()
				case 2:
					_ = v.SetConsent(ctx, i%2 == 0)
				case 3:
					_ = v.SendHit(ctx, hits.Screen{Name: "s"})
					_ = v.Activate(ctx, "color")
				case 4:
					_ = v.Synchronize(ctx)
				}
			}
		}()
	}
	wg.Wait()

	for _, r := range e.tracker.Records() {
		assert.NoError(t, r.Validate())
	}
	for _, req := range e.decider.Requests() {
		assert.NotEmpty(t, req.VisitorID)
		assert.NotEqual(t, req.VisitorID, req.AnonymousID)
	}
}

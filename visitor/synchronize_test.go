package visitor_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestSynchronize_StoresFlags(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, e.config())

	require.NoError(t, v.Synchronize(context.Background()))

	assert.Equal(t, "blue", v.String("color", "red"))
	assert.True(t, v.Has("color"))
	assert.Len(t, e.decider.Requests(), 1)
	// In DECISION_API mode (no ContextHits) nothing is tracked.
	assert.Empty(t, e.tracker.Records())
}

func TestSynchronize_ReplacesFlags(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	e.decider.set(oneFlag("c9", "vg9", "var9", "color", "green"), nil)
	require.NoError(t, v.Synchronize(ctx))

	assert.Equal(t, "green", v.String("color", "red"))
	assert.False(t, v.Has("size"))
}

func TestSynchronize_ErrorKeepsFlags(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	type call struct {
		visitorID string
		err       error
	}
	var calls []call
	cfg := e.config()
	cfg.OnSynchronizeError = func(_ context.Context, visitorID string, err error) {
		calls = append(calls, call{visitorID, err})
	}
	v := newVisitor(t, "v-1", nil, cfg)
	require.NoError(t, v.Synchronize(ctx))
	assert.Empty(t, calls)

	e.decider.set(decision.Decision{}, errBoom)
	err := v.Synchronize(ctx)
	require.ErrorIs(t, err, errBoom)
	assert.NotEqual(t, errBoom, err, "the error is wrapped with context")
	assert.Contains(t, err.Error(), "v-1")

	assert.Equal(t, "blue", v.String("color", "red"))
	assert.Equal(t, visitor.ReasonFound, v.Evaluate("color", "red").Reason)
	require.Len(t, calls, 1)
	assert.Equal(t, "v-1", calls[0].visitorID)
	assert.ErrorIs(t, calls[0].err, errBoom)
}

func TestSynchronize_ErrorBeforeFirstSuccess(t *testing.T) {
	e := newTestEnv(t)
	e.decider.set(decision.Decision{}, decision.ErrUnauthorized)
	v := newVisitor(t, "v-1", nil, e.config())

	require.ErrorIs(t, v.Synchronize(context.Background()), decision.ErrUnauthorized)
	assert.Equal(t, visitor.ReasonNotSynchronized, v.Evaluate("color", "red").Reason)
	assert.Equal(t, "red", v.String("color", "red"))
}

func TestSynchronize_HitFailureKeepsNewFlagsAndReportsError(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	var reported []error
	cfg := e.config()
	cfg.OnTrackError = func(_ context.Context, _ string, err error) { reported = append(reported, err) }
	cfg.OnSynchronizeError = func(context.Context, string, error) { t.Error("a hit failure is not a synchronize failure") }
	v := newVisitor(t, "v-1", nil, cfg, visitor.WithConsent(false))
	e.tracker.setErr(errBoom)

	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "blue", v.String("color", "red"))
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], errBoom)
}

func TestSynchronize_ConsentDecider(t *testing.T) {
	tests := []struct {
		name string
		give []visitor.Option
		want []bool
	}{
		{name: "default", give: nil, want: []bool{true}},
		{name: "consented", give: []visitor.Option{visitor.WithConsent(true)}, want: []bool{true}},
		{name: "not consented", give: []visitor.Option{visitor.WithConsent(false)}, want: []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			cd := &consentDecider{decision: oneFlag("c", "vg", "var", "color", "blue")}
			cfg := e.config()
			cfg.Decider = cd
			v := newVisitor(t, "v-1", nil, cfg, tt.give...)

			require.NoError(t, v.Synchronize(context.Background()))
			assert.Equal(t, tt.want, cd.Consents())
			assert.Zero(t, cd.decideHit)
			assert.Equal(t, "blue", v.String("color", "red"))
		})
	}
}

func TestSynchronize_ConsentDeciderFollowsSetConsent(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cd := &consentDecider{decision: oneFlag("c", "vg", "var", "color", "blue")}
	cfg := e.config()
	cfg.Decider = cd
	v := newVisitor(t, "v-1", nil, cfg)

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.SetConsent(ctx, false))
	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.SetConsent(ctx, true))
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, []bool{true, false, true}, cd.Consents())
}

// assertPanicMode checks that v serves defaults and tracks nothing.
func assertPanicMode(tb testing.TB, v *visitor.Visitor, tr *recordingTracker) {
	tb.Helper()
	ctx := context.Background()
	before := len(tr.Records())

	assertAllDefaults(tb, v)
	assert.False(tb, v.Has("color"))
	assert.Empty(tb, v.Flags())
	info, ok := v.Info("color")
	assert.False(tb, ok)
	assert.Zero(tb, info)
	assert.Equal(tb, visitor.Evaluation{Key: "color", Value: "red", Reason: visitor.ReasonPanic}, v.Evaluate("color", "red"))

	assert.ErrorIs(tb, v.SendHit(ctx, hits.Screen{Name: "home"}), visitor.ErrPanicMode)
	assert.ErrorIs(tb, v.Activate(ctx, "color"), visitor.ErrPanicMode)
	assert.Equal(tb, "red", v.Activating(ctx).String("color", "red"))
	assert.Len(tb, tr.Records(), before)
}

func TestSynchronize_PanicDecision(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, visitor.WithConsent(false))

	e.decider.set(decision.Decision{Panic: true}, nil)
	require.NoError(t, v.Synchronize(ctx))
	assertPanicMode(t, v, e.tracker)
	// Neither the consent hit nor the context hit is sent in panic mode.
	assert.Empty(t, e.tracker.Records())

	e.decider.set(twoCampaigns(), nil)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "blue", v.String("color", "red"))
	assert.True(t, v.Has("color"))
	assert.Len(t, v.Flags(), 11)
	assert.Equal(t, visitor.ReasonFound, v.Evaluate("color", "red").Reason)
	// The consent hit owed is sent once the panic is over.
	assert.Equal(t, []string{"go:false"}, consentLabels(t, e.tracker))
}

func TestSynchronize_PanicAfterFlags(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	e.decider.set(decision.Decision{Panic: true}, nil)
	require.NoError(t, v.Synchronize(ctx))
	assertPanicMode(t, v, e.tracker)

	e.decider.set(twoCampaigns(), nil)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "blue", v.String("color", "red"))
	require.NoError(t, v.Activate(ctx, "color"))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	assert.Equal(t, []hits.Kind{hits.KindActivation, hits.KindHit}, e.tracker.Kinds())
}

func TestSynchronize_PanicDecisionWithCampaigns(t *testing.T) {
	// A panic decision is honoured even if it carries campaigns.
	e := newTestEnv(t)
	d := twoCampaigns()
	d.Panic = true
	e.decider.set(d, nil)
	v := e.synced(t, "v-1")
	assertPanicMode(t, v, e.tracker)
}

func TestConfigInPanic(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	inPanic := true
	cfg := e.config()
	cfg.InPanic = func() bool { return inPanic }
	v := newVisitor(t, "v-1", nil, cfg)

	// Before any Synchronize.
	assertPanicMode(t, v, e.tracker)

	// After a Synchronize whose decision is not a panic.
	require.NoError(t, v.Synchronize(ctx))
	assertPanicMode(t, v, e.tracker)
	assert.Empty(t, e.tracker.Records())

	inPanic = false
	assert.Equal(t, "blue", v.String("color", "red"))
	require.NoError(t, v.Activate(ctx, "color"))
	assert.Len(t, activations(t, e.tracker), 1)
}

func TestSynchronize_PanicQueuesNoOwedHits(t *testing.T) {
	tests := []struct {
		name        string
		giveDecider decision.Decision
		giveInPanic bool
		giveOpts    []visitor.Option
	}{
		{name: "panic decision, context hit", giveDecider: decision.Decision{Panic: true}},
		{name: "panic decision, consent hit", giveDecider: decision.Decision{Panic: true}, giveOpts: []visitor.Option{visitor.WithConsent(true)}},
		{name: "Config.InPanic, context hit", giveDecider: twoCampaigns(), giveInPanic: true},
		{name: "Config.InPanic, consent hit", giveDecider: twoCampaigns(), giveInPanic: true, giveOpts: []visitor.Option{visitor.WithConsent(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newTestEnv(t)
			e.decider.set(tt.giveDecider, nil)
			inPanic := tt.giveInPanic
			cfg := e.config()
			cfg.ContextHits = true
			cfg.InPanic = func() bool { return inPanic }
			v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, tt.giveOpts...)

			require.NoError(t, v.Synchronize(ctx))
			assert.Empty(t, e.tracker.Records())
			assertPanicMode(t, v, e.tracker)

			// Once the panic is over, what is owed is sent.
			inPanic = false
			e.decider.set(twoCampaigns(), nil)
			require.NoError(t, v.Synchronize(ctx))
			assert.Len(t, segments(t, e.tracker), 1)
		})
	}
}

func TestContextHits(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	v := newVisitor(t, "v-1", visitor.Attributes{"age": 31, "isVIP": true, "plan": "gold", "ratio": 1.5}, cfg)

	require.NoError(t, v.Synchronize(ctx))
	want := map[string]string{
		"fs_client":  "go",
		"fs_version": decision.SDKVersion,
		"age":        "31",
		"isVIP":      "true",
		"plan":       "gold",
		"ratio":      "1.5",
	}
	assert.Equal(t, []map[string]string{want}, segments(t, e.tracker))
	recs := e.tracker.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, hits.KindHit, recs[0].Kind())
	assert.Equal(t, hits.TypeSegment, recs[0].Type())
	assert.Equal(t, "v-1", recs[0].VisitorID())
	assert.Equal(t, testEnvID, recs[0].EnvID())

	// Unchanged context: nothing more.
	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.UpdateContext(visitor.Attributes{"plan": "gold"}))
	require.NoError(t, v.Synchronize(ctx))
	assert.Len(t, e.tracker.Records(), 1)

	// Changed context: queued again, with the new value.
	require.NoError(t, v.UpdateContext(visitor.Attributes{"plan": "platinum"}))
	require.NoError(t, v.Synchronize(ctx))
	want2 := map[string]string{
		"fs_client":  "go",
		"fs_version": decision.SDKVersion,
		"age":        "31",
		"isVIP":      "true",
		"plan":       "platinum",
		"ratio":      "1.5",
	}
	assert.Equal(t, []map[string]string{want, want2}, segments(t, e.tracker))

	require.NoError(t, v.Synchronize(ctx))
	assert.Len(t, e.tracker.Records(), 2)
}

func TestContextHits_AfterAuthenticate(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	v := newVisitor(t, "anon-1", visitor.Attributes{"plan": "gold"}, cfg)

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.Authenticate("user-1"))
	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.Synchronize(ctx))

	recs := e.tracker.Records()
	require.Len(t, recs, 2)
	assert.Equal(t, [2]string{"anon-1", ""}, [2]string{recs[0].VisitorID(), recs[0].AnonymousID()})
	assert.Equal(t, [2]string{"user-1", "anon-1"}, [2]string{recs[1].VisitorID(), recs[1].AnonymousID()})
}

func TestContextHits_NotQueued(t *testing.T) {
	tests := []struct {
		name            string
		giveAttrs       visitor.Attributes
		giveContextHits bool
		giveOpts        []visitor.Option
		wantKinds       []hits.Kind
	}{
		{name: "only predefined keys", giveAttrs: nil, giveContextHits: true},
		{name: "empty attributes", giveAttrs: visitor.Attributes{}, giveContextHits: true},
		{name: "without consent", giveAttrs: visitor.Attributes{"plan": "gold"}, giveContextHits: true, giveOpts: []visitor.Option{visitor.WithConsent(false)}, wantKinds: []hits.Kind{hits.KindConsent}},
		{name: "ContextHits false", giveAttrs: visitor.Attributes{"plan": "gold"}, giveContextHits: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newTestEnv(t)
			cfg := e.config()
			cfg.ContextHits = tt.giveContextHits
			v := newVisitor(t, "v-1", tt.giveAttrs, cfg, tt.giveOpts...)

			require.NoError(t, v.Synchronize(ctx))
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, tt.wantKinds, e.tracker.Kinds())
		})
	}
}

func TestContextHits_AfterConsentGiven(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, visitor.WithConsent(false))

	require.NoError(t, v.Synchronize(ctx))
	assert.Empty(t, segments(t, e.tracker))

	require.NoError(t, v.SetConsent(ctx, true))
	require.NoError(t, v.Synchronize(ctx))
	assert.Len(t, segments(t, e.tracker), 1)
}

func TestContextHits_FailureIsRetried(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	var reported []error
	cfg := e.config()
	cfg.ContextHits = true
	cfg.OnTrackError = func(_ context.Context, _ string, err error) { reported = append(reported, err) }
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg)

	e.tracker.setErr(errBoom)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "blue", v.String("color", "red"))
	require.Len(t, reported, 1)
	assert.ErrorIs(t, reported[0], errBoom)

	e.tracker.setErr(nil)
	require.NoError(t, v.Synchronize(ctx))
	assert.Len(t, segments(t, e.tracker), 1)
}

// TestSynchronize_LaterCallWins makes an earlier Synchronize finish after a
// later one: the later one's flags stay.
func TestSynchronize_LaterCallWins(t *testing.T) {
	release := make(chan struct{})
	calls := 0
	var mu sync.Mutex
	dec := decision.DeciderFunc(func(ctx context.Context, r decision.Request) (decision.Decision, error) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			<-release
			return oneFlag("c", "vg", "old", "color", "old"), nil
		}
		return oneFlag("c", "vg", "new", "color", "new"), nil
	})
	v := newVisitor(t, "v-1", nil, visitor.Config{Decider: dec})
	done := make(chan error)
	go func() { done <- v.Synchronize(context.Background()) }()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return calls == 1 }, time.Second, time.Millisecond)
	require.NoError(t, v.Synchronize(context.Background()))
	close(release)
	require.NoError(t, <-done)
	assert.Equal(t, "new", v.String("color", ""))
}

func TestActivating_NoConsentIsSilent(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.config()
	reported := 0
	cfg.OnActivateError = func(context.Context, string, string, error) { reported++ }
	v := newVisitor(t, "v-1", nil, cfg, visitor.WithConsent(false))
	require.NoError(t, v.Synchronize(context.Background()))
	_ = v.Activating(context.Background()).String("color", "red")
	assert.Zero(t, reported)
}

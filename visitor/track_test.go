package visitor_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestActivate_TracksActivation(t *testing.T) {
	e := newTestEnv(t)
	v := e.synced(t, "v-1")
	e.clock.Advance(time.Second)

	require.NoError(t, v.Activate(context.Background(), "color"))

	recs := e.tracker.Records()
	require.Len(t, recs, 1)
	r := recs[0]
	assert.Equal(t, idN(1), r.ID())
	assert.Equal(t, hits.KindActivation, r.Kind())
	assert.Equal(t, hits.TypeActivation, r.Type())
	assert.Equal(t, testEnvID, r.EnvID())
	assert.Equal(t, "v-1", r.VisitorID())
	assert.Equal(t, "", r.AnonymousID())
	assert.Equal(t, testStart.Add(time.Second), r.Created())
	assert.Equal(t, activationFields{CAID: "vg1", VAID: "var1"}, decodeActivation(t, r))
	var raw map[string]any
	require.NoError(t, json.Unmarshal(r.Fields(), &raw))
	assert.Equal(t, map[string]any{"caid": "vg1", "vaid": "var1"}, raw)
	require.NoError(t, r.Validate())
}

func TestActivate_LaterCampaignVariation(t *testing.T) {
	e := newTestEnv(t)
	v := e.synced(t, "v-1")
	require.NoError(t, v.Activate(context.Background(), "shared"))
	assert.Equal(t, []activationFields{{CAID: "vg2", VAID: "var2"}}, activations(t, e.tracker))
}

func TestActivate_Authenticated(t *testing.T) {
	e := newTestEnv(t)
	v := e.synced(t, "anon-1")
	require.NoError(t, v.Authenticate("user-1"))

	require.NoError(t, v.Activate(context.Background(), "color"))

	recs := e.tracker.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, "user-1", recs[0].VisitorID())
	assert.Equal(t, "anon-1", recs[0].AnonymousID())
}

// TestActivate_NoVariation checks that activating a key the visitor has
// no variation for (never synchronized, no campaign sets it, outside a
// toggle's allocation) is not an error and queues nothing: the visitor saw
// the default, there is nothing to activate.
func TestActivate_NoVariation(t *testing.T) {
	tests := []struct {
		name     string
		giveSync bool
		giveKey  string
	}{
		{name: "before Synchronize", giveSync: false, giveKey: "color"},
		{name: "a key no campaign sets", giveSync: true, giveKey: "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "v-1", nil, e.config())
			if tt.giveSync {
				require.NoError(t, v.Synchronize(context.Background()))
			}

			require.NoError(t, v.Activate(context.Background(), tt.giveKey))
			assert.False(t, v.Has(tt.giveKey))
			assert.Empty(t, e.tracker.Records())
		})
	}
}

// TestActivate_OutsideToggleAllocation checks the common case of a toggle
// the visitor is not allocated to: the decision has no campaign setting the
// key, and Activate returns nil without queueing anything.
func TestActivate_OutsideToggleAllocation(t *testing.T) {
	e := newTestEnv(t)
	e.decider.set(decision.Decision{}, nil) // outside the toggle's allocation: no campaign
	v := e.synced(t, "v-1")

	require.NoError(t, v.Activate(context.Background(), "color"))
	assert.Equal(t, "blue", v.String("color", "blue"))
	assert.Empty(t, e.tracker.Records())
}

func TestActivate_Dedup(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	require.NoError(t, v.Activate(ctx, "color"))
	require.NoError(t, v.Activate(ctx, "color"))
	// Another key of the same variation is the same activation.
	require.NoError(t, v.Activate(ctx, "size"))
	assert.Len(t, activations(t, e.tracker), 1)

	e.clock.Advance(visitor.DedupWindow - time.Millisecond)
	require.NoError(t, v.Activate(ctx, "color"))
	assert.Len(t, activations(t, e.tracker), 1)

	// Another variation is not a repeat.
	require.NoError(t, v.Activate(ctx, "onlyC2"))
	assert.Len(t, activations(t, e.tracker), 2)

	e.clock.Advance(time.Millisecond)
	require.NoError(t, v.Activate(ctx, "color"))
	assert.Equal(t, []activationFields{
		{CAID: "vg1", VAID: "var1"},
		{CAID: "vg2", VAID: "var2"},
		{CAID: "vg1", VAID: "var1"},
	}, activations(t, e.tracker))
}

func TestDedupWindow(t *testing.T) {
	assert.Equal(t, 2500*time.Millisecond, visitor.DedupWindow)
}

func TestActivate_TrackerFailure(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	e.tracker.setErr(errBoom)
	err := v.Activate(ctx, "color")
	require.ErrorIs(t, err, errBoom)
	assert.Empty(t, e.tracker.Records())

	// The retry is not taken for a repeat of the failed activation.
	e.tracker.setErr(nil)
	require.NoError(t, v.Activate(ctx, "color"))
	assert.Equal(t, []activationFields{{CAID: "vg1", VAID: "var1"}}, activations(t, e.tracker))
}

func TestActivate_NoTracker(t *testing.T) {
	e := newTestEnv(t)
	cfg := e.config()
	cfg.Tracker = nil
	v := newVisitor(t, "v-1", nil, cfg)
	require.NoError(t, v.Synchronize(context.Background()))

	require.ErrorIs(t, v.Activate(context.Background(), "color"), visitor.ErrNoTracker)
}

func TestActivate_CancelledContext(t *testing.T) {
	e := newTestEnv(t)
	v := e.synced(t, "v-1")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	require.ErrorIs(t, v.Activate(ctx, "color"), context.Canceled)
	assert.Empty(t, e.tracker.Records())

	// Not deduplicated away either.
	require.NoError(t, v.Activate(context.Background(), "color"))
	assert.Len(t, activations(t, e.tracker), 1)
}

func TestSendHit_StampsRecord(t *testing.T) {
	tests := []struct {
		name       string
		give       hits.Hit
		wantType   hits.Type
		wantFields map[string]any
	}{
		{
			name:       "page",
			give:       hits.Page{URL: "https://example.com/home"},
			wantType:   hits.TypePage,
			wantFields: map[string]any{"dl": "https://example.com/home"},
		},
		{
			name:       "screen",
			give:       hits.Screen{Name: "home"},
			wantType:   hits.TypeScreen,
			wantFields: map[string]any{"dl": "home"},
		},
		{
			name:       "event pointer",
			give:       &hits.Event{Category: hits.ActionTracking, Action: "checkout"},
			wantType:   hits.TypeEvent,
			wantFields: map[string]any{"ec": "Action Tracking", "ea": "checkout"},
		},
		{
			name:       "transaction",
			give:       hits.Transaction{ID: "t-1", Affiliation: "purchase"},
			wantType:   hits.TypeTransaction,
			wantFields: map[string]any{"tid": "t-1", "ta": "purchase"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "user-1", nil, e.config(), visitor.WithAnonymousID("anon-1"))
			e.clock.Advance(time.Minute)

			require.NoError(t, v.SendHit(context.Background(), tt.give))

			recs := e.tracker.Records()
			require.Len(t, recs, 1)
			r := recs[0]
			assert.Equal(t, idN(1), r.ID())
			assert.Equal(t, hits.KindHit, r.Kind())
			assert.Equal(t, tt.wantType, r.Type())
			assert.Equal(t, testEnvID, r.EnvID())
			assert.Equal(t, "user-1", r.VisitorID())
			assert.Equal(t, "anon-1", r.AnonymousID())
			assert.Equal(t, testStart.Add(time.Minute), r.Created())
			var fields map[string]any
			require.NoError(t, json.Unmarshal(r.Fields(), &fields))
			assert.Equal(t, tt.wantFields, fields)
			require.NoError(t, r.Validate())
		})
	}
}

func TestSendHit_DistinctIDs(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "a"}))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "b"}))
	recs := e.tracker.Records()
	require.Len(t, recs, 2)
	assert.Equal(t, idN(1), recs[0].ID())
	assert.Equal(t, idN(2), recs[1].ID())
}

func TestSendHit_InvalidHit(t *testing.T) {
	tests := []struct {
		name      string
		give      hits.Hit
		wantField string
	}{
		{name: "page without URL", give: hits.Page{}, wantField: "dl"},
		{name: "page with relative URL", give: hits.Page{URL: "/home"}, wantField: "dl"},
		{name: "screen without name", give: hits.Screen{}, wantField: "dl"},
		{name: "event without category", give: hits.Event{Action: "a"}, wantField: "ec"},
		{name: "event without action", give: hits.Event{Category: hits.UserEngagement}, wantField: "ea"},
		{name: "transaction without id", give: hits.Transaction{Affiliation: "a"}, wantField: "tid"},
		{name: "item without code", give: hits.Item{TransactionID: "t", Name: "n"}, wantField: "ic"},
		{name: "bad user ip", give: hits.Screen{Name: "s", Common: hits.Common{UserIP: "nope"}}, wantField: "uip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "v-1", nil, e.config())

			err := v.SendHit(context.Background(), tt.give)
			require.ErrorIs(t, err, hits.ErrInvalidHit)
			var ve *hits.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, tt.wantField, ve.Field)
			assert.Contains(t, err.Error(), "("+tt.wantField+")")
			assert.Empty(t, e.tracker.Records())
		})
	}
}

func TestSendHit_InvalidHitQueuesNothing(t *testing.T) {
	// Validation comes first: not even the consent hit owed is queued,
	// and the error is about the hit whatever the visitor's state.
	tests := []struct {
		name     string
		giveOpts []visitor.Option
		giveCfg  func(*visitor.Config)
	}{
		{name: "consent hit owed", giveOpts: []visitor.Option{visitor.WithConsent(false)}, giveCfg: func(*visitor.Config) {}},
		{name: "panic mode", giveCfg: func(c *visitor.Config) { c.InPanic = func() bool { return true } }},
		{name: "no tracker", giveCfg: func(c *visitor.Config) { c.Tracker = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			cfg := e.config()
			tt.giveCfg(&cfg)
			v := newVisitor(t, "v-1", nil, cfg, tt.giveOpts...)

			err := v.SendHit(context.Background(), hits.Page{URL: "relative"})
			var ve *hits.ValidationError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, "dl", ve.Field)
			assert.Empty(t, e.tracker.Records())
		})
	}
}

func TestSendHit_NilHit(t *testing.T) {
	tests := []struct {
		name string
		give hits.Hit
	}{
		{name: "nil interface", give: nil},
		{name: "nil page pointer", give: (*hits.Page)(nil)},
		{name: "nil event pointer", give: (*hits.Event)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "v-1", nil, e.config())
			var err error
			require.NotPanics(t, func() { err = v.SendHit(context.Background(), tt.give) })
			require.ErrorIs(t, err, hits.ErrInvalidHit)
			assert.Empty(t, e.tracker.Records())
		})
	}
}

func TestSendHit_NoTracker(t *testing.T) {
	cfg := newTestEnv(t).config()
	cfg.Tracker = nil
	v := newVisitor(t, "v-1", nil, cfg)
	require.ErrorIs(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}), visitor.ErrNoTracker)
}

func TestSendHit_CancelledContext(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := v.SendHit(ctx, hits.Screen{Name: "home"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, e.tracker.Records())
}

func TestSendHit_TrackerError(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())
	e.tracker.setErr(errBoom)

	require.ErrorIs(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}), errBoom)
	assert.Empty(t, e.tracker.Records())
}

func TestConsent_DefaultTrue(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())
	assert.True(t, v.HasConsented())

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.Activate(ctx, "color"))

	assert.Equal(t, []hits.Kind{hits.KindHit, hits.KindActivation}, e.tracker.Kinds())
}

func TestWithConsentFalse_FirstCallQueuesConsentHit(t *testing.T) {
	tests := []struct {
		name    string
		give    func(tb testing.TB, ctx context.Context, v *visitor.Visitor, inPanic *bool) error
		wantErr error
	}{
		{
			name: "Synchronize",
			give: func(_ testing.TB, ctx context.Context, v *visitor.Visitor, _ *bool) error {
				return v.Synchronize(ctx)
			},
		},
		{
			name: "SendHit",
			give: func(_ testing.TB, ctx context.Context, v *visitor.Visitor, _ *bool) error {
				return v.SendHit(ctx, hits.Screen{Name: "home"})
			},
			wantErr: visitor.ErrNoConsent,
		},
		{
			name: "Activate",
			give: func(tb testing.TB, ctx context.Context, v *visitor.Visitor, inPanic *bool) error {
				// Synchronize in panic mode stores flags without queueing
				// anything, so that Activate is the first call to queue.
				*inPanic = true
				require.NoError(tb, v.Synchronize(ctx))
				assert.Empty(tb, v.Flags())
				*inPanic = false
				return v.Activate(ctx, "color")
			},
			wantErr: visitor.ErrNoConsent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newTestEnv(t)
			inPanic := false
			cfg := e.config()
			cfg.InPanic = func() bool { return inPanic }
			v := newVisitor(t, "v-1", nil, cfg, visitor.WithConsent(false))
			assert.False(t, v.HasConsented())

			require.ErrorIs(t, tt.give(t, ctx, v, &inPanic), tt.wantErr)
			assert.Equal(t, []string{"go:false"}, consentLabels(t, e.tracker))

			// Later calls queue no other consent hit, and nothing else.
			require.NoError(t, v.Synchronize(ctx))
			require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "home"}), visitor.ErrNoConsent)
			require.ErrorIs(t, v.Activate(ctx, "color"), visitor.ErrNoConsent)
			assert.Equal(t, []hits.Kind{hits.KindConsent}, e.tracker.Kinds())
			assert.Equal(t, "v-1", e.tracker.Records()[0].VisitorID())
		})
	}
}

func TestWithConsentTrue_QueuesConsentHit(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config(), visitor.WithConsent(true))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	assert.Equal(t, []hits.Kind{hits.KindConsent, hits.KindHit, hits.KindHit}, e.tracker.Kinds())
	assert.Equal(t, []string{"go:true"}, consentLabels(t, e.tracker))
}

func TestWithConsent_ConsentHitFailureIsRetried(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config(), visitor.WithConsent(false))

	e.tracker.setErr(errBoom)
	require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "home"}), errBoom)
	e.tracker.setErr(nil)
	require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "home"}), visitor.ErrNoConsent)
	assert.Equal(t, []string{"go:false"}, consentLabels(t, e.tracker))
}

func TestSetConsent_False(t *testing.T) {
	tests := []struct {
		name      string
		giveAnon  string
		wantIDs   []string
		wantVisID string
	}{
		{name: "anonymous", giveAnon: "", wantIDs: []string{"v-1"}, wantVisID: "v-1"},
		{name: "authenticated", giveAnon: "anon-1", wantIDs: []string{"v-1", "anon-1"}, wantVisID: "v-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			e := newTestEnv(t)
			v := newVisitor(t, "v-1", nil, e.config(), visitor.WithAnonymousID(tt.giveAnon))
			require.NoError(t, v.Synchronize(ctx))

			require.NoError(t, v.SetConsent(ctx, false))
			assert.False(t, v.HasConsented())
			assert.Equal(t, []purgeCall{{EnvID: testEnvID, VisitorIDs: tt.wantIDs}}, e.tracker.Purges())
			assert.Equal(t, []string{"go:false"}, consentLabels(t, e.tracker))
			consent := e.tracker.Records()[0]
			assert.Equal(t, tt.wantVisID, consent.VisitorID())
			assert.Equal(t, tt.giveAnon, consent.AnonymousID())

			require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "home"}), visitor.ErrNoConsent)
			require.ErrorIs(t, v.Activate(ctx, "color"), visitor.ErrNoConsent)
			assert.Equal(t, []hits.Kind{hits.KindConsent}, e.tracker.Kinds())

			// Withdrawing again is no change: nothing more is purged.
			require.NoError(t, v.SetConsent(ctx, false))
			assert.Len(t, e.tracker.Purges(), 1)
		})
	}
}

func TestSetConsent_True_HitsFlowAgain(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	require.NoError(t, v.SetConsent(ctx, false))
	require.ErrorIs(t, v.Activate(ctx, "color"), visitor.ErrNoConsent)
	require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "home"}), visitor.ErrNoConsent)

	require.NoError(t, v.SetConsent(ctx, true))
	assert.True(t, v.HasConsented())
	assert.Equal(t, []string{"go:false", "go:true"}, consentLabels(t, e.tracker))

	// Same instant as the refused activation: it was never queued, so this
	// one is not a repeat.
	require.NoError(t, v.Activate(ctx, "color"))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	assert.Equal(t, []hits.Kind{hits.KindConsent, hits.KindConsent, hits.KindActivation, hits.KindHit}, e.tracker.Kinds())
	assert.Len(t, e.tracker.Purges(), 1)
}

func TestSetConsent_FalseForgetsActivations(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")

	require.NoError(t, v.Activate(ctx, "color"))
	require.NoError(t, v.SetConsent(ctx, false))
	require.NoError(t, v.SetConsent(ctx, true))
	// The first activation may have been purged: it is sent again.
	require.NoError(t, v.Activate(ctx, "color"))
	assert.Len(t, activations(t, e.tracker), 2)
}

func TestSetConsent_PurgeError(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	e.tracker.purgeErr = errBoom
	v := e.synced(t, "v-1")

	require.ErrorIs(t, v.SetConsent(ctx, false), errBoom)
	assert.False(t, v.HasConsented())
}

// plainTracker is a Tracker that is not a Purger.
type plainTracker struct{ rt *recordingTracker }

func (p plainTracker) Enqueue(ctx context.Context, r hits.Record) error { return p.rt.Enqueue(ctx, r) }

func TestSetConsent_TrackerWithoutPurge(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.Tracker = plainTracker{e.tracker}
	v := newVisitor(t, "v-1", nil, cfg)

	require.NoError(t, v.SetConsent(ctx, false))
	assert.Empty(t, e.tracker.Purges())
	assert.Equal(t, []string{"go:false"}, consentLabels(t, e.tracker))
}

func TestSetConsent_PanicMode(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	cfg := e.config()
	cfg.InPanic = func() bool { return true }
	v := newVisitor(t, "v-1", nil, cfg)

	require.ErrorIs(t, v.SetConsent(ctx, false), visitor.ErrPanicMode)
	assert.False(t, v.HasConsented())
	assert.Empty(t, e.tracker.Records())
}

func TestSendHit_RefusesSDKHits(t *testing.T) {
	tests := []struct {
		name string
		give hits.Hit
	}{
		{name: "activation", give: hits.Activation{VariationGroupID: "vg", VariationID: "v"}},
		{name: "consent", give: hits.Consent{Consented: true}},
		{name: "segment", give: &hits.Segment{Context: map[string]any{"a": "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := e.synced(t, "v1")
			require.ErrorIs(t, v.SendHit(context.Background(), tt.give), hits.ErrInvalidHit)
			e.tracker.mu.Lock()
			defer e.tracker.mu.Unlock()
			assert.Empty(t, e.tracker.records)
		})
	}
}

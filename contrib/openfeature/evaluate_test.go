package fsopenfeature_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// campaigns are those of the evaluation tests: a toggle with a flag of
// every JSON type, an A/B test with one variation at 100%, a
// personalisation for gold visitors and one targeting a date.
func campaigns() []bucketing.Campaign {
	toggle := flagshiptest.Toggle("feature", map[string]any{
		"enabled": true,
		"title":   "hello",
		"ratio":   0.25,
		"count":   4,
		"config":  map[string]any{"a": 1, "b": []any{"x"}},
		"list":    []any{"x", 2},
		"nothing": nil,
	})
	ab := flagshiptest.Campaign("exp", flagshiptest.Variation("exp-a", 100, map[string]any{"color": "green"}))
	ab.Name = "Button color"
	slug := "button-color"
	ab.Slug = &slug
	ab.VariationGroups[0].Name = "Everyone"
	ab.VariationGroups[0].Variations[0].Name = "Green"
	gold := flagshiptest.Toggle("gold", map[string]any{"discount": 10})
	gold.Type = "perso"
	gold.VariationGroups[0].Targeting = bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "plan", Operator: bucketing.OperatorEquals, Value: "gold"},
	}}}}
	early := flagshiptest.Toggle("early", map[string]any{"early": true})
	early.VariationGroups[0].Targeting = bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "since", Operator: bucketing.OperatorEquals, Value: "2024-05-01T12:00:00Z"},
	}}}}
	return []bucketing.Campaign{toggle, ab, gold, early}
}

// result is what an evaluation through the OpenFeature client gave.
type result struct {
	value any
	d     openfeature.EvaluationDetails
	err   error
}

type evalFunc func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result

func boolEval(flag string, def bool) evalFunc {
	return func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result {
		d, err := c.BooleanValueDetails(ctx, flag, def, ec)
		return result{d.Value, d.EvaluationDetails, err}
	}
}

func stringEval(flag, def string) evalFunc {
	return func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result {
		d, err := c.StringValueDetails(ctx, flag, def, ec)
		return result{d.Value, d.EvaluationDetails, err}
	}
}

func floatEval(flag string, def float64) evalFunc {
	return func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result {
		d, err := c.FloatValueDetails(ctx, flag, def, ec)
		return result{d.Value, d.EvaluationDetails, err}
	}
}

func intEval(flag string, def int64) evalFunc {
	return func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result {
		d, err := c.IntValueDetails(ctx, flag, def, ec)
		return result{d.Value, d.EvaluationDetails, err}
	}
}

func objectEval(flag string, def any) evalFunc {
	return func(ctx context.Context, c *openfeature.Client, ec openfeature.EvaluationContext) result {
		d, err := c.ObjectValueDetails(ctx, flag, def, ec)
		return result{d.Value, d.EvaluationDetails, err}
	}
}

func TestEvaluation(t *testing.T) {
	when := time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name        string
		giveEval    evalFunc
		giveCtx     openfeature.EvaluationContext
		giveGoCtx   context.Context // nil: the test's
		onlyIn      []flagship.Mode // nil: both
		wantValue   any
		wantReason  openfeature.Reason
		wantCode    openfeature.ErrorCode
		wantVariant string
		wantMessage string // a part of the error message
	}{
		{name: "boolean", giveEval: boolEval("enabled", false), giveCtx: userCtx("u1"),
			wantValue: true, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "string from an A/B test", giveEval: stringEval("color", "blue"), giveCtx: userCtx("u1"),
			wantValue: "green", wantReason: openfeature.SplitReason, wantVariant: "exp-a"},
		{name: "float", giveEval: floatEval("ratio", 1), giveCtx: userCtx("u1"),
			wantValue: 0.25, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "float of a whole number", giveEval: floatEval("count", 1), giveCtx: userCtx("u1"),
			wantValue: 4.0, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "int", giveEval: intEval("count", 1), giveCtx: userCtx("u1"),
			wantValue: int64(4), wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "object", giveEval: objectEval("config", nil), giveCtx: userCtx("u1"),
			wantValue: map[string]any{"a": 1.0, "b": []any{"x"}}, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "array as object", giveEval: objectEval("list", nil), giveCtx: userCtx("u1"),
			wantValue: []any{"x", 2.0}, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_feature"},
		{name: "targeted on the context", giveEval: intEval("discount", 0), giveCtx: userCtx("u1", "plan", "gold"),
			wantValue: int64(10), wantReason: openfeature.TargetingMatchReason, wantVariant: "var_gold"},
		{name: "time.Time as RFC 3339 in UTC", giveEval: boolEval("early", false), giveCtx: userCtx("u1", "since", when),
			wantValue: true, wantReason: openfeature.TargetingMatchReason, wantVariant: "var_early"},
		{name: "not targeted: default", giveEval: intEval("discount", 3), giveCtx: userCtx("u1", "plan", "silver"),
			wantValue: int64(3), wantReason: openfeature.DefaultReason},
		{name: "null value: default", giveEval: stringEval("nothing", "def"), giveCtx: userCtx("u1"),
			wantValue: "def", wantReason: openfeature.DefaultReason, wantVariant: "var_feature"},
		{name: "unknown flag in DECISION_API mode: default", giveEval: boolEval("nope", true), giveCtx: userCtx("u1"),
			onlyIn:    []flagship.Mode{flagship.DecisionAPI},
			wantValue: true, wantReason: openfeature.DefaultReason},
		{name: "unknown flag in BUCKETING mode: FLAG_NOT_FOUND", giveEval: boolEval("nope", true), giveCtx: userCtx("u1"),
			onlyIn:    []flagship.Mode{flagship.Bucketing},
			wantValue: true, wantReason: openfeature.ErrorReason, wantCode: openfeature.FlagNotFoundCode, wantMessage: `"nope"`},
		{name: "int of a fraction: TYPE_MISMATCH", giveEval: intEval("ratio", 7), giveCtx: userCtx("u1"),
			wantValue: int64(7), wantReason: openfeature.ErrorReason, wantCode: openfeature.TypeMismatchCode, wantVariant: "var_feature", wantMessage: "number"},
		{name: "string of a boolean: TYPE_MISMATCH", giveEval: stringEval("enabled", "d"), giveCtx: userCtx("u1"),
			wantValue: "d", wantReason: openfeature.ErrorReason, wantCode: openfeature.TypeMismatchCode, wantVariant: "var_feature", wantMessage: "boolean"},
		{name: "boolean of a string: TYPE_MISMATCH", giveEval: boolEval("title", true), giveCtx: userCtx("u1"),
			wantValue: true, wantReason: openfeature.ErrorReason, wantCode: openfeature.TypeMismatchCode, wantVariant: "var_feature"},
		{name: "object of a string: TYPE_MISMATCH", giveEval: objectEval("title", "def"), giveCtx: userCtx("u1"),
			wantValue: "def", wantReason: openfeature.ErrorReason, wantCode: openfeature.TypeMismatchCode, wantVariant: "var_feature", wantMessage: "string"},
		{name: "no targeting key", giveEval: boolEval("enabled", false), giveCtx: openfeature.NewTargetlessEvaluationContext(map[string]any{"plan": "gold"}),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.TargetingKeyMissingCode},
		{name: "targeting key not a string: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: openfeature.NewTargetlessEvaluationContext(map[string]any{"targetingKey": 42}),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: "targeting key"},
		{name: "targeting key too long: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: userCtx(strings.Repeat("x", 2000)),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: "targeting key"},
		{name: "slice attribute: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: userCtx("u1", "tags", []string{"a"}),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: `"tags"`},
		{name: "map attribute: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: userCtx("u1", "address", map[string]any{"city": "Paris"}),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: `"address"`},
		{name: "nil attribute: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: userCtx("u1", "plan", nil),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: `"plan"`},
		{name: "reserved attribute: INVALID_CONTEXT", giveEval: boolEval("enabled", false), giveCtx: userCtx("u1", "fs_client", "x"),
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.InvalidContextCode, wantMessage: `"fs_client"`},
		{name: "synchronize fails: GENERAL", giveEval: boolEval("enabled", false), giveCtx: userCtx("u-cancelled"), giveGoCtx: cancelled,
			wantValue: false, wantReason: openfeature.ErrorReason, wantCode: openfeature.GeneralCode, wantMessage: "canceled"},
	}
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.onlyIn != nil && tt.onlyIn[0] != mode {
					t.Skipf("not in %s mode", mode)
				}
				ctx := tt.giveGoCtx
				if ctx == nil {
					ctx = t.Context()
				}
				got := tt.giveEval(ctx, e.of, tt.giveCtx)
				assert.Equal(t, tt.wantValue, got.value)
				assert.Equal(t, tt.wantReason, got.d.Reason)
				assert.Equal(t, tt.wantCode, got.d.ErrorCode, got.d.ErrorMessage)
				assert.Equal(t, tt.wantVariant, got.d.Variant)
				assert.Contains(t, got.d.ErrorMessage, tt.wantMessage)
				assert.Equal(t, tt.wantCode != "", got.err != nil, "error %v", got.err)
			})
		}
	})
}

func TestFlagMetadata(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		d, err := e.of.StringValueDetails(t.Context(), "color", "blue", userCtx("u1"))
		require.NoError(t, err)
		assert.Equal(t, openfeature.FlagMetadata{
			"campaignId":         "exp",
			"campaignName":       "Button color",
			"campaignType":       "ab",
			"slug":               "button-color",
			"variationGroupId":   "vg_exp",
			"variationGroupName": "Everyone",
			"variationId":        "exp-a",
			"variationName":      "Green",
			"isReference":        false,
		}, d.FlagMetadata)

		// The names and the slug only when present.
		d, err = e.of.StringValueDetails(t.Context(), "title", "", userCtx("u1"))
		require.NoError(t, err)
		assert.Equal(t, openfeature.FlagMetadata{
			"campaignId":       "feature",
			"campaignType":     "toggle",
			"variationGroupId": "vg_feature",
			"variationId":      "var_feature",
			"isReference":      false,
		}, d.FlagMetadata)

		// Changing what a caller got changes nothing for the next.
		d.FlagMetadata["campaignId"] = "changed"
		d, err = e.of.StringValueDetails(t.Context(), "title", "", userCtx("u1"))
		require.NoError(t, err)
		assert.Equal(t, "feature", d.FlagMetadata["campaignId"])
	})
}

// TestObjectIsACopy checks that a caller changing an object flag's value
// changes nothing for the next evaluation.
func TestObjectIsACopy(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		v, err := e.of.ObjectValue(t.Context(), "config", nil, userCtx("u1"))
		require.NoError(t, err)
		v.(map[string]any)["a"] = "changed"
		v.(map[string]any)["b"].([]any)[0] = "changed"
		v, err = e.of.ObjectValue(t.Context(), "config", nil, userCtx("u1"))
		require.NoError(t, err)
		assert.Equal(t, map[string]any{"a": 1.0, "b": []any{"x"}}, v)
	})
}

func TestPanicModeDisabled(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		v, err := e.of.BooleanValue(t.Context(), "enabled", false, userCtx("u1"))
		require.NoError(t, err)
		require.True(t, v)

		e.srv.SetPanic(true)
		// BUCKETING mode learns it from the next file, DECISION_API mode
		// from the next decision: a context not seen yet makes one.
		require.Eventually(t, func() bool {
			return e.of.Boolean(t.Context(), "enabled", false, userCtx("u-panic")) == false
		}, 10*time.Second, 20*time.Millisecond)
		d, err := e.of.BooleanValueDetails(t.Context(), "enabled", false, userCtx("u1"))
		require.NoError(t, err)
		assert.False(t, d.Value)
		assert.Equal(t, openfeature.DisabledReason, d.Reason)
		assert.Empty(t, d.Variant)

		e.srv.SetPanic(false)
		require.Eventually(t, func() bool {
			return e.of.Boolean(t.Context(), "enabled", false, userCtx("u-after")) == true
		}, 10*time.Second, 20*time.Millisecond)
		d, err = e.of.BooleanValueDetails(t.Context(), "enabled", false, userCtx("u1"))
		require.NoError(t, err)
		assert.True(t, d.Value)
		assert.Equal(t, openfeature.TargetingMatchReason, d.Reason)
	})
}

// TestDecisionAPIFailures checks that a Decision API answer that is not a
// campaigns document is a PARSE_ERROR, and another failure GENERAL.
func TestDecisionAPIFailures(t *testing.T) {
	tests := []struct {
		name      string
		giveFault flagshiptest.Fault
		wantCode  openfeature.ErrorCode
	}{
		{name: "malformed body", giveFault: flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 200, Body: `{"visitorId":"u1","campaigns":"none"}`}, wantCode: openfeature.ParseErrorCode},
		{name: "not JSON", giveFault: flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 200, Body: `<html>`}, wantCode: openfeature.ParseErrorCode},
		{name: "server error", giveFault: flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 503}, wantCode: openfeature.GeneralCode},
		{name: "dropped connection", giveFault: flagshiptest.Fault{Route: flagshiptest.RouteDecision, Drop: true}, wantCode: openfeature.GeneralCode},
	}
	e := newEnv(t, flagship.DecisionAPI, fsopenfeature.Options{}, campaigns()...)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.srv.FailNext(1, tt.giveFault)
			ec := userCtx("u-fail-" + string(rune('a'+i)))
			d, err := e.of.BooleanValueDetails(t.Context(), "enabled", false, ec)
			require.Error(t, err)
			assert.False(t, d.Value)
			assert.Equal(t, openfeature.ErrorReason, d.Reason)
			assert.Equal(t, tt.wantCode, d.ErrorCode, d.ErrorMessage)
			// A failure is not cached: the next evaluation decides again.
			d, err = e.of.BooleanValueDetails(t.Context(), "enabled", false, ec)
			require.NoError(t, err)
			assert.True(t, d.Value)
		})
	}
}

// TestProviderNotReady checks that while a BUCKETING client has no file,
// Init fails (PROVIDER_ERROR with the download's error), evaluations
// answer PROVIDER_NOT_READY, and the provider emits PROVIDER_READY when
// the file arrives.
func TestProviderNotReady(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(campaigns()...))
	// A client whose New gave up at once (a cancelled ctx) while the
	// first download failed with a 503, so that the 401s come after New
	// returned (a 401 New sees fails it): the client keeps trying.
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 503})
	srv.FailNext(1_000_000, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 401})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "api-key", append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithLogger(quietLogger()))...)
	require.ErrorIs(t, err, flagship.ErrNotReady)
	t.Cleanup(func() { _ = c.Close(context.Background()) })

	api, events := newAPI(t)
	initCtx, cancelInit := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancelInit()
	err = api.SetProviderAndWait(initCtx, fsopenfeature.New(c, fsopenfeature.Options{}))
	require.Error(t, err)
	ev, n := events.waitFor(t, 0, "PROVIDER_ERROR", isType(openfeature.ProviderError))
	assert.Contains(t, ev.Details.Message, "401")
	of := api.NewClient()
	assert.Equal(t, openfeature.ErrorState, of.State())

	d, err := of.BooleanValueDetails(t.Context(), "enabled", false, userCtx("u1"))
	require.Error(t, err)
	assert.Equal(t, openfeature.ProviderNotReadyCode, d.ErrorCode)
	assert.Equal(t, openfeature.ErrorReason, d.Reason)

	srv.Reset() // no more faults: the next download works
	events.waitFor(t, n, "PROVIDER_READY", isType(openfeature.ProviderReady))
	assert.Equal(t, openfeature.ReadyState, of.State())
	d, err = of.BooleanValueDetails(t.Context(), "enabled", false, userCtx("u1"))
	require.NoError(t, err)
	assert.True(t, d.Value)
}

// TestClientClosedUnderProvider checks that closing the user's client
// under the provider makes evaluations fail with GENERAL and the
// provider fatal.
func TestClientClosedUnderProvider(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		require.NoError(t, e.client.Close(t.Context()))
		d := e.provider.BooleanEvaluation(t.Context(), "enabled", false, openfeature.FlattenedContext{openfeature.TargetingKey: "u-new"})
		assert.False(t, d.Value)
		assert.Equal(t, openfeature.ErrorReason, d.Reason)
		assert.Equal(t, openfeature.ResolutionDetail{Reason: openfeature.ErrorReason, ErrorCode: openfeature.GeneralCode, ErrorMessage: d.ResolutionDetail().ErrorMessage, FlagMetadata: openfeature.FlagMetadata{}}, d.ResolutionDetail())
		ev, _ := e.events.waitFor(t, 0, "PROVIDER_ERROR", isType(openfeature.ProviderError))
		assert.Contains(t, ev.Details.Message, "closed")
		require.Eventually(t, func() bool { return e.of.State() == openfeature.FatalState }, 5*time.Second, 5*time.Millisecond)
	})
}

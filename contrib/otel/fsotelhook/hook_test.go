package fsotelhook_test

import (
	"context"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/contrib/otel/fsotelhook"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const targetingKey = "visitor-4242"

// evaluate evaluates through a client of an in-memory provider with a
// Hook of o, inside a span, and returns the span's events.
func evaluate(t *testing.T, o fsotelhook.Options, eval func(ctx context.Context, c *openfeature.Client)) []sdktrace.Event {
	t.Helper()
	ctx := context.Background()
	api := isolated.NewAPI()
	t.Cleanup(func() { require.NoError(t, api.Shutdown(context.Background())) })
	require.NoError(t, api.SetProviderAndWait(ctx, memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{
		"btn-color": {
			Key: "btn-color", State: memprovider.Enabled, DefaultVariant: "green",
			Variants: map[string]any{"green": "#00ff00", "blue": "#0000ff"},
		},
		"old-flag": {
			Key: "old-flag", State: memprovider.Disabled, DefaultVariant: "on",
			Variants: map[string]any{"on": true},
		},
	})))
	api.AddHooks(fsotelhook.New(o))
	client := api.NewClient()

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(context.Background())) })
	ctx, span := tp.Tracer("test").Start(ctx, "request")
	eval(ctx, client)
	span.End()
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	return spans[0].Events
}

// attrs returns an event's attributes as a map.
func attrs(e sdktrace.Event) map[string]any {
	m := map[string]any{}
	for _, kv := range e.Attributes {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

var evalCtx = openfeature.NewEvaluationContext(targetingKey, map[string]any{"plan": "gold"})

func TestEvaluationEvent(t *testing.T) {
	events := evaluate(t, fsotelhook.Options{}, func(ctx context.Context, c *openfeature.Client) {
		assert.Equal(t, "#00ff00", c.String(ctx, "btn-color", "#000000", evalCtx))
	})
	require.Len(t, events, 1)
	assert.Equal(t, "feature_flag.evaluation", events[0].Name)
	assert.Equal(t, map[string]any{
		"feature_flag.key":            "btn-color",
		"feature_flag.provider.name":  "InMemoryProvider",
		"feature_flag.result.reason":  "static",
		"feature_flag.result.variant": "green",
	}, attrs(events[0]), "no context id, no value by default")
}

func TestOptionalAttributes(t *testing.T) {
	events := evaluate(t, fsotelhook.Options{ContextID: true, Value: true, ErrorMessage: true}, func(ctx context.Context, c *openfeature.Client) {
		c.String(ctx, "btn-color", "#000000", evalCtx)
		c.Boolean(ctx, "missing", true, evalCtx)
	})
	require.Len(t, events, 2)
	a := attrs(events[0])
	assert.Equal(t, targetingKey, a["feature_flag.context.id"])
	assert.Equal(t, "#00ff00", a["feature_flag.result.value"])
	b := attrs(events[1])
	assert.Equal(t, "flag_not_found", b["error.type"])
	assert.NotEmpty(t, b["feature_flag.error.message"])
	assert.Equal(t, true, b["feature_flag.result.value"], "the default served")
}

func TestErrors(t *testing.T) {
	events := evaluate(t, fsotelhook.Options{}, func(ctx context.Context, c *openfeature.Client) {
		c.Boolean(ctx, "missing", false, evalCtx)
		c.Int(ctx, "btn-color", 3, evalCtx) // a string flag read as an int
		c.Boolean(ctx, "old-flag", false, evalCtx)
	})
	require.Len(t, events, 3)
	missing := attrs(events[0])
	assert.Equal(t, "error", missing["feature_flag.result.reason"])
	assert.Equal(t, "flag_not_found", missing["error.type"])
	assert.NotContains(t, missing, "feature_flag.error.message", "opt-in")
	assert.Equal(t, "type_mismatch", attrs(events[1])["error.type"])
	disabled := attrs(events[2])
	assert.Equal(t, "disabled", disabled["feature_flag.result.reason"])
	assert.NotContains(t, disabled, "error.type")
	for _, e := range events {
		for _, kv := range e.Attributes {
			assert.NotContains(t, kv.Value.String(), targetingKey, "no visitor id unless asked for")
		}
	}
}

// TestWithoutSpan: without a recording span in ctx the hook does nothing.
func TestWithoutSpan(t *testing.T) {
	ctx := context.Background()
	api := isolated.NewAPI()
	t.Cleanup(func() { require.NoError(t, api.Shutdown(context.Background())) })
	require.NoError(t, api.SetProviderAndWait(ctx, memprovider.NewInMemoryProvider(nil)))
	api.AddHooks(fsotelhook.New(fsotelhook.Options{}))
	assert.True(t, api.NewClient().Boolean(ctx, "missing", true, evalCtx))
}

// TestObjectValue: a value that is not a scalar is recorded as JSON.
func TestObjectValue(t *testing.T) {
	h := fsotelhook.New(fsotelhook.Options{Value: true})
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { require.NoError(t, tp.Shutdown(context.Background())) })
	ctx, span := tp.Tracer("test").Start(context.Background(), "request")
	hc := openfeature.NewHookContext("menu", openfeature.Object, nil, openfeature.NewClientMetadata("c"),
		openfeature.Metadata{Name: "flagship"}, evalCtx)
	d := openfeature.InterfaceEvaluationDetails{Value: map[string]any{"order": []any{"deals", "home"}}}
	d.Reason = openfeature.TargetingMatchReason
	d.FlagMetadata = openfeature.FlagMetadata{"flagSetId": "campaign-1", "version": "7"}
	h.Finally(ctx, hc, d, openfeature.HookHints{})
	span.End()
	events := exp.GetSpans()[0].Events
	require.Len(t, events, 1)
	a := attrs(events[0])
	assert.Equal(t, `{"order":["deals","home"]}`, a["feature_flag.result.value"])
	assert.Equal(t, "targeting_match", a["feature_flag.result.reason"])
	assert.Equal(t, "flagship", a["feature_flag.provider.name"])
	assert.Equal(t, "campaign-1", a["feature_flag.set.id"])
	assert.Equal(t, "7", a["feature_flag.version"])
}

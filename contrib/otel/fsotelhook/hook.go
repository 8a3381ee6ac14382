package fsotelhook

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/open-feature/go-sdk/openfeature"
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// EventName is the name of the span event of each evaluation.
const EventName = "feature_flag.evaluation"

// Flag metadata keys OpenFeature defines for the flag set and the
// version.
const (
	metaFlagSetID = "flagSetId"
	metaVersion   = "version"
)

// Options says which optional attributes a [Hook] records. The zero value
// records none of them: only attributes free of personal data.
type Options struct {
	// ContextID records feature_flag.context.id, the evaluation
	// context's targeting key: usually a visitor or user id, which is
	// personal data in most jurisdictions.
	ContextID bool
	// Value records feature_flag.result.value, the value evaluated
	// (booleans, numbers and strings as they are, other values as JSON),
	// which may be personal or large. The semantic conventions prefer
	// the variant.
	Value bool
	// ErrorMessage records feature_flag.error.message, the provider's
	// message on error, which may quote the evaluation context.
	ErrorMessage bool
}

// Hook adds a feature_flag.evaluation event to the span of each
// evaluation's context. It implements [openfeature.Hook]; register it
// with openfeature.AddHooks, a client's AddHooks, or per evaluation.
//
// A Hook is safe for concurrent use.
type Hook struct {
	openfeature.UnimplementedHook
	o Options
}

var _ openfeature.Hook = (*Hook)(nil)

// New returns a Hook recording the optional attributes o asks for.
func New(o Options) *Hook {
	return &Hook{o: o}
}

// Finally implements [openfeature.Hook]: it adds the event, on success
// and on error alike.
func (h *Hook) Finally(ctx context.Context, hc openfeature.HookContext, d openfeature.InterfaceEvaluationDetails, _ openfeature.HookHints) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	span.AddEvent(EventName, trace.WithAttributes(h.attributes(hc, d)...))
}

// attributes returns the event's attributes.
func (h *Hook) attributes(hc openfeature.HookContext, d openfeature.InterfaceEvaluationDetails) []attribute.KeyValue {
	kv := make([]attribute.KeyValue, 0, 9)
	kv = append(kv, semconv.FeatureFlagKey(hc.FlagKey()))
	if name := hc.ProviderMetadata().Name; name != "" {
		kv = append(kv, semconv.FeatureFlagProviderName(name))
	}
	reason := strings.ToLower(string(d.Reason))
	if reason == "" {
		reason = strings.ToLower(string(openfeature.UnknownReason))
	}
	kv = append(kv, semconv.FeatureFlagResultReasonKey.String(reason))
	if d.Variant != "" {
		kv = append(kv, semconv.FeatureFlagResultVariant(d.Variant))
	}
	if s, ok := d.FlagMetadata[metaFlagSetID].(string); ok && s != "" {
		kv = append(kv, semconv.FeatureFlagSetID(s))
	}
	if s, ok := d.FlagMetadata[metaVersion].(string); ok && s != "" {
		kv = append(kv, semconv.FeatureFlagVersion(s))
	}
	if h.o.ContextID {
		if id := hc.EvaluationContext().TargetingKey(); id != "" {
			kv = append(kv, semconv.FeatureFlagContextID(id))
		}
	}
	if h.o.Value {
		if v, ok := valueAttribute(d.Value); ok {
			kv = append(kv, v)
		}
	}
	if d.Reason == openfeature.ErrorReason || d.ErrorCode != "" {
		code := strings.ToLower(string(d.ErrorCode))
		if code == "" {
			code = strings.ToLower(string(openfeature.GeneralCode))
		}
		kv = append(kv, semconv.ErrorTypeKey.String(code))
		if h.o.ErrorMessage && d.ErrorMessage != "" {
			kv = append(kv, semconv.FeatureFlagErrorMessage(d.ErrorMessage))
		}
	}
	return kv
}

// valueAttribute returns feature_flag.result.value for v.
func valueAttribute(v any) (attribute.KeyValue, bool) {
	k := semconv.FeatureFlagResultValueKey
	switch v := v.(type) {
	case nil:
		return attribute.KeyValue{}, false
	case bool:
		return k.Bool(v), true
	case string:
		return k.String(v), true
	case int64:
		return k.Int64(v), true
	case int:
		return k.Int(v), true
	case float64:
		return k.Float64(v), true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return attribute.KeyValue{}, false
	}
	return k.String(string(b)), true
}

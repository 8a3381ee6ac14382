package fsotel

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Options configures an [Observer]. The zero value is valid: the global
// providers, no extra attribute.
type Options struct {
	// MeterProvider provides the meter of every metric. nil means
	// otel.GetMeterProvider(), the global provider, as it is when New is
	// called (a global set later is used too: the default global
	// delegates to it). A metric noop provider turns metrics off.
	MeterProvider metric.MeterProvider
	// TracerProvider provides the tracer of every span. nil means
	// otel.GetTracerProvider(), as for MeterProvider. A trace noop
	// provider turns spans off.
	TracerProvider trace.TracerProvider
	// Attributes are added to every metric point and every span, for
	// example to tell apart two clients of one environment
	// (attribute.String("flagship.client", "checkout")). Their keys must
	// be valid and must not be one of the attributes the Observer sets
	// (flagship.env_id, flagship.sink...): New refuses them. Keep their
	// values few: each is a time series.
	Attributes []attribute.KeyValue
	// LocalDecisionSampling is how many BUCKETING-mode decisions, in
	// the mean, flagship.decision.duration records one of, chosen at
	// random: a local decision takes about a microsecond, and recording a
	// histogram point costs a fifth of that, which would break the
	// Observer's overhead budget on the request path (see the package
	// documentation's Overhead). flagship.decisions still counts every
	// decision and flagship.synchronize.failures every failure. 0 means
	// DefaultLocalDecisionSampling; 1 records every decision; negative
	// or above 1,000,000 is refused. Decision API calls are always
	// recorded, with their span.
	LocalDecisionSampling int
}

// DefaultLocalDecisionSampling is the LocalDecisionSampling of a zero
// Options: one local decision in 32 has its duration recorded.
const DefaultLocalDecisionSampling = 32

// maxSampling bounds Options.LocalDecisionSampling.
const maxSampling = 1_000_000

func (o Options) meterProvider() metric.MeterProvider {
	if o.MeterProvider != nil {
		return o.MeterProvider
	}
	return otel.GetMeterProvider()
}

func (o Options) tracerProvider() trace.TracerProvider {
	if o.TracerProvider != nil {
		return o.TracerProvider
	}
	return otel.GetTracerProvider()
}

// validate checks Attributes and returns a copy of them.
func (o Options) attributes() ([]attribute.KeyValue, error) {
	var problems []string
	seen := map[attribute.Key]bool{}
	for i, kv := range o.Attributes {
		switch {
		case !kv.Valid():
			problems = append(problems, fmt.Sprintf("Attributes[%d]: invalid (empty key or value)", i))
		case reserved(kv.Key):
			problems = append(problems, fmt.Sprintf("Attributes[%d]: %q is set by the Observer", i, kv.Key))
		case seen[kv.Key]:
			problems = append(problems, fmt.Sprintf("Attributes[%d]: %q given twice", i, kv.Key))
		}
		seen[kv.Key] = true
	}
	if o.LocalDecisionSampling < 0 || o.LocalDecisionSampling > maxSampling {
		problems = append(problems, fmt.Sprintf("LocalDecisionSampling %d: want 0 to %d", o.LocalDecisionSampling, maxSampling))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrInvalidOptions, strings.Join(problems, "; "))
	}
	return append([]attribute.KeyValue(nil), o.Attributes...), nil
}

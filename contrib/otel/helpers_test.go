package fsotel_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// testTimeout bounds what a test waits for: far above what it needs.
const testTimeout = 30 * time.Second

// telemetry is an Observer on a manual metric reader and an in-memory
// span exporter that samples every span.
type telemetry struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
	obs    *fsotel.Observer
}

func newTelemetry(t testing.TB, o fsotel.Options) *telemetry {
	t.Helper()
	tm := &telemetry{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tm.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tm.spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() {
		require.NoError(t, mp.Shutdown(context.Background()))
		require.NoError(t, tp.Shutdown(context.Background()))
	})
	o.MeterProvider, o.TracerProvider = mp, tp
	obs, err := fsotel.New(o)
	require.NoError(t, err)
	tm.obs = obs
	return tm
}

// collect reads every metric now.
func (tm *telemetry) collect(t testing.TB) metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	m := metrics{}
	for _, sm := range rm.ScopeMetrics {
		require.Equal(t, fsotel.ScopeName, sm.Scope.Name)
		for _, x := range sm.Metrics {
			m[x.Name] = x
		}
	}
	return m
}

// spansNamed returns the spans ended so far with that name.
func (tm *telemetry) spansNamed(name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range tm.spans.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// metrics are the metrics of one collection, by name.
type metrics map[string]metricdata.Metrics

// has reports whether set holds every attribute of want.
func has(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		if v, ok := set.Value(kv.Key); !ok || v != kv.Value {
			return false
		}
	}
	return true
}

// intSum returns the sum of the points of the Int64 counter or up-down
// counter name whose attributes include attrs, and whether any matched.
func (m metrics) intSum(t testing.TB, name string, attrs ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	x, ok := m[name]
	if !ok {
		return 0, false
	}
	data, ok := x.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	var sum int64
	found := false
	for _, p := range data.DataPoints {
		if has(p.Attributes, attrs) {
			sum += p.Value
			found = true
		}
	}
	return sum, found
}

// count is intSum, 0 when nothing matched.
func (m metrics) count(t testing.TB, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	n, _ := m.intSum(t, name, attrs...)
	return n
}

// intGauge returns the value of the one point of the Int64 gauge name
// whose attributes include attrs, and whether there is one.
func (m metrics) intGauge(t testing.TB, name string, attrs ...attribute.KeyValue) (int64, bool) {
	t.Helper()
	x, ok := m[name]
	if !ok {
		return 0, false
	}
	data, ok := x.Data.(metricdata.Gauge[int64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	var out []int64
	for _, p := range data.DataPoints {
		if has(p.Attributes, attrs) {
			out = append(out, p.Value)
		}
	}
	if len(out) == 0 {
		return 0, false
	}
	require.Len(t, out, 1, "%s %v: one point", name, attrs)
	return out[0], true
}

// floatGauge is intGauge for a Float64 gauge.
func (m metrics) floatGauge(t testing.TB, name string, attrs ...attribute.KeyValue) (float64, bool) {
	t.Helper()
	x, ok := m[name]
	if !ok {
		return 0, false
	}
	data, ok := x.Data.(metricdata.Gauge[float64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	var out []float64
	for _, p := range data.DataPoints {
		if has(p.Attributes, attrs) {
			out = append(out, p.Value)
		}
	}
	if len(out) == 0 {
		return 0, false
	}
	require.Len(t, out, 1, "%s %v: one point", name, attrs)
	return out[0], true
}

// histCount returns the number of measurements of the Float64 histogram
// name whose attributes include attrs.
func (m metrics) histCount(t testing.TB, name string, attrs ...attribute.KeyValue) uint64 {
	t.Helper()
	x, ok := m[name]
	if !ok {
		return 0
	}
	data, ok := x.Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a %T", name, x.Data)
	var n uint64
	for _, p := range data.DataPoints {
		if has(p.Attributes, attrs) {
			n += p.Count
		}
	}
	return n
}

// attributeSets returns every attribute set of every point.
func (m metrics) attributeSets() []attribute.Set {
	var out []attribute.Set
	for _, x := range m {
		switch d := x.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				out = append(out, p.Attributes)
			}
		case metricdata.Gauge[int64]:
			for _, p := range d.DataPoints {
				out = append(out, p.Attributes)
			}
		case metricdata.Gauge[float64]:
			for _, p := range d.DataPoints {
				out = append(out, p.Attributes)
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				out = append(out, p.Attributes)
			}
		}
	}
	return out
}

// spanStrings returns every string a span shows: its name, status
// description, attributes and events' attributes, as "key=value".
func spanStrings(s tracetest.SpanStub) []string {
	out := []string{s.Name, s.Status.Description}
	kvs := append([]attribute.KeyValue(nil), s.Attributes...)
	for _, e := range s.Events {
		out = append(out, e.Name)
		kvs = append(kvs, e.Attributes...)
	}
	for _, kv := range kvs {
		out = append(out, string(kv.Key)+"="+kv.Value.String())
	}
	return out
}

// attr returns the value of key among kvs.
func attr(kvs []attribute.KeyValue, key attribute.Key) (attribute.Value, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// containsAny reports the first of needles found in s.
func containsAny(s string, needles ...string) (string, bool) {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return n, true
		}
	}
	return "", false
}

// newClient starts a client on srv with the observer and closes it at
// the end of the test (if the test did not).
func newClient(t testing.TB, srv *flagshiptest.Server, apiKey string, obs flagship.Observer, opts ...flagship.Option) *flagship.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	all := append(srv.Options(), flagship.WithObserver(obs), flagship.WithLogger(slog.New(slog.DiscardHandler)))
	c, err := flagship.New(ctx, srv.EnvID(), apiKey, append(all, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		require.NoError(t, c.Close(ctx))
	})
	return c
}

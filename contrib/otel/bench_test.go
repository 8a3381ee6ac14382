package fsotel_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/seed27eed597/flagship-go/bucketing"
	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The overhead benchmarks compare the same call on three clients with
// the same options: without an Observer, with an Observer that does
// nothing (the core's hook alone), and with an fsotel.Observer on real
// SDK providers (a MeterProvider with a manual reader, a TracerProvider
// sampling every span into a batch processor whose exporter discards
// them). The machine's noise drifts over seconds, so the sides are
// interleaved within each run: every iteration makes a chunk of calls on
// each client in turn, timed per side, and the benchmark reports each
// side's time per call (ns/call-without, ns/call-nop, ns/call-with), the
// ratio with/without, and each side's allocations per call:
//
//	go test -run '^$' -bench Overhead -count 5 .
//
// (ns/op is the time of one iteration: a chunk on every side.)

// side is one of the clients an overhead benchmark compares.
type side struct {
	name string
	call func() error // one call on the side's client
}

// overhead runs the interleaved comparison of sides, chunk calls per side
// and iteration.
func overhead(b *testing.B, chunk int, sides []side) {
	b.Helper()
	elapsed := make([]time.Duration, len(sides))
	calls := 0
	b.ResetTimer()
	for b.Loop() {
		for i, s := range sides {
			start := time.Now()
			for range chunk {
				if err := s.call(); err != nil {
					b.Fatal(err)
				}
			}
			elapsed[i] += time.Since(start)
		}
		calls += chunk
	}
	b.StopTimer()
	per := make([]float64, len(sides))
	for i, s := range sides {
		per[i] = float64(elapsed[i].Nanoseconds()) / float64(calls)
		b.ReportMetric(per[i], "ns/call-"+s.name)
		b.ReportMetric(testing.AllocsPerRun(100, func() { _ = s.call() }), "allocs/call-"+s.name)
	}
	for i, s := range sides[1:] {
		b.ReportMetric(per[i+1]/per[0], s.name+"/without")
	}
}

// benchObserver returns an Observer on real providers with o, shut down
// at the end of the benchmark.
func benchObserver(b *testing.B, o fsotel.Options) *fsotel.Observer {
	b.Helper()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	b.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	o.MeterProvider, o.TracerProvider = mp, tp
	obs, err := fsotel.New(o)
	require.NoError(b, err)
	return obs
}

// discard is a span exporter that drops the spans.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// nopObserver is an Observer that does nothing, at the least cost: it
// measures what the core's hook costs by itself.
type nopObserver struct{}

func (nopObserver) Attach(*flagship.Client) func() { return nil }
func (nopObserver) StartOp(ctx context.Context, _ flagship.Op) (context.Context, func(flagship.OpResult)) {
	return ctx, nopEnd
}
func (nopObserver) OnNotification(context.Context, flagship.Notification) {}

func nopEnd(flagship.OpResult) {}

// benchClient is a client of one side of an overhead benchmark.
type benchClient struct {
	name string
	c    *flagship.Client
}

// benchClients starts clients on srv with opts: without an Observer
// ("without", first), with nopObserver ("nop"), with an fsotel.Observer
// with its defaults ("with": one local decision in
// DefaultLocalDecisionSampling measured), and, if every, with an
// fsotel.Observer measuring every local decision ("every").
func benchClients(b *testing.B, srv *flagshiptest.Server, every bool, opts ...flagship.Option) []benchClient {
	b.Helper()
	start := func(o ...flagship.Option) *flagship.Client {
		all := append(append(append(srv.Options(), flagship.WithLogger(slog.New(slog.DiscardHandler))), opts...), o...)
		c, err := flagship.New(context.Background(), srv.EnvID(), "api-key", all...)
		require.NoError(b, err)
		b.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	out := []benchClient{
		{"without", start()},
		{"nop", start(flagship.WithObserver(nopObserver{}))},
		{"with", start(flagship.WithObserver(benchObserver(b, fsotel.Options{})))},
	}
	out = append(out, benchClient{"without2", start()})
	if every {
		out = append(out, benchClient{"every", start(flagship.WithObserver(benchObserver(b, fsotel.Options{LocalDecisionSampling: 1})))})
	}
	return out
}

// BenchmarkOverheadSynchronize: Synchronize in BUCKETING mode, the
// request path, against a file of 10 campaigns. The same visitor
// synchronizes again and again, as a returning visitor does on each
// request: its assignments come from the in-memory cache and its
// unchanged context is not sent again, so the decision is the cheapest
// it can be and the Observer's share of it the largest (a new visitor
// adds a store read and the hits Synchronize owes, which the Observer
// only counts).
func BenchmarkOverheadSynchronize(b *testing.B) {
	srv := flagshiptest.NewServer(b, flagshiptest.WithCampaigns(benchCampaigns()...))
	ctx := context.Background()
	var sides []side
	for _, s := range benchClients(b, srv, true, flagship.WithMode(flagship.Bucketing)) {
		v, err := s.c.NewVisitor("visitor-4242", visitor.Attributes{"plan": "gold", "country": "FR"})
		require.NoError(b, err)
		require.NoError(b, v.Synchronize(ctx))
		sides = append(sides, side{name: s.name, call: func() error { return v.Synchronize(ctx) }})
	}
	overhead(b, 100, sides)
}

// BenchmarkOverheadSendHit: a durable enqueue (SendHit returns once the
// record is fsynced to the queue file, in a temporary directory),
// delivered in the background to the local server.
func BenchmarkOverheadSendHit(b *testing.B) {
	srv := flagshiptest.NewServer(b)
	ctx := context.Background()
	hit := hits.Event{Category: hits.ActionTracking, Action: "checkout"}
	var sides []side
	for _, s := range benchClients(b, srv, false) {
		v, err := s.c.NewVisitor("visitor-4242", nil)
		require.NoError(b, err)
		sides = append(sides, side{name: s.name, call: func() error { return v.SendHit(ctx, hit) }})
	}
	overhead(b, 4, sides)
}

// benchCampaigns are 10 A/B tests targeting every visitor.
func benchCampaigns() []bucketing.Campaign {
	out := make([]bucketing.Campaign, 10)
	for i := range out {
		id := "c" + strconv.Itoa(i)
		out[i] = flagshiptest.Campaign(id,
			flagshiptest.Variation(id+"-a", 50, map[string]any{"flag" + strconv.Itoa(i): "a"}),
			flagshiptest.Variation(id+"-b", 50, map[string]any{"flag" + strconv.Itoa(i): "b"}))
	}
	return out
}

// BenchmarkSDKRecord measures what one measurement costs in the
// OpenTelemetry SDK by itself, with an attribute set built in advance:
// the floor of what an Observer adds to each operation it records.
func BenchmarkSDKRecord(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	h, err := mp.Meter("bench").Float64Histogram("h")
	require.NoError(b, err)
	ctx := context.Background()
	for _, kv := range [][]attribute.KeyValue{
		{attribute.String("flagship.env_id", "env")},
		{attribute.String("flagship.env_id", "env"), attribute.String("flagship.mode", "BUCKETING")},
	} {
		b.Run("attributes="+strconv.Itoa(len(kv)), func(b *testing.B) {
			opts := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
			b.ReportAllocs()
			for b.Loop() {
				h.Record(ctx, 1e-6, opts...)
			}
		})
	}
}

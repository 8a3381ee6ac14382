package fsotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestNewRefusesInvalidAttributes(t *testing.T) {
	for _, attrs := range [][]attribute.KeyValue{
		{attribute.String("", "x")},
		{attribute.String("flagship.env_id", "mine")},
		{attribute.String("error.type", "x")},
		{attribute.String("team", "a"), attribute.String("team", "b")},
	} {
		_, err := fsotel.New(fsotel.Options{Attributes: attrs})
		assert.ErrorIs(t, err, fsotel.ErrInvalidOptions, "%v", attrs)
	}
	obs, err := fsotel.New(fsotel.Options{Attributes: []attribute.KeyValue{attribute.String("team", "a")}})
	require.NoError(t, err)
	assert.NotNil(t, obs)
}

// TestZeroOptions: the zero Options use the global providers (no-ops
// here): a client works with it.
func TestZeroOptions(t *testing.T) {
	obs, err := fsotel.New(fsotel.Options{})
	require.NoError(t, err)
	srv := flagshiptest.NewServer(t)
	c := newClient(t, srv, apiKey, obs, flagship.WithMode(flagship.Bucketing))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/"}))
	require.NoError(t, c.Flush(t.Context()))
}

// TestNoopProviders: an Observer on no-op providers costs nothing and
// breaks nothing.
func TestNoopProviders(t *testing.T) {
	obs, err := fsotel.New(fsotel.Options{MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()})
	require.NoError(t, err)
	srv := flagshiptest.NewServer(t)
	c := newClient(t, srv, apiKey, obs)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
}

// TestLocalOpsAllocateNothing: a BUCKETING-mode decision and an enqueue
// are measured without an allocation (StartOp returns functions bound in
// advance, the attribute sets are built once).
func TestLocalOpsAllocateNothing(t *testing.T) {
	tm := newTelemetry(t, fsotel.Options{LocalDecisionSampling: 1})
	ctx := context.Background()
	for _, op := range []flagship.Op{
		{Kind: flagship.OpDecide, EnvID: "env", Mode: flagship.Bucketing},
		{Kind: flagship.OpEnqueue, EnvID: "env", Mode: flagship.Bucketing, Record: hits.KindHit},
		{Kind: flagship.OpEnqueue, EnvID: "env", Mode: flagship.DecisionAPI, Record: hits.KindActivation, Async: true},
	} {
		run := func() {
			octx, done := tm.obs.StartOp(ctx, op)
			if octx != ctx {
				t.Fatal("StartOp changed ctx")
			}
			done(flagship.OpResult{Op: op, Duration: time.Microsecond})
		}
		run() // builds the environment's attribute sets (AllocsPerRun runs once more, then 100 times)
		assert.Zero(t, testing.AllocsPerRun(100, run), "%s", op.Kind)
	}
	m := tm.collect(t)
	assert.EqualValues(t, 102, m.histCount(t, "flagship.decision.duration", attribute.String("flagship.mode", "BUCKETING")))
	assert.EqualValues(t, 102, m.count(t, "flagship.queue.enqueued.records", attribute.String("flagship.record.kind", "hit")))
	assert.EqualValues(t, 102, m.histCount(t, "flagship.queue.enqueue.duration",
		attribute.String("flagship.record.kind", "activation"), attribute.Bool("flagship.queue.async", true)))
	assert.Empty(t, tm.spans.GetSpans())
}

// TestSeveralEnvironments: one Observer serves clients of two
// environments; each one's metrics carry its environment id, its
// notifications included.
func TestSeveralEnvironments(t *testing.T) {
	tm := newTelemetry(t, fsotel.Options{})
	ctx := t.Context()
	clients := map[string]*flagship.Client{}
	for _, env := range []string{"env-a", "env-b"} {
		h, err := flagshiptest.NewHandler(env)
		require.NoError(t, err)
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		c, err := flagship.New(ctx, env, apiKey, append(flagshiptest.ClientOptions(hs.URL, t.TempDir()), flagship.WithObserver(tm.obs))...)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
		clients[env] = c
	}
	sent := map[string]int{"env-a": 2, "env-b": 3}
	for env, n := range sent {
		v, err := clients[env].NewVisitor("v1", nil)
		require.NoError(t, err)
		for range n {
			require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://shop.example/"}))
		}
		require.NoError(t, clients[env].Flush(ctx))
	}
	m := tm.collect(t)
	for env, n := range sent {
		e := attribute.String("flagship.env_id", env)
		assert.EqualValues(t, n, m.count(t, "flagship.queue.enqueued.records", e))
		assert.EqualValues(t, n, m.count(t, "flagship.queue.delivered.records", e, hitsSink))
		v, ok := m.intGauge(t, "flagship.client.status", e, attribute.String("flagship.status", "READY"))
		assert.True(t, ok)
		assert.EqualValues(t, 1, v)
	}
}

// TestAttributes: Options.Attributes are on every point and span.
func TestAttributes(t *testing.T) {
	team := attribute.String("team", "checkout")
	tm := newTelemetry(t, fsotel.Options{Attributes: []attribute.KeyValue{team}})
	srv := flagshiptest.NewServer(t)
	c := newClient(t, srv, apiKey, tm.obs)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/"}))
	require.NoError(t, c.Flush(t.Context()))
	m := tm.collect(t)
	sets := m.attributeSets()
	require.NotEmpty(t, sets)
	for _, s := range sets {
		assert.True(t, has(s, []attribute.KeyValue{team, envAttr}), s.Encoded(attribute.DefaultEncoder()))
	}
	spans := tm.spans.GetSpans()
	require.NotEmpty(t, spans)
	for _, s := range spans {
		v, ok := attr(s.Attributes, "team")
		assert.True(t, ok && v.AsString() == "checkout", s.Name)
	}
}

// spyTransport records the span of each request's context.
type spyTransport struct {
	mu    sync.Mutex
	spans []trace.SpanContext
}

func (s *spyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.spans = append(s.spans, trace.SpanContextFromContext(r.Context()))
	s.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestSpansParentage: a Decision API call's span is a child of the span
// in Synchronize's ctx, and is in the ctx of the HTTP request, so that an
// instrumented HTTP client makes its span a child of it.
func TestSpansParentage(t *testing.T) {
	tm := newTelemetry(t, fsotel.Options{})
	srv := flagshiptest.NewServer(t)
	spy := &spyTransport{}
	hc := &http.Client{Transport: spy}
	t.Cleanup(hc.CloseIdleConnections)
	c := newClient(t, srv, apiKey, tm.obs, flagship.WithHTTPClient(hc))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)

	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, parent := tp.Tracer("app").Start(t.Context(), "handler")
	require.NoError(t, v.Synchronize(ctx))
	parent.End()

	decide := tm.spansNamed("flagship.decide")
	require.Len(t, decide, 1)
	assert.Equal(t, parent.SpanContext().SpanID(), decide[0].Parent.SpanID())
	assert.Equal(t, parent.SpanContext().TraceID(), decide[0].SpanContext.TraceID())
	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.NotEmpty(t, spy.spans)
	assert.Equal(t, decide[0].SpanContext.SpanID(), spy.spans[0].SpanID(), "the request runs under the decide span")
}

// TestDestinationRefusal: a destination refusing delivery itself (a
// revoked key) is counted once per episode; its records are retried,
// never dead-lettered.
func TestDestinationRefusal(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	var revoked atomic.Bool
	revoked.Store(true)
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if revoked.Load() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(gate.Close)
	tm := newTelemetry(t, fsotel.Options{})
	c := newClient(t, srv, apiKey, tm.obs,
		flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL, Events: gate.URL + "/events"}),
		flagship.WithDelivery(flagship.DeliveryOptions{FlushInterval: 10 * time.Millisecond, RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/"}))
	require.Eventually(t, func() bool {
		return tm.collect(t).count(t, "flagship.queue.retried.records", hitsSink) >= 3
	}, testTimeout, time.Millisecond)
	revoked.Store(false)
	require.NoError(t, c.Flush(t.Context()))

	m := tm.collect(t)
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.destination.refusals", hitsSink))
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.delivered.records", hitsSink))
	assert.Zero(t, m.count(t, "flagship.queue.dead_lettered.records"))
	var st uint64
	for _, s := range c.QueueStats().Sinks {
		if s.Name == flagship.SinkHTTPHits {
			st = s.Retried
		}
	}
	assert.EqualValues(t, st, m.count(t, "flagship.queue.retried.records", hitsSink))
	assert.Positive(t, m.histCount(t, "flagship.queue.send.duration", hitsSink, attribute.String("error.type", "401")))
}

// TestExpiredRecords: records older than MaxAge are dead-lettered with
// the reason "expired", as QueueStats counts them.
func TestExpiredRecords(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	tm := newTelemetry(t, fsotel.Options{})
	c := newClient(t, srv, apiKey, tm.obs, flagship.WithDelivery(flagship.DeliveryOptions{
		FlushInterval: 10 * time.Millisecond, MaxAge: 100 * time.Millisecond, RetryInitial: 5 * time.Millisecond, RetryMax: 10 * time.Millisecond}))
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/"}))
	require.NoError(t, c.Flush(t.Context()), "Flush returns once the record expired")

	m := tm.collect(t)
	var st uint64
	for _, s := range c.QueueStats().Sinks {
		if s.Name == flagship.SinkHTTPHits {
			st = s.Expired
		}
	}
	assert.EqualValues(t, 1, st)
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.dead_lettered.records", hitsSink, attribute.String("flagship.dead_letter.reason", "expired")))
	assert.Zero(t, m.count(t, "flagship.queue.dead_lettered.records", attribute.String("flagship.dead_letter.reason", "refused")))
}

// TestRefusedRecords: records the queue refuses are counted by reason.
func TestRefusedRecords(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	tm := newTelemetry(t, fsotel.Options{})
	c := newClient(t, srv, apiKey, tm.obs, flagship.WithDelivery(flagship.DeliveryOptions{MaxRecords: 1, RetryInitial: time.Hour, RetryMax: time.Hour}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/1"}))
	require.ErrorIs(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/2"}), flagship.ErrQueueFull)
	require.Error(t, c.Close(shortCtx(t)), "the first record cannot be delivered")
	require.ErrorIs(t, v.SendHit(t.Context(), hits.Page{URL: "https://shop.example/3"}), flagship.ErrClosed)

	m := tm.collect(t)
	hit := attribute.String("flagship.record.kind", "hit")
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.enqueued.records", hit))
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.refused.records", hit, attribute.String("flagship.refusal.reason", "full")))
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.refused.records", hit, attribute.String("flagship.refusal.reason", "closed")))
	assert.EqualValues(t, c.QueueStats().RejectedFull, 1)
}

// shortCtx is a context that ends soon, for a Close that cannot deliver.
func shortCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

// TestLocalDecisionSampling: with LocalDecisionSampling n, about one
// local decision in n is measured (StartOp returns a nil function for the
// others, so that the client reads no clock). (flagship.decisions, which
// counts them all, is read from an attached client: see TestAcceptance.)
func TestLocalDecisionSampling(t *testing.T) {
	_, err := fsotel.New(fsotel.Options{LocalDecisionSampling: -1})
	require.ErrorIs(t, err, fsotel.ErrInvalidOptions)

	for _, tc := range []struct {
		sampling int
		want     float64
	}{{4, 1000}, {0, 4000 / fsotel.DefaultLocalDecisionSampling}, {1, 4000}} {
		tm := newTelemetry(t, fsotel.Options{LocalDecisionSampling: tc.sampling})
		ctx := context.Background()
		local := flagship.Op{Kind: flagship.OpDecide, EnvID: "env", Mode: flagship.Bucketing}
		for range 4000 {
			_, done := tm.obs.StartOp(ctx, local)
			if done != nil {
				done(flagship.OpResult{Op: local, Duration: time.Microsecond})
			}
		}
		remote := flagship.Op{Kind: flagship.OpDecide, EnvID: "env", Mode: flagship.DecisionAPI, URL: "http://127.0.0.1:1/v2/env/campaigns"}
		for range 10 {
			_, done := tm.obs.StartOp(ctx, remote)
			done(flagship.OpResult{Op: remote, Duration: time.Millisecond})
		}
		m := tm.collect(t)
		mode := attribute.String("flagship.mode", "BUCKETING")
		sampled := m.histCount(t, "flagship.decision.duration", mode)
		assert.InDelta(t, tc.want, sampled, tc.want/5+1, "sampling %d (binomial: at least 6 standard deviations)", tc.sampling)
		assert.EqualValues(t, 10, m.histCount(t, "flagship.decision.duration", attribute.String("flagship.mode", "DECISION_API")),
			"Decision API calls are all recorded")
		assert.Len(t, tm.spansNamed("flagship.decide"), 10)
	}
}

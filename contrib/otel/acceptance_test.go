package fsotel_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

const (
	apiKey   = "secret-api-key-8d1f"
	visitors = 5
)

var (
	envAttr    = attribute.String("flagship.env_id", flagshiptest.EnvID)
	hitsSink   = attribute.String("flagship.sink", flagship.SinkHTTPHits)
	actSink    = attribute.String("flagship.sink", flagship.SinkHTTPActivations)
	visitorIDs = func() []string {
		ids := make([]string, visitors)
		for i := range ids {
			ids[i] = "visitor-" + strconv.Itoa(i)
		}
		return ids
	}()
)

// TestAcceptance runs a client against a local Flagship server that
// fails on purpose (503s on the hits endpoint, a record refused for
// good, a failing bucketing refresh or Decision API call), and checks that
// the metrics and spans say exactly what happened: the counters equal
// the queue's and what the server received, there is a span per send,
// per Decision API call and per download, none per local decision, and
// no attribute holds the API key or a visitor id.
func TestAcceptance(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) { testAcceptance(t, mode) })
	}
}

func testAcceptance(t *testing.T, mode flagship.Mode) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithAPIKey(apiKey), flagshiptest.WithCampaigns(
		flagshiptest.Campaign("btn",
			flagshiptest.Variation("blue", 50, map[string]any{"color": "blue"}),
			flagshiptest.Variation("green", 50, map[string]any{"color": "green"}))))
	tm := newTelemetry(t, fsotel.Options{})
	c := newClient(t, srv, apiKey, tm.obs, flagship.WithMode(mode),
		flagship.WithDelivery(flagship.DeliveryOptions{FlushInterval: 10 * time.Millisecond, RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}))
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, c.WaitReady(ctx))

	// Faults: the Decision API fails once (DECISION_API), or two
	// downloads of the bucketing file do, then it recovers (BUCKETING).
	faulted := 0
	if mode == flagship.Bucketing {
		srv.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: http.StatusServiceUnavailable})
		faulted += 2
		require.Eventually(t, func() bool {
			b, _ := c.BucketingStatus()
			return srv.FaultedRequests() == faulted && b.Err == nil
		}, testTimeout, time.Millisecond, "two downloads fail, then one succeeds")
	} else {
		srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: http.StatusInternalServerError,
			Body: `{"message":"cannot decide for visitor-0"}`})
		faulted++
	}

	// Decisions.
	decides := 0
	vs := make([]*visitor.Visitor, visitors)
	for i, id := range visitorIDs {
		v, err := c.NewVisitor(id, visitor.Attributes{"plan": "gold"})
		require.NoError(t, err)
		vs[i] = v
		err = v.Synchronize(ctx)
		decides++
		if mode == flagship.DecisionAPI && i == 0 {
			require.Error(t, err, "the injected 500")
			require.NoError(t, v.Synchronize(ctx))
			decides++
			continue
		}
		require.NoError(t, err)
	}
	require.NoError(t, c.Flush(ctx))

	// Hits: the first two sends to the events endpoint get 503s, and
	// their records are retried.
	srv.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	faulted += 2
	for _, v := range vs {
		require.NoError(t, v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "checkout"}))
	}
	require.NoError(t, c.Flush(ctx))

	// A poison record: the activation endpoint refuses the first
	// activation, alone in its batch, for good: it is dead-lettered.
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: http.StatusBadRequest,
		Body: `{"message":"bad caid for visitor-0"}`})
	faulted++
	require.NoError(t, vs[0].Activate(ctx, "color"))
	require.NoError(t, c.Flush(ctx))
	for _, v := range vs[1:] {
		require.NoError(t, v.Activate(ctx, "color"))
	}
	require.NoError(t, c.Flush(ctx))
	require.Equal(t, faulted, srv.FaultedRequests(), "every fault was used")

	// In BUCKETING mode, hold the next download in the server until
	// Close, so that the downloads counted below are all that happened.
	if mode == flagship.Bucketing {
		srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Latency: time.Hour})
		faulted++
		require.Eventually(t, func() bool { return srv.FaultedRequests() == faulted }, testTimeout, time.Millisecond)
	}

	// While the client runs: the counters equal the queue's and the
	// server's records, and the observable metrics its state.
	m := tm.collect(t)
	st := c.QueueStats()
	sinks := map[string]eventqueue.SinkStats{}
	for _, s := range st.Sinks {
		sinks[s.Name] = s
	}
	require.Contains(t, sinks, flagship.SinkHTTPHits)
	require.Contains(t, sinks, flagship.SinkHTTPActivations)

	enqueued := m.count(t, "flagship.queue.enqueued.records", envAttr)
	assert.EqualValues(t, st.Enqueued, enqueued, "enqueued")
	assert.EqualValues(t, visitors, m.count(t, "flagship.queue.enqueued.records", attribute.String("flagship.record.kind", "activation")))
	assert.EqualValues(t, enqueued, m.histCount(t, "flagship.queue.enqueue.duration"), "one enqueue duration per record")
	assert.Zero(t, m.count(t, "flagship.queue.refused.records"))

	var srvHits, srvActs int
	for _, h := range srv.Hits() {
		if !h.FromDecision {
			srvHits++
		}
	}
	for _, a := range srv.Activations() {
		if !a.FromDecision {
			srvActs++
		}
	}
	assert.EqualValues(t, sinks[flagship.SinkHTTPHits].Sent, m.count(t, "flagship.queue.delivered.records", hitsSink))
	assert.EqualValues(t, srvHits, m.count(t, "flagship.queue.delivered.records", hitsSink), "hits the server received")
	assert.EqualValues(t, sinks[flagship.SinkHTTPActivations].Sent, m.count(t, "flagship.queue.delivered.records", actSink))
	assert.EqualValues(t, srvActs, m.count(t, "flagship.queue.delivered.records", actSink), "activations the server received")
	assert.EqualValues(t, visitors-1, srvActs)

	assert.EqualValues(t, sinks[flagship.SinkHTTPHits].Retried, m.count(t, "flagship.queue.retried.records", hitsSink))
	assert.GreaterOrEqual(t, m.count(t, "flagship.queue.retried.records", hitsSink), int64(2), "two sends failed")
	assert.EqualValues(t, sinks[flagship.SinkHTTPActivations].Retried, m.count(t, "flagship.queue.retried.records", actSink))

	assert.EqualValues(t, 1, sinks[flagship.SinkHTTPActivations].DeadLettered)
	assert.EqualValues(t, 1, m.count(t, "flagship.queue.dead_lettered.records", actSink, attribute.String("flagship.dead_letter.reason", "refused")))
	assert.EqualValues(t, st.DeadLetters, m.count(t, "flagship.queue.dead_letter.count", envAttr))
	assert.EqualValues(t, 1, st.DeadLetters)
	assert.Zero(t, m.count(t, "flagship.queue.destination.refusals"))

	for _, sink := range []attribute.KeyValue{hitsSink, actSink} {
		depth, ok := m.intSum(t, "flagship.queue.depth", sink)
		assert.True(t, ok)
		assert.Zero(t, depth)
		age, ok := m.floatGauge(t, "flagship.queue.oldest_record.age", sink)
		assert.True(t, ok)
		assert.Zero(t, age)
	}
	for _, s := range []string{"NOT_READY", "READY", "PANIC", "CLOSED"} {
		v, ok := m.intGauge(t, "flagship.client.status", attribute.String("flagship.status", s))
		assert.True(t, ok, s)
		assert.Equal(t, int64(map[bool]int{true: 1}[s == "READY"]), v, s)
	}

	modeAttr := attribute.String("flagship.mode", mode.String())
	assert.EqualValues(t, decides, m.count(t, "flagship.decisions", modeAttr), "one decision per Synchronize")
	if mode == flagship.DecisionAPI {
		assert.EqualValues(t, decides, m.histCount(t, "flagship.decision.duration", modeAttr), "one decision duration per Decision API call")
	} else {
		assert.LessOrEqual(t, m.histCount(t, "flagship.decision.duration", modeAttr), uint64(decides), "local decisions are sampled")
	}
	if mode == flagship.Bucketing {
		age, ok := m.floatGauge(t, "flagship.bucketing.file.age", envAttr)
		assert.True(t, ok)
		assert.GreaterOrEqual(t, age, 0.0)
		assert.Less(t, age, 10.0)
		lookups := m.count(t, "flagship.assignment.cache.lookups", envAttr)
		assert.Positive(t, lookups, "each decision looks its visitor up")
		for _, s := range []string{"closed", "open", "half-open"} {
			v, ok := m.intGauge(t, "flagship.assignment.breaker.state", attribute.String("flagship.breaker.state", s))
			assert.True(t, ok, s)
			assert.Equal(t, int64(map[bool]int{true: 1}[s == "closed"]), v, s)
		}
		assert.Zero(t, m.count(t, "flagship.assignment.store.errors"))
	} else {
		assert.EqualValues(t, 1, m.histCount(t, "flagship.decision.duration", modeAttr, semconv.ErrorTypeKey.String("500")))
		assert.EqualValues(t, 1, m.count(t, "flagship.synchronize.failures", modeAttr, semconv.ErrorTypeKey.String("500")),
			"the failed Synchronize is counted")
		_, ok := m.floatGauge(t, "flagship.bucketing.file.age")
		assert.False(t, ok, "no bucketing file in DECISION_API mode")
		assert.NotContains(t, m, "flagship.assignment.cache.lookups")
	}

	// After Close, the spans are all there.
	cctx, ccancel := context.WithTimeout(context.Background(), testTimeout)
	defer ccancel()
	require.NoError(t, c.Close(cctx))
	after := tm.collect(t)
	_, ok := after.intGauge(t, "flagship.client.status", attribute.String("flagship.status", "READY"))
	assert.False(t, ok, "the callback is unregistered by Close")
	assert.Equal(t, m.count(t, "flagship.queue.delivered.records"), after.count(t, "flagship.queue.delivered.records"), "counters stay")

	// Sends: one span per request to the events and activation
	// endpoints, those the server accepted and those it failed.
	sends := tm.spansNamed("flagship.queue.send")
	var okSends, failedSends int
	failedTypes := map[string]int{}
	for _, s := range sends {
		assert.Equal(t, trace.SpanKindProducer, s.SpanKind)
		sink, _ := attr(s.Attributes, "flagship.sink")
		assert.Contains(t, []string{flagship.SinkHTTPHits, flagship.SinkHTTPActivations}, sink.AsString())
		n, _ := attr(s.Attributes, "flagship.send.records")
		assert.Positive(t, n.AsInt64())
		if s.Status.Code == codes.Error {
			failedSends++
			et, _ := attr(s.Attributes, semconv.ErrorTypeKey)
			failedTypes[et.AsString()]++
			continue
		}
		okSends++
	}
	accepted := len(srv.Bodies(flagshiptest.RouteEvents)) + len(srv.Bodies(flagshiptest.RouteActivate))
	assert.Equal(t, accepted, okSends, "one span per request the server accepted")
	assert.Equal(t, map[string]int{"503": 2, "400": 1}, failedTypes, "one failed span per fault")
	assert.EqualValues(t, sinks[flagship.SinkHTTPHits].Batches+sinks[flagship.SinkHTTPActivations].Batches, okSends)
	assert.EqualValues(t, len(sends), after.histCount(t, "flagship.queue.send.duration"))

	// Decisions: a span per Decision API call, none for local ones.
	decideSpans := tm.spansNamed("flagship.decide")
	if mode == flagship.Bucketing {
		assert.Empty(t, decideSpans, "no span for a local decision")
	} else {
		require.Len(t, decideSpans, decides)
		failed := 0
		for _, s := range decideSpans {
			assert.Equal(t, trace.SpanKindClient, s.SpanKind)
			u, _ := attr(s.Attributes, semconv.URLFullKey)
			assert.Equal(t, srv.URL+"/v2/"+srv.EnvID()+"/campaigns", u.AsString())
			host, _ := attr(s.Attributes, semconv.ServerAddressKey)
			assert.Equal(t, "127.0.0.1", host.AsString())
			port, _ := attr(s.Attributes, semconv.ServerPortKey)
			pu, err := url.Parse(srv.URL)
			require.NoError(t, err)
			assert.Equal(t, pu.Port(), strconv.FormatInt(port.AsInt64(), 10))
			campaigns, ok := attr(s.Attributes, "flagship.decision.campaigns")
			assert.True(t, ok)
			if s.Status.Code != codes.Error {
				assert.EqualValues(t, 1, campaigns.AsInt64())
				continue
			}
			failed++
			code, _ := attr(s.Attributes, semconv.HTTPResponseStatusCodeKey)
			assert.EqualValues(t, http.StatusInternalServerError, code.AsInt64())
			require.Len(t, s.Events, 1)
			assert.Equal(t, "exception", s.Events[0].Name)
			assert.Equal(t, "decision: status 500 Internal Server Error", s.Status.Description, "the server's message is left out")
		}
		assert.Equal(t, 1, failed)
	}

	// Downloads: a span each, the failed ones with an error status.
	fetches := tm.spansNamed("flagship.bucketing.fetch")
	if mode == flagship.DecisionAPI {
		assert.Empty(t, fetches)
	} else {
		byType := map[string]int{}
		okFetches := 0
		for _, s := range fetches {
			assert.Equal(t, trace.SpanKindClient, s.SpanKind)
			u, _ := attr(s.Attributes, semconv.URLFullKey)
			assert.Equal(t, srv.URL+"/"+srv.EnvID()+"/bucketing.json", u.AsString())
			if s.Status.Code == codes.Error {
				et, _ := attr(s.Attributes, semconv.ErrorTypeKey)
				byType[et.AsString()]++
				continue
			}
			okFetches++
			code, _ := attr(s.Attributes, semconv.HTTPResponseStatusCodeKey)
			assert.Contains(t, []int64{200, 304}, code.AsInt64())
		}
		assert.Equal(t, srv.BucketingRequests(), okFetches, "one span per download the server answered")
		assert.Equal(t, map[string]int{"503": 2, "canceled": 1}, byType, "the two faults, and the download Close cut short")
		assert.EqualValues(t, 2, after.count(t, "flagship.bucketing.fetch.failures"), "Close's is no failure")
		assert.EqualValues(t, len(fetches), after.histCount(t, "flagship.bucketing.fetch.duration"))
	}

	// No secret and no visitor id, in any span or metric attribute.
	secrets := append([]string{apiKey}, visitorIDs...)
	for _, s := range tm.spans.GetSpans() {
		for _, str := range spanStrings(s) {
			if found, ok := containsAny(str, secrets...); ok {
				t.Errorf("span %s shows %q: %s", s.Name, found, str)
			}
		}
	}
	for _, set := range append(m.attributeSets(), after.attributeSets()...) {
		if found, ok := containsAny(set.Encoded(attribute.DefaultEncoder()), secrets...); ok {
			t.Errorf("metric attributes show %q: %s", found, set.Encoded(attribute.DefaultEncoder()))
		}
	}
}

package eventqueue_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// gateway is a loopback HTTP server in front of a local Flagship API, as
// a proxy or a load balancer would be: a path it is told to refuse gets
// the refusal, every other request reaches the API.
type gateway struct {
	api *flagshiptest.Handler
	url string

	mu     sync.Mutex
	refuse map[string]refusalAnswer // by path; "" for every path
}

// refusalAnswer is what the gateway answers instead of the API.
type refusalAnswer struct {
	status   int
	body     string
	location string
}

func newGateway(tb testing.TB) *gateway {
	tb.Helper()
	api, err := flagshiptest.NewHandler(flagshiptest.EnvID)
	require.NoError(tb, err)
	g := &gateway{api: api, refuse: map[string]refusalAnswer{}}
	srv := httptest.NewServer(http.HandlerFunc(g.serve))
	tb.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

func (g *gateway) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	a, ok := g.refuse[r.URL.Path]
	if !ok {
		a, ok = g.refuse[""]
	}
	g.mu.Unlock()
	if !ok {
		g.api.ServeHTTP(w, r)
		return
	}
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write([]byte(a.body))
}

// set makes the gateway answer a to the requests for path ("" for all).
func (g *gateway) set(path string, a refusalAnswer) {
	g.mu.Lock()
	g.refuse[path] = a
	g.mu.Unlock()
}

// pass lets every request reach the API again.
func (g *gateway) pass() {
	g.mu.Lock()
	clear(g.refuse)
	g.mu.Unlock()
}

const (
	eventsPath   = "/events"
	activatePath = "/v2/activate"
)

// httpQueue opens a queue delivering through an httpsink to g, with one
// sink per endpoint ("hits", "activations").
func httpQueue(t *testing.T, g *gateway, batchSize int, events *eventLog, logs *logRecorder) *eventqueue.Queue {
	t.Helper()
	hs, err := httpsink.New(httpsink.Options{EventsURL: g.url + eventsPath, ActivateURL: g.url + activatePath, APIKey: "api-key"})
	require.NoError(t, err)
	t.Cleanup(hs.Close)
	var sinks []eventqueue.SinkConfig
	for name, kind := range map[string]hits.Kind{"hits": hits.KindHit, "activations": hits.KindActivation} {
		cfg := fastSink(name, hs)
		cfg.Kinds = []hits.Kind{kind}
		cfg.BatchSize = batchSize
		sinks = append(sinks, cfg)
	}
	return openQueue(t, queuePath(t), eventqueue.Options{Sinks: sinks, OnEvent: events.on, Logger: slog.New(logs)})
}

func activations(tb testing.TB, n int) []hits.Record {
	tb.Helper()
	out := make([]hits.Record, n)
	for i := range out {
		out[i] = recordOf(tb, flagshiptest.EnvID, "v"+strconv.Itoa(i), "", time.Now(), hits.Activation{VariationGroupID: "vg", VariationID: "var-" + strconv.Itoa(i)})
	}
	return out
}

func pageHits(tb testing.TB, n int) []hits.Record {
	tb.Helper()
	out := make([]hits.Record, n)
	for i := range out {
		out[i] = recordOf(tb, flagshiptest.EnvID, "v"+strconv.Itoa(i), "", time.Now(), hits.Page{URL: "https://shop.example/" + strconv.Itoa(i)})
	}
	return out
}

// statusOf returns the HTTP status err carries, or 0.
func statusOf(err error) int {
	var se *httpsink.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// TestRevokedKeyThroughHTTP: the activation endpoint answers 401 (a
// revoked key) to everything: no activation is dead-lettered, the
// refusal is reported, Flush does not return nil, and once the endpoint
// takes them again every activation is delivered.
func TestRevokedKeyThroughHTTP(t *testing.T) {
	g := newGateway(t)
	g.set(activatePath, refusalAnswer{status: http.StatusUnauthorized, body: `{"message":"revoked key"}`})
	var events eventLog
	logs := &logRecorder{}
	q := httpQueue(t, g, 100, &events, logs)
	recs := activations(t, 20)
	enqueueAll(t, q, recs...)
	startRun(t, q)

	failedAtLeast(t, &events, 3)
	flushFails(t, q, 20)
	dead, err := q.DeadLetters(100)
	require.NoError(t, err)
	assert.Empty(t, dead, "a revoked key dead-letters nothing")
	refused := events.of(eventqueue.EventDestinationRefused)
	require.Len(t, refused, 1)
	assert.Equal(t, "activations", refused[0].Sink)
	assert.Equal(t, 20, refused[0].N)
	assert.Equal(t, http.StatusUnauthorized, statusOf(refused[0].Err))
	assert.Contains(t, refused[0].Err.Error(), "revoked key")
	assert.Equal(t, 1, logs.count(slog.LevelWarn, refusedLog))
	assert.Empty(t, g.api.Activations())

	g.pass()
	flush(t, q)
	got := g.api.Activations()
	require.Len(t, got, 20)
	for i, a := range got {
		assert.Equal(t, "var-"+strconv.Itoa(i), a.VariationID)
	}
	dead, err = q.DeadLetters(100)
	require.NoError(t, err)
	assert.Empty(t, dead)
	recovered(t, logs, 1)
	assert.Zero(t, sinkStats(t, q, "activations").DeadLettered)
}

// TestRedirectThroughHTTP: an endpoint that redirects delivers nothing,
// so no record is at fault: nothing is dead-lettered, the refusal is
// reported, and the records are delivered once the endpoint answers.
func TestRedirectThroughHTTP(t *testing.T) {
	tests := []struct {
		name       string
		givePath   string
		giveStatus int
		giveRecs   func(testing.TB, int) []hits.Record
		wantSink   string
	}{
		{name: "activation 307", givePath: activatePath, giveStatus: http.StatusTemporaryRedirect, giveRecs: activations, wantSink: "activations"},
		{name: "events 307", givePath: eventsPath, giveStatus: http.StatusTemporaryRedirect, giveRecs: pageHits, wantSink: "hits"},
		{name: "events 308", givePath: eventsPath, giveStatus: http.StatusPermanentRedirect, giveRecs: pageHits, wantSink: "hits"},
		{name: "events 302", givePath: eventsPath, giveStatus: http.StatusFound, giveRecs: pageHits, wantSink: "hits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t)
			g.set(tt.givePath, refusalAnswer{status: tt.giveStatus, location: tt.givePath + "/moved"})
			var events eventLog
			logs := &logRecorder{}
			q := httpQueue(t, g, 100, &events, logs)
			recs := tt.giveRecs(t, 10)
			enqueueAll(t, q, recs...)
			startRun(t, q)

			failedAtLeast(t, &events, 3)
			flushFails(t, q, 10)
			dead, err := q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead, "a redirect dead-letters nothing")
			refused := events.of(eventqueue.EventDestinationRefused)
			require.Len(t, refused, 1)
			assert.Equal(t, tt.wantSink, refused[0].Sink)
			assert.Equal(t, tt.giveStatus, statusOf(refused[0].Err))

			g.pass()
			flush(t, q)
			wantActivations := countKind(recs, hits.KindActivation)
			assert.Len(t, g.api.Activations(), wantActivations)
			assert.Len(t, g.api.Hits(), len(recs)-wantActivations)
			dead, err = q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead)
		})
	}
}

func countKind(recs []hits.Record, k hits.Kind) int {
	n := 0
	for _, r := range recs {
		if r.Kind() == k {
			n++
		}
	}
	return n
}

// TestProxyRefusingEverything: a proxy answering 400 to every request,
// over a backlog of 50 hits: every record is refused alike, so nothing is
// dead-lettered; the sends are retried and the refusal reported; once
// the proxy lets requests through, every hit is delivered.
func TestProxyRefusingEverything(t *testing.T) {
	tests := []struct {
		name          string
		giveBatchSize int
	}{
		{name: "one batch", giveBatchSize: 100},
		{name: "batches of 10", giveBatchSize: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGateway(t)
			g.set("", refusalAnswer{status: http.StatusBadRequest, body: "<html><body><h1>400 Bad Request</h1>nginx</body></html>"})
			var events eventLog
			logs := &logRecorder{}
			q := httpQueue(t, g, tt.giveBatchSize, &events, logs)
			recs := pageHits(t, 50)
			enqueueAll(t, q, recs...)
			startRun(t, q)

			failedAtLeast(t, &events, 3)
			flushFails(t, q, 50)
			dead, err := q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead, "a proxy refusing everything dead-letters nothing")
			refused := events.of(eventqueue.EventDestinationRefused)
			require.Len(t, refused, 1)
			assert.Equal(t, "hits", refused[0].Sink)
			assert.Equal(t, http.StatusBadRequest, statusOf(refused[0].Err))
			assert.True(t, eventqueue.IsSystemic(refused[0].Err))
			assert.Equal(t, 1, logs.count(slog.LevelWarn, refusedLog))
			st := sinkStats(t, q, "hits")
			assert.Zero(t, st.DeadLettered)
			assert.EqualValues(t, 50, st.Depth)
			assert.Positive(t, st.Retried)

			g.pass()
			flush(t, q)
			got := g.api.Hits()
			require.Len(t, got, 50)
			for i, h := range got {
				assert.Equal(t, "https://shop.example/"+strconv.Itoa(i), h.Fields["dl"], "in order")
			}
			dead, err = q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead)
			recovered(t, logs, 1)
		})
	}
}

// TestContentRefusalIsolatedAfterProxyRefusal: a batch of 10 hits, one
// of which the collector refuses for its content, first meets a proxy
// answering 400 to everything (nothing dead-lettered), then the
// collector: it names the bad hit in a 207, which alone is dead-lettered
// with the collector's reason, its 9 neighbours are delivered in order.
func TestContentRefusalIsolatedAfterProxyRefusal(t *testing.T) {
	g := newGateway(t)
	g.set("", refusalAnswer{status: http.StatusBadRequest, body: "Bad Request"})
	var events eventLog
	logs := &logRecorder{}
	q := httpQueue(t, g, 100, &events, logs)
	recs := pageHits(t, 10)
	// Valid for the queue, refused by the collector: an unknown event
	// category, as a buggy or older SDK could have stored.
	recs[6] = withStoredFields(t, recordOf(t, flagshiptest.EnvID, "v6", "", time.Now(),
		hits.Event{Category: hits.ActionTracking, Action: "step"}), `{"ec":"Bogus Category","ea":"step"}`)
	enqueueAll(t, q, recs...)
	startRun(t, q)

	failedAtLeast(t, &events, 3)
	dead, err := q.DeadLetters(100)
	require.NoError(t, err)
	assert.Empty(t, dead, "nothing dead-lettered while the proxy refuses everything")

	g.pass()
	flush(t, q)
	got := g.api.Hits()
	require.Len(t, got, 9)
	want := []int{0, 1, 2, 3, 4, 5, 7, 8, 9}
	for i, h := range got {
		assert.Equal(t, "https://shop.example/"+strconv.Itoa(want[i]), h.Fields["dl"], "neighbours delivered in order")
	}
	dead, err = q.DeadLetters(100)
	require.NoError(t, err)
	require.Len(t, dead, 1, "the bad hit alone")
	assert.Equal(t, recs[6].ID(), dead[0].Record.ID())
	assert.Contains(t, dead[0].Reason, "status 207")
	assert.Contains(t, dead[0].Reason, "h[6].ec", "the collector's reason names the field")
	st := sinkStats(t, q, "hits")
	assert.EqualValues(t, 9, st.Sent)
	assert.EqualValues(t, 1, st.DeadLettered)
}

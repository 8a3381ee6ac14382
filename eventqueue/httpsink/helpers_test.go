package httpsink_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// testKey is the API key of the tests: it must never show up in an error
// or a printed Sink.
const testKey = "sk-test-3f9b1c0de8a7"

// hangLimit bounds a call a test expects to return: far above what the
// call needs, it turns a hang into a failure without timing the call.
const hangLimit = 30 * time.Second

// returns calls f on a goroutine of its own and returns its error,
// failing tb as hung if f has not returned within hangLimit.
func returns(tb testing.TB, what string, f func() error) error {
	tb.Helper()
	done := make(chan error, 1) // buffered: a hung f's goroutine never blocks on it
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		tb.Fatalf("%s hung: no return after %v", what, hangLimit)
		return nil
	}
}

// t0 is the creation time of the tests' records.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// newRecord stamps h for env as a record created at created.
func newRecord(tb testing.TB, env, vid, aid string, created time.Time, h hits.Hit) hits.Record {
	tb.Helper()
	r, err := hits.NewRecord(uuid.New(), env, vid, aid, created, h)
	require.NoError(tb, err)
	return r
}

func page(tb testing.TB, env, url string) hits.Record {
	tb.Helper()
	return newRecord(tb, env, "visitor-1", "", t0, hits.Page{URL: url})
}

func activation(tb testing.TB, env, vg string) hits.Record {
	tb.Helper()
	return newRecord(tb, env, "customer-1", "anon-1", t0, hits.Activation{VariationGroupID: vg, VariationID: "var-" + vg})
}

// queued wraps recs as a batch of the queue, numbered from 1.
func queued(recs ...hits.Record) []eventqueue.Record {
	out := make([]eventqueue.Record, len(recs))
	for i, r := range recs {
		out[i] = eventqueue.Record{Record: r, Seq: uint64(i + 1)}
	}
	return out
}

// clock is an injectable clock for Options.Now.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// newSink returns a Sink for the flagshiptest server srv, closed with the
// test.
func newSink(tb testing.TB, srv *flagshiptest.Server, opts httpsink.Options) *httpsink.Sink {
	tb.Helper()
	opts.EventsURL = srv.URL + "/events"
	opts.ActivateURL = srv.URL + "/v2/activate"
	s, err := httpsink.New(opts)
	require.NoError(tb, err)
	tb.Cleanup(s.Close)
	return s
}

// request is what a recorder received.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
}

// recorder is an httptest server that records requests and answers with
// the handler's status (200 by default).
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	answer   http.HandlerFunc
}

func newRecorder(tb testing.TB, answer http.HandlerFunc) *recorder {
	tb.Helper()
	rec := &recorder{answer: answer}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.requests = append(rec.requests, request{Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		rec.mu.Unlock()
		if rec.answer != nil {
			rec.answer(w, r)
		}
	}))
	tb.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) received() []request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]request(nil), rec.requests...)
}

// sink returns a Sink posting to rec: events to /events, activations to
// /v2/activate.
func (rec *recorder) sink(tb testing.TB, opts httpsink.Options) *httpsink.Sink {
	tb.Helper()
	opts.EventsURL = rec.URL + "/events"
	opts.ActivateURL = rec.URL + "/v2/activate"
	s, err := httpsink.New(opts)
	require.NoError(tb, err)
	tb.Cleanup(s.Close)
	return s
}

// eventsBody is the body hits encodes for recs at now.
func eventsBody(tb testing.TB, env string, now time.Time, recs ...hits.Record) []byte {
	tb.Helper()
	b, err := hits.AppendEventsBatch(nil, env, recs, now)
	require.NoError(tb, err)
	return b
}

func activationBody(tb testing.TB, env string, now time.Time, recs ...hits.Record) []byte {
	tb.Helper()
	b, err := hits.AppendActivationBatch(nil, env, recs, now)
	require.NoError(tb, err)
	return b
}

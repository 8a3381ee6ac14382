package flagshiptest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestFaultStatus(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	s.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 503, RetryAfter: 1500 * time.Millisecond, Body: `{"message":"down"}`})
	for range 2 {
		got := post(t, s, decisionPath(), `{"visitorId":"v"}`)
		assert.Equal(t, http.StatusServiceUnavailable, got.status)
		assert.Equal(t, "2", got.header.Get("Retry-After"))
		assert.Equal(t, `{"message":"down"}`, got.body)
	}
	got := post(t, s, decisionPath(), `{"visitorId":"v"}`)
	assert.Equal(t, http.StatusOK, got.status)
	assert.Empty(t, got.header.Get("Retry-After"))
	assert.Equal(t, 2, s.FaultedRequests())
	assert.Len(t, s.DecisionRequests(), 1, "faulted requests are not recorded")
	assert.Len(t, s.Activations(), 2, "only the served call activated")
}

func TestFaultRoutes(t *testing.T) {
	tests := []struct {
		name      string
		giveRoute string
		wantFail  []string // routes whose first request fails
	}{
		{name: "decision", giveRoute: flagshiptest.RouteDecision, wantFail: []string{"decision"}},
		{name: "activate", giveRoute: flagshiptest.RouteActivate, wantFail: []string{"activate"}},
		{name: "bucketing", giveRoute: flagshiptest.RouteBucketing, wantFail: []string{"bucketing"}},
		{name: "events", giveRoute: flagshiptest.RouteEvents, wantFail: []string{"events"}},
		{name: "any", giveRoute: "", wantFail: []string{"bucketing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t)
			s.FailNext(1, flagshiptest.Fault{Route: tt.giveRoute, Status: 500})
			// Neither an unknown path nor a wrong method takes the fault.
			assert.Equal(t, http.StatusNotFound, do(t, s, "GET", "/nope", "").status)
			assert.Equal(t, http.StatusMethodNotAllowed, do(t, s, "GET", "/events", "").status)
			var failed []string
			for _, r := range []struct{ route, method, path, body string }{
				{"bucketing", "GET", bucketingPath(), ""},
				{"decision", "POST", decisionPath(), `{"visitorId":"v"}`},
				{"activate", "POST", "/v2/activate", `{"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var"}`},
				{"events", "POST", "/events", batch(validItems[0])},
			} {
				if got := do(t, s, r.method, r.path, r.body); got.status == http.StatusInternalServerError {
					failed = append(failed, r.route)
				}
			}
			assert.Equal(t, tt.wantFail, failed)
			assert.Equal(t, 1, s.FaultedRequests())
		})
	}
}

func TestFaultQueue(t *testing.T) {
	s := flagshiptest.NewServer(t)
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 500})
	s.FailNext(1, flagshiptest.Fault{Status: 502})
	s.FailNext(0, flagshiptest.Fault{Status: 504})
	assert.Equal(t, 502, do(t, s, "GET", bucketingPath(), "").status)
	assert.Equal(t, 500, post(t, s, "/events", batch(validItems[0])).status)
	assert.Equal(t, 200, post(t, s, "/events", batch(validItems[0])).status)
	assert.Len(t, s.Hits(), 1)
	assert.Len(t, s.Bodies(flagshiptest.RouteEvents), 1)
}

func TestFaultBadResponse(t *testing.T) {
	s := flagshiptest.NewServer(t)
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 200, Body: `not json`})
	got := post(t, s, decisionPath(), `{"visitorId":"v"}`)
	assert.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, "not json", got.body)
	assert.Empty(t, s.DecisionRequests())
}

func TestFaultLatency(t *testing.T) {
	s := flagshiptest.NewServer(t)
	const latency = 150 * time.Millisecond
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Latency: latency})
	start := time.Now()
	got := post(t, s, "/events", batch(validItems[0]))
	assert.GreaterOrEqual(t, time.Since(start), latency)
	assert.Equal(t, http.StatusOK, got.status, "a latency alone serves the request")
	assert.Len(t, s.Hits(), 1, "and records it")
	assert.Equal(t, 1, s.FaultedRequests())

	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Latency: latency, Status: 500})
	start = time.Now()
	got = post(t, s, "/events", batch(validItems[0]))
	assert.GreaterOrEqual(t, time.Since(start), latency)
	assert.Equal(t, http.StatusInternalServerError, got.status)
	assert.Len(t, s.Hits(), 1)
}

// hangLimit bounds a call a test expects to return: far above what the
// call needs and far below the hour-long latencies of these tests, it
// turns a hang into a failure without timing the call.
const hangLimit = 30 * time.Second

// returns calls f on a goroutine of its own and fails tb as hung if f
// has not returned within hangLimit.
func returns(tb testing.TB, what string, f func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(hangLimit):
		tb.Fatalf("%s hung: no return after %v", what, hangLimit)
	}
}

func TestFaultLatencyCancelled(t *testing.T) {
	// A Handler in a plain httptest.Server: its Close waits for the
	// handler, which must give up when the client does, not wait out its
	// hour-long latency.
	h, err := flagshiptest.NewHandler(env)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	require.NoError(t, h.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Latency: time.Hour}))
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/events", strings.NewReader(batch(validItems[0])))
	require.NoError(t, err)
	resp, err := srv.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, context.DeadlineExceeded)

	returns(t, "the server's Close", srv.Close)
	assert.Empty(t, h.Hits())
	assert.Equal(t, 1, h.FaultedRequests())
}

func TestFaultLatencyEndsOnClose(t *testing.T) {
	// Close ends the hour-long latency: it returns, and so does the
	// request, with an error.
	s := flagshiptest.NewServer(t)
	s.FailNext(1, flagshiptest.Fault{Latency: time.Hour})
	errc := make(chan error, 1)
	go func() {
		resp, err := s.Client().Get(s.URL + bucketingPath())
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.FaultedRequests() == 1 }, 5*time.Second, 5*time.Millisecond)
	returns(t, "Close", s.Close)
	assert.Error(t, <-errc)
	s.Close() // idempotent
}

// isDropped reports whether err is what a client sees when the server
// closes the connection without answering.
func isDropped(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

func TestFaultDrop(t *testing.T) {
	s := flagshiptest.NewServer(t)
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteActivate, Drop: true, Latency: 10 * time.Millisecond})
	resp, err := s.Client().Post(s.URL+"/v2/activate", "application/json",
		strings.NewReader(`{"cid":"`+env+`","vid":"v","caid":"vg","vaid":"var"}`))
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.True(t, isDropped(err), "%v", err)
	assert.Empty(t, s.Activations())
	assert.Equal(t, 1, s.FaultedRequests())

	// GETs are retried by http.Transport on a reused connection; a fresh
	// connection sees the drop.
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Drop: true})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	defer c.CloseIdleConnections()
	resp, err = c.Get(s.URL + bucketingPath())
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.True(t, isDropped(err), "%v", err)
	assert.Zero(t, s.BucketingRequests())
}

func TestFaultInvalid(t *testing.T) {
	tests := []struct {
		name    string
		giveN   int
		give    flagshiptest.Fault
		wantErr string
	}{
		{name: "negative count", giveN: -1, give: flagshiptest.Fault{Status: 500}, wantErr: "negative fault count -1"},
		{name: "unknown route", giveN: 1, give: flagshiptest.Fault{Route: "hits", Status: 500}, wantErr: `unknown route "hits"`},
		{name: "status 100", giveN: 1, give: flagshiptest.Fault{Status: 100}, wantErr: "status 100 not in 200-599"},
		{name: "status 600", giveN: 1, give: flagshiptest.Fault{Status: 600}, wantErr: "status 600 not in 200-599"},
		{name: "negative latency", giveN: 1, give: flagshiptest.Fault{Status: 500, Latency: -1}, wantErr: "negative duration"},
		{name: "negative retry", giveN: 1, give: flagshiptest.Fault{Status: 500, RetryAfter: -1}, wantErr: "negative duration"},
		{name: "drop and status", giveN: 1, give: flagshiptest.Fault{Drop: true, Status: 500}, wantErr: "Drop can't have a Status or Body"},
		{name: "body alone", giveN: 1, give: flagshiptest.Fault{Body: "x", Latency: 1}, wantErr: "Body and RetryAfter need a Status"},
		{name: "nothing", giveN: 1, give: flagshiptest.Fault{Route: flagshiptest.RouteEvents}, wantErr: "the fault does nothing"},
	}
	h, err := flagshiptest.NewHandler("e")
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.FailNext(tt.giveN, tt.give)
			require.ErrorIs(t, err, flagshiptest.ErrInvalidOptions)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

// recordingTB records Fatalf instead of stopping the test.
type recordingTB struct {
	testing.TB
	fatal string
}

func (r *recordingTB) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestServerFailsTheTest(t *testing.T) {
	tb := &recordingTB{TB: t}
	s := flagshiptest.NewServer(tb)
	s.FailNext(1, flagshiptest.Fault{Route: "nope", Status: 500})
	assert.Contains(t, tb.fatal, `flagshiptest: FailNext: flagshiptest: invalid options: fault: unknown route "nope"`)
	tb.fatal = ""
	s.SetCampaigns(flagshiptest.Toggle("t", map[string]any{"x": make(chan int)}))
	assert.Contains(t, tb.fatal, "flagshiptest: SetCampaigns: ")
	tb.fatal = ""
	flagshiptest.NewServer(tb, flagshiptest.WithBucketingFile([]byte("{")))
	assert.Contains(t, tb.fatal, "flagshiptest: flagshiptest: invalid options: bucketing: invalid file")
}

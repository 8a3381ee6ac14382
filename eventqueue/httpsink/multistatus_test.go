package httpsink_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/hits"
)

// multiStatusAnswer returns the 207 body refusing the items of the
// request body b whose JSON contains "refuse-me", or "" if none does.
func multiStatusAnswer(b []byte) string {
	var body struct {
		H     []json.RawMessage `json:"h"`
		Batch []json.RawMessage `json:"batch"`
	}
	if json.Unmarshal(b, &body) != nil {
		return ""
	}
	items, path := body.H, "h"
	if body.Batch != nil {
		items, path = body.Batch, "batch"
	}
	var refused []string
	for i, it := range items {
		if strings.Contains(string(it), "refuse-me") {
			refused = append(refused, `{"index":`+strconv.Itoa(i)+`,"reason":"`+path+`[`+strconv.Itoa(i)+`]: bad item"}`)
		}
	}
	if refused == nil {
		return ""
	}
	return `{"message":"bad","accepted":` + strconv.Itoa(len(items)-len(refused)) + `,"refused":[` + strings.Join(refused, ",") + `]}`
}

// judgingRecorder is a recorder answering as a server judging items one
// by one (see multiStatusAnswer); requests to a path in fail get that
// status.
func judgingRecorder(t *testing.T, fail map[string]int) *recorder {
	t.Helper()
	var rec *recorder
	rec = newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if code, ok := fail[r.URL.Path]; ok {
			w.WriteHeader(code)
			return
		}
		reqs := rec.received()
		if a := multiStatusAnswer(reqs[len(reqs)-1].Body); a != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusMultiStatus)
			_, _ = w.Write([]byte(a))
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	return rec
}

// partialErrors returns the per-record errors of err, failing the test
// if it is not an eventqueue.Partial of n records.
func partialErrors(t *testing.T, err error, n int) []error {
	t.Helper()
	require.Error(t, err)
	errs, ok := eventqueue.PartialErrors(err)
	require.True(t, ok, "want a Partial error, got %v", err)
	require.Len(t, errs, n)
	return errs
}

// assertRefused asserts that err is the permanent refusal of an item by
// a 207, with reason.
func assertRefused(t *testing.T, err error, endpoint, reason string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, eventqueue.IsPermanent(err), "permanent: %v", err)
	var se *httpsink.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusMultiStatus, se.StatusCode)
	assert.Equal(t, endpoint, se.Endpoint)
	assert.Equal(t, reason, se.Body)
}

func TestSendMultiStatus(t *testing.T) {
	rec := judgingRecorder(t, nil)
	s := rec.sink(t, httpsink.Options{})
	batch := queued(page(t, env, "https://x/0"), page(t, env, "https://x/refuse-me"), page(t, env, "https://x/2"), page(t, env, "https://x/refuse-me-3"))
	err := s.Send(t.Context(), batch)
	errs := partialErrors(t, err, 4)
	assert.NoError(t, errs[0])
	assertRefused(t, errs[1], "events", "h[1]: bad item")
	assert.NoError(t, errs[2])
	assertRefused(t, errs[3], "events", "h[3]: bad item")
	assert.Len(t, rec.received(), 1)
	assert.Equal(t, "httpsink: events: status 207 Multi-Status: h[1]: bad item", errs[1].Error())
}

// TestSendMultiStatusMapsRecords checks that the indexes of 207 answers
// are mapped to the records of the batch across endpoints (the batch's
// records are grouped by endpoint) and bodies (a small MaxBodyBytes
// packs the hits in several bodies), and that every request is sent.
func TestSendMultiStatusMapsRecords(t *testing.T) {
	rec := judgingRecorder(t, nil)
	s := rec.sink(t, httpsink.Options{MaxBodyBytes: 1024})
	long := strings.Repeat("p", 300)
	recs := []hits.Record{
		activation(t, env, "vg-a"),
		page(t, env, "https://x/"+long+"0"),
		activation(t, env, "vg-refuse-me"),
		page(t, env, "https://x/"+long+"refuse-me"),
		page(t, env, "https://x/"+long+"2"),
		page(t, env, "https://x/"+long+"refuse-me"),
		activation(t, env, "vg-c"),
	}
	err := s.Send(t.Context(), queued(recs...))
	errs := partialErrors(t, err, len(recs))
	for i, e := range errs {
		switch i {
		case 2:
			assertRefused(t, e, "activate", "batch[1]: bad item")
		case 3, 5:
			require.Error(t, e, "record %d", i)
			assert.True(t, eventqueue.IsPermanent(e))
			assert.Contains(t, e.Error(), "status 207 Multi-Status: h[")
		default:
			assert.NoError(t, e, "record %d delivered", i)
		}
	}
	events := 0
	for _, r := range rec.received() {
		if r.Path == "/events" {
			events++
		}
	}
	assert.Greater(t, events, 1, "the hits took several bodies")
}

// TestSendMultiStatusThenFailure: after a 207, a failed request leaves its
// records (and those after it) with its error, retryable, and the records
// confirmed before with none.
func TestSendMultiStatusThenFailure(t *testing.T) {
	rec := judgingRecorder(t, map[string]int{"/v2/activate": http.StatusServiceUnavailable})
	s := rec.sink(t, httpsink.Options{})
	recs := []hits.Record{page(t, env, "https://x/refuse-me"), page(t, env, "https://x/1"), activation(t, env, "vg-a"), page(t, env, "https://x/3")}
	err := s.Send(t.Context(), queued(recs...))
	errs := partialErrors(t, err, 4)
	assertRefused(t, errs[0], "events", "h[0]: bad item")
	assert.NoError(t, errs[1])
	assert.NoError(t, errs[3], "the hits went first, in one body")
	require.Error(t, errs[2])
	assert.False(t, eventqueue.IsPermanent(errs[2]), "a 503 is retried")
	var se *httpsink.StatusError
	require.ErrorAs(t, errs[2], &se)
	assert.Equal(t, http.StatusServiceUnavailable, se.StatusCode)
}

// TestSendMultiStatusUnreadable: a 207 whose body does not name items of
// the request is a 2xx like another: delivered.
func TestSendMultiStatusUnreadable(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "empty", give: ""},
		{name: "not JSON", give: "multi"},
		{name: "no refused", give: `{"message":"x"}`},
		{name: "refused null", give: `{"refused":null}`},
		{name: "refused empty", give: `{"refused":[]}`},
		{name: "no index", give: `{"refused":[{"reason":"x"}]}`},
		{name: "index out of range", give: `{"refused":[{"index":2,"reason":"x"}]}`},
		{name: "negative index", give: `{"refused":[{"index":-1,"reason":"x"}]}`},
		{name: "index twice", give: `{"refused":[{"index":0,"reason":"x"},{"index":0,"reason":"y"}]}`},
		{name: "too large", give: `{"refused":[{"index":0,"reason":"` + strings.Repeat("x", 1<<20) + `"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusMultiStatus)
				_, _ = w.Write([]byte(tt.give))
			})
			s := rec.sink(t, httpsink.Options{})
			assert.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x/0"), page(t, env, "https://x/1"))))
		})
	}
}

// TestSendMultiStatusRedactsKey: a reason echoing the API key does not
// carry it into the error.
func TestSendMultiStatusRedactsKey(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusMultiStatus)
		_, _ = w.Write([]byte(`{"refused":[{"index":0,"reason":"batch[0]: key ` + testKey + ` refused\nhere"}]}`))
	})
	s := rec.sink(t, httpsink.Options{APIKey: testKey})
	err := s.Send(t.Context(), queued(activation(t, env, "vg")))
	errs := partialErrors(t, err, 1)
	require.Error(t, errs[0])
	assert.NotContains(t, errs[0].Error(), testKey)
	assert.Contains(t, errs[0].Error(), "refused here")
}

package flagshiptest_test

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestAdminRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithClock(clock.now))
	tok := token(t, s)
	s.SetAdminRateLimit(0.5, 2) // one request every 2 s, bursts of 2
	get := func() response { return api(t, s, tok, http.MethodGet, acc+"/projects", "") }
	assert.Equal(t, http.StatusOK, get().status)
	assert.Equal(t, http.StatusOK, get().status)
	r := get()
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "2", r.header.Get("Retry-After"))
	assert.Equal(t, "rate limit exceeded", decodeBody[apiError](t, r).Message)
	assert.Equal(t, http.StatusOK, post(t, s, "/acc/token", credentials).status, "the token route is not limited")

	clock.add(1500 * time.Millisecond)
	r = get()
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"), "whole seconds, rounded up")
	clock.add(500 * time.Millisecond)
	assert.Equal(t, http.StatusOK, get().status)
	assert.Equal(t, http.StatusTooManyRequests, get().status)

	clock.add(time.Hour)
	assert.Equal(t, http.StatusOK, get().status, "refilled up to the burst")
	assert.Equal(t, http.StatusOK, get().status)
	assert.Equal(t, http.StatusTooManyRequests, get().status)

	s.SetAdminRateLimit(0, 0)
	for range 5 {
		assert.Equal(t, http.StatusOK, get().status, "no limit")
	}

	h, err := flagshiptest.NewHandler("e")
	require.NoError(t, err)
	for _, tt := range []struct {
		rate  float64
		burst int
	}{{-1, 1}, {1, 0}, {math.NaN(), 1}, {math.Inf(1), 1}} {
		assert.ErrorIs(t, h.SetAdminRateLimit(tt.rate, tt.burst), flagshiptest.ErrInvalidOptions, "%v %d", tt.rate, tt.burst)
	}
	assert.ErrorIs(t, h.SetPublicationDelay(-time.Second), flagshiptest.ErrInvalidOptions)
}

// TestAdminPublicationDelay: with a delay, changes through the API reach
// the bucketing file and the Decision API only once it has passed, and
// Last-Modified is their publication time; management reads see them at
// once; changes in code are served at once.
func TestAdminPublicationDelay(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithClock(clock.now))
	tok := token(t, s)
	first := do(t, s, http.MethodGet, bucketingPath(), "")
	lm := first.header.Get("Last-Modified")
	s.SetPublicationDelay(30 * time.Second)

	c := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(newProject(t, s, tok)))
	api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+c.ID+"/toggle", `{"state":"active"}`)
	assert.Equal(t, admin.StatusActive, decodeBody[admin.Campaign](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns/"+c.ID, "")).Status)
	clock.add(20 * time.Second)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"on"}`) // due at 10:00:50

	assert.Equal(t, http.StatusNotModified, do(t, s, http.MethodGet, bucketingPath(), "", "If-Modified-Since: "+lm).status)
	got, _ := decideWith(t, s, "v", `{"beta":true}`)
	assert.Empty(t, got)

	clock.add(10 * time.Second) // 10:00:30: the activation is due
	r := do(t, s, http.MethodGet, bucketingPath(), "", "If-Modified-Since: "+lm)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "Thu, 01 May 2025 10:00:30 GMT", r.header.Get("Last-Modified"))
	assert.Contains(t, r.body, c.ID)
	assert.Contains(t, r.body, `"panic":false`)
	got, panicked := decideWith(t, s, "v", `{"beta":true}`)
	assert.Len(t, got, 1)
	assert.False(t, panicked)
	assert.Equal(t, http.StatusNotModified, do(t, s, http.MethodGet, bucketingPath(), "", "If-Modified-Since: "+r.header.Get("Last-Modified")).status)

	clock.add(20 * time.Second) // 10:00:50: the panic is due
	_, panicked = decideWith(t, s, "v", `{}`)
	assert.True(t, panicked)
	assert.Equal(t, "Thu, 01 May 2025 10:00:50 GMT", do(t, s, http.MethodGet, bucketingPath(), "").header.Get("Last-Modified"))

	// Changes in code are served at once, with those pending.
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"off"}`)
	api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+c.ID+"/toggle", `{"state":"paused"}`)
	s.SetCampaigns(flagshiptest.Toggle("code", nil))
	got, panicked = decideWith(t, s, "v", `{"beta":true}`)
	assert.False(t, panicked)
	assert.Equal(t, []string{"code/var_code map[]"}, got)
}

// TestAdminPublicationDelayRealClock: the delay works on the wall clock
// too, with no timer: the next request after it sees the change.
func TestAdminPublicationDelayRealClock(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	s.SetPublicationDelay(50 * time.Millisecond)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"on"}`)
	require.Eventually(t, func() bool {
		_, panicked := decideWith(t, s, "v", `{}`)
		return panicked
	}, 10*time.Second, 10*time.Millisecond)
	assert.True(t, servedFile(t, s).Panic)
}

func TestAdminFaults(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Status: http.StatusServiceUnavailable, RetryAfter: time.Second})
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteToken, Status: http.StatusBadGateway})
	assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, bucketingPath(), "").status, "other routes unaffected")
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, acc+"/nope", "").status, "an unknown route takes no fault")
	r := api(t, s, tok, http.MethodGet, acc+"/projects", "")
	assert.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Equal(t, http.StatusBadGateway, post(t, s, "/acc/token", credentials).status)
	assert.Equal(t, http.StatusOK, api(t, s, tok, http.MethodGet, acc+"/projects", "").status)
	assert.Equal(t, 2, s.FaultedRequests())

	// Latency: the call is served after it.
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Latency: 30 * time.Millisecond})
	start := time.Now()
	r = api(t, s, tok, http.MethodPost, acc+"/projects", `{"name":"slow"}`)
	assert.Equal(t, http.StatusCreated, r.status, r.body)
	assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
	assert.Equal(t, 1, decodeBody[page[admin.Project]](t, api(t, s, tok, http.MethodGet, acc+"/projects", "")).TotalCount)
}

func TestAdminRequests(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	do(t, s, http.MethodGet, "/token?access_token="+tok, "")
	api(t, s, tok, http.MethodPost, acc+"/projects", `{"name":"shop"}`)
	api(t, s, tok, http.MethodGet, acc+"/projects?_page=2", "")
	do(t, s, http.MethodGet, acc+"/projects", "")
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Status: 500})
	api(t, s, tok, http.MethodDelete, acc+"/projects/x", "")

	reqs := s.AdminRequests()
	require.Len(t, reqs, 6)
	assert.Equal(t, flagshiptest.RouteToken, reqs[0].Route)
	assert.Equal(t, "POST /acc/token", reqs[0].Method+" "+reqs[0].Path)
	assert.Nil(t, reqs[0].Body, "the secret is not recorded")
	assert.Equal(t, http.StatusOK, reqs[0].Status)
	assert.Equal(t, "REDACTED", reqs[1].Query.Get("access_token"))
	assert.Equal(t, flagshiptest.RouteAdmin, reqs[2].Route)
	assert.Equal(t, "POST "+acc+"/projects", reqs[2].Method+" "+reqs[2].Path)
	assert.JSONEq(t, `{"name":"shop"}`, string(reqs[2].Body))
	assert.Equal(t, http.StatusCreated, reqs[2].Status)
	assert.Empty(t, reqs[2].Headers.Get("Authorization"))
	assert.Equal(t, "application/json", reqs[2].Headers.Get("Content-Type"))
	assert.False(t, reqs[2].Received.IsZero())
	assert.Equal(t, "2", reqs[3].Query.Get("_page"))
	assert.Nil(t, reqs[3].Body)
	assert.Equal(t, http.StatusUnauthorized, reqs[4].Status)
	assert.Equal(t, http.StatusInternalServerError, reqs[5].Status, "faulted requests are recorded")

	reqs[2].Body[0] = 'X'
	reqs[3].Query.Set("_page", "9")
	assert.Equal(t, byte('{'), s.AdminRequests()[2].Body[0], "copies")
	assert.Equal(t, "2", s.AdminRequests()[3].Query.Get("_page"))

	s.Reset()
	assert.Empty(t, s.AdminRequests())
	assert.Equal(t, 1, decodeBody[page[admin.Project]](t, api(t, s, tok, http.MethodGet, acc+"/projects", "")).TotalCount,
		"Reset keeps the management state")
}

// TestAdminPublicationOrder: a change made with a shorter delay is not
// published before an earlier change, which it would be overtaken by.
func TestAdminPublicationOrder(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithClock(clock.now))
	tok := token(t, s)
	s.SetPublicationDelay(30 * time.Second)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"on"}`)
	s.SetPublicationDelay(5 * time.Second)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"off"}`)
	clock.add(10 * time.Second)
	_, panicked := decideWith(t, s, "v", `{}`)
	assert.False(t, panicked, "nothing published yet")
	clock.add(30 * time.Second)
	_, panicked = decideWith(t, s, "v", `{}`)
	assert.False(t, panicked, "the last change wins")
	s.SetPublicationDelay(0)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"on"}`)
	_, panicked = decideWith(t, s, "v", `{}`)
	assert.True(t, panicked, "no delay: at once")
}

func TestAdminFaultDrop(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Drop: true})
	// A POST: Go's transport would retry a dropped GET on a reused connection.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+acc+"/projects", strings.NewReader(`{"name":"p"}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := s.Client().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	// The connection is closed before the handler returns and records it.
	require.Eventually(t, func() bool { return len(s.AdminRequests()) == 2 }, 10*time.Second, time.Millisecond)
	reqs := s.AdminRequests()
	assert.Zero(t, reqs[1].Status, "dropped: no status")
	assert.JSONEq(t, `{"name":"p"}`, string(reqs[1].Body))
	assert.Zero(t, decodeBody[page[admin.Project]](t, api(t, s, tok, http.MethodGet, acc+"/projects", "")).TotalCount)
}

package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

// failThen answers the first n requests with fail, then with then.
func failThen(n int, fail, then http.HandlerFunc) http.HandlerFunc {
	var calls atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		if int(calls.Add(1)) <= n {
			fail(w, r)
			return
		}
		then(w, r)
	}
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		reply(w, code, `{"message":"slow down"}`)
	}
}

// hangUp closes the connection without answering: a transport error.
func hangUp(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestRetryAfterIsWaitedOut(t *testing.T) {
	tests := []struct {
		name       string
		giveStatus int
		giveHeader func() string
		wantWait   time.Duration
	}{
		{name: "429 seconds", giveStatus: 429, giveHeader: func() string { return "1" }, wantWait: time.Second},
		{name: "503 seconds", giveStatus: 503, giveHeader: func() string { return "1" }, wantWait: time.Second},
		{
			name: "429 HTTP date", giveStatus: 429, wantWait: 2 * time.Second,
			giveHeader: func() string { return time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var notBefore time.Time
			var mu sync.Mutex
			f := newFake(t, failThen(1, func(w http.ResponseWriter, r *http.Request) {
				h := tt.giveHeader()
				mu.Lock()
				notBefore = time.Now().Add(tt.wantWait)
				if d, err := http.ParseTime(h); err == nil {
					notBefore = d
				}
				mu.Unlock()
				status(tt.giveStatus, "Retry-After", h)(w, r)
			}, ok(`{"id":"p1","name":"one"}`)))
			c := f.client(t)
			_, err := c.GetProject(t.Context(), "p1")
			require.NoError(t, err)
			reqs := f.requests()
			require.Len(t, reqs, 2)
			mu.Lock()
			defer mu.Unlock()
			assert.False(t, reqs[1].At.Before(notBefore), "retried %s early", notBefore.Sub(reqs[1].At))
		})
	}
}

// limiter answers 429 with Retry-After: 1 to the requests beyond n in a
// second, and records requests that came before the time they were told.
type limiter struct {
	mu        sync.Mutex
	n         int
	window    time.Time
	count     int
	notBefore time.Time
	early     int
	limited   int
}

func (l *limiter) allow() (bool, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	early := now.Before(l.notBefore)
	if early {
		l.early++
	}
	if now.Sub(l.window) >= time.Second {
		l.window, l.count = now, 0
	}
	l.count++
	if l.count > l.n {
		l.limited++
		l.notBefore = now.Add(time.Second)
		return false, early
	}
	return true, early
}

func TestRateLimitedLoopCompletes(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out rate limits")
	}
	l := &limiter{n: 4}
	var mu sync.Mutex
	created := map[string]int{}
	var projects []string
	for i := range 7 {
		projects = append(projects, fmt.Sprintf(`{"id":"p%d","name":"n%d"}`, i, i))
	}
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if allowed, _ := l.allow(); !allowed {
			w.Header().Set("Retry-After", "1")
			reply(w, http.StatusTooManyRequests, `{"message":"rate limited"}`)
			return
		}
		if r.Method == http.MethodPost {
			var p admin.Project
			_ = json.NewDecoder(r.Body).Decode(&p)
			mu.Lock()
			created[p.Name]++
			mu.Unlock()
			reply(w, http.StatusCreated, `{"id":"new","name":"`+p.Name+`"}`)
			return
		}
		// Pages of 3 of 7 projects, numbered from 1 (0 is the first too).
		pg, _ := strconv.Atoi(r.URL.Query().Get("_page"))
		pg = max(pg, 1)
		lo, hi := min((pg-1)*3, 7), min(pg*3, 7)
		items := "["
		for i := lo; i < hi; i++ {
			if i > lo {
				items += ","
			}
			items += projects[i]
		}
		reply(w, 200, fmt.Sprintf(`{"items":%s],"total_count":7,"current_page":%d,"last_page":3}`, items, pg))
	})
	c := f.client(t)
	for i := range 4 {
		got, err := admin.Collect(c.ListProjects(t.Context()))
		require.NoError(t, err)
		require.Len(t, got, 7)
		_, err = c.CreateProject(t.Context(), admin.Project{Name: fmt.Sprintf("loop-%d", i)})
		require.NoError(t, err)
	}
	assert.Positive(t, l.limited, "the loop was rate limited")
	assert.Zero(t, l.early, "a request came before its Retry-After")
	for i := range 4 {
		assert.Equal(t, 1, created[fmt.Sprintf("loop-%d", i)], "project created once")
	}
	// Nothing was sent twice but for the refused requests: 4 loops of 3
	// pages and a create.
	assert.Len(t, f.requests(), 4*(3+1)+l.limited)
}

func TestContextShorterThanRetryAfter(t *testing.T) {
	f := newFake(t, status(429, "Retry-After", "5"))
	c := f.client(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetProject(ctx, "p1")
	assert.Less(t, time.Since(start), 2*time.Second, "returns without waiting 5 s")
	assert.ErrorIs(t, err, admin.ErrRateLimited)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, f.requests(), 1)
}

func TestContextCancelledWhileWaiting(t *testing.T) {
	f := newFake(t, status(429, "Retry-After", "5"))
	c := f.client(t)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	_, err := c.GetProject(ctx, "p1")
	assert.ErrorIs(t, err, admin.ErrRateLimited)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestRetryAfterLongerThanMaxWaitIsReturned(t *testing.T) {
	f := newFake(t, status(429, "Retry-After", "120"))
	c := f.client(t)
	start := time.Now()
	_, err := c.GetProject(t.Context(), "p1")
	assert.Less(t, time.Since(start), time.Second)
	var ae *admin.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 120*time.Second, ae.RetryAfter)
	assert.ErrorIs(t, err, admin.ErrRateLimited)
	assert.Len(t, f.requests(), 1)
}

func TestRetriesAreBounded(t *testing.T) {
	f := newFake(t, status(503))
	c := f.client(t, admin.WithRetry(admin.RetryPolicy{MaxAttempts: 3, InitialBackoff: time.Millisecond}))
	_, err := c.GetProject(t.Context(), "p1")
	var ae *admin.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 503, ae.StatusCode)
	assert.Len(t, f.requests(), 3)
}

func TestIdempotentRequestsAreRetried(t *testing.T) {
	tests := []struct {
		name string
		fail http.HandlerFunc
	}{
		{name: "502", fail: status(502)},
		{name: "503 without Retry-After", fail: status(503)},
		{name: "504", fail: status(504)},
		{name: "429 without Retry-After", fail: status(429)},
		{name: "connection closed", fail: hangUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, failThen(2, tt.fail, ok(`{"id":"p1","name":"one"}`)))
			c := f.client(t)
			p, err := c.GetProject(t.Context(), "p1")
			require.NoError(t, err)
			assert.Equal(t, "one", p.Name)
			assert.Len(t, f.requests(), 3)
			require.NoError(t, c.SwitchCampaign(t.Context(), envID, "c1", admin.StatusActive), "PATCH is idempotent")
		})
	}
}

func TestCreateIsNotRepeatedAfterAnAmbiguousFailure(t *testing.T) {
	tests := []struct {
		name string
		fail http.HandlerFunc
	}{
		{name: "502", fail: status(502)},
		{name: "503", fail: status(503, "Retry-After", "0")},
		{name: "504", fail: status(504)},
		{name: "connection closed", fail: hangUp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, failThen(1, tt.fail, ok(`{"id":"p1","name":"one"}`)))
			c := f.client(t)
			_, err := c.CreateProject(t.Context(), admin.Project{Name: "one"})
			require.Error(t, err)
			assert.Len(t, f.requests(), 1, "POST sent once")
		})
	}
}

func TestCreateIsRetriedOn429(t *testing.T) {
	f := newFake(t, failThen(1, status(429, "Retry-After", "0"), ok(`{"id":"p1","name":"one"}`)))
	c := f.client(t)
	p, err := c.CreateProject(t.Context(), admin.Project{Name: "one"})
	require.NoError(t, err)
	assert.Equal(t, "p1", p.ID)
	assert.Len(t, f.requests(), 2)
}

func TestCreateIsRetriedWhenTheConnectionIsRefused(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	// A port nobody listens on yet: the first POST cannot connect.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	c, err := admin.New(account, admin.Credentials{ClientID: clientID, ClientSecret: secret},
		admin.WithBaseURL("http://"+addr+"/v1"), admin.WithAuthURL(f.srv.URL+"/auth"),
		admin.WithRetry(admin.RetryPolicy{InitialBackoff: 300 * time.Millisecond, MaxBackoff: 300 * time.Millisecond}))
	require.NoError(t, err)
	defer c.Close()

	srv := &http.Server{Handler: f.srv.Config.Handler, ReadHeaderTimeout: time.Second}
	done := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() {
		defer close(done)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			return // taken meanwhile: the test is skipped below
		}
		go func() { _ = srv.Serve(l) }()
	})
	defer func() { <-done; _ = srv.Close() }()

	p, err := c.CreateProject(t.Context(), admin.Project{Name: "one"})
	if len(f.requests()) == 0 {
		t.Skip("the port was taken by another process")
	}
	require.NoError(t, err)
	assert.Equal(t, "p1", p.ID)
	assert.Len(t, f.requests(), 1, "sent once it could connect")
}

func TestDeleteRetriedAfterAnAmbiguousFailureAccepts404(t *testing.T) {
	var deleted atomic.Bool
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if deleted.Swap(true) {
			reply(w, http.StatusNotFound, `{"message":"no such campaign"}`)
			return
		}
		hangUp(w, r) // deleted, but the answer is lost
	})
	c := f.client(t)
	require.NoError(t, c.DeleteCampaign(t.Context(), envID, "c1"))
	assert.Len(t, f.requests(), 2)
}

func TestDeleteOfAMissingResourceIsNotFound(t *testing.T) {
	f := newFake(t, status(404))
	c := f.client(t)
	assert.ErrorIs(t, c.DeleteCampaign(t.Context(), envID, "c1"), admin.ErrNotFound)
	assert.Len(t, f.requests(), 1)
}

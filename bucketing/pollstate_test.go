package bucketing_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// TestFetchErrorWrongEnv: a wrong environment id (the CDN answers 404)
// gives an error naming the URL, the status and the env id, and neither
// the API key nor the URL's user information or query.
func TestFetchErrorWrongEnv(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, nil, "", "")
	cdn.set(nil, "", "", http.StatusNotFound)
	u, err := url.Parse(cdn.srv.URL + "/wrong-env/bucketing.json?token=" + secretKey + "#frag")
	require.NoError(t, err)
	u.User = url.UserPassword("user", secretKey)
	rec := &recorder{}
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{URL: u.String(), Header: http.Header{"X-Api-Key": {secretKey}}}, rec)

	_, err = p.Fetch(t.Context())
	require.Error(t, err)
	want := "bucketing: fetch " + cdn.srv.URL + "/wrong-env/bucketing.json (env wrong-env): status 404 Not Found"
	assert.Equal(t, want, err.Error())
	assert.NotContains(t, err.Error(), secretKey)
	assert.Equal(t, secretKey, cdn.last().Get("X-Api-Key"), "the key was sent, yet is not in the error")
	assert.ErrorIs(t, err, bucketing.ErrFetch)
	assert.NotErrorIs(t, err, bucketing.ErrUnauthorized)
	var fe *bucketing.FetchError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, bucketing.FetchError{URL: cdn.srv.URL + "/wrong-env/bucketing.json", EnvID: "wrong-env", StatusCode: 404}, *fe)

	st := p.Status()
	assert.Equal(t, bucketing.PollerStatus{Err: err, Failures: 1}, st)
	_, errs := rec.snapshot()
	assert.Equal(t, []error{err}, errs)
}

// TestFetchErrorCauses: a failure without an error status names the URL
// and env and carries its cause, which errors.Is and errors.As still
// find, without net/http's repetition of the URL.
func TestFetchErrorCauses(t *testing.T) {
	checkLeaks(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL + "/env-down/bucketing.json"
	down.Close() // nothing listens on its port any more

	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }))
	t.Cleanup(garbage.Close)

	tests := []struct {
		name       string
		give       bucketing.PollerOptions
		wantPrefix string
		wantStatus int
		wantIs     error
		wantIn     string
	}{
		{
			name:       "connection refused",
			give:       bucketing.PollerOptions{URL: downURL},
			wantPrefix: "bucketing: fetch " + downURL + " (env env-down): dial tcp ",
			wantIn:     "refused",
		},
		{
			name:       "timeout",
			give:       bucketing.PollerOptions{URL: hang.URL + "/env-slow/bucketing.json", Timeout: 20 * time.Millisecond},
			wantPrefix: "bucketing: fetch " + hang.URL + "/env-slow/bucketing.json (env env-slow): ",
			wantIs:     context.DeadlineExceeded,
		},
		{
			name:       "not a bucketing file",
			give:       bucketing.PollerOptions{URL: garbage.URL + "/custom.json", EnvID: "env-x"},
			wantPrefix: "bucketing: fetch " + garbage.URL + "/custom.json (env env-x): invalid file",
			wantStatus: http.StatusOK,
			wantIs:     bucketing.ErrInvalidFile,
		},
		{
			name:       "no env in the URL",
			give:       bucketing.PollerOptions{URL: garbage.URL + "/custom.json"},
			wantPrefix: "bucketing: fetch " + garbage.URL + "/custom.json: invalid file",
			wantStatus: http.StatusOK,
			wantIs:     bucketing.ErrInvalidFile,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.give.Header = http.Header{"X-Api-Key": {secretKey}}
			p, _ := newPoller(t, nil, tt.give, &recorder{})
			_, err := p.Fetch(t.Context())
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), tt.wantPrefix), "got %q", err)
			assert.Contains(t, err.Error(), tt.wantIn)
			assert.NotContains(t, err.Error(), `Get "`, "the URL is said once")
			assert.NotContains(t, err.Error(), secretKey)
			assert.NotErrorIs(t, err, bucketing.ErrFetch, "the status is not the failure")
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			var fe *bucketing.FetchError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantStatus, fe.StatusCode)
			require.Error(t, fe.Err)
			if tt.wantStatus == 0 {
				var ne net.Error
				assert.ErrorAs(t, err, &ne, "the transport error is still reachable")
			}
			assert.Equal(t, err, p.Status().Err)
		})
	}
}

func TestFetchErrorUnauthorizedNamesURL(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, nil, "", "")
	cdn.set(nil, "", "", http.StatusForbidden)
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{Header: http.Header{"X-Api-Key": {secretKey}}}, &recorder{})
	_, err := p.Fetch(t.Context())
	assert.ErrorIs(t, err, bucketing.ErrUnauthorized)
	assert.ErrorIs(t, err, bucketing.ErrFetch)
	assert.EqualError(t, err, "bucketing: fetch "+cdn.URL()+" (env env-1): status 403 Forbidden")
}

// TestStatus follows Status through a cache load, failures, a fetch cut
// short by its ctx (which changes nothing) and a success.
func TestStatus(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	cachePath := filepath.Join(t.TempDir(), "bucketing.json")
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: cachePath}, &recorder{})
	assert.Equal(t, bucketing.PollerStatus{}, p.Status(), "nothing happened yet")

	cdn.set(nil, "", "", http.StatusServiceUnavailable)
	_, err1 := p.Fetch(t.Context())
	require.Error(t, err1)
	_, err2 := p.Fetch(t.Context())
	require.Error(t, err2)
	assert.Equal(t, bucketing.PollerStatus{Err: err2, Failures: 2}, p.Status())

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Fetch(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, bucketing.PollerStatus{Err: err2, Failures: 2}, p.Status(), "the caller giving up says nothing of the server")

	cdn.set([]byte(smallFile), "", "", 0)
	before := time.Now()
	_, err = p.Fetch(t.Context())
	require.NoError(t, err)
	st := p.Status()
	assert.False(t, st.Checked.Before(before), "Checked is the success's time")
	st.Checked = time.Time{}
	assert.Equal(t, bucketing.PollerStatus{Loaded: true}, st)

	// A new poller: the cache file counts as loaded, with no fetch yet.
	p2, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: cachePath}, &recorder{})
	_, err = p2.LoadCache(t.Context())
	require.NoError(t, err)
	assert.Equal(t, bucketing.PollerStatus{Loaded: true}, p2.Status())
}

// TestStatusDoesNotWaitForFetch: Status answers while a fetch is stuck
// on its server.
func TestStatusDoesNotWaitForFetch(t *testing.T) {
	checkLeaks(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(arrived)
		<-release
		w.WriteHeader(http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	p, _ := newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL + "/e/bucketing.json"}, &recorder{})
	done := make(chan error, 1)
	go func() { _, err := p.Fetch(t.Context()); done <- err }()
	<-arrived
	assert.Equal(t, bucketing.PollerStatus{}, p.Status(), "the fetch in progress has not ended")
	close(release)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second): // a hang guard, not a timing
		t.Fatal("Fetch did not return")
	}
	assert.ErrorIs(t, err, bucketing.ErrFetch)
	assert.Equal(t, 1, p.Status().Failures)
	assert.True(t, errors.Is(p.Status().Err, bucketing.ErrFetch))
}

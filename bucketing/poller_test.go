package bucketing_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/version"
)

func TestFetchConditionalAndRestartOffline(t *testing.T) {
	checkLeaks(t)
	const lastModified = "Wed, 21 Oct 2026 07:28:00 GMT"
	file := vectorsFile(t)
	cdn := newCDN(t, file, lastModified, "")
	cachePath := filepath.Join(t.TempDir(), "cache", "bucketing.json")
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: cachePath}, rec)

	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Empty(t, cdn.last().Get("If-Modified-Since"))
	cfg := e.Config()
	require.NotNil(t, cfg)
	lm, etag := p.Validators()
	assert.Equal(t, lastModified, lm)
	assert.Empty(t, etag)

	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, lastModified, cdn.last().Get("If-Modified-Since"))
	assert.Empty(t, cdn.last().Get("If-None-Match"))
	assert.Same(t, cfg, e.Config(), "a 304 keeps the config")

	updates, errs := rec.snapshot()
	assert.Empty(t, errs)
	require.Len(t, updates, 1)
	assert.Equal(t, bucketing.Update{Source: bucketing.SourceNetwork, Config: cfg, LastModified: lastModified, Bytes: len(file)}, updates[0])

	info, err := os.Stat(cachePath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	// Restart without network: a new engine decides from the cache.
	cdn.srv.Close()
	rec2 := &recorder{}
	p2, e2 := newPoller(t, cdn, bucketing.PollerOptions{CachePath: cachePath}, rec2)
	_, err = p2.Fetch(t.Context())
	require.Error(t, err, "the server is down")
	assert.Nil(t, e2.Config())
	loaded, err := p2.LoadCache(t.Context())
	require.NoError(t, err)
	assert.True(t, loaded)
	lm, _ = p2.Validators()
	assert.Equal(t, lastModified, lm)
	updates, _ = rec2.snapshot()
	require.Len(t, updates, 1)
	assert.Equal(t, bucketing.SourceDisk, updates[0].Source)
	assert.Same(t, e2.Config(), updates[0].Config)
	assert.Equal(t, cfg.NumCampaigns(), e2.Config().NumCampaigns())

	r := decision.Request{VisitorID: "visitor-42", Context: map[string]any{"fs_all_users": ""}}
	want, err := e.Decide(t.Context(), r)
	require.NoError(t, err)
	got, err := e2.Decide(t.Context(), r)
	require.NoError(t, err)
	require.NotEmpty(t, got.Campaigns)
	assert.Equal(t, want, got)
}

func TestFetchETag(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", `"v1"`)
	p, e := newPoller(t, cdn, bucketing.PollerOptions{}, &recorder{})

	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	_, etag := p.Validators()
	assert.Equal(t, `"v1"`, etag)
	cfg := e.Config()

	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, `"v1"`, cdn.last().Get("If-None-Match"))
	assert.Empty(t, cdn.last().Get("If-Modified-Since"))
	assert.Same(t, cfg, e.Config())

	// A new version is installed and its ETag sent next time.
	cdn.set([]byte(strings.Replace(smallFile, `"blue"`, `"red"`, 1)), "", `"v2"`, 0)
	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.Equal(t, `"v1"`, cdn.last().Get("If-None-Match"))
	assert.NotSame(t, cfg, e.Config())
	_, etag = p.Validators()
	assert.Equal(t, `"v2"`, etag)
}

func TestFetchIdenticalBytesNoReinstall(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "") // no validators: always 200
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{}, rec)

	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	cfg := e.Config()
	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Same(t, cfg, e.Config())
	updates, _ := rec.snapshot()
	assert.Len(t, updates, 1)

	// A config installed by someone else is replaced again.
	e.Update(mustConfig(t, smallFile))
	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
}

func TestFetchBrokenDownloadKeepsConfigAndCache(t *testing.T) {
	schemaFail := strings.Replace(smallFile, `"allocation":100`, `"allocation":"abc"`, 1)
	tests := []struct {
		name         string
		giveBody     string
		giveStatus   int
		giveMaxBytes int64
		wantIs       []error
		wantNot      []error
		wantStatus   int
	}{
		{name: "truncated JSON", giveBody: smallFile[:len(smallFile)/2], wantIs: []error{bucketing.ErrInvalidFile}, wantNot: []error{bucketing.ErrFetch}, wantStatus: 200},
		{name: "schema", giveBody: schemaFail, wantIs: []error{bucketing.ErrInvalidFile}, wantNot: []error{bucketing.ErrFetch}, wantStatus: 200},
		{name: "empty body", giveBody: "", wantIs: []error{bucketing.ErrInvalidFile}, wantNot: []error{bucketing.ErrFetch}, wantStatus: 200},
		{name: "server error", giveStatus: 500, wantIs: []error{bucketing.ErrFetch}, wantNot: []error{bucketing.ErrUnauthorized, bucketing.ErrInvalidFile}, wantStatus: 500},
		{name: "not found", giveStatus: 404, wantIs: []error{bucketing.ErrFetch}, wantNot: []error{bucketing.ErrUnauthorized}, wantStatus: 404},
		{name: "unauthorized", giveStatus: 401, wantIs: []error{bucketing.ErrFetch, bucketing.ErrUnauthorized}, wantStatus: 401},
		{name: "forbidden", giveStatus: 403, wantIs: []error{bucketing.ErrFetch, bucketing.ErrUnauthorized}, wantStatus: 403},
		{name: "oversize", giveBody: smallFile + strings.Repeat(" ", 100), giveMaxBytes: int64(len(smallFile)) + 50, wantIs: []error{bucketing.ErrInvalidFile}, wantNot: []error{bucketing.ErrFetch}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			good := []byte(strings.Replace(smallFile, `"blue"`, `"green"`, 1))
			cdn := newCDN(t, good, "", "")
			cachePath := filepath.Join(t.TempDir(), "bucketing.json")
			rec := &recorder{}
			p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: cachePath, MaxFileBytes: tt.giveMaxBytes}, rec)
			_, err := p.Fetch(t.Context())
			require.NoError(t, err)
			cfg := e.Config()
			cached, err := os.ReadFile(cachePath)
			require.NoError(t, err)

			cdn.set([]byte(tt.giveBody), "", "", tt.giveStatus)
			changed, fetchErr := p.Fetch(t.Context())
			require.Error(t, fetchErr)
			assert.False(t, changed)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, fetchErr, target)
			}
			for _, target := range tt.wantNot {
				assert.NotErrorIs(t, fetchErr, target)
			}
			assert.Equal(t, tt.wantStatus, statusOf(fetchErr))
			assert.Same(t, cfg, e.Config(), "the good config stays")
			after, err := os.ReadFile(cachePath)
			require.NoError(t, err)
			assert.Equal(t, cached, after, "the cache file stays")
			_, errs := rec.snapshot()
			require.Len(t, errs, 1)
			assert.Equal(t, fetchErr, errs[0])
		})
	}
}

func TestFetchOversizeByContentLength(t *testing.T) {
	checkLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// Announce more than DefaultMaxFileBytes; the poller must not read it.
		w.Header().Set("Content-Length", "33554433")
		_, _ = w.Write([]byte(`{"campaigns":[`))
	}))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	p, e := newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL}, rec)
	_, err := p.Fetch(t.Context())
	require.ErrorIs(t, err, bucketing.ErrInvalidFile)
	assert.Contains(t, err.Error(), "33554433")
	assert.Nil(t, e.Config())
}

func TestFetchPanicFile(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", `"a"`)
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{}, rec)
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, e.Config().Panic())

	cdn.set([]byte(`{"panic":true}`), "", `"b"`, 0)
	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.True(t, changed)
	assert.True(t, e.Config().Panic())
	updates, _ := rec.snapshot()
	require.Len(t, updates, 2)
	assert.True(t, updates[1].Config.Panic())
	d, err := e.Decide(t.Context(), decision.Request{VisitorID: "v"})
	require.NoError(t, err)
	assert.True(t, d.Panic)
	assert.Empty(t, d.Campaigns)
}

func TestFetchTimeout(t *testing.T) {
	checkLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	rec := &recorder{}
	p, _ := newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL, Timeout: 50 * time.Millisecond}, rec)
	// A Fetch that outlived its Timeout would get the server's empty
	// answer, and fail on that instead of with a timeout.
	_, err := p.Fetch(t.Context())
	require.Error(t, err)
	var ne net.Error
	assert.True(t, errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout(), "got %v", err)
	_, errs := rec.snapshot()
	assert.Len(t, errs, 1, "a timeout is a fetch failure")
}

func TestFetchSlowBodyTimeout(t *testing.T) {
	checkLeaks(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"campaigns":[`))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	// A caller's client without a timeout: the poller's Timeout still holds.
	p, _ := newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL, Timeout: 50 * time.Millisecond, HTTPClient: &http.Client{}}, &recorder{})
	// A Fetch that outlived its Timeout would read the truncated body to
	// its end, and fail on that instead of with DeadlineExceeded.
	_, err := p.Fetch(t.Context())
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFetchCancelledNotReported(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	rec := &recorder{}
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{}, rec)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := p.Fetch(ctx)
	require.ErrorIs(t, err, context.Canceled)
	_, errs := rec.snapshot()
	assert.Empty(t, errs)
	assert.Zero(t, cdn.count())
}

func TestRedirects(t *testing.T) {
	checkLeaks(t)
	other := newCDN(t, []byte(smallFile), "", "")
	mux := http.NewServeMux()
	mux.Handle("/same", http.RedirectHandler("/env-1/bucketing.json", http.StatusFound))
	mux.Handle("/other", http.RedirectHandler(other.URL(), http.StatusFound))
	mux.Handle("/", &fakeCDN{body: []byte(smallFile)})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	header := http.Header{"X-Api-Key": {secretKey}}

	p, e := newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL + "/same", Header: header}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err, "same-host redirects are followed")
	assert.NotNil(t, e.Config())

	p, e = newPoller(t, nil, bucketing.PollerOptions{URL: srv.URL + "/other", Header: header}, &recorder{})
	_, err = p.Fetch(t.Context())
	require.ErrorIs(t, err, httpx.ErrCrossOriginRedirect, "redirects to another host are refused")
	assert.Contains(t, err.Error(), "redirect to another origin refused")
	assert.NotContains(t, err.Error(), secretKey)
	assert.Nil(t, e.Config())
	assert.Zero(t, other.count(), "the headers never reach another host")
}

func TestFetchUserAgent(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   string
	}{
		{name: "the SDK's", want: "flagship-go/" + version.SDK},
		{name: "the caller's", header: http.Header{"User-Agent": {"shop/1.0"}}, want: "shop/1.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cdn := newCDN(t, []byte(smallFile), "", "")
			p, _ := newPoller(t, cdn, bucketing.PollerOptions{Header: tt.header}, &recorder{})
			_, err := p.Fetch(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tt.want, cdn.last().Get("User-Agent"))
		})
	}
}

// TestPollerCloseClosesItsConnections checks that Close leaves no
// goroutine of the poller's own client, while the server is still up and
// the connection would otherwise stay open.
func TestPollerCloseClosesItsConnections(t *testing.T) {
	cdn := newCDN(t, []byte(smallFile), "", "")
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := bucketing.NewEngine(bucketing.Options{})
	p, err := bucketing.NewPoller(e, bucketing.PollerOptions{URL: cdn.URL()})
	require.NoError(t, err)
	for range 3 {
		_, err = p.Fetch(t.Context())
		require.NoError(t, err)
	}
	p.Close()
	p.Close()
}

// closeCounter is a transport that counts CloseIdleConnections calls.
type closeCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

func TestPollerCloseLeavesCallersClient(t *testing.T) {
	cdn := newCDN(t, []byte(smallFile), "", "")
	tr := &closeCounter{RoundTripper: cdn.srv.Client().Transport}
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{HTTPClient: &http.Client{Transport: tr}}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	p.Close()
	assert.Zero(t, tr.closes.Load())
}

func TestSecretsNeverWrittenOrLogged(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", `"e1"`)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cachePath := filepath.Join(t.TempDir(), "bucketing.json")
	rec := &recorder{}
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{
		CachePath: cachePath,
		Header:    http.Header{"X-Api-Key": {secretKey}, "X-Sdk-Client": {"go"}},
		Logger:    logger,
		Interval:  time.Millisecond,
	}, rec)

	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.Equal(t, secretKey, cdn.last().Get("x-api-key"))
	assert.Equal(t, "go", cdn.last().Get("x-sdk-client"))

	// Failures, logged by Run.
	cdn.set(nil, "", "", http.StatusForbidden)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { _, errs := rec.snapshot(); return len(errs) >= 2 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	cached, err := os.ReadFile(cachePath)
	require.NoError(t, err)
	assert.NotContains(t, string(cached), secretKey)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "component=bucketing")
	assert.NotContains(t, logs.String(), secretKey)
	_, errs := rec.snapshot()
	for _, err := range errs {
		assert.ErrorIs(t, err, bucketing.ErrUnauthorized)
		assert.NotContains(t, err.Error(), secretKey)
	}
}

func TestRunPollsAndStops(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", `"x"`)
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{Interval: 5 * time.Millisecond}, &recorder{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { return cdn.count() >= 3 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, `"x"`, cdn.last().Get("If-None-Match"), "polls are conditional")
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second): // a hang guard, not a timing
		t.Fatal("Run did not stop after cancel")
	}
}

func TestRunRecoversAfterFailures(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, nil, "", "")
	cdn.set(nil, "", "", http.StatusServiceUnavailable)
	rec := &recorder{}
	var logs bytes.Buffer
	p, e := newPoller(t, cdn, bucketing.PollerOptions{Interval: 2 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, rec)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	require.Eventually(t, func() bool { _, errs := rec.snapshot(); return len(errs) >= 2 }, 5*time.Second, time.Millisecond)
	cdn.set([]byte(smallFile), "", "", 0)
	require.Eventually(t, func() bool { u, _ := rec.snapshot(); return len(u) == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.NotNil(t, e.Config())
	_, errs := rec.snapshot()
	assert.Equal(t, 503, statusOf(errs[0]))
	assert.Contains(t, logs.String(), "status 503")
}

func TestRunNegativeIntervalNeverFetches(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{Interval: -1}, &recorder{})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, p.Run(ctx))
	assert.Zero(t, cdn.count())
}

func TestConcurrentFetches(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: filepath.Join(t.TempDir(), "c.json")}, rec)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Fetch(t.Context())
			assert.NoError(t, err)
			_, _ = p.Validators()
		}()
	}
	wg.Wait()
	assert.NotNil(t, e.Config())
	updates, _ := rec.snapshot()
	assert.Len(t, updates, 1, "fetches are serialized: only the first installs")
}

func TestNewPollerInvalid(t *testing.T) {
	e := bucketing.NewEngine(bucketing.Options{})
	tests := []struct {
		name       string
		giveEngine *bucketing.Engine
		give       bucketing.PollerOptions
	}{
		{name: "nil engine", give: bucketing.PollerOptions{URL: "https://cdn.flagship.io/e/bucketing.json"}},
		{name: "no URL", giveEngine: e},
		{name: "relative URL", giveEngine: e, give: bucketing.PollerOptions{URL: "/e/bucketing.json"}},
		{name: "no host", giveEngine: e, give: bucketing.PollerOptions{URL: "https:///e/bucketing.json"}},
		{name: "ftp", giveEngine: e, give: bucketing.PollerOptions{URL: "ftp://cdn.flagship.io/e/bucketing.json"}},
		{name: "bad URL", giveEngine: e, give: bucketing.PollerOptions{URL: "https://cdn\x7f.io/"}},
		{name: "negative timeout", giveEngine: e, give: bucketing.PollerOptions{URL: "https://cdn.flagship.io/e", Timeout: -1}},
		{name: "jitter 1", giveEngine: e, give: bucketing.PollerOptions{URL: "https://cdn.flagship.io/e", Jitter: 1}},
		{name: "negative max bytes", giveEngine: e, give: bucketing.PollerOptions{URL: "https://cdn.flagship.io/e", MaxFileBytes: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := bucketing.NewPoller(tt.giveEngine, tt.give)
			assert.ErrorIs(t, err, bucketing.ErrInvalidOptions)
			assert.Nil(t, p)
		})
	}
}

func TestNewPollerRedactsURLPassword(t *testing.T) {
	_, err := bucketing.NewPoller(bucketing.NewEngine(bucketing.Options{}), bucketing.PollerOptions{URL: "ftp://user:" + secretKey + "@host/x"})
	require.ErrorIs(t, err, bucketing.ErrInvalidOptions)
	assert.NotContains(t, err.Error(), secretKey)
}

func TestSourceString(t *testing.T) {
	assert.Equal(t, "disk", bucketing.SourceDisk.String())
	assert.Equal(t, "network", bucketing.SourceNetwork.String())
	assert.Equal(t, "Source(0)", bucketing.Source(0).String())
}

func TestFetchErrorMessage(t *testing.T) {
	err := error(&bucketing.FetchError{StatusCode: 502})
	assert.Equal(t, "bucketing: fetch: status 502 Bad Gateway", err.Error())
	assert.ErrorIs(t, err, bucketing.ErrFetch)
	assert.NotErrorIs(t, err, bucketing.ErrUnauthorized)
}

package bucketing_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// smallFile is a valid bucketing file with one campaign served to all.
const smallFile = `{"campaigns":[{"id":"c1","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg1",` +
	`"targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},` +
	`"variations":[{"id":"v1","modifications":{"type":"FLAG","value":{"color":"blue"}},"allocation":100}]}]}]}`

const secretKey = "secret-key-123"

// fakeCDN serves one bucketing file with Last-Modified and ETag
// validators, answers conditional requests with 304, and records requests.
type fakeCDN struct {
	srv *httptest.Server

	mu           sync.Mutex
	body         []byte
	lastModified string
	etag         string
	status       int // when non-zero, every answer has this status and no body
	requests     []http.Header
}

func newCDN(t testing.TB, body []byte, lastModified, etag string) *fakeCDN {
	t.Helper()
	c := &fakeCDN{body: body, lastModified: lastModified, etag: etag}
	c.srv = httptest.NewServer(c)
	t.Cleanup(c.srv.Close)
	return c
}

func (c *fakeCDN) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests = append(c.requests, r.Header.Clone())
	switch {
	case c.status != 0:
		w.WriteHeader(c.status)
	case c.etag != "" && r.Header.Get("If-None-Match") == c.etag,
		c.lastModified != "" && r.Header.Get("If-Modified-Since") == c.lastModified:
		w.WriteHeader(http.StatusNotModified)
	default:
		if c.lastModified != "" {
			w.Header().Set("Last-Modified", c.lastModified)
		}
		if c.etag != "" {
			w.Header().Set("ETag", c.etag)
		}
		_, _ = w.Write(c.body)
	}
}

func (c *fakeCDN) URL() string { return c.srv.URL + "/env-1/bucketing.json" }

func (c *fakeCDN) set(body []byte, lastModified, etag string, status int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.body, c.lastModified, c.etag, c.status = body, lastModified, etag, status
}

func (c *fakeCDN) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.requests)
}

func (c *fakeCDN) last() http.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests[len(c.requests)-1]
}

// recorder collects what a poller reports through its callbacks.
type recorder struct {
	mu      sync.Mutex
	updates []bucketing.Update
	errs    []error
}

func (r *recorder) onUpdate(_ context.Context, u bucketing.Update) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u)
}

func (r *recorder) onError(_ context.Context, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *recorder) snapshot() ([]bucketing.Update, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bucketing.Update(nil), r.updates...), append([]error(nil), r.errs...)
}

// newPoller returns a poller on a fresh engine, reporting to rec. o.URL
// defaults to cdn's.
func newPoller(t testing.TB, cdn *fakeCDN, o bucketing.PollerOptions, rec *recorder) (*bucketing.Poller, *bucketing.Engine) {
	t.Helper()
	if o.URL == "" {
		o.URL = cdn.URL()
	}
	o.OnUpdate, o.OnError = rec.onUpdate, rec.onError
	e := bucketing.NewEngine(bucketing.Options{})
	p, err := bucketing.NewPoller(e, o)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p, e
}

func vectorsFile(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, "bucketing.json"))
	require.NoError(t, err)
	return data
}

var goroutineID = regexp.MustCompile(`^goroutine (\d+) `)

// goroutines returns the stacks of all goroutines by id.
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		if m := goroutineID.FindStringSubmatch(g); m != nil {
			out[m[1]] = g
		}
	}
	return out
}

// checkLeaks fails t if goroutines started during t outlive its cleanups
// (test servers closed, contexts cancelled) by more than a few seconds.
// Call it first, so that its cleanup runs last. Tests using it must not
// be parallel.
func checkLeaks(t *testing.T) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		var leaked []string
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			leaked = leaked[:0]
			for id, g := range goroutines() {
				if _, ok := before[id]; !ok {
					leaked = append(leaked, g)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(leaked) > 0 {
			t.Errorf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

func mustConfig(t testing.TB, file string) *bucketing.Config {
	t.Helper()
	cfg, err := bucketing.ParseConfig([]byte(file))
	require.NoError(t, err)
	return cfg
}

// statusOf returns the status of a *FetchError in err's chain, or 0.
func statusOf(err error) int {
	var fe *bucketing.FetchError
	if errors.As(err, &fe) {
		return fe.StatusCode
	}
	return 0
}

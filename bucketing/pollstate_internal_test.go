package bucketing

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		name         string
		giveInterval time.Duration
		giveFailures int
		want         time.Duration
	}{
		{name: "after a success", giveInterval: time.Minute, giveFailures: 0, want: time.Minute},
		{name: "first failure", giveInterval: time.Minute, giveFailures: 1, want: time.Second},
		{name: "second failure", giveInterval: time.Minute, giveFailures: 2, want: 2 * time.Second},
		{name: "sixth failure", giveInterval: time.Minute, giveFailures: 6, want: 32 * time.Second},
		{name: "capped at the interval", giveInterval: time.Minute, giveFailures: 7, want: time.Minute},
		{name: "many failures", giveInterval: time.Minute, giveFailures: 1 << 30, want: time.Minute},
		{name: "short interval, first failure", giveInterval: 100 * time.Millisecond, giveFailures: 1, want: 100 * time.Millisecond},
		{name: "short interval, later failure", giveInterval: 100 * time.Millisecond, giveFailures: 50, want: 100 * time.Millisecond},
		{name: "cap between two doublings", giveInterval: 1500 * time.Millisecond, giveFailures: 2, want: 1500 * time.Millisecond},
		{name: "huge interval never overflows", giveInterval: math.MaxInt64, giveFailures: 200, want: time.Second << 33}, // the last doubling below MaxInt64
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryDelay(tt.giveInterval, tt.giveFailures); got != tt.want {
				t.Errorf("retryDelay(%v, %d) = %v, want %v", tt.giveInterval, tt.giveFailures, got, tt.want)
			}
		})
	}
}

func TestEnvFromPath(t *testing.T) {
	tests := map[string]string{
		"/env-1/bucketing.json":      "env-1",
		"/base/env-1/bucketing.json": "env-1",
		"/bucketing.json":            "",
		"bucketing.json":             "",
		"/env-1/other.json":          "",
		"/env-1/bucketing.json/":     "",
		"":                           "",
	}
	for give, want := range tests {
		if got := envFromPath(give); got != want {
			t.Errorf("envFromPath(%q) = %q, want %q", give, got, want)
		}
	}
}

// logEntry is a log record as recordingHandler keeps it.
type logEntry struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

// recordingHandler is a slog.Handler that keeps every record.
type recordingHandler struct {
	mu      *sync.Mutex
	entries *[]logEntry
	attrs   []slog.Attr
}

func newRecordingHandler() *recordingHandler {
	return &recordingHandler{mu: new(sync.Mutex), entries: new([]logEntry)}
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	e := logEntry{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	for _, a := range h.attrs {
		e.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool { e.attrs[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.entries = append(*h.entries, e)
	return nil
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &c
}

func (h *recordingHandler) WithGroup(string) slog.Handler { return h }

func (h *recordingHandler) snapshot() []logEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logEntry(nil), *h.entries...)
}

// at returns the records at level whose message starts with prefix.
func at(entries []logEntry, level slog.Level, prefix string) []logEntry {
	var out []logEntry
	for _, e := range entries {
		if e.level == level && strings.HasPrefix(e.msg, prefix) {
			out = append(out, e)
		}
	}
	return out
}

// scriptedServer answers its n-th request (from 0) with script[n]: 200
// with a valid file, or that status without a body; beyond the script,
// with 500.
type scriptedServer struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	n      int
}

func newScriptedServer(t *testing.T, script ...int) *scriptedServer {
	s := &scriptedServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		status := http.StatusInternalServerError
		if s.n < len(s.script) {
			status = s.script[s.n]
		}
		s.n++
		s.mu.Unlock()
		w.WriteHeader(status)
		if status == http.StatusOK {
			_, _ = w.Write([]byte(`{"campaigns":[]}`))
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *scriptedServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// TestRunBackoffAndEpisodeLogs drives Run on a fake clock through two
// runs of failures against a real server: each wait is recorded instead
// of slept. It checks that the waits back off from 1 s, doubling up to
// the interval, starting from the owner's failed start-up Fetch, and
// come back to the interval after a success; and that each run of
// failures is logged once at Warn (with the URL, status and env), its
// other failures at Debug, and its end once at Info.
func TestRunBackoffAndEpisodeLogs(t *testing.T) {
	const nf = http.StatusNotFound
	script := []int{
		nf,                                 // the owner's Fetch, before Run
		nf, nf, nf, nf, nf, nf, nf, nf, nf, // Run: 9 more failures
		http.StatusOK, http.StatusNotModified, http.StatusNotModified,
		nf, nf, // a second run of failures
		http.StatusNotModified,
	}
	srv := newScriptedServer(t, script...)
	logs := newRecordingHandler()
	p, err := NewPoller(NewEngine(Options{}), PollerOptions{
		URL:    srv.URL + "/env-9/bucketing.json",
		Header: http.Header{"X-Api-Key": {"secret-key-123"}},
		Logger: slog.New(logs),
		Rand:   func() float64 { return 0.5 }, // jitter applied, at its middle
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)

	if _, err := p.Fetch(t.Context()); err == nil {
		t.Fatal("the start-up fetch succeeded")
	}
	if got := at(logs.snapshot(), slog.LevelWarn, ""); len(got) != 0 {
		t.Errorf("the owner's failed Fetch was logged: %v", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var waits []time.Duration
	p.wait = func(ctx context.Context, d time.Duration) bool {
		waits = append(waits, d)
		if srv.count() == len(script) {
			cancel()
		}
		return ctx.Err() == nil
	}
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}

	s := time.Second
	wantWaits := []time.Duration{
		1 * s, 2 * s, 4 * s, 8 * s, 16 * s, 32 * s, 60 * s, 60 * s, 60 * s, 60 * s, // after failures 1 to 10
		60 * s, 60 * s, 60 * s, // after the 200 and two 304s
		1 * s, 2 * s, // after the second run's failures
		60 * s, // after the last 304; then ctx ends
	}
	if !equalDurations(waits, wantWaits) {
		t.Errorf("waits = %v\nwant    %v", waits, wantWaits)
	}
	if srv.count() != len(script) {
		t.Errorf("%d requests, want %d", srv.count(), len(script))
	}

	entries := logs.snapshot()
	warns := at(entries, slog.LevelWarn, "")
	if len(warns) != 2 {
		t.Fatalf("%d Warn records, want 2 (one per run of failures): %v", len(warns), warns)
	}
	if warns[0].msg != "bucketing file fetch failed; no bucketing file loaded yet" ||
		warns[1].msg != "bucketing file fetch failed; keeping the current file" {
		t.Errorf("Warn messages %q, %q", warns[0].msg, warns[1].msg)
	}
	wantErr := "bucketing: fetch " + srv.URL + "/env-9/bucketing.json (env env-9): status 404 Not Found"
	for i, w := range warns {
		if w.attrs["err"] != wantErr {
			t.Errorf("Warn %d: err %q, want %q", i, w.attrs["err"], wantErr)
		}
		if w.attrs["component"] != "bucketing" {
			t.Errorf("Warn %d: component %q", i, w.attrs["component"])
		}
	}
	// The owner's failed fetch is reported when Run starts, before its
	// first wait: within one fetch.
	if warns[0].attrs["failures"] != "1" || warns[0].attrs["retry_in"] != "1s" {
		t.Errorf("first Warn: failures %s, retry_in %s; want 1 (the owner's), 1s",
			warns[0].attrs["failures"], warns[0].attrs["retry_in"])
	}
	if n := len(at(entries, slog.LevelDebug, "bucketing file fetch failed again")); n != 9+1 {
		t.Errorf("%d Debug records of further failures, want 10", n)
	}
	infos := at(entries, slog.LevelInfo, "")
	if len(infos) != 2 ||
		infos[0].msg != "bucketing file fetched again after 10 failed fetches" ||
		infos[1].msg != "bucketing file fetched again after 2 failed fetches" {
		t.Errorf("Info records %v, want one per recovery", infos)
	}
	for _, e := range entries {
		for k, v := range e.attrs {
			if strings.Contains(v, "secret-key-123") {
				t.Errorf("record %q: %s holds the API key", e.msg, k)
			}
		}
	}
	if st := p.Status(); !st.Loaded || st.Err != nil || st.Failures != 0 || st.Checked.IsZero() {
		t.Errorf("Status() = %+v after a success", st)
	}
}

// TestRecoveryWithoutWarnIsDebug: failures only the caller of Fetch saw
// were never logged, so their end is not logged at Info either.
func TestRecoveryWithoutWarnIsDebug(t *testing.T) {
	srv := newScriptedServer(t, http.StatusBadGateway, http.StatusBadGateway, http.StatusOK)
	logs := newRecordingHandler()
	p, err := NewPoller(NewEngine(Options{}), PollerOptions{URL: srv.URL + "/e/bucketing.json", Logger: slog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	for i := range 3 {
		_, err := p.Fetch(t.Context())
		if (err == nil) != (i == 2) {
			t.Fatalf("fetch %d: err %v", i, err)
		}
	}
	entries := logs.snapshot()
	if got := len(at(entries, slog.LevelWarn, "")) + len(at(entries, slog.LevelInfo, "")); got != 0 {
		t.Errorf("%d Warn or Info records for failures returned to the caller", got)
	}
	if got := at(entries, slog.LevelDebug, "bucketing file fetched again after 2 failed fetches"); len(got) != 1 {
		t.Errorf("recovery at Debug: %d records, want 1", len(got))
	}
}

// TestNextWaitJitterAfterFailures: with random jitter, every wait after
// failures stays within the backoff ± Jitter, hence never beyond the
// longest wait of a regular poll.
func TestNextWaitJitterAfterFailures(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	p, err := NewPoller(NewEngine(Options{}), PollerOptions{URL: "https://cdn.flagship.io/e/bucketing.json", Interval: 10 * time.Second, Rand: r.Float64})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 8; n++ {
		p.failures = n
		mean := retryDelay(10*time.Second, n)
		lo, hi := time.Duration(float64(mean)*(1-DefaultPollJitter)), time.Duration(float64(mean)*(1+DefaultPollJitter))
		for range 1000 {
			if d := p.nextWait(); d < lo || d > hi || d > 11*time.Second {
				t.Fatalf("%d failures: wait %v outside [%v, %v]", n, d, lo, hi)
			}
		}
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

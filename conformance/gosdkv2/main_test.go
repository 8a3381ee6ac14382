package gosdkv2

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flagship-io/flagship-go-sdk/v2/pkg/logging"
)

// serveBin is the "flagship" binary TestMain builds from ../../cmd/flagship.
var serveBin string

// guard is installed as http.DefaultTransport for the whole test binary.
var guard *guardTransport

// v2log collects what Go SDK v2 logs (logrus, warnings and errors), shown
// when a test fails.
var v2log = &syncBuffer{}

// collectorHost is the only Flagship host Go SDK v2 has no option for: its
// hits go to this host, hard-coded (pkg/tracking.defaultAPIURLTracking).
const collectorHost = "ariane.abtasty.com"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "gosdkv2-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	serveBin = filepath.Join(dir, "flagship")
	if bin := os.Getenv("CONFORMANCE_FLAGSHIP_BIN"); bin != "" {
		// Another build of flagship serve (debugging).
		serveBin = bin
	} else if err := buildServe(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}

	inner, ok := http.DefaultTransport.(*http.Transport)

	if !ok {
		fmt.Fprintln(os.Stderr, "http.DefaultTransport is not an *http.Transport")
		return 1
	}
	guard = &guardTransport{inner: inner.Clone()}
	http.DefaultTransport = guard
	logging.SetOuput(v2log)

	code := m.Run()
	if foreign := guard.foreignAttempts(); len(foreign) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: requests to hosts other than the local server (refused, never sent):\n  %s\n",
			strings.Join(foreign, "\n  "))
		code = 1
	}
	return code
}

// buildServe builds flagship serve in the repository's own module (with
// its own go.mod: this module needs only the SDK packages it imports).
func buildServe() error {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("the go command is needed to build flagship serve: %w", err)
	}
	build := exec.Command(goCmd, "build", "-o", serveBin, "./cmd/flagship")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/flagship: %w\n%s", err, out)
	}
	return nil
}

// guardTransport is Go SDK v2's only way out of the process. Go SDK v2
// builds every HTTP client as &http.Client{Timeout: t} (pkg/utils.
// NewHTTPClient), whose nil Transport means http.DefaultTransport, so
// replacing that variable catches all of its requests. Requests to the
// local server (where the Decision API and bucketing options point) pass;
// requests to the hard-coded collector host are rewritten to the local
// server's root, keeping the path; anything else is refused with an error
// and remembered, and the test binary fails.
type guardTransport struct {
	inner *http.Transport

	mu        sync.Mutex
	target    *url.URL // the current local server; nil between tests
	exchanges []exchange
	foreign   []string
}

// exchange is one request as the guard saw it, with its answer.
type exchange struct {
	Method     string
	URL        string // as Go SDK v2 built it
	Path       string // as sent to the local server
	Query      string
	ReqBody    []byte
	Status     int // 0 on a transport error
	RespBody   []byte
	Err        string
	rewrittenF bool
}

func (e exchange) String() string {
	s := fmt.Sprintf("%s %s", e.Method, e.Path)
	if e.Query != "" {
		s += "?" + e.Query
	}
	if e.rewrittenF {
		s += " (sent to " + e.URL + ")"
	}
	if e.Err != "" {
		return s + ": error " + e.Err
	}
	s += fmt.Sprintf(": %d", e.Status)
	if len(e.RespBody) > 0 {
		s += " " + truncate(string(e.RespBody), 300)
	}
	if len(e.ReqBody) > 0 {
		s += "; request body " + truncate(string(e.ReqBody), 300)
	}
	return s
}

func (g *guardTransport) setTarget(u *url.URL) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.target = u
	g.exchanges = nil
}

// take returns the exchanges so far and forgets them.
func (g *guardTransport) take() []exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	ex := g.exchanges
	g.exchanges = nil
	return ex
}

func (g *guardTransport) snapshot() []exchange {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]exchange(nil), g.exchanges...)
}

func (g *guardTransport) foreignAttempts() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.foreign...)
}

// forgetForeign forgets the refused requests after the first n (the
// guard's own test makes some on purpose).
func (g *guardTransport) forgetForeign(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.foreign = g.foreign[:n]
}

func (g *guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	target := g.target
	g.mu.Unlock()
	orig := req.URL.String()
	rewritten := false
	switch {
	case target != nil && req.URL.Scheme == target.Scheme && req.URL.Host == target.Host:
	case target != nil && req.URL.Hostname() == collectorHost:
		r2 := req.Clone(req.Context())
		r2.URL.Scheme, r2.URL.Host = target.Scheme, target.Host
		r2.Host = ""
		if r2.URL.Path == "" {
			r2.URL.Path = "/"
		}
		req, rewritten = r2, true
	default:
		if req.Body != nil {
			req.Body.Close()
		}
		g.mu.Lock()
		g.foreign = append(g.foreign, req.Method+" "+orig)
		g.mu.Unlock()
		return nil, fmt.Errorf("conformance guard: %s %s refused: only the local server may be called", req.Method, orig)
	}

	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	ex := exchange{Method: req.Method, URL: orig, Path: req.URL.Path, Query: req.URL.RawQuery, ReqBody: body, rewrittenF: rewritten}
	resp, err := g.inner.RoundTrip(req)
	if err != nil {
		ex.Err = err.Error()
	} else {
		ex.Status = resp.StatusCode
		// Keep the answer's body (the server's message) for reports;
		// bodies here are small.
		rb, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if rerr != nil {
			ex.Err = rerr.Error()
		}
		ex.RespBody = rb
		resp.Body = io.NopCloser(bytes.NewReader(rb))
	}
	g.mu.Lock()
	g.exchanges = append(g.exchanges, ex)
	g.mu.Unlock()
	return resp, err
}

// serveProc is a running "flagship serve".
type serveProc struct {
	URL    *url.URL
	EnvID  string
	APIKey string
	cmd    *exec.Cmd
	stderr *syncBuffer
	client *http.Client // for the records route: not through the guard
}

const (
	envID  = "conformance-env"
	apiKey = "conformance-key"
)

// startServe runs "flagship serve" at its default validation level with
// the bucketing file, on a free loopback port, points the guard at it and
// stops it when the test ends.
func startServe(t *testing.T, bucketingFile string) *serveProc {
	t.Helper()
	stderr := &syncBuffer{}
	v2log.reset()
	cmd := exec.Command(serveBin, "serve", "--addr", "127.0.0.1:0", "--bucketing", bucketingFile,
		"--env", envID, "--api-key", apiKey)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var first string
	select {
	case first = <-lines:
	case <-time.After(20 * time.Second):
	}
	u, err := url.Parse(strings.TrimSpace(first))
	if first == "" || err != nil || u.Host == "" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("flagship serve printed no base URL (%q): %s", first, stderr.String())
	}
	p := &serveProc{URL: u, EnvID: envID, APIKey: apiKey, cmd: cmd, stderr: stderr,
		client: &http.Client{Transport: guard.inner, Timeout: 10 * time.Second}}
	guard.setTarget(u)
	t.Cleanup(func() {
		guard.setTarget(nil)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("flagship serve exited with %v: %s", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("flagship serve did not stop within 10 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("flagship serve's standard error:\n%s", truncate(stderr.String(), 4000))
			t.Logf("Go SDK v2's log:\n%s", truncate(v2log.String(), 4000))
		}
	})
	return p
}

// base is the server's root URL, as a string.
func (p *serveProc) base() string { return p.URL.String() }

// records is the answer of GET /_flagshiptest/records.
type records struct {
	Next            int64              `json:"next"`
	Hits            []hitRecord        `json:"hits"`
	Activations     []activationRecord `json:"activations"`
	Usage           []json.RawMessage  `json:"usage"`
	Troubleshooting []json.RawMessage  `json:"troubleshooting"`
	ContextEvents   []contextRecord    `json:"contextEvents"`
	Refused         []refusedRecord    `json:"refused"`
}

type hitRecord struct {
	Seq          int64           `json:"seq"`
	Route        string          `json:"route"`
	Type         string          `json:"type"`
	VID          string          `json:"vid"`
	CUID         string          `json:"cuid"`
	EnvID        string          `json:"envId"`
	FromDecision bool            `json:"fromDecision"`
	Item         json.RawMessage `json:"item"`
}

type activationRecord struct {
	Seq          int64           `json:"seq"`
	Route        string          `json:"route"`
	VID          string          `json:"vid"`
	AID          string          `json:"aid"`
	CAID         string          `json:"caid"`
	VAID         string          `json:"vaid"`
	EnvID        string          `json:"envId"`
	FromDecision bool            `json:"fromDecision"`
	Item         json.RawMessage `json:"item"`
}

type contextRecord struct {
	Seq   int64           `json:"seq"`
	Route string          `json:"route"`
	EnvID string          `json:"envId"`
	VID   string          `json:"vid"`
	Type  string          `json:"type"`
	Data  json.RawMessage `json:"data"`
	Item  json.RawMessage `json:"item"`
}

type refusedRecord struct {
	Seq    int64           `json:"seq"`
	Route  string          `json:"route"`
	Index  int             `json:"index"`
	Status int             `json:"status"`
	Reason string          `json:"reason"`
	VID    string          `json:"vid"`
	Item   json.RawMessage `json:"item"`
}

// records reads everything the server recorded; on failure it reports the
// error and returns false.
func (p *serveProc) records(t *testing.T) (records, bool) {
	t.Helper()
	var r records
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.base()+"/_flagshiptest/records", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		t.Errorf("GET /_flagshiptest/records: %v", err)
		return r, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("GET /_flagshiptest/records: %v", err)
		return r, false
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /_flagshiptest/records: %d %s", resp.StatusCode, truncate(string(body), 500))
		return r, false
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Errorf("GET /_flagshiptest/records: %v in %s", err, truncate(string(body), 500))
		return r, false
	}
	return r, true
}

// waitFor polls cond every 10 ms until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// canonical returns the JSON document in a canonical form (object keys
// sorted, numbers as float64), to compare what was sent with what was
// recorded.
func canonical(raw []byte) (string, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func mustCanonical(t *testing.T, raw []byte) string {
	t.Helper()
	s, err := canonical(raw)
	if err != nil {
		t.Fatalf("not JSON: %v: %s", err, truncate(string(raw), 300))
	}
	return s
}

package admin_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

const (
	account  = "acc-1"
	clientID = "client-1"
	secret   = "s3cr3t-Zq81-very-secret"
	envID    = "env-1"
)

// fake is a Remote Control API on 127.0.0.1 whose management routes are
// answered by api, after the bearer token was checked. It records every
// management request.
type fake struct {
	srv *httptest.Server
	api http.HandlerFunc

	mu           sync.Mutex
	tokenCalls   int
	tokenSeq     int
	expiresIn    int           // of the tokens issued
	tokenDelay   time.Duration // before answering a token request
	refuseTokens bool          // answer token requests 400 invalid_client
	failTokens   int           // answer that many token requests 503 first
	valid        map[string]bool
	reqs         []recorded
}

// recorded is a management request the fake received.
type recorded struct {
	Method, Path, Query string
	Body                string
	Auth                string
	At                  time.Time
}

// newFake starts a fake answering management calls with api.
func newFake(t testing.TB, api http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{api: api, expiresIn: 3600, valid: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/{account}/token", f.token)
	mux.HandleFunc("/v1/", f.management)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Scope        string `json:"scope"`
	}
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.tokenCalls++
	delay, refuse := f.tokenDelay, f.refuseTokens
	unavailable := f.failTokens > 0
	if unavailable {
		f.failTokens--
	}
	f.mu.Unlock()
	time.Sleep(delay)
	if unavailable {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if json.Unmarshal(body, &req) != nil || req.GrantType != "client_credentials" ||
		req.ClientID != clientID || req.ClientSecret != secret || r.PathValue("account") != account ||
		r.URL.Query().Get("expires_in") == "" || refuse {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		// A careless server that echoes what it was sent.
		fmt.Fprintf(w, `{"error":"invalid_client","error_description":"bad client %s / %s"}`, req.ClientID, req.ClientSecret)
		return
	}
	f.mu.Lock()
	f.tokenSeq++
	tok := fmt.Sprintf("tok-%d-%s", f.tokenSeq, strings.Repeat("x", 8))
	f.valid[tok] = true
	exp := f.expiresIn
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"refresh_token":"r","scope":"* env:*","token_type":"Bearer"}`, tok, exp)
}

func (f *fake) management(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{
		Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
		Body: string(body), Auth: r.Header.Get("Authorization"), At: time.Now(),
	})
	ok := f.valid[tok]
	f.mu.Unlock()
	if !ok {
		http.Error(w, `{"message":"invalid token"}`, http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	f.api(w, r)
}

// client returns a client of the fake with fast retries.
func (f *fake) client(t testing.TB, opts ...admin.Option) *admin.Client {
	t.Helper()
	all := append([]admin.Option{
		admin.WithBaseURL(f.srv.URL + "/v1"),
		admin.WithAuthURL(f.srv.URL + "/auth"),
		admin.WithRetry(admin.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}),
	}, opts...)
	c, err := admin.New(account, admin.Credentials{ClientID: clientID, ClientSecret: secret}, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (f *fake) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

func (f *fake) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

// revoke makes the API refuse every token issued so far.
func (f *fake) revoke() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

func (f *fake) set(fn func(f *fake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// reply answers with status and body (JSON).
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ok answers 200 with body.
func ok(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { reply(w, http.StatusOK, body) }
}

// base is the path of the account's routes on the fake.
const base = "/v1/accounts/" + account

// newRawServer starts a server answering every request, token requests
// included, with h.
func newRawServer(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// rawClient returns a client of srv with fast retries.
func rawClient(t testing.TB, srv *httptest.Server, opts ...admin.Option) *admin.Client {
	t.Helper()
	all := append([]admin.Option{
		admin.WithBaseURL(srv.URL + "/v1"),
		admin.WithAuthURL(srv.URL + "/auth"),
		admin.WithRetry(admin.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}),
	}, opts...)
	c, err := admin.New(account, admin.Credentials{ClientID: clientID, ClientSecret: secret}, all...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

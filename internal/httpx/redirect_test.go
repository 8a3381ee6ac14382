package httpx_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

const secret = "sk-secret-5d1e"

// seen is what a server received: the path and x-api-key of each request.
type seen struct {
	mu   sync.Mutex
	reqs []string // "METHOD path key=... body=..."
}

func (s *seen) add(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, r.Method+" "+r.URL.Path+" key="+r.Header.Get("x-api-key")+" body="+string(b))
}

func (s *seen) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

// newServer serves h on loopback and records every request.
func newServer(t *testing.T, h http.HandlerFunc) (*httptest.Server, *seen) {
	t.Helper()
	s := &seen{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.add(r)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, s
}

// newClient returns a client made by the package, closed at the end of
// the test.
func newClient(t *testing.T) *http.Client {
	t.Helper()
	c := httpx.ClientFor(nil, 0)
	t.Cleanup(c.CloseIdle)
	return c.HTTP()
}

func send(t *testing.T, c *http.Client, method, url, body string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("x-api-key", secret)
	resp, err := c.Do(req)
	if err == nil {
		httpx.DrainClose(resp.Body)
	}
	return resp, err
}

func TestCheckRedirectOrigin(t *testing.T) {
	tests := []struct {
		name     string
		giveFrom string
		giveTo   string
		want     error
	}{
		{name: "same origin", giveFrom: "https://cdn.flagship.io/a", giveTo: "https://cdn.flagship.io/b?x=1", want: nil},
		{name: "default port made explicit", giveFrom: "https://cdn.flagship.io/a", giveTo: "https://cdn.flagship.io:443/b", want: nil},
		{name: "case of scheme and host", giveFrom: "http://cdn.flagship.io/a", giveTo: "HTTP://CDN.Flagship.IO:80/b", want: nil},
		{name: "another host", giveFrom: "https://cdn.flagship.io/a", giveTo: "https://evil.example/a", want: httpx.ErrCrossOriginRedirect},
		{name: "a subdomain", giveFrom: "https://flagship.io/a", giveTo: "https://cdn.flagship.io/a", want: httpx.ErrCrossOriginRedirect},
		{name: "another port", giveFrom: "http://127.0.0.1:8080/a", giveTo: "http://127.0.0.1:8081/a", want: httpx.ErrCrossOriginRedirect},
		{name: "https to http", giveFrom: "https://cdn.flagship.io/a", giveTo: "http://cdn.flagship.io/a", want: httpx.ErrCrossOriginRedirect},
		{name: "http to https", giveFrom: "http://cdn.flagship.io/a", giveTo: "https://cdn.flagship.io/a", want: httpx.ErrCrossOriginRedirect},
		{name: "IPv6 ports", giveFrom: "http://[::1]:80/a", giveTo: "http://[::1]/b", want: nil},
		{name: "user information", giveFrom: "https://cdn.flagship.io/a", giveTo: "https://u:p@cdn.flagship.io/a", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := httptest.NewRequest(http.MethodGet, tt.giveFrom, nil)
			to := httptest.NewRequest(http.MethodGet, tt.giveTo, nil)
			err := httpx.CheckRedirect(to, []*http.Request{from})
			assert.ErrorIs(t, err, tt.want)
			assert.Equal(t, tt.want == nil, err == nil, err)
		})
	}
}

func TestCheckRedirectErrorNamesOrigins(t *testing.T) {
	from := httptest.NewRequest(http.MethodGet, "https://cdn.flagship.io/env/bucketing.json?k=1", nil)
	to := httptest.NewRequest(http.MethodGet, "http://user:pw@evil.example:8443/steal?token=x", nil)
	err := httpx.CheckRedirect(to, []*http.Request{from})
	require.Error(t, err)
	assert.Equal(t, "redirect to another origin refused: http://evil.example:8443 is not https://cdn.flagship.io:443", err.Error())
}

// TestRedirectSameOriginFollowed follows a redirect within a real server,
// headers and body kept.
func TestRedirectSameOriginFollowed(t *testing.T) {
	tests := []struct {
		name       string
		giveMethod string
		giveStatus int
		wantStatus int
		wantSeen   []string
	}{
		{
			name: "GET 302", giveMethod: http.MethodGet, giveStatus: http.StatusFound, wantStatus: http.StatusOK,
			wantSeen: []string{"GET /old key=" + secret + " body={}", "GET /new key=" + secret + " body="},
		},
		{
			name: "POST 307", giveMethod: http.MethodPost, giveStatus: http.StatusTemporaryRedirect, wantStatus: http.StatusOK,
			wantSeen: []string{"POST /old key=" + secret + " body={}", "POST /new key=" + secret + " body={}"},
		},
		{
			name: "POST 308", giveMethod: http.MethodPost, giveStatus: http.StatusPermanentRedirect, wantStatus: http.StatusOK,
			wantSeen: []string{"POST /old key=" + secret + " body={}", "POST /new key=" + secret + " body={}"},
		},
		{
			name: "POST 302 not turned into a GET", giveMethod: http.MethodPost, giveStatus: http.StatusFound, wantStatus: http.StatusFound,
			wantSeen: []string{"POST /old key=" + secret + " body={}"},
		},
		{
			name: "POST 303 not turned into a GET", giveMethod: http.MethodPost, giveStatus: http.StatusSeeOther, wantStatus: http.StatusSeeOther,
			wantSeen: []string{"POST /old key=" + secret + " body={}"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old" {
					http.Redirect(w, r, "/new", tt.giveStatus)
				}
			})
			resp, err := send(t, newClient(t), tt.giveMethod, srv.URL+"/old", "{}")
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, tt.wantSeen, seen.all())
		})
	}
}

// TestRedirectCrossOriginRefused redirects from a real server to another
// one (another port) and to itself under another name (another host):
// neither the request nor its x-api-key ever gets there.
func TestRedirectCrossOriginRefused(t *testing.T) {
	tests := []struct {
		name       string
		giveMethod string
		giveStatus int
	}{
		{name: "GET 301", giveMethod: http.MethodGet, giveStatus: http.StatusMovedPermanently},
		{name: "GET 302", giveMethod: http.MethodGet, giveStatus: http.StatusFound},
		{name: "GET 307", giveMethod: http.MethodGet, giveStatus: http.StatusTemporaryRedirect},
		{name: "POST 307", giveMethod: http.MethodPost, giveStatus: http.StatusTemporaryRedirect},
		{name: "POST 308", giveMethod: http.MethodPost, giveStatus: http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other, otherSeen := newServer(t, nil)
			srv, seen := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/to-other":
					http.Redirect(w, r, other.URL+"/landed", tt.giveStatus)
				case "/to-localhost": // srv itself, under another host name
					_, port, _ := net.SplitHostPort(r.Host)
					http.Redirect(w, r, "http://localhost:"+port+"/landed", tt.giveStatus)
				}
			})
			c := newClient(t)

			for _, path := range []string{"/to-other", "/to-localhost"} {
				_, err := send(t, c, tt.giveMethod, srv.URL+path, "{}")
				require.ErrorIs(t, err, httpx.ErrCrossOriginRedirect, path)
				assert.Contains(t, err.Error(), "redirect to another origin refused")
				assert.NotContains(t, err.Error(), secret)
			}
			assert.Empty(t, otherSeen.all(), "nothing reaches the other server")
			for _, r := range seen.all() {
				assert.NotContains(t, r, "/landed", "nothing reaches the server under another name")
			}
		})
	}
}

func TestRedirectLimit(t *testing.T) {
	srv, seen := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	_, err := send(t, newClient(t), http.MethodGet, srv.URL+"/", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stopped after 10 redirects")
	assert.Len(t, seen.all(), httpx.MaxRedirects, "as net/http's default rule")
}

func TestGuardRedirects(t *testing.T) {
	errStop := errors.New("the caller's rule")
	var asked int
	caller := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		asked++
		return errStop
	}}
	guarded := httpx.GuardRedirects(caller)
	require.NotSame(t, caller, guarded)
	other, otherSeen := newServer(t, nil)
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/landed", http.StatusFound)
		case "/other":
			http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
		}
	})
	t.Cleanup(guarded.CloseIdleConnections) // the caller's transport: http.DefaultTransport

	_, err := send(t, guarded, http.MethodGet, srv.URL+"/other", "")
	require.ErrorIs(t, err, httpx.ErrCrossOriginRedirect)
	assert.Zero(t, asked, "the origin rule comes first")
	assert.Empty(t, otherSeen.all())

	_, err = send(t, guarded, http.MethodGet, srv.URL+"/same", "")
	require.ErrorIs(t, err, errStop, "then the caller's own rule")
	assert.Equal(t, 1, asked)

	_, err = send(t, caller, http.MethodGet, srv.URL+"/other", "")
	require.ErrorIs(t, err, errStop, "the caller's client is unchanged")
	assert.Nil(t, httpx.GuardRedirects(nil))
}

func TestGuardRedirectsWithoutCallerRule(t *testing.T) {
	srv, seen := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
		}
	})
	caller := &http.Client{Transport: srv.Client().Transport}
	resp, err := send(t, httpx.GuardRedirects(caller), http.MethodGet, srv.URL+"/old", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, seen.all(), 2)
	assert.Nil(t, caller.CheckRedirect, "the caller's client is not modified")
}

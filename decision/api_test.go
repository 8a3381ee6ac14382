package decision_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// testKey is the API key of every test client; it must never show in errors.
const testKey = "k_secret_do_not_leak_42"

// specBody is the example response of spec §2.4.
const specBody = `{
  "visitorId": "user-4242",
  "campaigns": [
    {
      "id": "c_banner", "name": "Home banner", "slug": "home-banner", "type": "ab",
      "variationGroupId": "vg_all", "variationGroupName": "All users",
      "variation": {
        "id": "var_blue", "name": "Variation 1",
        "modifications": {"type": "FLAG", "value": {"color": "blue", "size": 12}},
        "reference": false
      }
    },
    {
      "id": "c_toggle", "name": "Toggle", "slug": null, "type": "toggle",
      "variationGroupId": "vg_t", "variationGroupName": "",
      "variation": {"id": "var_on", "name": "", "modifications": {"type": "FLAG", "value": {"enabled": true}}, "reference": false}
    }
  ]
}`

// seenRequest is what the fake Decision API received.
type seenRequest struct {
	Method string
	Path   string // escaped
	Query  string
	Header http.Header
	Body   string
}

// fakeAPI is a Decision API on loopback that records requests and answers
// every one with the same status and body.
type fakeAPI struct {
	URL string

	mu   sync.Mutex
	seen []seenRequest
}

func newFakeAPI(tb testing.TB, status int, body string) *fakeAPI {
	tb.Helper()
	f := &fakeAPI{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: string(b),
		})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *fakeAPI) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

// serve runs h on loopback until the test ends.
func serve(tb testing.TB, h http.HandlerFunc) string {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// blockingServer answers nothing until the request's context ends or the
// test ends, so no handler goroutine outlives the test. started receives
// one value per request.
func blockingServer(tb testing.TB) (url string, started <-chan struct{}) {
	tb.Helper()
	release := make(chan struct{})
	ch := make(chan struct{}, 16) // never blocks the handler in these tests
	url = serve(tb, func(w http.ResponseWriter, r *http.Request) {
		ch <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	tb.Cleanup(func() { close(release) }) // runs before srv.Close
	return url, ch
}

func newClient(tb testing.TB, baseURL string, o decision.APIOptions) *decision.APIClient {
	tb.Helper()
	o.BaseURL = baseURL
	c, err := decision.NewAPIClient("env_1", testKey, o)
	require.NoError(tb, err)
	tb.Cleanup(c.Close)
	return c
}

// roundTripFunc is an http.RoundTripper that never touches the network.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// fakeResponse returns an HTTP client whose every call gets status and body
// and whose last request is stored in *last.
func fakeResponse(status int, body []byte, last **http.Request) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			_ = r.Body.Close()
		}
		if last != nil {
			*last = r
		}
		return &http.Response{
			StatusCode: status, Header: http.Header{}, Request: r,
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: -1,
		}, nil
	})}
}

func consent(consented bool) func(*decision.APIClient, context.Context, decision.Request) (decision.Decision, error) {
	return func(c *decision.APIClient, ctx context.Context, r decision.Request) (decision.Decision, error) {
		return c.DecideConsent(ctx, r, consented)
	}
}

func TestNewAPIClient_invalidConfig(t *testing.T) {
	tests := []struct {
		name     string
		giveEnv  string
		giveKey  string
		giveOpts decision.APIOptions
	}{
		{name: "empty env id", giveEnv: "", giveKey: testKey},
		{name: "empty api key", giveEnv: "env_1", giveKey: ""},
		{name: "relative base url", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{BaseURL: "decision.flagship.io/v2"}},
		{name: "unparsable base url", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{BaseURL: "http://[::1"}},
		{name: "non-http base url", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{BaseURL: "ftp://example.com/v2"}},
		{name: "base url with query", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{BaseURL: "https://example.com/v2?x=1"}},
		{name: "negative timeout", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{Timeout: -time.Second}},
		{name: "negative max response", giveEnv: "env_1", giveKey: testKey, giveOpts: decision.APIOptions{MaxResponseBytes: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decision.NewAPIClient(tt.giveEnv, tt.giveKey, tt.giveOpts)
			assert.ErrorIs(t, err, decision.ErrInvalidOptions)
			assert.Nil(t, c)
		})
	}
}

func TestNewAPIClient_zeroOptions(t *testing.T) {
	// The fake transport shows where a zero-options client would go without
	// touching the network.
	var last *http.Request
	c, err := decision.NewAPIClient("env_1", testKey, decision.APIOptions{
		HTTPClient: fakeResponse(http.StatusOK, []byte(`{"campaigns":[]}`), &last),
	})
	require.NoError(t, err)

	before := time.Now()
	_, err = c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
	after := time.Now()
	require.NoError(t, err)
	require.NotNil(t, last)
	assert.Equal(t, "https://decision.flagship.io/v2/env_1/campaigns?exposeAllKeys=true", last.URL.String())
	assert.Equal(t, decision.SDKVersion, last.Header.Get("x-sdk-version"))
	assert.Equal(t, "flagship-go/"+decision.SDKVersion, last.Header.Get("User-Agent"))
	deadline, ok := last.Context().Deadline()
	assert.True(t, ok, "the call must carry a deadline")
	assert.WithinRange(t, deadline, before.Add(decision.DefaultTimeout), after.Add(decision.DefaultTimeout),
		"DefaultTimeout from the call")
}

func TestDecide_request(t *testing.T) {
	tests := []struct {
		name       string
		giveReq    decision.Request
		giveDecide func(*decision.APIClient, context.Context, decision.Request) (decision.Decision, error)
		wantBody   string
	}{
		{
			name:       "minimal request sends null anonymous id and empty context",
			giveReq:    decision.Request{VisitorID: "user-4242"},
			giveDecide: (*decision.APIClient).Decide,
			wantBody:   `{"visitorId":"user-4242","anonymousId":null,"context":{},"trigger_hit":false,"visitor_consent":true}`,
		},
		{
			name: "anonymous id and context",
			giveReq: decision.Request{
				VisitorID: "user-4242", AnonymousID: "anon-1",
				Context: map[string]any{"plan": "gold", "age": 31, "ratio": float32(0.5), "isVIP": true, "none": nil},
			},
			giveDecide: (*decision.APIClient).Decide,
			wantBody: `{"visitorId":"user-4242","anonymousId":"anon-1",
				"context":{"plan":"gold","age":31,"ratio":0.5,"isVIP":true,"none":null},
				"trigger_hit":false,"visitor_consent":true}`,
		},
		{
			name:       "decision group is sent only when set",
			giveReq:    decision.Request{VisitorID: "v1", DecisionGroup: "household-7"},
			giveDecide: (*decision.APIClient).Decide,
			wantBody:   `{"visitorId":"v1","anonymousId":null,"context":{},"trigger_hit":false,"visitor_consent":true,"decision_group":"household-7"}`,
		},
		{
			name:       "no consent",
			giveReq:    decision.Request{VisitorID: "v1"},
			giveDecide: consent(false),
			wantBody:   `{"visitorId":"v1","anonymousId":null,"context":{},"trigger_hit":false,"visitor_consent":false}`,
		},
		{
			name:       "explicit consent",
			giveReq:    decision.Request{VisitorID: "v1"},
			giveDecide: consent(true),
			wantBody:   `{"visitorId":"v1","anonymousId":null,"context":{},"trigger_hit":false,"visitor_consent":true}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, http.StatusOK, `{"campaigns":[]}`)
			c := newClient(t, api.URL+"/v2", decision.APIOptions{})

			_, err := tt.giveDecide(c, t.Context(), tt.giveReq)
			require.NoError(t, err)

			seen := api.requests()
			require.Len(t, seen, 1)
			got := seen[0]
			assert.Equal(t, http.MethodPost, got.Method)
			assert.Equal(t, "/v2/env_1/campaigns", got.Path)
			assert.Equal(t, "exposeAllKeys=true", got.Query)
			assert.Equal(t, testKey, got.Header.Get("x-api-key"))
			assert.Equal(t, "go", got.Header.Get("x-sdk-client"))
			assert.Equal(t, "0.1.0", got.Header.Get("x-sdk-version"))
			assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
			assert.Equal(t, "flagship-go/0.1.0", got.Header.Get("User-Agent"))
			assert.JSONEq(t, tt.wantBody, got.Body)
		})
	}
}

func TestDecide_endpoint(t *testing.T) {
	tests := []struct {
		name        string
		giveBase    string // appended to the server URL
		giveEnv     string
		giveVersion string
		wantPath    string
		wantVersion string
	}{
		{name: "base without trailing slash", giveBase: "/v2", giveEnv: "env_1", wantPath: "/v2/env_1/campaigns", wantVersion: "0.1.0"},
		{name: "base with trailing slash", giveBase: "/v2/", giveEnv: "env_1", wantPath: "/v2/env_1/campaigns", wantVersion: "0.1.0"},
		{name: "base is the host", giveBase: "", giveEnv: "env_1", wantPath: "/env_1/campaigns", wantVersion: "0.1.0"},
		{name: "base is the host with slash", giveBase: "/", giveEnv: "env_1", wantPath: "/env_1/campaigns", wantVersion: "0.1.0"},
		{name: "env id is escaped", giveBase: "/v2", giveEnv: "a/b c", wantPath: "/v2/a%2Fb%20c/campaigns", wantVersion: "0.1.0"},
		{name: "custom sdk version", giveBase: "/v2", giveEnv: "env_1", giveVersion: "9.9.9", wantPath: "/v2/env_1/campaigns", wantVersion: "9.9.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, http.StatusOK, `{"campaigns":[]}`)
			c, err := decision.NewAPIClient(tt.giveEnv, testKey, decision.APIOptions{
				BaseURL: api.URL + tt.giveBase, SDKVersion: tt.giveVersion,
			})
			require.NoError(t, err)

			_, err = c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			require.NoError(t, err)

			seen := api.requests()
			require.Len(t, seen, 1)
			assert.Equal(t, tt.wantPath, seen[0].Path)
			assert.Equal(t, "exposeAllKeys=true", seen[0].Query)
			assert.Equal(t, tt.wantVersion, seen[0].Header.Get("x-sdk-version"))
			assert.Equal(t, "flagship-go/"+tt.wantVersion, seen[0].Header.Get("User-Agent"))
		})
	}
}

func remote() decision.Reason { return decision.Reason{Kind: decision.ReasonRemote, Bucket: -1} }

func TestDecide_response(t *testing.T) {
	tests := []struct {
		name       string
		giveStatus int
		giveBody   string
		want       decision.Decision
	}{
		{
			name:       "spec example keeps campaign order and maps null slug to empty",
			giveStatus: http.StatusOK,
			giveBody:   specBody,
			want: decision.Decision{VisitorID: "v1", Campaigns: []decision.Assignment{
				{Campaign: &decision.Campaign{
					ID: "c_banner", Name: "Home banner", Slug: "home-banner", Type: "ab",
					VariationGroup: decision.VariationGroup{ID: "vg_all", Name: "All users"},
					Variation: decision.Variation{
						ID: "var_blue", Name: "Variation 1",
						Modifications: decision.NewModifications("FLAG", map[string]any{"color": "blue", "size": 12.0}),
					},
				}, Reason: remote()},
				{Campaign: &decision.Campaign{
					ID: "c_toggle", Name: "Toggle", Type: "toggle",
					VariationGroup: decision.VariationGroup{ID: "vg_t"},
					Variation: decision.Variation{
						ID:            "var_on",
						Modifications: decision.NewModifications("FLAG", map[string]any{"enabled": true}),
					},
				}, Reason: remote()},
			}},
		},
		{
			name:       "missing names, null values, unknown fields and null entries",
			giveStatus: http.StatusOK,
			giveBody: `{"campaigns":[null,{"id":"c1","variationGroupId":"vg1","extra":1,
				"variation":{"id":"v1","reference":true,"modifications":{"type":"JSON","value":{"k":null,"o":{"a":[1,"x"]}}}}}],
				"extras":{"accountSettings":{"enabledXPC":true}}}`,
			want: decision.Decision{VisitorID: "v1", Campaigns: []decision.Assignment{{Campaign: &decision.Campaign{
				ID: "c1", VariationGroup: decision.VariationGroup{ID: "vg1"},
				Variation: decision.Variation{ID: "v1", Reference: true, Modifications: decision.NewModifications(
					"JSON", map[string]any{"k": nil, "o": map[string]any{"a": []any{1.0, "x"}}},
				)},
			}, Reason: remote()}}},
		},
		{
			name:       "no campaigns",
			giveStatus: http.StatusOK,
			giveBody:   `{"visitorId":"v1","campaigns":[]}`,
			want:       decision.Decision{VisitorID: "v1"},
		},
		{
			name:       "panic mode",
			giveStatus: http.StatusOK,
			giveBody:   `{"visitorId":"v1","campaigns":[],"panic":true}`,
			want:       decision.Decision{VisitorID: "v1", Panic: true},
		},
		{
			name:       "panic mode drops campaigns",
			giveStatus: http.StatusOK,
			giveBody:   `{"panic":true,"campaigns":[{"id":"c1"}]}`,
			want:       decision.Decision{VisitorID: "v1", Panic: true},
		},
		{
			name:       "no content",
			giveStatus: http.StatusNoContent,
			want:       decision.Decision{VisitorID: "v1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.giveStatus, tt.giveBody)
			c := newClient(t, api.URL, decision.APIOptions{})

			got, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDecide_apiError(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes, 2 per rune
	tests := []struct {
		name             string
		giveStatus       int
		giveBody         string
		want             *decision.APIError
		wantUnauthorized bool
		wantForbidden    bool
	}{
		{
			name: "401", giveStatus: 401, giveBody: `{"message":"bad key"}`,
			want: &decision.APIError{StatusCode: 401, Message: "bad key"}, wantUnauthorized: true,
		},
		{
			name: "403", giveStatus: 403, giveBody: `{"message":"forbidden env"}`,
			want: &decision.APIError{StatusCode: 403, Message: "forbidden env"}, wantUnauthorized: true, wantForbidden: true,
		},
		{
			name: "500 with message", giveStatus: 500, giveBody: `{"message":"boom"}`,
			want: &decision.APIError{StatusCode: 500, Message: "boom"},
		},
		{
			name: "400 with message", giveStatus: 400, giveBody: `{"message":"unknown field"}`,
			want: &decision.APIError{StatusCode: 400, Message: "unknown field"},
		},
		{
			name: "502 with html body", giveStatus: 502, giveBody: `<html>bad gateway</html>`,
			want: &decision.APIError{StatusCode: 502},
		},
		{
			name: "message is truncated on a rune boundary", giveStatus: 500, giveBody: `{"message":"` + long + `"}`,
			want: &decision.APIError{StatusCode: 500, Message: long[:200] + "…"},
		},
		{
			name: "message control characters are replaced", giveStatus: 500, giveBody: `{"message":"a\nb\u0000c"}`,
			want: &decision.APIError{StatusCode: 500, Message: "a b c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, tt.giveStatus, tt.giveBody)
			c := newClient(t, api.URL, decision.APIOptions{})

			_, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			var apiErr *decision.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.want, apiErr)
			assert.Equal(t, tt.wantUnauthorized, errors.Is(err, decision.ErrUnauthorized))
			assert.Equal(t, tt.wantForbidden, errors.Is(err, decision.ErrForbidden))
		})
	}
}

func TestAPIError_Error(t *testing.T) {
	tests := []struct {
		give *decision.APIError
		want string
	}{
		{give: &decision.APIError{StatusCode: 401}, want: "decision: status 401 Unauthorized"},
		{give: &decision.APIError{StatusCode: 500, Message: "boom"}, want: "decision: status 500 Internal Server Error: boom"},
		{give: &decision.APIError{StatusCode: 599}, want: "decision: status 599"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.Error())
		})
	}
}

// paddedBody is a valid empty campaigns document of exactly n bytes.
func paddedBody(n int) string {
	const doc = `{"campaigns":[]}`
	return doc + strings.Repeat(" ", n-len(doc))
}

func TestDecide_responseSize(t *testing.T) {
	tests := []struct {
		name        string
		giveMax     int64
		giveSize    int
		giveChunked bool // no Content-Length: the limit must hold while reading
		wantErr     error
	}{
		{name: "at the limit", giveMax: 1024, giveSize: 1024, wantErr: nil},
		{name: "over the limit", giveMax: 1024, giveSize: 1025, wantErr: decision.ErrResponseTooLarge},
		{name: "chunked at the limit", giveMax: 1024, giveSize: 1024, giveChunked: true, wantErr: nil},
		{name: "chunked over the limit", giveMax: 1024, giveSize: 4096, giveChunked: true, wantErr: decision.ErrResponseTooLarge},
		{name: "default limit is 1 MiB", giveMax: 0, giveSize: 1 << 20, wantErr: nil},
		{name: "over the default limit", giveMax: 0, giveSize: 1<<20 + 1, giveChunked: true, wantErr: decision.ErrResponseTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := paddedBody(tt.giveSize)
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.WriteString(w, body[:1])
				if tt.giveChunked {
					w.(http.Flusher).Flush()
				}
				_, _ = io.WriteString(w, body[1:])
			})
			c := newClient(t, url, decision.APIOptions{MaxResponseBytes: tt.giveMax})

			_, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestDecide_timeout(t *testing.T) {
	tests := []struct {
		name       string
		giveClient *http.Client
	}{
		{name: "default http client"},
		// A client without a timeout shows the per-call context deadline.
		{name: "caller's http client without timeout", giveClient: &http.Client{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, _ := blockingServer(t)
			c := newClient(t, url, decision.APIOptions{Timeout: 50 * time.Millisecond, HTTPClient: tt.giveClient})

			// The server answers only once the client gives up and
			// t.Context has no deadline: a Decide that returns was cut by
			// Timeout; one that ignored it would hang.
			done := make(chan error, 1)
			go func() {
				_, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
				done <- err
			}()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(30 * time.Second):
				t.Fatal("Decide hung: its Timeout did not end the call")
			}
		})
	}
}

func TestDecide_canceled(t *testing.T) {
	url, started := blockingServer(t)
	c := newClient(t, url, decision.APIOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started
		cancel()
	}()

	_, err := c.Decide(ctx, decision.Request{VisitorID: "v1"})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestDecide_callerDeadline(t *testing.T) {
	url, _ := blockingServer(t)
	c := newClient(t, url, decision.APIOptions{Timeout: time.Minute})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()

	_, err := c.Decide(ctx, decision.Request{VisitorID: "v1"})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDecide_invalidRequest(t *testing.T) {
	tests := []struct {
		name    string
		giveReq decision.Request
	}{
		{name: "empty visitor id", giveReq: decision.Request{Context: map[string]any{"a": 1}}},
		{name: "NaN in context", giveReq: decision.Request{VisitorID: "v1", Context: map[string]any{"a": math.NaN()}}},
		{name: "channel in context", giveReq: decision.Request{VisitorID: "v1", Context: map[string]any{"a": make(chan int)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, http.StatusOK, `{"campaigns":[]}`)
			c := newClient(t, api.URL, decision.APIOptions{})

			_, err := c.Decide(t.Context(), tt.giveReq)
			assert.ErrorIs(t, err, decision.ErrInvalidRequest)
			assert.Empty(t, api.requests(), "no request may be sent")
		})
	}
}

func TestDecide_refusesRedirectsToAnotherOrigin(t *testing.T) {
	other := newFakeAPI(t, http.StatusOK, `{"campaigns":[]}`)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	})
	c := newClient(t, url, decision.APIOptions{})

	_, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
	require.ErrorIs(t, err, httpx.ErrCrossOriginRedirect)
	assert.Contains(t, err.Error(), "redirect to another origin refused")
	assert.NotContains(t, err.Error(), testKey)
	assert.Empty(t, other.requests(), "the API key must not be forwarded")
}

func TestDecide_sameOriginRedirects(t *testing.T) {
	tests := []struct {
		name       string
		give       int
		wantStatus int // of the APIError; 0 means the redirect is followed
	}{
		{name: "307 followed with the body", give: http.StatusTemporaryRedirect},
		{name: "308 followed with the body", give: http.StatusPermanentRedirect},
		{name: "302 not turned into a GET", give: http.StatusFound, wantStatus: http.StatusFound},
		{name: "303 not turned into a GET", give: http.StatusSeeOther, wantStatus: http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := serve(t, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/old/env_1/campaigns":
					http.Redirect(w, r, "/new/env_1/campaigns?exposeAllKeys=true", tt.give)
				case "/new/env_1/campaigns":
					b, _ := io.ReadAll(r.Body)
					if r.Method != http.MethodPost || r.Header.Get("x-api-key") != testKey || len(b) == 0 {
						http.Error(w, "lost the method, the key or the body", http.StatusBadRequest)
						return
					}
					_, _ = io.WriteString(w, specBody)
				}
			})
			c := newClient(t, url+"/old", decision.APIOptions{})

			d, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			var apiErr *decision.APIError
			errors.As(err, &apiErr)
			assert.Equal(t, tt.wantStatus != 0, err != nil, err)
			assert.Equal(t, tt.wantStatus, statusOf(apiErr))
			assert.Equal(t, tt.wantStatus == 0, len(d.Campaigns) > 0)
		})
	}
}

// statusOf returns e's status, or 0 for nil.
func statusOf(e *decision.APIError) int {
	if e == nil {
		return 0
	}
	return e.StatusCode
}

func TestDecide_concurrent(t *testing.T) {
	api := newFakeAPI(t, http.StatusOK, specBody)
	c := newClient(t, api.URL, decision.APIOptions{})

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.Decide(t.Context(), decision.Request{VisitorID: fmt.Sprint("v", i)})
		}()
	}
	wg.Wait()
	assert.NoError(t, errors.Join(errs...))
	assert.Len(t, api.requests(), len(errs))
}

// TestAPIKeyNeverLeaks forces every error path and checks that the API key
// shows in none of the errors, however they are printed or logged.
func TestAPIKeyNeverLeaks(t *testing.T) {
	decide := func(t *testing.T, url string, o decision.APIOptions, r decision.Request) error {
		c := newClient(t, url, o)
		_, err := c.Decide(t.Context(), r)
		return err
	}
	v1 := decision.Request{VisitorID: "v1"}
	tests := []struct {
		name string
		give func(t *testing.T) error
	}{
		{name: "empty env id", give: func(t *testing.T) error {
			_, err := decision.NewAPIClient("", testKey, decision.APIOptions{})
			return err
		}},
		{name: "bad base url", give: func(t *testing.T) error {
			_, err := decision.NewAPIClient("env", testKey, decision.APIOptions{BaseURL: "http://" + testKey + "@[::1"})
			return err
		}},
		{name: "empty visitor id", give: func(t *testing.T) error {
			return decide(t, "http://127.0.0.1:1", decision.APIOptions{}, decision.Request{})
		}},
		{name: "bad context", give: func(t *testing.T) error {
			return decide(t, "http://127.0.0.1:1", decision.APIOptions{}, decision.Request{VisitorID: "v", Context: map[string]any{testKey: math.Inf(1)}})
		}},
		{name: "401 echoing the key", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 401, `{"message":"invalid key `+testKey+`"}`).URL, decision.APIOptions{}, v1)
		}},
		{name: "403", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 403, `{"message":"`+testKey+`"}`).URL, decision.APIOptions{}, v1)
		}},
		{name: "500", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 500, testKey).URL, decision.APIOptions{}, v1)
		}},
		{name: "redirect", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 302, "").URL, decision.APIOptions{}, v1)
		}},
		{name: "too large", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 200, paddedBody(100)+testKey).URL, decision.APIOptions{MaxResponseBytes: 64}, v1)
		}},
		{name: "malformed", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 200, testKey).URL, decision.APIOptions{}, v1)
		}},
		{name: "wrong type", give: func(t *testing.T) error {
			return decide(t, newFakeAPI(t, 200, `{"campaigns":[{"id":"`+testKey+`","variation":"`+testKey+`"}]}`).URL, decision.APIOptions{}, v1)
		}},
		{name: "timeout", give: func(t *testing.T) error {
			url, _ := blockingServer(t)
			return decide(t, url, decision.APIOptions{Timeout: 20 * time.Millisecond}, v1)
		}},
		{name: "canceled", give: func(t *testing.T) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			c := newClient(t, newFakeAPI(t, 200, "{}").URL, decision.APIOptions{})
			_, err := c.Decide(ctx, v1)
			return err
		}},
		{name: "connection refused", give: func(t *testing.T) error {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return decide(t, srv.URL, decision.APIOptions{}, v1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give(t)
			require.Error(t, err)

			var logs bytes.Buffer
			slog.New(slog.NewTextHandler(&logs, nil)).Error("text", "err", err)
			slog.New(slog.NewJSONHandler(&logs, nil)).Error("json", "err", err)
			for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v", err, err, err), logs.String()} {
				assert.NotContains(t, s, testKey)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "decision: "), "error %q lacks the package prefix", err)
		})
	}
}

func TestAPIClient_printingHidesKey(t *testing.T) {
	c := newClient(t, "http://127.0.0.1:1", decision.APIOptions{})

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("text", "client", c)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("json", "client", c)
	out := fmt.Sprintf("%v %+v %#v %s", c, c, c, logs.String())
	assert.NotContains(t, out, testKey)
}

func FuzzParseResponse(f *testing.F) {
	for _, body := range []string{
		specBody,
		`{"visitorId":"v","campaigns":[],"panic":true}`,
		`{"campaigns":[null,{"id":"c","slug":null,"variation":{"modifications":{"value":{"k":null}}}}]}`,
		`{"campaigns":[{"variation":{"modifications":{"value":[1]}}}]}`,
		`{"message":"invalid key ` + testKey + `"}`,
		`{"campaigns":[`,
		`null`,
		``,
	} {
		f.Add(uint16(200), []byte(body))
	}
	f.Add(uint16(401), []byte(`{"message":"`+testKey+`"}`))
	f.Add(uint16(204), []byte(nil))

	f.Fuzz(func(t *testing.T, status uint16, body []byte) {
		code := 100 + int(status)%500
		hc := fakeResponse(code, body, nil)
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c, err := decision.NewAPIClient("env", testKey, decision.APIOptions{HTTPClient: hc, MaxResponseBytes: 4096})
		require.NoError(t, err)

		d, err := c.Decide(context.Background(), decision.Request{VisitorID: "v"})
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "decision: "), "error %q lacks the package prefix", err)
			require.NotContains(t, err.Error(), testKey)
			return
		}
		require.True(t, code >= 200 && code <= 299, "status %d accepted", code)
		require.Equal(t, "v", d.VisitorID)
		if d.Panic {
			require.Nil(t, d.Campaigns)
			return
		}
		for _, cp := range d.Campaigns {
			require.Equal(t, remote(), cp.Reason)
		}
	})
}

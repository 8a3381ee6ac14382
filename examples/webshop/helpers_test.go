package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

const (
	mobileUA  = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	desktopUA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
)

// modes returns the modes the shop is tested in.
func modes() []flagship.Mode { return []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} }

// testCampaigns are the campaigns of campaigns.json without its 50/50
// split, so that tests know which flow a random visitor id gets.
func testCampaigns() []bucketing.Campaign {
	mobile := flagshiptest.Toggle("mobile-cta", map[string]any{flagCTAColor: "orange"})
	setRule(&mobile, attrDevice, "mobile")
	pro := flagshiptest.Toggle("pro-banner", map[string]any{flagBanner: "Free shipping for pro members"})
	setRule(&pro, attrPlan, "pro")
	flow := flagshiptest.Campaign("checkout-flow",
		flagshiptest.Variation("var_one-page", 100, map[string]any{flagCheckoutFlow: "one_page"}))
	return []bucketing.Campaign{mobile, pro, flow}
}

// setRule makes c target the visitors whose context key equals value.
func setRule(c *bucketing.Campaign, key string, value any) {
	rule := &c.VariationGroups[0].Targeting.Groups[0].Rules[0]
	rule.Key, rule.Value = key, value
}

// testShop is the shop on httptest, with its client and a local Flagship
// server.
type testShop struct {
	flagship *flagshiptest.Server
	client   *flagship.Client
	url      string
	http     *http.Client // with a cookie jar
}

// newTestShop starts a Flagship server with opts, a client in mode, and the
// shop. Everything is closed when the test ends.
func newTestShop(t *testing.T, mode flagship.Mode, opts ...flagshiptest.HandlerOption) *testShop {
	t.Helper()
	fs := flagshiptest.NewServer(t, opts...)
	client, err := flagship.New(t.Context(), fs.EnvID(), "key",
		append(fs.Options(), flagship.WithMode(mode), flagship.WithLogger(testLogger()))...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, client.Close(context.Background())) })
	require.True(t, client.Ready())

	srv := httptest.NewServer(newServer(client, testLogger()))
	t.Cleanup(srv.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	hc := &http.Client{Jar: jar, Transport: srv.Client().Transport}
	t.Cleanup(hc.CloseIdleConnections)
	return &testShop{flagship: fs, client: client, url: srv.URL, http: hc}
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// do sends a request with headers (name, value pairs) and decodes a JSON
// answer into out, if not nil. It returns the response, body closed.
func (s *testShop) do(t *testing.T, method, path, body string, out any, headers ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil {
		require.Equal(t, "application/json", resp.Header.Get("Content-Type"), "body: %s", data)
		require.NoError(t, json.Unmarshal(data, out), "body: %s", data)
	}
	return resp
}

// cookie returns the visitor cookie of the jar, or "".
func (s *testShop) cookie(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(s.url)
	require.NoError(t, err)
	for _, c := range s.http.Jar.Cookies(u) {
		if c.Name == visitorCookie {
			return c.Value
		}
	}
	return ""
}

// flush delivers what the client queued to the Flagship server.
func (s *testShop) flush(t *testing.T) {
	t.Helper()
	require.NoError(t, s.client.Flush(t.Context()))
}

// hitsOf returns the hits of type typ the Flagship server received.
func (s *testShop) hitsOf(typ string) []flagshiptest.Hit {
	var out []flagshiptest.Hit
	for _, h := range s.flagship.Hits() {
		if h.Type == typ {
			out = append(out, h)
		}
	}
	return out
}

// activatedGroups returns the variation group of each activation the
// Flagship server received, checking they are all for visitorID.
func (s *testShop) activatedGroups(t *testing.T, visitorID string) []string {
	t.Helper()
	var out []string
	for _, a := range s.flagship.Activations() {
		assert.Equal(t, visitorID, a.VisitorID)
		out = append(out, a.VariationGroupID)
	}
	return out
}

// hitTypes returns the types of the hits the Flagship server received,
// without the SEGMENT hits the SDK (bucketing mode) or the Decision API
// make of the visitors' context.
func hitTypes(fs *flagshiptest.Server) []string {
	var out []string
	for _, h := range fs.Hits() {
		if h.Type != "SEGMENT" {
			out = append(out, h.Type)
		}
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// serveClient sends requests to a running "flagship serve".
type serveClient struct {
	t    *testing.T
	url  string
	http *http.Client
}

func newServeClient(t *testing.T, url string) *serveClient {
	c := &serveClient{t: t, url: url, http: &http.Client{Timeout: 5 * time.Second}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

func (c *serveClient) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.url+path, strings.NewReader(body))
	require.NoError(c.t, err)
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, string(b)
}

// flagshipSDKTraffic is what Flagship's JS SDK and Go SDK v2 send that
// this SDK does not, each with the status "flagship serve" answers by
// default (compatible) and with --strict.
var flagshipSDKTraffic = []struct {
	name, method, path, body string
	wantCompatible           int
	wantStrict               int
}{
	{"JS batch at the root, relative dl, nulls", "POST", "/",
		`{"cid":"flagshiptest-env","ds":"APP","t":"BATCH","qt":1,"h":[{"vid":"v1","t":"PAGEVIEW","cuid":null,"qt":3,"dl":"/checkout"},` +
			`{"vid":"v1","t":"TRANSACTION","cuid":null,"tid":"T","ta":"shop","tc":"EURO","icn":-1}]}`, 200, 400},
	{"Go v2 single event without ec", "POST", "/",
		`{"vid":"v2","cuid":"v2","cid":"flagshiptest-env","t":"EVENT","ds":"APP","ea":"click","dr":"https://ref/"}`, 200, 400},
	{"Go v2 event ACTION_TRACKING", "POST", "/events",
		`{"vid":"v2","cuid":"v2","cid":"flagshiptest-env","t":"EVENT","ds":"APP","ec":"ACTION_TRACKING","ea":"click","pt":"Home","vp":"1x1","de":"UTF-8"}`, 200, 400},
	{"JS usage hit", "POST", "/analytics", `{"vid":"i1","ds":"APP","cid":"flagshiptest-env","t":"USAGE","cv":{"label":"SDK_CONFIG"}}`, 200, 200},
	{"JS troubleshooting hit", "POST", "/troubleshooting", `{"vid":"i1","t":"TROUBLESHOOTING","cv":{"label":"ACCOUNT_SETTINGS"}}`, 200, 200},
	{"Go v2 context event", "POST", "/v2/flagshiptest-env/events", `{"visitorId":"v2","type":"CONTEXT","data":{"plan":"gold"}}`, 204, 204},
	{"JS account settings", "GET", "/flagshiptest-env/accountSettings.json", "", 200, 200},
	{"JS activation batch", "POST", "/v2/activate",
		`{"cid":"flagshiptest-env","batch":[{"vid":"v1","vaid":"var","caid":"vg","aid":null,"qt":4}]}`, 204, 204},
	{"Go v2 activation", "POST", "/v2/activate", `{"vid":"v2","cid":"flagshiptest-env","caid":"vg","vaid":"var"}`, 204, 204},
}

// TestServeValidationLevels: "flagship serve" takes what Flagship's SDKs
// send by default, and checks it as this SDK's tests do with --strict.
func TestServeValidationLevels(t *testing.T) {
	for _, strict := range []bool{false, true} {
		name, args := "compatible", []string{"--addr", "127.0.0.1:0"}
		if strict {
			name, args = "strict", append(args, "--strict")
		}
		t.Run(name, func(t *testing.T) {
			url, stderr, stop := startServe(t, args...)
			c := newServeClient(t, url)
			for _, tt := range flagshipSDKTraffic {
				want := tt.wantCompatible
				if strict {
					want = tt.wantStrict
				}
				code, body := c.do(tt.method, tt.path, tt.body)
				assert.Equal(t, want, code, "%s: %s", tt.name, body)
			}
			assert.Equal(t, 0, stop())
			assert.Contains(t, stderr.String(), "checked in "+name+" mode")
		})
	}
}

// TestServeRecords: the records route of "flagship serve" shows what was
// received, accepted and refused with reasons, and ?since= polls.
func TestServeRecords(t *testing.T) {
	url, _, stop := startServe(t, "--addr", "127.0.0.1:0", "--bucketing",
		writeFile(t, "b.json", `{"accountSettings":{"enabledXPC":true,"troubleshooting":{"traffic":100}},"campaigns":[]}`))
	c := newServeClient(t, url)
	for _, tt := range flagshipSDKTraffic {
		code, body := c.do(tt.method, tt.path, tt.body)
		require.Equal(t, tt.wantCompatible, code, "%s: %s", tt.name, body)
	}
	code, body := c.do("POST", "/", `{"cid":"flagshiptest-env","t":"BATCH","h":[{"vid":"v3","t":"PAGEVIEW","dl":"/x"},{"t":"PAGEVIEW","dl":"/y"}]}`)
	require.Equal(t, http.StatusMultiStatus, code)
	assert.JSONEq(t, `{"message":"h[1].vid: required","accepted":1,"refused":[{"index":1,"reason":"h[1].vid: required"}]}`, body)
	code, body = c.do("GET", "/flagshiptest-env/accountSettings.json", "")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"accountSettings":{"enabledXPC":true,"troubleshooting":{"traffic":100}}}`, body)

	code, body = c.do("GET", flagshiptest.RecordsPath, "")
	require.Equal(t, http.StatusOK, code)
	var r struct {
		Next            int
		Hits            []struct{ Type, Vid, Route string }
		Activations     []struct{ Vid string }
		Usage           []struct{ Type string }
		Troubleshooting []struct{ Type string }
		ContextEvents   []struct {
			Vid  string
			Data map[string]any
		}
		Refused []struct {
			Route  string
			Index  int
			Status int
			Reason string
			Item   map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(body), &r), body)
	var types []string
	for _, h := range r.Hits {
		types = append(types, h.Type)
	}
	assert.Equal(t, []string{"PAGEVIEW", "TRANSACTION", "EVENT", "EVENT", "PAGEVIEW"}, types)
	assert.Len(t, r.Activations, 2)
	require.Len(t, r.Usage, 1)
	assert.Equal(t, "USAGE", r.Usage[0].Type)
	require.Len(t, r.Troubleshooting, 1)
	require.Len(t, r.ContextEvents, 1)
	assert.Equal(t, map[string]any{"plan": "gold"}, r.ContextEvents[0].Data)
	require.Len(t, r.Refused, 1)
	assert.Equal(t, 1, r.Refused[0].Index)
	assert.Equal(t, http.StatusMultiStatus, r.Refused[0].Status)
	assert.Equal(t, "h[1].vid: required", r.Refused[0].Reason)
	assert.Equal(t, map[string]any{"t": "PAGEVIEW", "dl": "/y"}, r.Refused[0].Item)

	code, body = c.do("GET", flagshiptest.RecordsPath+"?since="+strconv.Itoa(r.Next), "")
	require.Equal(t, http.StatusOK, code)
	assert.JSONEq(t, `{"next":`+strconv.Itoa(r.Next)+`,"hits":[],"activations":[],"usage":[],"troubleshooting":[],"contextEvents":[],"refused":[]}`, body)
	code, _ = c.do("DELETE", flagshiptest.RecordsPath, "")
	assert.Equal(t, http.StatusNoContent, code)
	_, body = c.do("GET", flagshiptest.RecordsPath, "")
	assert.Contains(t, body, `"hits":[]`)
	assert.Equal(t, 0, stop())
}

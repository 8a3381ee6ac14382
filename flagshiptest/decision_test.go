package flagshiptest_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// specFile holds the two campaigns of the response example of spec §2.4,
// each with a single variation at 100%.
const specFile = `{"campaigns":[
 {"id":"c_banner","name":"Home banner","slug":"home-banner","type":"ab","bucketRanges":[{"r":[0,100]}],
  "variationGroups":[{"id":"vg_all","name":"All users",
   "targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
   "variations":[{"id":"var_blue","name":"Variation 1","allocation":100,
    "modifications":{"type":"FLAG","value":{"color":"blue","size":12}}}]}]},
 {"id":"c_toggle","name":"Toggle","type":"toggle","bucketRanges":[{"r":[0,100]}],
  "variationGroups":[{"id":"vg_t",
   "targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
   "variations":[{"id":"var_on","allocation":100,"modifications":{"type":"FLAG","value":{"enabled":true}}}]}]}
]}`

// specResponse is the response example of spec §2.4.
const specResponse = `{
  "visitorId": "user-4242",
  "campaigns": [
    {
      "id": "c_banner", "name": "Home banner", "slug": "home-banner", "type": "ab",
      "variationGroupId": "vg_all", "variationGroupName": "All users",
      "variation": {"id": "var_blue", "name": "Variation 1",
        "modifications": {"type": "FLAG", "value": {"color": "blue", "size": 12}}, "reference": false}
    },
    {
      "id": "c_toggle", "name": "Toggle", "slug": null, "type": "toggle",
      "variationGroupId": "vg_t", "variationGroupName": "",
      "variation": {"id": "var_on", "name": "", "modifications": {"type": "FLAG", "value": {"enabled": true}}, "reference": false}
    }
  ]
}`

// specRequest is the request example of spec §2.3.
const specRequest = `{
  "visitorId": "user-4242",
  "anonymousId": "0c5e0a4e-2f4e-4d3a-9a0b-7c1d2e3f4a5b",
  "context": {"plan": "gold", "age": 31, "isVIP": true, "fs_client": "go", "fs_version": "1.0.0"},
  "trigger_hit": false,
  "visitor_consent": true
}`

func TestDecisionResponseShape(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	got := post(t, s, decisionPath()+"?exposeAllKeys=true", specRequest, "x-api-key: k", "x-sdk-client: go")
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.Equal(t, "application/json", got.header.Get("Content-Type"))
	assert.JSONEq(t, specResponse, got.body)

	reqs := s.DecisionRequests()
	require.Len(t, reqs, 1)
	r := reqs[0]
	assert.Equal(t, flagshiptest.EnvID, r.EnvID)
	assert.Equal(t, "user-4242", r.VisitorID)
	assert.Equal(t, "0c5e0a4e-2f4e-4d3a-9a0b-7c1d2e3f4a5b", r.AnonymousID)
	assert.Equal(t, map[string]any{"plan": "gold", "age": 31.0, "isVIP": true, "fs_client": "go", "fs_version": "1.0.0"}, r.Context)
	require.NotNil(t, r.TriggerHit)
	assert.False(t, *r.TriggerHit)
	assert.Nil(t, r.Activate)
	require.NotNil(t, r.Consent)
	assert.True(t, *r.Consent)
	assert.Equal(t, "true", r.Query.Get("exposeAllKeys"))
	assert.Equal(t, "go", r.Headers.Get("x-sdk-client"))
	assert.True(t, r.HasAPIKey)
	assert.JSONEq(t, specRequest, string(r.Raw))
	assert.Equal(t, [][]byte{[]byte(specRequest)}, s.Bodies(flagshiptest.RouteDecision))
	assert.Empty(t, s.Activations(), "trigger_hit false")
}

func TestDecisionNoCampaigns(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := post(t, s, decisionPath(), `{"visitorId":"v1"}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.JSONEq(t, `{"visitorId":"v1","campaigns":[]}`, got.body)
}

func TestDecisionBadRequests(t *testing.T) {
	tests := []struct {
		name        string
		give        string
		wantMessage string
	}{
		{name: "unknown field", give: `{"visitorId":"v","exposeAllKeys":true}`, wantMessage: "exposeAllKeys: unknown field"},
		{name: "bool as string", give: `{"visitorId":"v","trigger_hit":"false"}`, wantMessage: "trigger_hit: want a bool, got a string"},
		{name: "consent as number", give: `{"visitorId":"v","visitorConsent":0}`, wantMessage: "visitorConsent: want a bool, got a number"},
		{name: "no visitorId", give: `{"context":{"a":1}}`, wantMessage: "visitorId: required, must be a non-empty string"},
		{name: "empty visitorId", give: `{"visitorId":""}`, wantMessage: "visitorId: required"},
		{name: "null visitorId", give: `{"visitor_id":null}`, wantMessage: "visitorId: required"},
		{name: "numeric visitorId", give: `{"visitorId":42}`, wantMessage: "visitorId: want a string, got a number"},
		{name: "anonymousId object", give: `{"visitorId":"v","anonymous_id":{}}`, wantMessage: "anonymous_id: want a string, got an object"},
		{name: "context array", give: `{"visitorId":"v","context":["a"]}`, wantMessage: "context: want an object, got an array"},
		{name: "both names", give: `{"visitorId":"a","visitor_id":"b"}`, wantMessage: "visitor_id: duplicate field (also given as visitorId)"},
		{name: "same key twice", give: `{"visitorId":"a","visitorId":"b"}`, wantMessage: "visitorId: duplicate field"},
		{name: "array", give: `[{"visitorId":"v"}]`, wantMessage: "want a JSON object, got an array"},
		{name: "broken JSON", give: `{"visitorId":`, wantMessage: "invalid JSON"},
		{name: "trailing data", give: `{"visitorId":"v"} {}`, wantMessage: "invalid JSON: data after the object"},
		{name: "empty body", give: ``, wantMessage: "invalid JSON: unexpected end of input"},
		{name: "invalid UTF-8", give: "{\"visitorId\":\"\xff\"}", wantMessage: "invalid JSON: invalid UTF-8"},
	}
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, decisionPath(), tt.give)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assertMessage(t, got.body, tt.wantMessage)
		})
	}
	assert.Empty(t, s.DecisionRequests())
	assert.Empty(t, s.Activations())
	assert.Empty(t, s.Bodies(flagshiptest.RouteDecision))
}

func TestDecisionNames(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "camel case", give: `{"visitorId":"v","anonymousId":"a","triggerHit":false,"visitorConsent":false,"decisionGroup":"g"}`},
		{name: "snake case", give: `{"visitor_id":"v","anonymous_id":"a","trigger_hit":false,"visitor_consent":false,"decision_group":"g"}`},
		{name: "unused fields", give: `{"visitorId":"v","anonymousId":"a","activate":false,"visitor_consent":false,"decisionGroup":"g",
			"format_response":true,"campaignId":"c","client_id":"x","customVisitorId":"y","default_redirect_url":"https://x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
			got := post(t, s, decisionPath(), tt.give)
			require.Equal(t, http.StatusOK, got.status, got.body)
			reqs := s.DecisionRequests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "v", reqs[0].VisitorID)
			assert.Equal(t, "a", reqs[0].AnonymousID)
			assert.Equal(t, "g", reqs[0].DecisionGroup)
			assert.Empty(t, s.Activations())
		})
	}
}

func TestDecisionMessageQuoting(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := post(t, s, "/v2/<env>/campaigns", `{"visitorId":"v"}`)
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.Equal(t, `{"message":"unknown environment id \"<env>\""}`+"\n", got.body)
}

func TestDecisionRoutes(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		wantStatus int
		wantBody   string
	}{
		{name: "trailing slash", giveMethod: "POST", givePath: decisionPath() + "/?exposeAllKeys=true", wantStatus: 200, wantBody: `"visitorId":"v"`},
		{name: "other environment", giveMethod: "POST", givePath: "/v2/env_other/campaigns", wantStatus: 400, wantBody: `"message":"unknown environment id \"env_other\""`},
		{name: "GET", giveMethod: "GET", givePath: decisionPath(), wantStatus: 405, wantBody: `"message":"method GET not allowed"`},
		{name: "single campaign", giveMethod: "POST", givePath: decisionPath() + "/c_banner", wantStatus: 404, wantBody: `"message":"not found: `},
		{name: "flags", giveMethod: "POST", givePath: "/v2/" + flagshiptest.EnvID + "/flags", wantStatus: 404},
		{name: "root", giveMethod: "GET", givePath: "/", wantStatus: 405}, // the collector's
		{name: "unknown", giveMethod: "POST", givePath: "/nothing", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, s, tt.giveMethod, tt.givePath, `{"visitorId":"v"}`)
			assert.Equal(t, tt.wantStatus, got.status)
			assert.Contains(t, got.body, tt.wantBody)
		})
	}
	got := do(t, s, "PUT", "/v2/activate", `{}`)
	assert.Equal(t, "POST", got.header.Get("Allow"))
	got = do(t, s, "DELETE", bucketingPath(), ``)
	assert.Equal(t, "GET, HEAD", got.header.Get("Allow"))
}

func TestDecisionAPIKey(t *testing.T) {
	const key = "k_live_secret"
	s := flagshiptest.NewServer(t, flagshiptest.WithAPIKey(key), flagshiptest.WithBucketingFile([]byte(specFile)))
	tests := []struct {
		name        string
		giveHeaders []string
		wantStatus  int
		wantBody    string
	}{
		{name: "no key", wantStatus: 401, wantBody: `"message":"missing x-api-key header"`},
		{name: "wrong key", giveHeaders: []string{"x-api-key: k_live_wrong"}, wantStatus: 401, wantBody: `"message":"invalid API key"`},
		{name: "right key", giveHeaders: []string{"x-api-key: " + key}, wantStatus: 200, wantBody: `"visitorId":"v"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, decisionPath(), `{"visitorId":"v","trigger_hit":false}`, tt.giveHeaders...)
			assert.Equal(t, tt.wantStatus, got.status)
			assert.Contains(t, got.body, tt.wantBody)
			assert.NotContains(t, got.body, "k_live")
		})
	}
	reqs := s.DecisionRequests()
	require.Len(t, reqs, 1)
	assert.True(t, reqs[0].HasAPIKey)
	assert.Empty(t, reqs[0].Headers.Values("x-api-key"))

	// Other routes need no key.
	assert.Equal(t, http.StatusOK, do(t, s, "GET", bucketingPath(), "").status)
	assert.Equal(t, http.StatusNoContent, post(t, s, "/v2/activate",
		`{"cid":"`+flagshiptest.EnvID+`","vid":"v","caid":"vg","vaid":"var"}`).status)
}

func TestDecisionSideEffects(t *testing.T) {
	tests := []struct {
		name            string
		giveQuery       string
		giveBody        string
		wantActivations int
		wantSegment     bool
	}{
		{name: "defaults", giveBody: `{"visitorId":"v","context":{"plan":"gold"}}`, wantActivations: 2, wantSegment: true},
		{name: "trigger_hit false", giveBody: `{"visitorId":"v","trigger_hit":false,"context":{"plan":"gold"}}`, wantSegment: true},
		{name: "activate false", giveBody: `{"visitorId":"v","activate":false}`},
		{name: "trigger_hit true", giveBody: `{"visitorId":"v","triggerHit":true}`, wantActivations: 2},
		{name: "trigger_hit null", giveBody: `{"visitorId":"v","trigger_hit":null}`, wantActivations: 2},
		{name: "no consent", giveBody: `{"visitorId":"v","trigger_hit":false,"visitor_consent":false,"context":{"plan":"gold"}}`},
		{name: "empty context", giveBody: `{"visitorId":"v","trigger_hit":false,"context":{}}`},
		{name: "sendContextEvent false", giveQuery: "?sendContextEvent=false", giveBody: `{"visitorId":"v","trigger_hit":false,"context":{"plan":"gold"}}`},
		{name: "sendContextEvent true", giveQuery: "?sendContextEvent=true", giveBody: `{"visitorId":"v","trigger_hit":false,"visitor_consent":true,"context":{"plan":"gold"}}`, wantSegment: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
			got := post(t, s, decisionPath()+tt.giveQuery, tt.giveBody)
			require.Equal(t, http.StatusOK, got.status, got.body)
			assert.Len(t, s.Activations(), tt.wantActivations)
			assert.Equal(t, tt.wantSegment, len(s.Hits()) == 1)
		})
	}
}

func TestDecisionActivations(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	got := post(t, s, decisionPath(), `{"visitorId":"user-4242","anonymousId":"anon-1"}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	acts := s.Activations()
	require.Len(t, acts, 2)
	for i, want := range [][2]string{{"vg_all", "var_blue"}, {"vg_t", "var_on"}} {
		a := acts[i]
		assert.True(t, a.FromDecision)
		assert.Equal(t, flagshiptest.EnvID, a.EnvID)
		assert.Equal(t, "user-4242", a.VisitorID)
		assert.Equal(t, "anon-1", a.AnonymousID)
		assert.Equal(t, want[0], a.VariationGroupID)
		assert.Equal(t, want[1], a.VariationID)
		assert.Nil(t, a.Raw)
		assert.False(t, a.Received.IsZero())
	}
}

func TestDecisionContextHit(t *testing.T) {
	tests := []struct {
		name         string
		giveAnon     string
		wantVID      string
		wantCUID     string
		wantCUIDJSON string
	}{
		{name: "anonymous", wantVID: "user-4242", wantCUIDJSON: `null`},
		{name: "authenticated", giveAnon: `,"anonymousId":"anon-1"`, wantVID: "anon-1", wantCUID: "user-4242", wantCUIDJSON: `"user-4242"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t)
			got := post(t, s, decisionPath(), `{"visitorId":"user-4242"`+tt.giveAnon+
				`,"trigger_hit":false,"context":{"plan":"gold","age":31,"ratio":17.5,"isVIP":true,"tags":["a"],"none":null}}`)
			require.Equal(t, http.StatusOK, got.status, got.body)
			hits := s.Hits()
			require.Len(t, hits, 1)
			h := hits[0]
			assert.Equal(t, "SEGMENT", h.Type)
			assert.True(t, h.FromDecision)
			assert.Equal(t, flagshiptest.EnvID, h.EnvID)
			assert.Equal(t, tt.wantVID, h.VisitorID)
			assert.Equal(t, tt.wantCUID, h.CustomerID)
			assert.JSONEq(t, `{"t":"SEGMENT","cid":"`+flagshiptest.EnvID+`","ds":"APP","vid":"`+tt.wantVID+`","cuid":`+tt.wantCUIDJSON+`,
				"s":{"plan":"gold","age":"31","ratio":"17.5","isVIP":"true","tags":"[\"a\"]","none":"null"}}`, string(h.Raw))
			var fields map[string]any
			require.NoError(t, json.Unmarshal(h.Raw, &fields))
			assert.Equal(t, fields, h.Fields)
		})
	}
}

func TestDecisionPanic(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	s.SetPanic(true)
	got := post(t, s, decisionPath(), `{"visitorId":"v","context":{"a":"b"}}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.JSONEq(t, `{"visitorId":"v","campaigns":[],"panic":true}`, got.body)
	assert.Empty(t, s.Activations())
	assert.Empty(t, s.Hits())
	assert.Len(t, s.DecisionRequests(), 1)

	s.SetPanic(false)
	got = post(t, s, decisionPath(), `{"visitorId":"v","trigger_hit":false}`)
	assert.NotContains(t, got.body, "panic")
	assert.Contains(t, got.body, `"id":"c_banner"`)
}

func TestDecisionPanicFile(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(`{"panic":true,"campaigns":[]}`)))
	s.SetPanic(false) // can't end the file's own panic
	got := post(t, s, decisionPath(), `{"visitorId":"v"}`)
	assert.JSONEq(t, `{"visitorId":"v","campaigns":[],"panic":true}`, got.body)
}

// vectorLine is a line of the published decision vectors.
type vectorLine struct {
	VisitorID string         `json:"visitorId"`
	Context   map[string]any `json:"context"`
	Expected  []vectorEntry  `json:"expected"`
}

type vectorEntry struct {
	CampaignID       string `json:"campaignId"`
	VariationGroupID string `json:"variationGroupId"`
	VariationID      string `json:"variationId"`
}

// readVectors returns the first n lines of a vectors file.
func readVectors(t *testing.T, name string, n int) []vectorLine {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorsDir, name))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	defer zr.Close()
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	var out []vectorLine
	for len(out) < n && sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var l vectorLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	require.Len(t, out, n)
	return out
}

// TestDecisionVectors checks the decision route against Flagship's own
// decisions for 200 visitors.
func TestDecisionVectors(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(vectorsDir, "bucketing.json"))
	require.NoError(t, err)
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(file))
	for _, l := range readVectors(t, "vectors.jsonl.gz", 200) {
		body, err := json.Marshal(map[string]any{"visitorId": l.VisitorID, "context": l.Context, "trigger_hit": false})
		require.NoError(t, err)
		got := post(t, s, decisionPath(), string(body))
		require.Equal(t, http.StatusOK, got.status, got.body)
		var resp struct {
			VisitorID string `json:"visitorId"`
			Campaigns []struct {
				ID               string `json:"id"`
				VariationGroupID string `json:"variationGroupId"`
				Variation        struct {
					ID string `json:"id"`
				} `json:"variation"`
			} `json:"campaigns"`
		}
		require.NoError(t, json.Unmarshal([]byte(got.body), &resp))
		gotEntries := []vectorEntry{}
		for _, c := range resp.Campaigns {
			gotEntries = append(gotEntries, vectorEntry{c.ID, c.VariationGroupID, c.Variation.ID})
		}
		want := l.Expected
		if want == nil {
			want = []vectorEntry{}
		}
		assert.Equal(t, l.VisitorID, resp.VisitorID)
		assert.Equal(t, want, gotEntries, "visitor %q", l.VisitorID)
	}
}

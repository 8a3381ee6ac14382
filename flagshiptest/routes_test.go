package flagshiptest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func accountSettingsPath() string { return "/" + flagshiptest.EnvID + "/accountSettings.json" }

func TestAccountSettings(t *testing.T) {
	withSettings := `{"accountSettings":{"enabledXPC":true,"enabled1V1T":false,
		"troubleshooting":{"startDate":"2026-01-01T00:00:00Z","endDate":"2026-01-02T00:00:00Z","timezone":"Europe/Paris","traffic":40},
		"eaiCollectEnabled":true},"campaigns":[]}`
	tests := []struct {
		name string
		give []flagshiptest.HandlerOption
		want string
	}{
		{name: "from the file", give: []flagshiptest.HandlerOption{flagshiptest.WithBucketingFile([]byte(withSettings))},
			want: `{"accountSettings":{"enabledXPC":true,"enabled1V1T":false,"troubleshooting":{"startDate":"2026-01-01T00:00:00Z",` +
				`"endDate":"2026-01-02T00:00:00Z","timezone":"Europe/Paris","traffic":40},"eaiCollectEnabled":true}}`},
		{name: "snake case", give: []flagshiptest.HandlerOption{flagshiptest.WithBucketingFile([]byte(`{"account_settings":{"enabled1V1T":true}}`))},
			want: `{"accountSettings":{"enabled1V1T":true}}`},
		{name: "file without", give: []flagshiptest.HandlerOption{flagshiptest.WithBucketingFile([]byte(`{"campaigns":[]}`))},
			want: `{"accountSettings":{"enabledXPC":false,"enabled1V1T":false}}`},
		{name: "campaigns in code", give: []flagshiptest.HandlerOption{flagshiptest.WithCampaigns(flagshiptest.Toggle("t", nil))},
			want: `{"accountSettings":{"enabledXPC":false,"enabled1V1T":false}}`},
		{name: "nothing", want: `{"accountSettings":{"enabledXPC":false,"enabled1V1T":false}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, tt.give...)
			got := do(t, s, http.MethodGet, accountSettingsPath(), "")
			require.Equal(t, http.StatusOK, got.status, got.body)
			assert.Equal(t, "application/json", got.header.Get("Content-Type"))
			assert.JSONEq(t, tt.want, got.body)
		})
	}

	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(withSettings)))
	assert.Equal(t, http.StatusNotFound, do(t, s, http.MethodGet, "/other/accountSettings.json", "").status)
	head := do(t, s, http.MethodHead, accountSettingsPath(), "")
	assert.Equal(t, http.StatusOK, head.status)
	assert.Empty(t, head.body)
	got := post(t, s, accountSettingsPath(), "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, got.status)
	assert.Equal(t, "GET, HEAD", got.header.Get("Allow"))
	// It follows the file served.
	require.NoError(t, s.SetBucketingFile([]byte(`{"accountSettings":{"enabled1V1T":true}}`)))
	assert.JSONEq(t, `{"accountSettings":{"enabled1V1T":true}}`, do(t, s, http.MethodGet, accountSettingsPath(), "").body)
}

func TestTelemetry(t *testing.T) {
	usage := `{"vid":"fs-instance","ds":"APP","cid":"` + env + `","t":"USAGE","cv":{"label":"SDK_CONFIG","version":"5.2.0"}}`
	trouble := `{"vid":"v1","ds":"APP","cid":"` + env + `","t":"TROUBLESHOOTING","cv":{"label":"VISITOR_FETCH_CAMPAIGNS"}}`
	tests := []struct {
		name      string
		givePath  string
		giveBody  string
		wantKind  flagshiptest.RecordKind
		wantTypes []string
	}{
		{name: "usage", givePath: "/analytics", giveBody: usage, wantKind: flagshiptest.KindUsage, wantTypes: []string{"USAGE"}},
		{name: "usage under /events", givePath: "/events/analytics/", giveBody: usage, wantKind: flagshiptest.KindUsage, wantTypes: []string{"USAGE"}},
		{name: "troubleshooting", givePath: "/troubleshooting", giveBody: trouble, wantKind: flagshiptest.KindTroubleshooting, wantTypes: []string{"TROUBLESHOOTING"}},
		{name: "troubleshooting batch", givePath: "/events/troubleshooting", giveBody: `{"t":"BATCH","h":[` + trouble + `,` + trouble + `]}`,
			wantKind: flagshiptest.KindTroubleshooting, wantTypes: []string{"TROUBLESHOOTING", "TROUBLESHOOTING"}},
		{name: "array", givePath: "/analytics", giveBody: `[` + usage + `,{"x":1}]`, wantKind: flagshiptest.KindUsage, wantTypes: []string{"USAGE", ""}},
		{name: "anything JSON", givePath: "/analytics", giveBody: `"ping"`, wantKind: flagshiptest.KindUsage, wantTypes: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t) // Strict: the same for these
			got := post(t, s, tt.givePath, tt.giveBody)
			require.Equal(t, http.StatusOK, got.status, got.body)
			recs := s.Records()
			require.Len(t, recs, len(tt.wantTypes))
			for i, r := range recs {
				assert.Equal(t, tt.wantKind, r.Kind)
				require.NotNil(t, r.Telemetry)
				assert.Equal(t, tt.wantTypes[i], r.Telemetry.Type)
			}
			all := append(s.UsageHits(), s.TroubleshootingHits()...)
			assert.Len(t, all, len(tt.wantTypes))
			assert.Empty(t, s.Hits(), "not collector hits")
		})
	}

	s := flagshiptest.NewServer(t)
	require.Equal(t, http.StatusOK, post(t, s, "/analytics", usage).status)
	u := s.UsageHits()
	require.Len(t, u, 1)
	assert.Equal(t, "fs-instance", u[0].VisitorID)
	assert.Equal(t, map[string]any{"label": "SDK_CONFIG", "version": "5.2.0"}, u[0].Fields["cv"])
	assert.Equal(t, usage, string(u[0].Raw))
	assert.Empty(t, s.TroubleshootingHits())

	got := post(t, s, "/analytics", `not json`)
	assert.Equal(t, http.StatusBadRequest, got.status)
	got = post(t, s, "/troubleshooting", `[{"a":1},{"a":1,"a":2}]`)
	assert.Equal(t, http.StatusMultiStatus, got.status)
	assertMessage(t, got.body, "[1]: a: duplicate field")
	assert.Len(t, s.Refusals(), 2)
}

func contextEventsPath() string { return "/v2/" + flagshiptest.EnvID + "/events" }

func TestContextEvents(t *testing.T) {
	s := flagshiptest.NewServer(t)
	body := `{"visitorId":"v1","type":"CONTEXT","data":{"plan":"gold","age":31,"vip":true}}`
	got := post(t, s, contextEventsPath(), body)
	require.Equal(t, http.StatusNoContent, got.status, got.body)
	assert.Empty(t, got.body)
	got = post(t, s, contextEventsPath()+"/", `{"visitor_id":"v2","type":"CONTEXT","data":null}`)
	require.Equal(t, http.StatusNoContent, got.status, got.body)
	evs := s.ContextEvents()
	require.Len(t, evs, 2)
	assert.Equal(t, flagshiptest.ContextEvent{EnvID: env, VisitorID: "v1", Type: "CONTEXT",
		Data: map[string]any{"plan": "gold", "age": 31.0, "vip": true}, Raw: []byte(body), Received: evs[0].Received}, evs[0])
	assert.Equal(t, "v2", evs[1].VisitorID)
	assert.Nil(t, evs[1].Data)
	assert.Equal(t, [][]byte{[]byte(body), []byte(`{"visitor_id":"v2","type":"CONTEXT","data":null}`)}, s.Bodies(flagshiptest.RouteContextEvents))

	tests := []struct {
		name       string
		level      flagshiptest.Validation
		givePath   string
		give       string
		wantStatus int
		wantReason string
	}{
		{name: "other env", givePath: "/v2/other/events", give: body, wantStatus: 400, wantReason: `unknown environment id "other"`},
		{name: "no visitor", give: `{"type":"CONTEXT","data":{}}`, wantStatus: 400, wantReason: "visitorId: required"},
		{name: "empty visitor", give: `{"visitorId":"","type":"CONTEXT"}`, wantStatus: 400, wantReason: "visitorId: must not be empty"},
		{name: "both visitor names", give: `{"visitorId":"a","visitor_id":"b","type":"CONTEXT"}`, wantStatus: 400, wantReason: "visitor_id: visitorId and visitor_id both given"},
		{name: "other type", give: `{"visitorId":"v","type":"SEGMENT"}`, wantStatus: 400, wantReason: `type: want "CONTEXT", got "SEGMENT"`},
		{name: "no type", give: `{"visitorId":"v"}`, wantStatus: 400, wantReason: "type: required"},
		{name: "data array", give: `{"visitorId":"v","type":"CONTEXT","data":[]}`, wantStatus: 400, wantReason: "data: want an object, got an array"},
		{name: "not an object", give: `[]`, wantStatus: 400, wantReason: "want a JSON object, got an array"},
		{name: "strict unknown field", give: `{"visitorId":"v","type":"CONTEXT","qt":3}`, wantStatus: 400, wantReason: "qt: unknown field of a context event"},
		{name: "compatible unknown field", level: flagshiptest.Compatible, give: `{"visitorId":"v","type":"CONTEXT","qt":3}`, wantStatus: 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithValidation(tt.level))
			path := tt.givePath
			if path == "" {
				path = contextEventsPath()
			}
			got := post(t, s, path, tt.give)
			assert.Equal(t, tt.wantStatus, got.status, got.body)
			refused := s.Refusals()
			if tt.wantReason == "" {
				assert.Empty(t, refused)
				assert.Len(t, s.ContextEvents(), 1)
				return
			}
			assertMessage(t, got.body, tt.wantReason)
			require.Len(t, refused, 1)
			assert.Equal(t, tt.wantReason, refused[0].Reason)
			assert.Equal(t, flagshiptest.RouteContextEvents, refused[0].Route)
			assert.Empty(t, s.ContextEvents())
		})
	}
}

// TestFaultsOnNewRoutes: the new routes can be faulted by name.
func TestFaultsOnNewRoutes(t *testing.T) {
	for _, tt := range []struct {
		route, method, path string
	}{
		{flagshiptest.RouteAccountSettings, http.MethodGet, accountSettingsPath()},
		{flagshiptest.RouteAnalytics, http.MethodPost, "/analytics"},
		{flagshiptest.RouteTroubleshooting, http.MethodPost, "/troubleshooting"},
		{flagshiptest.RouteContextEvents, http.MethodPost, contextEventsPath()},
		{flagshiptest.RouteEvents, http.MethodPost, "/"},
	} {
		t.Run(tt.route, func(t *testing.T) {
			s := flagshiptest.NewServer(t)
			s.FailNext(1, flagshiptest.Fault{Route: tt.route, Status: http.StatusServiceUnavailable})
			got := do(t, s, tt.method, tt.path, `{}`)
			assert.Equal(t, http.StatusServiceUnavailable, got.status)
			assert.Equal(t, 1, s.FaultedRequests())
			assert.Empty(t, s.Refusals(), "a fault is no refusal")
		})
	}
}

// TestRecordsRoute checks the JSON of GET /_flagshiptest/records, its
// since parameter and DELETE.
func TestRecordsRoute(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	require.Equal(t, http.StatusMultiStatus, post(t, s, "/events", batch(validItems[0], `{"t":"PAGEVIEW","vid":"bad","dl":"/x"}`)).status)
	require.Equal(t, http.StatusNoContent, post(t, s, "/v2/activate", `{"cid":"`+env+`","vid":"v1","caid":"vg","vaid":"var","qt":7}`).status)
	require.Equal(t, http.StatusOK, post(t, s, "/analytics", `{"t":"USAGE","vid":"i1"}`).status)
	require.Equal(t, http.StatusOK, post(t, s, "/troubleshooting", `{"t":"TROUBLESHOOTING","vid":"i2"}`).status)
	require.Equal(t, http.StatusNoContent, post(t, s, contextEventsPath(), `{"visitorId":"v3","type":"CONTEXT","data":{"a":"b"}}`).status)
	require.Equal(t, http.StatusBadRequest, post(t, s, "/events", `{nope`).status)
	require.Len(t, s.Refusals(), 2, "refused on purpose") // and so read

	got := do(t, s, http.MethodGet, flagshiptest.RecordsPath, "")
	require.Equal(t, http.StatusOK, got.status, got.body)
	var r struct {
		Next            int
		Hits            []map[string]any
		Activations     []map[string]any
		Usage           []map[string]any
		Troubleshooting []map[string]any
		ContextEvents   []map[string]any
		Refused         []map[string]any
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &r), got.body)
	assert.Equal(t, 7, r.Next)
	require.Len(t, r.Hits, 1)
	assert.Equal(t, 1.0, r.Hits[0]["seq"])
	assert.Equal(t, "events", r.Hits[0]["route"])
	assert.Equal(t, "PAGEVIEW", r.Hits[0]["type"])
	assert.Equal(t, "anon-77", r.Hits[0]["vid"])
	assert.Equal(t, "https://shop.example/checkout", r.Hits[0]["item"].(map[string]any)["dl"])
	assert.NotEmpty(t, r.Hits[0]["received"])
	require.Len(t, r.Refused, 2)
	assert.Equal(t, map[string]any{"seq": 2.0, "route": "events", "received": r.Refused[0]["received"], "index": 1.0, "status": 207.0,
		"reason": `h[1].dl: want an absolute URL, got "/x"`, "vid": "bad", "item": map[string]any{"t": "PAGEVIEW", "vid": "bad", "dl": "/x"}}, r.Refused[0])
	assert.Equal(t, -1.0, r.Refused[1]["index"])
	assert.Equal(t, 400.0, r.Refused[1]["status"])
	assert.Equal(t, "{nope", r.Refused[1]["item"], "a body that is not JSON, as a string")
	require.Len(t, r.Activations, 1)
	assert.Equal(t, 7.0, r.Activations[0]["qt"])
	assert.Equal(t, "vg", r.Activations[0]["caid"])
	require.Len(t, r.Usage, 1)
	assert.Equal(t, "i1", r.Usage[0]["vid"])
	assert.Equal(t, "analytics", r.Usage[0]["route"])
	require.Len(t, r.Troubleshooting, 1)
	assert.Equal(t, "TROUBLESHOOTING", r.Troubleshooting[0]["type"])
	require.Len(t, r.ContextEvents, 1)
	assert.Equal(t, map[string]any{"a": "b"}, r.ContextEvents[0]["data"])

	// since: only what came after.
	require.Equal(t, http.StatusOK, post(t, s, decisionPath(), `{"visitorId":"v9","context":{"x":1}}`).status)
	got = do(t, s, http.MethodGet, flagshiptest.RecordsPath+"?since=7", "")
	assert.JSONEq(t, `{"next":10,"hits":[{"seq":8,"route":"decision","received":"`+received(t, got.body, "hits")+`",`+
		`"type":"SEGMENT","vid":"v9","cuid":"","envId":"`+env+`","fromDecision":true,`+
		`"item":{"t":"SEGMENT","cid":"`+env+`","ds":"APP","vid":"v9","cuid":null,"s":{"x":"1"}}}],`+
		`"activations":[{"seq":9,"route":"decision","received":"`+received(t, got.body, "activations")+`","vid":"v9","aid":"",`+
		`"caid":"vg_all","vaid":"var_blue","qt":0,"qa":false,"envId":"`+env+`","fromDecision":true,"item":null},`+
		`{"seq":10,"route":"decision","received":"`+received(t, got.body, "activations")+`","vid":"v9","aid":"",`+
		`"caid":"vg_t","vaid":"var_on","qt":0,"qa":false,"envId":"`+env+`","fromDecision":true,"item":null}],`+
		`"usage":[],"troubleshooting":[],"contextEvents":[],"refused":[]}`, got.body)
	assert.Equal(t, http.StatusBadRequest, do(t, s, http.MethodGet, flagshiptest.RecordsPath+"?since=x", "").status)

	// DELETE forgets; the numbering goes on.
	got = do(t, s, http.MethodDelete, flagshiptest.RecordsPath, "")
	assert.Equal(t, http.StatusNoContent, got.status)
	assert.Empty(t, s.Records())
	got = do(t, s, http.MethodGet, flagshiptest.RecordsPath, "")
	assert.JSONEq(t, `{"next":10,"hits":[],"activations":[],"usage":[],"troubleshooting":[],"contextEvents":[],"refused":[]}`, got.body)
	got = post(t, s, flagshiptest.RecordsPath, "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, got.status)
	assert.Equal(t, "GET, HEAD, DELETE", got.header.Get("Allow"))
}

// received returns the received time of the first record of the list
// named list in the records JSON body.
func received(t *testing.T, body, list string) string {
	t.Helper()
	var r map[string][]struct{ Received string }
	_ = json.Unmarshal([]byte(body), &r)
	require.NotEmpty(t, r[list], body)
	return r[list][0].Received
}

// TestRecordsSeq: Records numbers everything received, in order, and
// RecordsSince polls.
func TestRecordsSeq(t *testing.T) {
	s := flagshiptest.NewServer(t)
	post(t, s, "/events", batch(validItems[0], validItems[1]))
	post(t, s, "/analytics", `{}`)
	recs := s.Records()
	require.Len(t, recs, 3)
	for i, r := range recs {
		assert.Equal(t, i+1, r.Seq)
		assert.False(t, r.Received().IsZero())
	}
	assert.Equal(t, []flagshiptest.RecordKind{flagshiptest.KindHit, flagshiptest.KindHit, flagshiptest.KindUsage},
		[]flagshiptest.RecordKind{recs[0].Kind, recs[1].Kind, recs[2].Kind})
	assert.Equal(t, recs[2:], s.RecordsSince(2))
	assert.Empty(t, s.RecordsSince(3))
	// Copies.
	recs[0].Hit.Fields["t"] = "changed"
	assert.Equal(t, "PAGEVIEW", s.Records()[0].Hit.Fields["t"])
}

// TestDecisionExtrasAccountSettings: a decision asking
// extras=accountSettings (or extras[]=, as Flagship's JS SDK sends it)
// gets the served file's account settings in "extras"; one not asking
// gets no extras member.
func TestDecisionExtrasAccountSettings(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(
		`{"accountSettings":{"enabledXPC":false,"enabled1V1T":true,"troubleshooting":{"traffic":10}},"campaigns":[]}`)))
	base := "/v2/" + s.EnvID() + "/campaigns?exposeAllKeys=true"
	for _, q := range []string{"&extras[]=accountSettings", "&extras=accountSettings"} {
		got := do(t, s, http.MethodPost, base+q, `{"visitorId":"v1","context":{}}`)
		require.Equal(t, http.StatusOK, got.status, got.body)
		assert.JSONEq(t, `{"visitorId":"v1","campaigns":[],"extras":{"accountSettings":{"enabledXPC":false,"enabled1V1T":true,"troubleshooting":{"traffic":10}}}}`, got.body, q)
	}
	got := do(t, s, http.MethodPost, base, `{"visitorId":"v1","context":{}}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.JSONEq(t, `{"visitorId":"v1","campaigns":[]}`, got.body)
}

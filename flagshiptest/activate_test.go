package flagshiptest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

const env = flagshiptest.EnvID

func TestActivateSingle(t *testing.T) {
	s := flagshiptest.NewServer(t)
	body := `{"cid":"` + env + `","vid":"user-4242","aid":"anon-1","caid":"vg_all","vaid":"var_blue","qt":1830,"qa":true}`
	got := post(t, s, "/v2/activate", body)
	require.Equal(t, http.StatusNoContent, got.status, got.body)
	assert.Empty(t, got.body)
	acts := s.Activations()
	require.Len(t, acts, 1)
	a := acts[0]
	assert.Equal(t, env, a.EnvID)
	assert.Equal(t, "user-4242", a.VisitorID)
	assert.Equal(t, "anon-1", a.AnonymousID)
	assert.Equal(t, "vg_all", a.VariationGroupID)
	assert.Equal(t, "var_blue", a.VariationID)
	assert.Equal(t, 1830*time.Millisecond, a.QueueTime)
	assert.True(t, a.QA)
	assert.False(t, a.FromDecision)
	assert.JSONEq(t, body, string(a.Raw))
	assert.Equal(t, [][]byte{[]byte(body)}, s.Bodies(flagshiptest.RouteActivate))
}

func TestActivateBatch(t *testing.T) {
	s := flagshiptest.NewServer(t)
	body := `{"cid":"` + env + `","batch":[
		{"vid":"user-4242","aid":"anon-1","caid":"vg_all","vaid":"var_blue","qt":1830},
		{"cid":"ignored","vid":"anon-77","aid":null,"caid":"vg_t","vaid":"var_on","qt":12,"qa":true}]}`
	got := post(t, s, "/v2/activate/", body)
	require.Equal(t, http.StatusNoContent, got.status, got.body)
	acts := s.Activations()
	require.Len(t, acts, 2)
	assert.Equal(t, flagshiptest.Activation{EnvID: env, VisitorID: "user-4242", AnonymousID: "anon-1", VariationGroupID: "vg_all",
		VariationID: "var_blue", QueueTime: 1830 * time.Millisecond, Raw: acts[0].Raw, Received: acts[0].Received}, acts[0])
	assert.Equal(t, flagshiptest.Activation{EnvID: env, VisitorID: "anon-77", VariationGroupID: "vg_t",
		VariationID: "var_on", QueueTime: 12 * time.Millisecond, QA: true, Raw: acts[1].Raw, Received: acts[1].Received}, acts[1])
	assert.JSONEq(t, `{"cid":"ignored","vid":"anon-77","aid":null,"caid":"vg_t","vaid":"var_on","qt":12,"qa":true}`, string(acts[1].Raw))
}

func TestActivateBadRequests(t *testing.T) {
	mandatory := func(fields ...string) string {
		m := `{\"status\":\"error\",\"errors\":{`
		for i, f := range fields {
			if i > 0 {
				m += ","
			}
			m += `\"` + f + `\":\"Field is mandatory.\"`
		}
		return `{"message":"` + m + `}}"}` + "\n"
	}
	tests := []struct {
		name     string
		give     string
		wantBody string
	}{
		{name: "wrong cid", give: `{"cid":"env_other","vid":"v","caid":"vg","vaid":"var"}`, wantBody: `{"message":"Invalid cid."}` + "\n"},
		{name: "batch wrong cid", give: `{"cid":"env_other","batch":[{"vid":"v","caid":"vg","vaid":"var"}]}`, wantBody: `{"message":"Invalid cid."}` + "\n"},
		{name: "batch item cid ignored", give: `{"cid":"env_other","batch":[{"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var"}]}`, wantBody: `{"message":"Invalid cid."}` + "\n"},
		{name: "no vid", give: `{"cid":"` + env + `","caid":"vg","vaid":"var"}`, wantBody: mandatory("vid")},
		{name: "empty caid and vaid", give: `{"cid":"` + env + `","vid":"v","caid":"","vaid":""}`, wantBody: mandatory("caid", "vaid")},
		{name: "empty object", give: `{}`, wantBody: mandatory("caid", "cid", "vaid", "vid")},
		{name: "null vid", give: `{"cid":"` + env + `","vid":null,"caid":"vg","vaid":"var"}`, wantBody: mandatory("vid")},
		{name: "batch without cid", give: `{"batch":[{"vid":"v","caid":"vg","vaid":"var"}]}`, wantBody: mandatory("cid")},
		{name: "batch items without vaid", give: `{"cid":"` + env + `","batch":[{"vid":"v","caid":"vg"},{"vid":"v"}]}`, wantBody: mandatory("vaid")},
	}
	s := flagshiptest.NewServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, "/v2/activate", tt.give)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.Equal(t, tt.wantBody, got.body)
		})
	}
	assert.Empty(t, s.Activations())
	assert.Empty(t, s.Bodies(flagshiptest.RouteActivate))
	assert.Len(t, s.Refusals(), len(tests)+1, "one per request, two for the two items")
}

// TestActivateBatchPartial checks that an activation batch is judged item
// by item: 207 naming the refused one, the others recorded.
func TestActivateBatchPartial(t *testing.T) {
	s := flagshiptest.NewServer(t)
	body := `{"cid":"` + env + `","batch":[{"vid":"v1","caid":"vg","vaid":"var"},{"vid":"v2","caid":"vg"},{"vid":"v3","caid":"vg","vaid":"var","x":1}]}`
	got := post(t, s, "/v2/activate", body)
	require.Equal(t, http.StatusMultiStatus, got.status)
	mandatory := `{\"status\":\"error\",\"errors\":{\"vaid\":\"Field is mandatory.\"}}`
	assert.JSONEq(t, `{"message":"`+mandatory+`","accepted":1,"refused":[`+
		`{"index":1,"reason":"`+mandatory+`"},{"index":2,"reason":"batch[2].x: unknown field"}]}`, got.body)
	acts := s.Activations()
	require.Len(t, acts, 1)
	assert.Equal(t, "v1", acts[0].VisitorID)
	assert.Equal(t, [][]byte{[]byte(body)}, s.Bodies(flagshiptest.RouteActivate))
	refused := s.Refusals()
	require.Len(t, refused, 2)
	assert.Equal(t, flagshiptest.Refusal{Route: flagshiptest.RouteActivate, Index: 1, Status: http.StatusMultiStatus,
		Reason: `{"status":"error","errors":{"vaid":"Field is mandatory."}}`, Item: []byte(`{"vid":"v2","caid":"vg"}`),
		VisitorID: "v2", Received: refused[0].Received}, refused[0])
	assert.Equal(t, 2, refused[1].Index)
	assert.Equal(t, "v3", refused[1].VisitorID)
}

func TestActivateStrictParsing(t *testing.T) {
	const ok = `"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var"`
	tests := []struct {
		name        string
		give        string
		wantMessage string
	}{
		{name: "single unknown field", give: `{` + ok + `,"t":"CAMPAIGN"}`, wantMessage: "t: unknown field"},
		{name: "single camel case", give: `{` + ok + `,"variationGroupId":"vg"}`, wantMessage: "variationGroupId: unknown field"},
		{name: "batch unknown top field", give: `{"cid":"` + env + `","ds":"APP","batch":[{"vid":"v","caid":"vg","vaid":"var"}]}`, wantMessage: "ds: unknown field"},
		{name: "batch and single", give: `{` + ok + `,"batch":[{"vid":"v","caid":"vg","vaid":"var"}]}`, wantMessage: "vid: unknown field"},
		{name: "batch item unknown field", give: `{"cid":"` + env + `","batch":[{"vid":"v","caid":"vg","vaid":"var","t":"ACTIVATION"}]}`, wantMessage: "batch[0].t: unknown field"},
		{name: "batch empty", give: `{"cid":"` + env + `","batch":[]}`, wantMessage: "batch: must not be empty"},
		{name: "batch null", give: `{"cid":"` + env + `","batch":null}`, wantMessage: "batch: must not be empty"},
		{name: "batch object", give: `{"cid":"` + env + `","batch":{}}`, wantMessage: "batch: want an array, got an object"},
		{name: "batch item string", give: `{"cid":"` + env + `","batch":["x"]}`, wantMessage: "batch[0]: want an object, got a string"},
		{name: "batch item duplicate", give: `{"cid":"` + env + `","batch":[{"vid":"v","vid":"w","caid":"vg","vaid":"var"}]}`, wantMessage: "batch[0]: vid: duplicate field"},
		{name: "vid number", give: `{"cid":"` + env + `","vid":1,"caid":"vg","vaid":"var"}`, wantMessage: "vid: want a string, got a number"},
		{name: "qt string", give: `{` + ok + `,"qt":"12"}`, wantMessage: "qt: want a number, got a string"},
		{name: "qt fraction", give: `{` + ok + `,"qt":1.5}`, wantMessage: "qt: want a non-negative integer, got 1.5"},
		{name: "qt negative", give: `{` + ok + `,"qt":-1}`, wantMessage: "qt: want a non-negative integer, got -1"},
		{name: "batch qt negative", give: `{"cid":"` + env + `","batch":[{"vid":"v","caid":"vg","vaid":"var","qt":-3}]}`, wantMessage: "batch[0].qt: want a non-negative integer, got -3"},
		{name: "qa string", give: `{` + ok + `,"qa":"true"}`, wantMessage: "qa: want a bool, got a string"},
		{name: "not JSON", give: `cid=x`, wantMessage: "invalid JSON"},
		{name: "array", give: `[]`, wantMessage: "want a JSON object, got an array"},
	}
	s := flagshiptest.NewServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, "/v2/activate", tt.give)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assertMessage(t, got.body, tt.wantMessage)
		})
	}
	assert.Empty(t, s.Activations())
	assert.Len(t, s.Refusals(), len(tests))
}

func TestActivateAccepted(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "minimal", give: `{"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var"}`},
		{name: "nulls", give: `{"cid":"` + env + `","vid":"v","aid":null,"caid":"vg","vaid":"var","qt":null,"qa":null,"cvid":null}`},
		{name: "cvid", give: `{"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var","cvid":"x"}`},
		{name: "qt 0", give: `{"cid":"` + env + `","vid":"v","caid":"vg","vaid":"var","qt":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t)
			got := post(t, s, "/v2/activate", tt.give)
			assert.Equal(t, http.StatusNoContent, got.status, got.body)
			assert.Len(t, s.Activations(), 1)
		})
	}
}

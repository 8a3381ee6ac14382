package flagshiptest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// batch returns a BATCH envelope holding items.
func batch(items ...string) string {
	return `{"cid":"` + env + `","ds":"APP","t":"BATCH","qt":5,"h":[` + strings.Join(items, ",") + `]}`
}

// validItems holds a valid item of each hit type.
var validItems = []string{
	`{"t":"PAGEVIEW","vid":"anon-77","cuid":null,"dl":"https://shop.example/checkout","qt":4120}`,
	`{"t":"SCREENVIEW","vid":"v","dl":"Checkout","uip":"10.0.0.1","sr":"1920x1080","ul":"fr-fr","sn":3,"cst":1700000000,"qa":true}`,
	`{"t":"TRANSACTION","vid":"v","cuid":"user-1","tid":"T-1","ta":"purchase","tr":12.5,"ts":1,"tt":2.25,"tc":"EUR","tcc":"PROMO","pm":"card","sm":"post","icn":2}`,
	`{"t":"ITEM","vid":"v","tid":"T-1","in":"shoe","ic":"SKU-1","ip":10.5,"iq":2,"iv":"shoes","sn":"s-1"}`,
	`{"t":"EVENT","vid":"0c5e0a4e","cuid":"user-4242","ec":"Action Tracking","ea":"add_to_cart","el":"sku-12","ev":3,"qt":3900}`,
	`{"t":"EVENT","vid":"v","ec":"User Engagement","ea":"fs_consent","el":"go:true","cid":"` + env + `","ds":"APP"}`,
	`{"t":"SEGMENT","vid":"v","s":{"plan":"gold","age":"31"}}`,
}

func TestEventsValid(t *testing.T) {
	s := flagshiptest.NewServer(t)
	body := batch(validItems...)
	got := post(t, s, "/events", body)
	require.Equal(t, http.StatusOK, got.status, got.body)
	assert.JSONEq(t, `{}`, got.body)
	hits := s.Hits()
	require.Len(t, hits, len(validItems))
	for i, h := range hits {
		var fields map[string]any
		require.NoError(t, json.Unmarshal([]byte(validItems[i]), &fields))
		assert.Equal(t, env, h.EnvID)
		assert.Equal(t, fields["t"], h.Type)
		assert.Equal(t, fields["vid"], h.VisitorID)
		assert.Equal(t, fields, h.Fields)
		assert.Equal(t, validItems[i], string(h.Raw))
		assert.False(t, h.Received.IsZero())
		assert.False(t, h.FromDecision)
	}
	assert.Equal(t, 4120*time.Millisecond, hits[0].QueueTime)
	assert.Empty(t, hits[0].CustomerID)
	assert.Equal(t, "user-1", hits[2].CustomerID)
	assert.Equal(t, [][]byte{[]byte(body)}, s.Bodies(flagshiptest.RouteEvents))

	// Copies: changing them doesn't change what is recorded.
	hits[0].Fields["t"] = "changed"
	hits[0].Raw[0] = 'X'
	assert.Equal(t, "PAGEVIEW", s.Hits()[0].Fields["t"])
	assert.Equal(t, validItems[0], string(s.Hits()[0].Raw))
}

func TestEventsTrailingSlash(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := post(t, s, "/events/", batch(validItems[0]))
	assert.Equal(t, http.StatusOK, got.status, got.body)
}

func TestEventsBadItems(t *testing.T) {
	tests := []struct {
		name        string
		give        string
		wantMessage string
	}{
		{name: "not an object", give: `"PAGEVIEW"`, wantMessage: "h[1]: want an object, got a string"},
		{name: "no type", give: `{"vid":"v","dl":"https://x"}`, wantMessage: "h[1].t: required"},
		{name: "type number", give: `{"t":1,"vid":"v"}`, wantMessage: "h[1].t: want a string, got a number"},
		{name: "unknown type", give: `{"t":"CAMPAIGN","vid":"v","caid":"vg","vaid":"var"}`, wantMessage: `h[1].t: unknown hit type "CAMPAIGN"`},
		{name: "batch type", give: `{"t":"BATCH","vid":"v"}`, wantMessage: `h[1].t: unknown hit type "BATCH"`},
		{name: "lower-case type", give: `{"t":"event","vid":"v","ec":"Action Tracking","ea":"a"}`, wantMessage: `h[1].t: unknown hit type "event"`},
		{name: "no vid", give: `{"t":"SCREENVIEW","dl":"home"}`, wantMessage: "h[1].vid: required"},
		{name: "empty vid", give: `{"t":"SCREENVIEW","vid":"","dl":"home"}`, wantMessage: "h[1].vid: must not be empty"},
		{name: "null vid", give: `{"t":"SCREENVIEW","vid":null,"dl":"home"}`, wantMessage: "h[1].vid: want a string, got null"},
		{name: "cuid number", give: `{"t":"SCREENVIEW","vid":"v","cuid":7,"dl":"home"}`, wantMessage: "h[1].cuid: want a string, got a number"},
		{name: "empty cuid", give: `{"t":"SCREENVIEW","vid":"v","cuid":"","dl":"home"}`, wantMessage: "h[1].cuid: must not be empty"},
		{name: "qt negative", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","qt":-1}`, wantMessage: "h[1].qt: want a non-negative integer, got -1"},
		{name: "qt fraction", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","qt":1.5}`, wantMessage: "h[1].qt: want a non-negative integer, got 1.5"},
		{name: "qt string", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","qt":"15"}`, wantMessage: "h[1].qt: want a number, got a string"},
		{name: "item cid", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","cid":"env_other"}`, wantMessage: `h[1].cid: want "` + env + `", got "env_other"`},
		{name: "item ds", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","ds":"WEB"}`, wantMessage: `h[1].ds: want "APP", got "WEB"`},
		{name: "qa string", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","qa":"true"}`, wantMessage: "h[1].qa: want a bool, got a string"},
		{name: "sn bool", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","sn":true}`, wantMessage: "h[1].sn: want a number, got a bool"},
		{name: "uip number", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","uip":1}`, wantMessage: "h[1].uip: want a string, got a number"},
		{name: "duplicate field", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","dl":"again"}`, wantMessage: "h[1]: dl: duplicate field"},
		{name: "unknown field", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","color":"red"}`, wantMessage: "h[1].color: unknown field of SCREENVIEW hits"},
		{name: "pageview without dl", give: `{"t":"PAGEVIEW","vid":"v"}`, wantMessage: "h[1].dl: required"},
		{name: "pageview relative dl", give: `{"t":"PAGEVIEW","vid":"v","dl":"/checkout"}`, wantMessage: `h[1].dl: want an absolute URL, got "/checkout"`},
		{name: "pageview dl without host", give: `{"t":"PAGEVIEW","vid":"v","dl":"checkout"}`, wantMessage: `h[1].dl: want an absolute URL, got "checkout"`},
		{name: "pageview empty dl", give: `{"t":"PAGEVIEW","vid":"v","dl":""}`, wantMessage: "h[1].dl: must not be empty"},
		{name: "screenview without dl", give: `{"t":"SCREENVIEW","vid":"v"}`, wantMessage: "h[1].dl: required"},
		{name: "screenview empty dl", give: `{"t":"SCREENVIEW","vid":"v","dl":""}`, wantMessage: "h[1].dl: must not be empty"},
		{name: "dl on event", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","dl":"https://x"}`, wantMessage: "h[1].dl: not allowed on EVENT hits"},
		{name: "dl on transaction", give: `{"t":"TRANSACTION","vid":"v","tid":"1","ta":"a","dl":"https://x"}`, wantMessage: "h[1].dl: not allowed on TRANSACTION hits"},
		{name: "event without ec", give: `{"t":"EVENT","vid":"v","ea":"a"}`, wantMessage: "h[1].ec: required"},
		{name: "event bad ec", give: `{"t":"EVENT","vid":"v","ec":"ACTION_TRACKING","ea":"a"}`, wantMessage: `h[1].ec: want "Action Tracking" or "User Engagement", got "ACTION_TRACKING"`},
		{name: "event without ea", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking"}`, wantMessage: "h[1].ea: required"},
		{name: "event empty ea", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":""}`, wantMessage: "h[1].ea: must not be empty"},
		{name: "event empty el", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","el":""}`, wantMessage: "h[1].el: must not be empty"},
		{name: "event negative ev", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","ev":-2}`, wantMessage: "h[1].ev: want a non-negative integer, got -2"},
		{name: "event fractional ev", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","ev":2.5}`, wantMessage: "h[1].ev: want a non-negative integer, got 2.5"},
		{name: "event string ev", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","ev":"2"}`, wantMessage: "h[1].ev: want a number, got a string"},
		{name: "event tid", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","tid":"1"}`, wantMessage: "h[1].tid: unknown field of EVENT hits"},
		{name: "transaction without tid", give: `{"t":"TRANSACTION","vid":"v","ta":"a"}`, wantMessage: "h[1].tid: required"},
		{name: "transaction without ta", give: `{"t":"TRANSACTION","vid":"v","tid":"1"}`, wantMessage: "h[1].ta: required"},
		{name: "transaction long tc", give: `{"t":"TRANSACTION","vid":"v","tid":"1","ta":"a","tc":"EURO"}`, wantMessage: `h[1].tc: want a 3-letter ISO 4217 currency code, got "EURO"`},
		{name: "transaction digit tc", give: `{"t":"TRANSACTION","vid":"v","tid":"1","ta":"a","tc":"E1R"}`, wantMessage: `h[1].tc: want a 3-letter ISO 4217 currency code, got "E1R"`},
		{name: "transaction tr string", give: `{"t":"TRANSACTION","vid":"v","tid":"1","ta":"a","tr":"12"}`, wantMessage: "h[1].tr: want a number, got a string"},
		{name: "transaction icn fraction", give: `{"t":"TRANSACTION","vid":"v","tid":"1","ta":"a","icn":1.5}`, wantMessage: "h[1].icn: want a non-negative integer, got 1.5"},
		{name: "item without in", give: `{"t":"ITEM","vid":"v","tid":"1","ic":"c"}`, wantMessage: "h[1].in: required"},
		{name: "item without ic", give: `{"t":"ITEM","vid":"v","tid":"1","in":"n"}`, wantMessage: "h[1].ic: required"},
		{name: "item without tid", give: `{"t":"ITEM","vid":"v","in":"n","ic":"c"}`, wantMessage: "h[1].tid: required"},
		{name: "item fractional iq", give: `{"t":"ITEM","vid":"v","tid":"1","in":"n","ic":"c","iq":1.5}`, wantMessage: "h[1].iq: want an integer, got 1.5"},
		{name: "item ta", give: `{"t":"ITEM","vid":"v","tid":"1","in":"n","ic":"c","ta":"a"}`, wantMessage: "h[1].ta: unknown field of ITEM hits"},
		{name: "segment without s", give: `{"t":"SEGMENT","vid":"v"}`, wantMessage: "h[1].s: required"},
		{name: "segment s array", give: `{"t":"SEGMENT","vid":"v","s":["a"]}`, wantMessage: "h[1].s: want an object, got an array"},
		{name: "segment number value", give: `{"t":"SEGMENT","vid":"v","s":{"age":31}}`, wantMessage: "h[1].s.age: want a string, got a number"},
		{name: "segment bool value", give: `{"t":"SEGMENT","vid":"v","s":{"vip":true}}`, wantMessage: "h[1].s.vip: want a string, got a bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t)
			got := post(t, s, "/events", batch(validItems[0], tt.give, validItems[1]))
			// The item is refused, the others recorded.
			assert.Equal(t, http.StatusMultiStatus, got.status)
			assertMessage(t, got.body, tt.wantMessage)
			var ms struct {
				Accepted int
				Refused  []struct {
					Index  int
					Reason string
				}
			}
			require.NoError(t, json.Unmarshal([]byte(got.body), &ms), got.body)
			assert.Equal(t, 2, ms.Accepted)
			require.Len(t, ms.Refused, 1, got.body)
			assert.Equal(t, 1, ms.Refused[0].Index)
			assert.True(t, strings.HasPrefix(ms.Refused[0].Reason, tt.wantMessage), ms.Refused[0].Reason)
			hits := s.Hits()
			require.Len(t, hits, 2)
			assert.Equal(t, validItems[0], string(hits[0].Raw))
			assert.Equal(t, validItems[1], string(hits[1].Raw))
			refused := s.Refusals()
			require.Len(t, refused, 1)
			assert.Equal(t, flagshiptest.RouteEvents, refused[0].Route)
			assert.Equal(t, 1, refused[0].Index)
			assert.Equal(t, http.StatusMultiStatus, refused[0].Status)
			assert.Equal(t, ms.Refused[0].Reason, refused[0].Reason)
			assert.Equal(t, tt.give, string(refused[0].Item))
		})
	}
}

// TestEventsEveryItemRefused checks that a batch whose every item is
// refused is a 400 naming the first, and records each refusal.
func TestEventsEveryItemRefused(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := post(t, s, "/events", batch(`{"t":"PAGEVIEW","vid":"v1","dl":"/a"}`, `{"t":"EVENT","vid":"v2","ea":"a"}`))
	assert.Equal(t, http.StatusBadRequest, got.status)
	assert.JSONEq(t, `{"message":"h[0].dl: want an absolute URL, got \"/a\""}`, got.body)
	assert.Empty(t, s.Hits())
	assert.Empty(t, s.Bodies(flagshiptest.RouteEvents))
	refused := s.Refusals()
	require.Len(t, refused, 2)
	for i, want := range []struct{ vid, reason string }{
		{"v1", `h[0].dl: want an absolute URL, got "/a"`},
		{"v2", "h[1].ec: required"},
	} {
		assert.Equal(t, i, refused[i].Index)
		assert.Equal(t, http.StatusBadRequest, refused[i].Status)
		assert.Equal(t, want.reason, refused[i].Reason)
		assert.Equal(t, want.vid, refused[i].VisitorID)
	}
}

func TestEventsBadEnvelope(t *testing.T) {
	item := validItems[0]
	tests := []struct {
		name        string
		give        string
		wantMessage string
	}{
		{name: "not JSON", give: `h=1`, wantMessage: "invalid JSON"},
		{name: "array", give: `[` + item + `]`, wantMessage: "want a JSON object, got an array"},
		{name: "t of another hit and h", give: `{"cid":"` + env + `","ds":"APP","t":"PAGEVIEW","h":[` + item + `]}`, wantMessage: "t: want \"BATCH\", got \"PAGEVIEW\""},
		{name: "no cid", give: `{"ds":"APP","t":"BATCH","h":[` + item + `]}`, wantMessage: "cid: required"},
		{name: "wrong cid", give: `{"cid":"env_other","ds":"APP","t":"BATCH","h":[` + item + `]}`, wantMessage: `cid: unknown environment id "env_other"`},
		{name: "empty cid", give: `{"cid":"","ds":"APP","t":"BATCH","h":[` + item + `]}`, wantMessage: "cid: must not be empty"},
		{name: "no ds", give: `{"cid":"` + env + `","t":"BATCH","h":[` + item + `]}`, wantMessage: "ds: required"},
		{name: "wrong ds", give: `{"cid":"` + env + `","ds":"app","t":"BATCH","h":[` + item + `]}`, wantMessage: `ds: want "APP", got "app"`},
		{name: "no t", give: `{"cid":"` + env + `","ds":"APP","h":[` + item + `]}`, wantMessage: "t: required"},
		{name: "negative qt", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH","qt":-1,"h":[` + item + `]}`, wantMessage: "qt: want a non-negative integer, got -1"},
		{name: "no h", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH"}`, wantMessage: "h: required"},
		{name: "empty h", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH","h":[]}`, wantMessage: "h: must not be empty"},
		{name: "h object", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH","h":{}}`, wantMessage: "h: want an array, got an object"},
		{name: "unknown field", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH","cv":{},"h":[` + item + `]}`, wantMessage: "cv: unknown field of a BATCH envelope"},
	}
	s := flagshiptest.NewServer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := post(t, s, "/events", tt.give)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assertMessage(t, got.body, tt.wantMessage)
		})
	}
	assert.Empty(t, s.Hits())
	refused := s.Refusals()
	require.Len(t, refused, len(tests))
	for i, r := range refused {
		assert.Equal(t, -1, r.Index, "the request is refused as a whole")
		assert.Equal(t, tests[i].give, string(r.Item))
	}
}

func TestEventsTooLarge(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := post(t, s, "/events", `{"cid":"`+strings.Repeat("x", 9<<20)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, got.status)
	assert.Contains(t, got.body, `"message":"request body larger than`)
	refused := s.Refusals()
	require.Len(t, refused, 1)
	assert.Equal(t, http.StatusRequestEntityTooLarge, refused[0].Status)
	assert.Equal(t, -1, refused[0].Index)
}

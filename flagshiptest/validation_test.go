package flagshiptest_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestValidationLevels posts, in a batch between two valid hits, each
// hit Flagship's own SDKs send (spec §12) that this SDK must not: the
// Compatible handler records it, the Strict one refuses it alone (207)
// with the reason.
func TestValidationLevels(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantStrict string // the reason Strict gives
	}{
		{name: "relative dl", give: `{"t":"PAGEVIEW","vid":"v","dl":"/checkout"}`, wantStrict: `h[1].dl: want an absolute URL, got "/checkout"`},
		{name: "dl without slash", give: `{"t":"PAGEVIEW","vid":"v","dl":"cart"}`, wantStrict: `h[1].dl: want an absolute URL, got "cart"`},
		{name: "icn -1", give: `{"t":"TRANSACTION","vid":"v","tid":"T","ta":"a","icn":-1}`, wantStrict: "h[1].icn: want a non-negative integer, got -1"},
		{name: "tc not 3 letters", give: `{"t":"TRANSACTION","vid":"v","tid":"T","ta":"a","tc":"EURO"}`, wantStrict: `h[1].tc: want a 3-letter ISO 4217 currency code, got "EURO"`},
		{name: "event without ec", give: `{"t":"EVENT","vid":"v","ea":"click"}`, wantStrict: "h[1].ec: required"},
		{name: "ec ACTION_TRACKING", give: `{"t":"EVENT","vid":"v","ec":"ACTION_TRACKING","ea":"click"}`, wantStrict: `h[1].ec: want "Action Tracking" or "User Engagement", got "ACTION_TRACKING"`},
		{name: "ec USER_ENGAGEMENT", give: `{"t":"EVENT","vid":"v","ec":"USER_ENGAGEMENT","ea":"click"}`, wantStrict: `h[1].ec: want "Action Tracking" or "User Engagement", got "USER_ENGAGEMENT"`},
		{name: "legacy dr", give: `{"t":"PAGEVIEW","vid":"v","dl":"https://x/","dr":"https://ref/"}`, wantStrict: "h[1].dr: unknown field of PAGEVIEW hits"},
		{name: "legacy pt", give: `{"t":"PAGEVIEW","vid":"v","dl":"https://x/","pt":"Home"}`, wantStrict: "h[1].pt: unknown field of PAGEVIEW hits"},
		{name: "legacy vp", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","vp":"100x200"}`, wantStrict: "h[1].vp: unknown field of SCREENVIEW hits"},
		{name: "legacy de", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","de":"UTF-8"}`, wantStrict: "h[1].de: unknown field of EVENT hits"},
		{name: "legacy v, sd, je, fl", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","v":"1","sd":"24","je":false,"fl":"x"}`, wantStrict: "h[1].v: unknown field of SCREENVIEW hits"},
		{name: "null cuid, aid", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","cuid":null,"aid":null}`, wantStrict: "h[1].aid: unknown field of SCREENVIEW hits"},
		{name: "null optional field", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","uip":null,"qt":null}`, wantStrict: "h[1].uip: want a string, got null"},
		{name: "null el", give: `{"t":"EVENT","vid":"v","ec":"Action Tracking","ea":"a","el":null}`, wantStrict: "h[1].el: want a string, got null"},
		{name: "cuid equal to vid", give: `{"t":"SCREENVIEW","vid":"v","cuid":"v","dl":"home","cid":"` + env + `","ds":"APP"}`},
		{name: "empty cuid", give: `{"t":"SCREENVIEW","vid":"v","cuid":"","dl":"home"}`, wantStrict: "h[1].cuid: must not be empty (null when the visitor is not authenticated)"},
		{name: "unknown field", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","color":"red"}`, wantStrict: "h[1].color: unknown field of SCREENVIEW hits"},
		{name: "campaign hit", give: `{"t":"CAMPAIGN","vid":"v","caid":"vg","vaid":"var"}`, wantStrict: `h[1].t: unknown hit type "CAMPAIGN"`},
		{name: "numeric string", give: `{"t":"TRANSACTION","vid":"v","tid":"T","ta":"a","tr":"12.5"}`, wantStrict: "h[1].tr: want a number, got a string"},
		{name: "no dl", give: `{"t":"PAGEVIEW","vid":"v"}`, wantStrict: "h[1].dl: required"},
		{name: "segment number", give: `{"t":"SEGMENT","vid":"v","s":{"age":31}}`, wantStrict: "h[1].s.age: want a string, got a number (the context's values in their string form)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := batch(validItems[0], tt.give, validItems[1])

			c := flagshiptest.NewServer(t, flagshiptest.WithValidation(flagshiptest.Compatible))
			got := post(t, c, "/events", body)
			assert.Equal(t, http.StatusOK, got.status, got.body)
			hits := c.Hits()
			require.Len(t, hits, 3)
			assert.Equal(t, tt.give, string(hits[1].Raw))
			assert.Equal(t, "v", hits[1].VisitorID)
			assert.Equal(t, env, hits[1].EnvID)
			assert.Empty(t, c.Refusals())

			s := flagshiptest.NewServer(t) // Strict by default
			got = post(t, s, "/events", body)
			if tt.wantStrict == "" {
				assert.Equal(t, http.StatusOK, got.status, got.body)
				return
			}
			assert.Equal(t, http.StatusMultiStatus, got.status, got.body)
			assert.Len(t, s.Hits(), 2)
			refused := s.Refusals()
			require.Len(t, refused, 1)
			assert.Equal(t, tt.wantStrict, refused[0].Reason)
			assert.Equal(t, 1, refused[0].Index)
		})
	}
}

// TestValidationBothRefuse lists what Compatible refuses too: what
// Flagship's collector could never take.
func TestValidationBothRefuse(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "not an object", give: `"PAGEVIEW"`, want: "h[1]: want an object, got a string"},
		{name: "null item", give: `null`, want: "h[1]: want an object, got null"},
		{name: "no t", give: `{"vid":"v","dl":"https://x"}`, want: "h[1].t: required"},
		{name: "t number", give: `{"t":1,"vid":"v"}`, want: "h[1].t: want a string, got a number"},
		{name: "unknown t", give: `{"t":"VISIT","vid":"v"}`, want: `h[1].t: unknown hit type "VISIT"`},
		{name: "lower-case t", give: `{"t":"event","vid":"v","ea":"a"}`, want: `h[1].t: unknown hit type "event"`},
		{name: "nested batch", give: `{"t":"BATCH","vid":"v"}`, want: `h[1].t: unknown hit type "BATCH"`},
		{name: "no vid", give: `{"t":"SCREENVIEW","dl":"home"}`, want: "h[1].vid: required"},
		{name: "empty vid", give: `{"t":"SCREENVIEW","vid":"","dl":"home"}`, want: "h[1].vid: must not be empty"},
		{name: "null vid", give: `{"t":"SCREENVIEW","vid":null,"dl":"home"}`, want: "h[1].vid: want a string, got null"},
		{name: "other cid", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","cid":"env_other"}`, want: `h[1].cid: want "` + env + `", got "env_other"`},
		{name: "duplicate field", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","dl":"again"}`, want: "h[1]: dl: duplicate field"},
	}
	for _, level := range []flagshiptest.Validation{flagshiptest.Strict, flagshiptest.Compatible} {
		t.Run(level.String(), func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithValidation(level))
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s.Reset()
					got := post(t, s, "/events", batch(validItems[0], tt.give, validItems[1]))
					assert.Equal(t, http.StatusMultiStatus, got.status, got.body)
					assertMessage(t, got.body, tt.want)
					assert.Len(t, s.Hits(), 2)
					refused := s.Refusals()
					require.Len(t, refused, 1)
					assert.Equal(t, tt.want, refused[0].Reason)
				})
			}
		})
	}
}

// TestValidationCompatibleEnvelope: the envelope forms Flagship's SDKs
// and the decision-api send (no envelope cid with a cid on each item,
// custom variables cv, Python's ds on items, an empty h) are taken by
// Compatible; a cid of another environment is not.
func TestValidationCompatibleEnvelope(t *testing.T) {
	item := `{"t":"SCREENVIEW","vid":"v","dl":"home"}`
	withCid := `{"t":"SCREENVIEW","vid":"v","dl":"home","cid":"` + env + `","ds":"APP"}`
	tests := []struct {
		name       string
		give       string
		wantStatus int
		wantHits   int
		wantReason string
	}{
		{name: "decision-api form", give: `{"t":"BATCH","ds":"APP","cv":{"0":"runner"},"h":[` + withCid + `]}`, wantStatus: 200, wantHits: 1},
		{name: "null cid, qt fraction", give: `{"cid":null,"t":"BATCH","qt":1.5,"h":[` + withCid + `]}`, wantStatus: 200, wantHits: 1},
		{name: "no t", give: `{"cid":"` + env + `","h":[` + item + `]}`, wantStatus: 200, wantHits: 1},
		{name: "empty h", give: `{"cid":"` + env + `","ds":"APP","t":"BATCH","h":[]}`, wantStatus: 200},
		{name: "null h", give: `{"cid":"` + env + `","t":"BATCH","h":null}`, wantStatus: 200},
		{name: "no cid anywhere", give: `{"t":"BATCH","h":[` + item + `,` + withCid + `]}`, wantStatus: 207, wantHits: 1,
			wantReason: "h[0].cid: required (on the hit or its BATCH envelope)"},
		{name: "other cid", give: `{"cid":"x","t":"BATCH","h":[` + item + `]}`, wantStatus: 400, wantReason: `cid: unknown environment id "x"`},
		{name: "t of a hit with h", give: `{"cid":"` + env + `","t":"EVENT","h":[` + item + `]}`, wantStatus: 400, wantReason: `t: want "BATCH", got "EVENT"`},
		{name: "h not an array", give: `{"cid":"` + env + `","t":"BATCH","h":{}}`, wantStatus: 400, wantReason: "h: want an array, got an object"},
		{name: "no h", give: `{"cid":"` + env + `","t":"BATCH"}`, wantStatus: 400, wantReason: "h: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithValidation(flagshiptest.Compatible))
			got := post(t, s, "/events", tt.give)
			assert.Equal(t, tt.wantStatus, got.status, got.body)
			assert.Len(t, s.Hits(), tt.wantHits)
			refused := s.Refusals()
			if tt.wantReason == "" {
				assert.Empty(t, refused)
				return
			}
			require.Len(t, refused, 1)
			assert.Equal(t, tt.wantReason, refused[0].Reason)
		})
	}
}

func TestValidationString(t *testing.T) {
	assert.Equal(t, "strict", flagshiptest.Strict.String())
	assert.Equal(t, "compatible", flagshiptest.Compatible.String())
	assert.Equal(t, "Validation(7)", flagshiptest.Validation(7).String())
	h, err := flagshiptest.NewHandler("e")
	require.NoError(t, err)
	assert.Equal(t, flagshiptest.Strict, h.Validation())
	h, err = flagshiptest.NewHandler("e", flagshiptest.WithValidation(flagshiptest.Validation(7)))
	require.NoError(t, err)
	assert.Equal(t, flagshiptest.Strict, h.Validation(), "an unknown level is Strict")
}

package flagshiptest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// goV2Hits are hits as Flagship's Go SDK v2 posts them: alone, no
// envelope, cid and ds on the hit, cuid always set, legacy fields.
var goV2Hits = []string{
	`{"vid":"v1","cuid":"v1","cid":"` + env + `","t":"PAGEVIEW","ds":"APP","dr":"https://ref.example/","pt":"Home","qt":3,"dl":"https://shop.example/"}`,
	`{"vid":"anon-1","cuid":"user-1","cid":"` + env + `","t":"EVENT","ds":"APP","ea":"click"}`,
	`{"vid":"v1","cuid":"v1","cid":"` + env + `","t":"TRANSACTION","ds":"APP","tid":"T-1","ta":"shop","icn":-1,"tc":"EURO"}`,
	`{"vid":"v1","cuid":"v1","cid":"` + env + `","t":"ITEM","ds":"APP","tid":"T-1","in":"shoe","ic":"SKU","vp":"1x1","de":"UTF-8"}`,
	`{"vid":"v1","cuid":"v1","cid":"` + env + `","t":"SCREENVIEW","ds":"APP","dl":"home","cst":1700000000,"sn":2}`,
}

// TestSingleHits: a hit posted alone, to the collector root or to
// /events, is recorded with Compatible; Strict takes one this SDK could
// send (cid and ds on it) and refuses the others with a 400.
func TestSingleHits(t *testing.T) {
	for _, path := range []string{"/", "/events", "/events/"} {
		t.Run(path, func(t *testing.T) {
			c := flagshiptest.NewServer(t, flagshiptest.WithValidation(flagshiptest.Compatible))
			for _, h := range goV2Hits {
				got := post(t, c, path, h)
				require.Equal(t, http.StatusOK, got.status, got.body)
				assert.JSONEq(t, `{}`, got.body, "Go SDK v2 wants a 200")
			}
			hits := c.Hits()
			require.Len(t, hits, len(goV2Hits))
			assert.Equal(t, "user-1", hits[1].CustomerID)
			assert.Equal(t, "anon-1", hits[1].VisitorID)
			assert.Equal(t, 3*time.Millisecond, hits[0].QueueTime)
			assert.Equal(t, env, hits[0].EnvID)
			assert.Equal(t, goV2Hits[0], string(hits[0].Raw))
			assert.Len(t, c.Bodies(flagshiptest.RouteEvents), len(goV2Hits))

			s := flagshiptest.NewServer(t)
			got := post(t, s, path, goV2Hits[4])
			assert.Equal(t, http.StatusOK, got.status, got.body)
			got = post(t, s, path, goV2Hits[0])
			assert.Equal(t, http.StatusBadRequest, got.status)
			assert.JSONEq(t, `{"message":"dr: unknown field of PAGEVIEW hits"}`, got.body)
			refused := s.Refusals()
			require.Len(t, refused, 1)
			assert.Equal(t, 0, refused[0].Index)
			assert.Equal(t, "v1", refused[0].VisitorID)
			assert.Equal(t, goV2Hits[0], string(refused[0].Item))
		})
	}
}

func TestSingleHitRefusals(t *testing.T) {
	tests := []struct {
		name  string
		level flagshiptest.Validation
		give  string
		want  string
	}{
		{name: "strict without cid", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","ds":"APP"}`,
			want: "cid: required (a hit posted without a BATCH envelope carries it)"},
		{name: "strict without ds", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","cid":"` + env + `"}`,
			want: "ds: required (a hit posted without a BATCH envelope carries it)"},
		{name: "strict other cid", give: `{"t":"SCREENVIEW","vid":"v","dl":"home","cid":"x","ds":"APP"}`, want: `cid: want "` + env + `", got "x"`},
		{name: "compatible without cid", level: flagshiptest.Compatible, give: `{"t":"SCREENVIEW","vid":"v","dl":"home"}`,
			want: "cid: required (on the hit or its BATCH envelope)"},
		{name: "compatible other cid", level: flagshiptest.Compatible, give: `{"t":"SCREENVIEW","vid":"v","cid":"x"}`, want: `cid: want "` + env + `", got "x"`},
		{name: "compatible no vid", level: flagshiptest.Compatible, give: `{"t":"SCREENVIEW","cid":"` + env + `"}`, want: "vid: required"},
		{name: "compatible no t", level: flagshiptest.Compatible, give: `{"vid":"v","cid":"` + env + `"}`, want: "t: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithValidation(tt.level))
			got := post(t, s, "/", tt.give)
			assert.Equal(t, http.StatusBadRequest, got.status)
			assertMessage(t, got.body, tt.want)
			assert.Empty(t, s.Hits())
			refused := s.Refusals()
			require.Len(t, refused, 1)
			assert.Equal(t, tt.want, refused[0].Reason)
		})
	}
}

// TestJSBatchAtRoot: Flagship's JS SDK posts its BATCH envelope to the
// collector's root, with nulls and relative locations.
func TestJSBatchAtRoot(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithValidation(flagshiptest.Compatible))
	body := `{"ds":"APP","cid":"` + env + `","t":"BATCH","qt":1,"h":[` +
		`{"vid":"v1","t":"PAGEVIEW","cuid":null,"qt":12,"dl":"/checkout"},` +
		`{"vid":"v1","t":"EVENT","cuid":null,"qt":10,"ec":"User Engagement","ea":"fs_consent","el":"TypeScript:true"}]}`
	got := post(t, s, "/", body)
	require.Equal(t, http.StatusOK, got.status, got.body)
	hits := s.Hits()
	require.Len(t, hits, 2)
	assert.Equal(t, "/checkout", hits[0].Fields["dl"])
	assert.Nil(t, hits[0].Fields["cuid"])
	assert.Empty(t, hits[0].CustomerID)
	assert.Equal(t, env, hits[0].EnvID)
}

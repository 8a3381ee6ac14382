package flagship_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// abServer serves one A/B test with a 100% variation and a toggle.
func abServer(t *testing.T) *flagshiptest.Server {
	t.Helper()
	return flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green", "discount": 10.0})),
		flagshiptest.Toggle("banner", map[string]any{"show-banner": true}),
	))
}

// fixedClock returns a clock frozen at a known instant, so that every qt
// is 0 whenever the record is sent.
func fixedClock() func() time.Time {
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	return func() time.Time { return at }
}

func TestBodiesMatchSpec(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := abServer(t)
			c := newClient(t, srv, flagship.WithMode(mode), flagship.WithClock(fixedClock()))
			ctx := context.Background()
			v, err := c.NewVisitor("anon-77", nil)
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			require.NoError(t, v.Authenticate("user-4242"))
			assert.Equal(t, "green", v.Activating(ctx).String("btn-color", "blue"))
			require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://shop.example/checkout", Common: hits.Common{Language: "fr-fr"}}))
			require.NoError(t, v.Unauthenticate())
			require.NoError(t, v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: "sku-12", Value: 3}))
			require.NoError(t, v.SendHit(ctx, hits.Transaction{ID: "T1", Affiliation: "purchase", Revenue: 42.5, Currency: "EUR", ItemCount: 2}))
			require.NoError(t, v.SendHit(ctx, hits.Item{TransactionID: "T1", Name: "shoe", Code: "SKU-1", Price: 21.25, Quantity: 2}))
			require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
			flush(t, c)

			activations := srv.Bodies(flagshiptest.RouteActivate)
			require.Len(t, activations, 1)
			assert.JSONEq(t, `{"cid":"`+srv.EnvID()+`","batch":[{"vid":"user-4242","aid":"anon-77","caid":"vg_checkout","vaid":"var_green","qt":0}]}`,
				string(activations[0]))

			wantHits := []string{
				`{"t":"PAGEVIEW","vid":"anon-77","cuid":"user-4242","qt":0,"dl":"https://shop.example/checkout","ul":"fr-fr"}`,
				`{"t":"EVENT","vid":"anon-77","cuid":null,"qt":0,"ec":"Action Tracking","ea":"add_to_cart","el":"sku-12","ev":3}`,
				`{"t":"TRANSACTION","vid":"anon-77","cuid":null,"qt":0,"tid":"T1","ta":"purchase","tr":42.5,"tc":"EUR","icn":2}`,
				`{"t":"ITEM","vid":"anon-77","cuid":null,"qt":0,"tid":"T1","in":"shoe","ic":"SKU-1","ip":21.25,"iq":2}`,
				`{"t":"SCREENVIEW","vid":"anon-77","cuid":null,"qt":0,"dl":"home"}`,
			}
			var got []string
			for _, b := range srv.Bodies(flagshiptest.RouteEvents) {
				var env struct {
					CID string            `json:"cid"`
					DS  string            `json:"ds"`
					T   string            `json:"t"`
					H   []json.RawMessage `json:"h"`
				}
				require.NoError(t, json.Unmarshal(b, &env))
				assert.Equal(t, srv.EnvID(), env.CID)
				assert.Equal(t, "APP", env.DS)
				assert.Equal(t, "BATCH", env.T)
				for _, h := range env.H {
					var probe struct{ T string }
					require.NoError(t, json.Unmarshal(h, &probe))
					if probe.T != "SEGMENT" {
						got = append(got, string(h))
					}
				}
			}
			require.Len(t, got, len(wantHits))
			for i := range wantHits {
				assert.JSONEq(t, wantHits[i], got[i])
			}
		})
	}
}

// TestContextHit checks the SEGMENT hit: sent by the SDK in BUCKETING mode
// once per context change, by the Decision API itself in DECISION_API mode.
func TestContextHit(t *testing.T) {
	segments := func(srv *flagshiptest.Server) []flagshiptest.Hit {
		var out []flagshiptest.Hit
		for _, h := range srv.Hits() {
			if h.Type == "SEGMENT" {
				out = append(out, h)
			}
		}
		return out
	}
	ctx := context.Background()

	srv := abServer(t)
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing))
	v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold", "age": 31})
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.Synchronize(ctx))
	flush(t, c)
	require.Len(t, segments(srv), 1, "an unchanged context is sent once")
	s := segments(srv)[0].Fields["s"].(map[string]any)
	assert.Equal(t, "gold", s["plan"])
	assert.Equal(t, "31", s["age"])
	require.NoError(t, v.UpdateContextAndSynchronize(ctx, visitor.Attributes{"plan": "silver"}))
	flush(t, c)
	assert.Len(t, segments(srv), 2)
	assert.Empty(t, srv.Bodies(flagshiptest.RouteActivate))

	api := abServer(t)
	c2 := newClient(t, api)
	v2, err := c2.NewVisitor("v1", visitor.Attributes{"plan": "gold"})
	require.NoError(t, err)
	require.NoError(t, v2.Synchronize(ctx))
	flush(t, c2)
	assert.Empty(t, api.Bodies(flagshiptest.RouteEvents), "the SDK sends no context hit in DECISION_API mode")
	reqs := api.DecisionRequests()
	require.Len(t, reqs, 1)
	require.NotNil(t, reqs[0].TriggerHit)
	assert.False(t, *reqs[0].TriggerHit, "the SDK activates itself")
	assert.Equal(t, "go", reqs[0].Context["fs_client"])
	assert.True(t, reqs[0].HasAPIKey)
	assert.Len(t, segments(api), 1, "the decision API emits it")
	assert.Empty(t, api.Activations())
}

func TestPanicModeServesDefaultsAndSendsNothing(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := abServer(t)
			srv.SetPanic(true)
			var mu syncEvents
			c := newClient(t, srv, flagship.WithMode(mode), flagship.WithNotifications(&mu))
			ctx := context.Background()
			v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"}, visitor.WithConsent(true))
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, flagship.StatusPanic, c.Status())
			assert.Equal(t, "blue", v.String("btn-color", "blue"))
			assert.Equal(t, "blue", v.Activating(ctx).String("btn-color", "blue"))
			assert.Equal(t, visitor.ReasonPanic, v.Evaluate("btn-color", "blue").Reason)
			assert.False(t, v.Has("btn-color"))
			assert.Empty(t, v.Flags())
			require.ErrorIs(t, v.Activate(ctx, "btn-color"), visitor.ErrPanicMode)
			require.ErrorIs(t, v.SendHit(ctx, hits.Page{URL: "https://x.example/"}), visitor.ErrPanicMode)
			assert.Empty(t, srv.Bodies(flagshiptest.RouteActivate))
			assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents))
			assert.Empty(t, srv.Activations())
			assert.True(t, mu.saw(flagship.NotifyStatusChanged, flagship.StatusPanic))

			// The panic ends: the next synchronize brings the flags back.
			srv.SetPanic(false)
			require.Eventually(t, func() bool {
				_ = v.Synchronize(ctx)
				return c.Status() == flagship.StatusReady
			}, 5*time.Second, 20*time.Millisecond)
			assert.Equal(t, "green", v.String("btn-color", "blue"))
		})
	}
}

func TestConsent(t *testing.T) {
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing))
	ctx := context.Background()
	v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"}, visitor.WithConsent(false))
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "green", v.String("btn-color", "blue"), "decisions work without consent")
	require.ErrorIs(t, v.Activate(ctx, "btn-color"), visitor.ErrNoConsent)
	require.ErrorIs(t, v.SendHit(ctx, hits.Page{URL: "https://x.example/"}), visitor.ErrNoConsent)
	flush(t, c)
	got := srv.Hits()
	require.Len(t, got, 1, "only the consent hit")
	assert.Equal(t, "EVENT", got[0].Type)
	assert.Equal(t, "fs_consent", got[0].Fields["ea"])
	assert.Equal(t, "go:false", got[0].Fields["el"])
	assert.Empty(t, srv.Activations())

	require.NoError(t, v.SetConsent(ctx, true))
	require.NoError(t, v.Activate(ctx, "btn-color"))
	flush(t, c)
	assert.Len(t, srv.Activations(), 1)
	assert.Equal(t, "go:true", srv.Hits()[1].Fields["el"])
}

package flagshiptest_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestNewHandlerErrors(t *testing.T) {
	tests := []struct {
		name      string
		giveEnv   string
		giveOpts  []flagshiptest.HandlerOption
		wantErr   string
		wantIsErr error
	}{
		{name: "empty env", giveEnv: "", wantErr: "flagshiptest: invalid options: empty environment id"},
		{name: "both sources", giveEnv: "e", giveOpts: []flagshiptest.HandlerOption{
			flagshiptest.WithBucketingFile([]byte(specFile)), flagshiptest.WithCampaigns()}, wantErr: "can't be combined"},
		{name: "invalid file", giveEnv: "e", giveOpts: []flagshiptest.HandlerOption{flagshiptest.WithBucketingFile([]byte(`{"panic":"yes"}`))},
			wantErr: "panic: expected a bool", wantIsErr: bucketing.ErrInvalidFile},
		{name: "empty file", giveEnv: "e", giveOpts: []flagshiptest.HandlerOption{flagshiptest.WithBucketingFile(nil)},
			wantIsErr: bucketing.ErrInvalidFile},
		{name: "NaN flag", giveEnv: "e", giveOpts: []flagshiptest.HandlerOption{
			flagshiptest.WithCampaigns(flagshiptest.Toggle("t", map[string]any{"x": math.NaN()}))}, wantErr: "campaigns: encode bucketing file"},
		{name: "short bucket range", giveEnv: "e", giveOpts: []flagshiptest.HandlerOption{
			flagshiptest.WithCampaigns(bucketing.Campaign{ID: "c", BucketRanges: []bucketing.BucketRange{{R: []float64{1}}}})},
			wantErr: "bucketRanges[0].r: a bucket range needs two bounds", wantIsErr: bucketing.ErrInvalidFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := flagshiptest.NewHandler(tt.giveEnv, tt.giveOpts...)
			assert.Nil(t, h)
			require.ErrorIs(t, err, flagshiptest.ErrInvalidOptions)
			assert.Contains(t, err.Error(), tt.wantErr)
			if tt.wantIsErr != nil {
				assert.ErrorIs(t, err, tt.wantIsErr)
			}
		})
	}
}

func TestHandlerSetCampaignsError(t *testing.T) {
	h, err := flagshiptest.NewHandler("e", flagshiptest.WithCampaigns(flagshiptest.Toggle("t", nil)))
	require.NoError(t, err)
	err = h.SetCampaigns(flagshiptest.Toggle("bad", map[string]any{"f": func() {}}))
	require.ErrorIs(t, err, flagshiptest.ErrInvalidOptions)
	assert.Equal(t, "e", h.EnvID())
}

// decide asks s's Decision API for visitor's campaigns and returns
// "campaign/variation group/variation" per campaign.
func decide(t testing.TB, s *flagshiptest.Server, visitor string) []string {
	t.Helper()
	got := post(t, s, decisionPath(), `{"visitorId":"`+visitor+`","trigger_hit":false}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	var resp struct {
		Campaigns []struct {
			ID               string `json:"id"`
			Type             string `json:"type"`
			VariationGroupID string `json:"variationGroupId"`
			Variation        struct {
				ID            string `json:"id"`
				Modifications struct {
					Type  string         `json:"type"`
					Value map[string]any `json:"value"`
				} `json:"modifications"`
			} `json:"variation"`
		} `json:"campaigns"`
	}
	require.NoError(t, json.Unmarshal([]byte(got.body), &resp))
	var out []string
	for _, c := range resp.Campaigns {
		out = append(out, fmt.Sprintf("%s/%s/%s %s %s %v", c.ID, c.VariationGroupID, c.Variation.ID, c.Type,
			c.Variation.Modifications.Type, c.Variation.Modifications.Value))
	}
	return out
}

func TestBuilders(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true, "limit": 3}),
		flagshiptest.Campaign("btn",
			flagshiptest.Variation("blue", 50, map[string]any{"color": "blue"}),
			flagshiptest.Variation("green", 50, map[string]any{"color": "green"})),
		flagshiptest.Campaign("none", flagshiptest.Variation("nobody", 0, nil)),
	))
	seen := map[string]int{}
	for i := range 100 {
		got := decide(t, s, fmt.Sprintf("visitor-%d", i))
		require.Len(t, got, 2)
		assert.Equal(t, "checkout/vg_checkout/var_checkout toggle FLAG map[limit:3 newCheckout:true]", got[0])
		seen[got[1]]++
	}
	assert.Len(t, seen, 2)
	assert.Positive(t, seen["btn/vg_btn/blue ab FLAG map[color:blue]"])
	assert.Positive(t, seen["btn/vg_btn/green ab FLAG map[color:green]"])
}

func TestBuilderValues(t *testing.T) {
	flags := map[string]any{"a": 1}
	assert.Equal(t, bucketing.Variation{ID: "v", Allocation: 25, Modifications: decision.Modifications{Type: "FLAG", Value: flags}},
		flagshiptest.Variation("v", 25, flags))
	assert.Equal(t, int32(math.MaxInt32), flagshiptest.Variation("v", math.MaxInt64, nil).Allocation)

	c := flagshiptest.Campaign("c", flagshiptest.Variation("v", 100, flags))
	assert.Equal(t, "c", c.ID)
	assert.Equal(t, "ab", c.Type)
	assert.Equal(t, []bucketing.BucketRange{{R: []float64{0, 100}}}, c.BucketRanges)
	require.Len(t, c.VariationGroups, 1)
	vg := c.VariationGroups[0]
	assert.Equal(t, "vg_c", vg.ID)
	assert.Equal(t, bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "fs_all_users", Operator: bucketing.OperatorEquals, Value: ""}}}}}, vg.Targeting)
	assert.Equal(t, []bucketing.Variation{flagshiptest.Variation("v", 100, flags)}, vg.Variations)

	tg := flagshiptest.Toggle("t", flags)
	assert.Equal(t, "toggle", tg.Type)
	assert.Equal(t, "vg_t", tg.VariationGroups[0].ID)
	assert.Equal(t, []bucketing.Variation{flagshiptest.Variation("var_t", 100, flags)}, tg.VariationGroups[0].Variations)
}

func TestCampaignsCopied(t *testing.T) {
	flags := map[string]any{"color": "blue"}
	c := flagshiptest.Toggle("t", flags)
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(c))
	flags["color"] = "red"
	c.VariationGroups[0].Variations[0].ID = "changed"
	assert.Equal(t, []string{"t/vg_t/var_t toggle FLAG map[color:blue]"}, decide(t, s, "v"))
}

func TestReset(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	post(t, s, decisionPath(), `{"visitorId":"v","context":{"a":"b"}}`)
	post(t, s, "/v2/activate", `{"cid":"`+env+`","vid":"v","caid":"vg","vaid":"var"}`)
	post(t, s, "/events", batch(validItems...))
	do(t, s, "GET", bucketingPath(), "")
	s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 500})
	post(t, s, "/events", batch(validItems...))
	s.FailNext(5, flagshiptest.Fault{Status: 503})
	s.SetPanic(true)
	require.NotEmpty(t, s.Hits())

	s.Reset()
	assert.Empty(t, s.Hits())
	assert.Empty(t, s.Activations())
	assert.Empty(t, s.DecisionRequests())
	assert.Zero(t, s.BucketingRequests())
	assert.Zero(t, s.FaultedRequests())
	for _, r := range []string{flagshiptest.RouteDecision, flagshiptest.RouteActivate, flagshiptest.RouteEvents, flagshiptest.RouteBucketing} {
		assert.Empty(t, s.Bodies(r), r)
	}
	got := post(t, s, decisionPath(), `{"visitorId":"v"}`)
	assert.Equal(t, http.StatusOK, got.status, "pending faults forgotten")
	assert.Contains(t, got.body, `"panic":true`, "panic mode kept")
}

func TestRecordedCopies(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	post(t, s, decisionPath(), `{"visitorId":"v","trigger_hit":true,"context":{"a":{"b":1}}}`, "x-sdk-client: go")
	reqs := s.DecisionRequests()
	reqs[0].Context["a"].(map[string]any)["b"] = 2
	*reqs[0].TriggerHit = false
	reqs[0].Headers.Set("x-sdk-client", "changed")
	reqs[0].Query.Set("q", "changed")
	reqs[0].Raw[0] = 'X'
	again := s.DecisionRequests()[0]
	assert.Equal(t, map[string]any{"a": map[string]any{"b": 1.0}}, again.Context)
	assert.True(t, *again.TriggerHit)
	assert.Equal(t, "go", again.Headers.Get("x-sdk-client"))
	assert.Empty(t, again.Query)
	assert.Equal(t, byte('{'), again.Raw[0])

	bodies := s.Bodies(flagshiptest.RouteDecision)
	bodies[0][0] = 'X'
	assert.Equal(t, byte('{'), s.Bodies(flagshiptest.RouteDecision)[0][0])
}

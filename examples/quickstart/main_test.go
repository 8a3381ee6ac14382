package main

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	assert.Equal(t, `vip_feature: true
vip_feature info: campaignId=vip variationGroupId=vg_vip variationId=var_vip
vip_feature (activated): true
menu_order: [deals home account]
hits sent: PAGEVIEW TRANSACTION ITEM EVENT
Exception >> visitor: synchronize "user_#1234": decision: status 503 Service Unavailable
synchronize_modifications failed, keeping vip_feature: true
the local Flagship server received:
  hit SEGMENT from user_#1234
  hit SEGMENT from user_#1234
  hit PAGEVIEW from user_#1234
  hit TRANSACTION from user_#1234
  hit ITEM from user_#1234
  hit EVENT from user_#1234
  activation of vg_vip/var_vip for user_#1234
  activation of vg_menu/var_menu for user_#1234
`, out.String())
}

// TestQuickstartDelivers checks what the local server received from the
// guide's statements, field by field.
func TestQuickstartDelivers(t *testing.T) {
	local, err := startLocalFlagship()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, local.Close()) })

	require.NoError(t, quickstart(t.Context(), io.Discard, local))

	// update_context(..., True) and synchronize_modifications() each made
	// one Decision API call with the visitor's context and the API key;
	// the third call got the injected 503.
	decisions := local.DecisionRequests()
	require.Len(t, decisions, 2)
	for _, d := range decisions {
		assert.Equal(t, "user_#1234", d.VisitorID)
		assert.Equal(t, true, d.Context["isVip"])
		assert.Equal(t, 31.0, d.Context["age"])
		assert.True(t, d.HasAPIKey)
		require.NotNil(t, d.TriggerHit)
		assert.False(t, *d.TriggerHit, "the SDK activates what is shown, not what is decided")
	}
	assert.Equal(t, 1, local.FaultedRequests())

	// quickstart closed the client, which delivered everything queued.
	var got []map[string]any
	for _, h := range local.Hits() {
		assert.Equal(t, "your_env_id", h.EnvID)
		assert.Equal(t, "user_#1234", h.VisitorID)
		if h.FromDecision {
			assert.Equal(t, "SEGMENT", h.Type)
			continue
		}
		got = append(got, without(h.Fields, "vid", "cuid", "qt"))
	}
	assert.Equal(t, []map[string]any{
		{"t": "PAGEVIEW", "dl": "https://www.my_domain.com/my_page"},
		{
			"t": "TRANSACTION", "tid": "#309830", "ta": "purchases", "tr": 420.0, "ts": 10.0,
			"tt": 70.0, "tc": "EUR", "tcc": "SAVE10", "pm": "card", "sm": "express", "icn": 1.0,
		},
		{
			"t": "ITEM", "tid": "#309830", "in": "ATX2080", "ic": "cg_atx_20802020",
			"ip": 340.0, "iq": 1.0, "iv": "hardware",
		},
		{"t": "EVENT", "ec": "User Engagement", "ea": "click_basket", "el": "basket button", "sr": "640x480"},
	}, got)

	// get_modification('vip_feature', False, True) and
	// activate_modification('menu_order'), once each.
	type activation struct{ visitor, group, variation string }
	var acts []activation
	for _, a := range local.Activations() {
		assert.False(t, a.FromDecision)
		assert.Equal(t, "your_env_id", a.EnvID)
		acts = append(acts, activation{a.VisitorID, a.VariationGroupID, a.VariationID})
	}
	assert.Equal(t, []activation{
		{"user_#1234", "vg_vip", "var_vip"},
		{"user_#1234", "vg_menu", "var_menu"},
	}, acts)
}

// TestQuickstartNotVIP checks the targeting: when the VIP campaign wants
// isVip false, the guide's VIP visitor gets vip_feature's default and the
// campaign is not activated.
func TestQuickstartNotVIP(t *testing.T) {
	local, err := startLocalFlagship()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, local.Close()) })
	require.NoError(t, local.SetCampaigns(guideCampaigns(false)...))

	var out bytes.Buffer
	require.NoError(t, quickstart(t.Context(), &out, local))

	assert.Contains(t, out.String(), "vip_feature: false\nvip_feature info: None\n")
	assert.Contains(t, out.String(), "vip_feature (activated): false\n")
	var groups []string
	for _, a := range local.Activations() {
		groups = append(groups, a.VariationGroupID)
	}
	assert.Equal(t, []string{"vg_menu"}, groups, "only what was shown is activated")
}

// without returns a copy of m without keys.
func without(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// TestQuickstartFlagMissing checks that a missing flag serves defaults and
// that activating it does nothing: no error, no activation.
func TestQuickstartFlagMissing(t *testing.T) {
	local, err := startLocalFlagship()
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, local.Close()) })
	require.NoError(t, local.SetCampaigns(guideCampaigns(true)[0]))

	var out bytes.Buffer
	require.NoError(t, quickstart(t.Context(), &out, local))

	assert.Contains(t, out.String(), "menu_order: []\n")
	assert.NotContains(t, out.String(), "activate_modification failed")
	assert.Len(t, local.Activations(), 1) // vip_feature's, read with activation
}

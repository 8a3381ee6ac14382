package flagshiptest_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// newCheckout is a toggle campaign of project pid: new_checkout for
// visitors with beta: true.
func newCheckout(pid string) admin.Campaign {
	return admin.Campaign{
		ProjectID: pid,
		Name:      "New checkout",
		Type:      admin.TypeToggle,
		VariationGroups: []admin.VariationGroup{{
			Name: "beta testers",
			Targeting: &admin.Targeting{TargetingGroups: []admin.TargetingGroup{{Targetings: []admin.TargetingRule{
				{Key: "beta", Operator: admin.OperatorEquals, Value: true},
			}}}},
			Variations: []admin.Variation{
				{Name: "off", Reference: true, Allocation: 0},
				{Name: "on", Allocation: 100, Modifications: &admin.Modifications{Value: map[string]any{"new_checkout": true}}},
			},
		}},
	}
}

// TestAdminDrivesSDK: what the admin client changes, a flagship client in
// BUCKETING mode sees at its next poll: a campaign created and switched
// on, paused, and environment panic on and off.
func TestAdminDrivesSDK(t *testing.T) {
	s := flagshiptest.NewServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	adm := s.AdminClient()
	p, err := adm.CreateProject(ctx, admin.Project{Name: "shop"})
	require.NoError(t, err)
	camp, err := adm.CreateCampaign(ctx, s.EnvID(), newCheckout(p.ID))
	require.NoError(t, err)

	c, err := flagship.New(ctx, s.EnvID(), "key", append(s.Options(), flagship.WithMode(flagship.Bucketing))...)
	require.NoError(t, err)
	defer func() { assert.NoError(t, c.Close(context.Background())) }()
	require.NoError(t, c.WaitReady(ctx))
	beta, err := c.NewVisitor("v1", visitor.Attributes{"beta": true})
	require.NoError(t, err)
	other, err := c.NewVisitor("v2", visitor.Attributes{"beta": false})
	require.NoError(t, err)
	// newCheckoutFor synchronizes v and returns its flag.
	newCheckoutFor := func(v *visitor.Visitor) bool {
		require.NoError(t, v.Synchronize(ctx))
		return v.Bool("new_checkout", false)
	}
	assert.False(t, newCheckoutFor(beta), "a draft is not served")

	require.NoError(t, adm.SwitchCampaign(ctx, s.EnvID(), camp.ID, admin.StatusActive))
	require.Eventually(t, func() bool { return newCheckoutFor(beta) }, 10*time.Second, 20*time.Millisecond)
	assert.False(t, newCheckoutFor(other))
	got, _ := decideWith(t, s, "v1", `{"beta":true}`)
	assert.Equal(t, []string{camp.ID + "/" + camp.VariationGroups[0].Variations[1].ID + " map[new_checkout:true]"}, got,
		"the Decision API agrees")

	require.NoError(t, adm.SwitchCampaign(ctx, s.EnvID(), camp.ID, admin.StatusPaused))
	require.Eventually(t, func() bool { return !newCheckoutFor(beta) }, 10*time.Second, 20*time.Millisecond)

	require.NoError(t, adm.SetPanic(ctx, s.EnvID(), true))
	require.Eventually(t, func() bool { return c.Status() == flagship.StatusPanic }, 10*time.Second, 20*time.Millisecond)
	env, err := adm.GetEnvironment(ctx, s.EnvID())
	require.NoError(t, err)
	assert.True(t, env.Panic)
	require.NoError(t, adm.SetPanic(ctx, s.EnvID(), false))
	require.Eventually(t, func() bool { return c.Status() == flagship.StatusReady }, 10*time.Second, 20*time.Millisecond)
}

// TestAdminClientCRUD runs the admin client's calls against the fake:
// both sides share the model.
func TestAdminClientCRUD(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("code", map[string]any{"x": 1})))
	ctx := t.Context()
	adm := s.AdminClient()
	p, err := adm.CreateProject(ctx, admin.Project{Name: "shop"})
	require.NoError(t, err)
	camp, err := adm.CreateCampaign(ctx, s.EnvID(), newCheckout(p.ID))
	require.NoError(t, err)
	assert.Equal(t, admin.StatusDraft, camp.Status)

	var ids []string
	for c, err := range adm.ListCampaigns(ctx, s.EnvID()) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []string{"code", camp.ID}, ids)

	camp.Name = "Renamed"
	camp.VariationGroups[0].Variations[1].Modifications.Value["new_checkout"] = "v2"
	upd, err := adm.UpdateCampaign(ctx, s.EnvID(), camp.ID, camp)
	require.NoError(t, err)
	assert.Equal(t, "Renamed", upd.Name)
	assert.Equal(t, camp.VariationGroups[0].Variations[1].ID, upd.VariationGroups[0].Variations[1].ID, "ids kept")

	_, err = adm.GetCampaign(ctx, s.EnvID(), "nope")
	assert.ErrorIs(t, err, admin.ErrNotFound)
	bad := newCheckout(p.ID)
	bad.ProjectID = "nope"
	_, err = adm.CreateCampaign(ctx, s.EnvID(), bad)
	require.ErrorIs(t, err, admin.ErrValidation)
	assert.Contains(t, err.Error(), "project_id")

	f, err := adm.CreateFlag(ctx, admin.Flag{Name: "new_checkout", Type: admin.FlagBoolean})
	require.NoError(t, err)
	got, err := adm.GetFlag(ctx, f.ID)
	require.NoError(t, err)
	assert.Equal(t, f, got)
	require.NoError(t, adm.SetUsers(ctx, s.EnvID(), admin.User{Email: "a@x.io", Role: admin.RoleAdmin}))
	for u, err := range adm.ListUsers(ctx, s.EnvID()) {
		require.NoError(t, err)
		assert.Equal(t, admin.User{Email: "a@x.io", Role: admin.RoleAdmin}, u)
	}
	require.NoError(t, adm.DeleteCampaign(ctx, s.EnvID(), camp.ID))
	require.NoError(t, adm.DeleteProject(ctx, p.ID))
}

// TestAdminClientRecovers: the admin client gets past an expired token
// (one 401, one new token) and a rate limit (429, Retry-After), and the
// records show it sent nothing twice otherwise.
func TestAdminClientRecovers(t *testing.T) {
	s := flagshiptest.NewServer(t)
	ctx := t.Context()
	adm := s.AdminClient()
	_, err := adm.CreateProject(ctx, admin.Project{Name: "a"})
	require.NoError(t, err)

	s.ExpireAdminTokens()
	_, err = adm.CreateProject(ctx, admin.Project{Name: "b"})
	require.NoError(t, err)

	s.SetAdminRateLimit(1, 1) // the next call waits about a second
	_, err = adm.CreateProject(ctx, admin.Project{Name: "c"})
	require.NoError(t, err)
	_, err = adm.CreateProject(ctx, admin.Project{Name: "d"})
	require.NoError(t, err)

	var trace []string
	for _, r := range s.AdminRequests() {
		trace = append(trace, r.Route+" "+r.Method+" "+http.StatusText(r.Status))
	}
	assert.Equal(t, []string{
		"token POST OK", "admin POST Created",
		"admin POST Unauthorized", "token POST OK", "admin POST Created",
		"admin POST Created",
		"admin POST Too Many Requests", "admin POST Created",
	}, trace)
	s.SetAdminRateLimit(0, 0)
	n := 0
	for range adm.ListProjects(ctx) {
		n++
	}
	assert.Equal(t, 4, n, "each project created once")
}

package flagshiptest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// betaToggle is a toggle campaign of project pid giving new_checkout to
// visitors whose context has beta: true.
func betaToggle(pid string) string {
	return `{"project_id":"` + pid + `","name":"New checkout","description":"","type":"toggle","variation_groups":[
	{"name":"beta testers","targeting":{"targeting_groups":[{"targetings":[{"key":"beta","operator":"EQUALS","value":true}]}]},
	 "variations":[{"name":"off","reference":true,"allocation":0},
	               {"name":"on","reference":false,"allocation":100,"modifications":{"value":{"new_checkout":true}}}]}]}`
}

// newProject creates a project and returns its id.
func newProject(t testing.TB, s *flagshiptest.Server, tok string) string {
	t.Helper()
	return mustCreate[admin.Project](t, s, tok, acc+"/projects", `{"name":"shop"}`).ID
}

// servedFile returns the bucketing file s serves.
func servedFile(t testing.TB, s *flagshiptest.Server) *bucketing.File {
	t.Helper()
	got := do(t, s, http.MethodGet, bucketingPath(), "")
	require.Equal(t, http.StatusOK, got.status)
	f, err := bucketing.Parse([]byte(got.body))
	require.NoError(t, err)
	return f
}

// decideWith asks s's Decision API for visitor with context ctx (JSON)
// and returns "campaign/variation value" per campaign, and the panic
// flag.
func decideWith(t testing.TB, s *flagshiptest.Server, visitor, ctx string) ([]string, bool) {
	t.Helper()
	got := post(t, s, decisionPath(), `{"visitorId":"`+visitor+`","context":`+ctx+`,"trigger_hit":false}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	resp := decodeBody[struct {
		Campaigns []struct {
			ID        string `json:"id"`
			Variation struct {
				ID            string `json:"id"`
				Modifications struct {
					Value map[string]any `json:"value"`
				} `json:"modifications"`
			} `json:"variation"`
		} `json:"campaigns"`
		Panic bool `json:"panic"`
	}](t, got)
	var out []string
	for _, c := range resp.Campaigns {
		out = append(out, fmt.Sprintf("%s/%s %v", c.ID, c.Variation.ID, c.Variation.Modifications.Value))
	}
	return out, resp.Panic
}

func TestAdminProjection(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	camp := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(newProject(t, s, tok)))
	require.Equal(t, admin.StatusDraft, camp.Status)
	vg := camp.VariationGroups[0]
	on := vg.Variations[1]

	// A draft is not served.
	assert.Empty(t, servedFile(t, s).Campaigns)
	got, _ := decideWith(t, s, "v1", `{"beta":true}`)
	assert.Empty(t, got)

	// Active: in the file, as spec §9.5 says, and in decisions.
	r := api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+camp.ID+"/toggle", `{"state":"active"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Empty(t, r.body)
	f := servedFile(t, s)
	require.Len(t, f.Campaigns, 1)
	fc := f.Campaigns[0]
	assert.Equal(t, camp.ID, fc.ID)
	assert.Equal(t, "toggle", fc.Type)
	assert.Equal(t, "New checkout", fc.Name)
	assert.Equal(t, []bucketing.BucketRange{{R: []float64{0, 100}}}, fc.BucketRanges)
	require.Len(t, fc.VariationGroups, 1)
	assert.Equal(t, vg.ID, fc.VariationGroups[0].ID)
	assert.Equal(t, "beta", fc.VariationGroups[0].Targeting.Groups[0].Rules[0].Key)
	assert.Equal(t, "FLAG", fc.VariationGroups[0].Variations[1].Modifications.Type, "FLAG by default")
	assert.Equal(t, "FLAG", fc.VariationGroups[0].Variations[0].Modifications.Type)
	got, _ = decideWith(t, s, "v1", `{"beta":true}`)
	assert.Equal(t, []string{camp.ID + "/" + on.ID + " map[new_checkout:true]"}, got)
	got, _ = decideWith(t, s, "v1", `{"beta":false}`)
	assert.Empty(t, got, "targeting applies")

	// Edited: the change is served.
	r = api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+camp.ID, `{"variation_groups":[{"id":"`+vg.ID+`","variations":[
		{"id":"`+vg.Variations[0].ID+`"},{"id":"`+on.ID+`","modifications":{"type":"FLAG","value":{"new_checkout":"v2"}}}]}]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	got, _ = decideWith(t, s, "v1", `{"beta":true}`)
	assert.Equal(t, []string{camp.ID + "/" + on.ID + " map[new_checkout:v2]"}, got)

	// Paused, then interrupted: gone.
	for _, state := range []string{"paused", "interrupted"} {
		r = api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+camp.ID+"/toggle", `{"state":"`+state+`"}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Empty(t, servedFile(t, s).Campaigns, state)
		got, _ = decideWith(t, s, "v1", `{"beta":true}`)
		assert.Empty(t, got, state)
		assert.Equal(t, admin.Status(state), decodeBody[admin.Campaign](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns/"+camp.ID, "")).Status)
	}

	// Active again, then deleted: gone.
	api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+camp.ID+"/toggle", `{"state":"active"}`)
	require.Len(t, servedFile(t, s).Campaigns, 1)
	r = api(t, s, tok, http.MethodDelete, envPath+"/campaigns/"+camp.ID, "")
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, servedFile(t, s).Campaigns)
}

func TestAdminProjectToggle(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	pid := newProject(t, s, tok)
	other := newProject(t, s, tok)
	a := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(pid))
	b := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(pid))
	c := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(other))

	r := api(t, s, tok, http.MethodPatch, acc+"/projects/"+pid+"/toggle", `{"state":"active"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	f := servedFile(t, s)
	require.Len(t, f.Campaigns, 2)
	assert.Equal(t, []string{a.ID, b.ID}, []string{f.Campaigns[0].ID, f.Campaigns[1].ID}, "creation order")

	list := decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns", ""))
	require.Len(t, list.Items, 3)
	assert.Equal(t, admin.StatusDraft, list.Items[2].Status, c.ID+" is another project's")

	r = api(t, s, tok, http.MethodPatch, acc+"/projects/"+pid+"/toggle", `{"state":"paused"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Empty(t, servedFile(t, s).Campaigns)

	r = api(t, s, tok, http.MethodPatch, acc+"/projects/"+pid+"/toggle", `{"state":"on"}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, []string{`want active, paused or interrupted, got "on"`}, decodeBody[apiError](t, r).Errors["state"])
	r = api(t, s, tok, http.MethodPatch, acc+"/projects/nope/toggle", `{"state":"active"}`)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestAdminPanic(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("t", map[string]any{"on": true})))
	tok := token(t, s)
	env := func() admin.Environment {
		return decodeBody[admin.Environment](t, api(t, s, tok, http.MethodGet, envPath, ""))
	}
	assert.False(t, env().Panic)

	r := api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"on"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Empty(t, r.body)
	assert.True(t, env().Panic)
	assert.True(t, servedFile(t, s).Panic)
	got, panicked := decideWith(t, s, "v", `{}`)
	assert.True(t, panicked)
	assert.Empty(t, got)

	r = api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"off"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.False(t, env().Panic)
	assert.False(t, servedFile(t, s).Panic)
	got, panicked = decideWith(t, s, "v", `{}`)
	assert.False(t, panicked)
	assert.Len(t, got, 1)

	// SetPanic is the same switch.
	s.SetPanic(true)
	assert.True(t, env().Panic)
	api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"off"}`)
	_, panicked = decideWith(t, s, "v", `{}`)
	assert.False(t, panicked)

	for _, body := range []string{`{"panic":true}`, `{"panic":"ON"}`, `{}`} {
		r = api(t, s, tok, http.MethodPatch, envPath+"/panic", body)
		assert.Equal(t, http.StatusBadRequest, r.status, body)
		assert.Contains(t, decodeBody[apiError](t, r).Errors, "panic", body)
	}
	r = api(t, s, tok, http.MethodPatch, acc+"/account_environments/other/panic", `{"panic":"on"}`)
	assert.Equal(t, http.StatusNotFound, r.status)
}

// TestAdminSeesCodeCampaigns: campaigns set in code are active management
// campaigns, with their ids, targeting and variations; the API switches
// and edits them, and SetCampaigns replaces them all.
func TestAdminSeesCodeCampaigns(t *testing.T) {
	half := flagshiptest.Toggle("half", map[string]any{"half": true})
	half.BucketRanges = []bucketing.BucketRange{{R: []float64{0, 50}}}
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}), half))
	tok := token(t, s)

	list := decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns", ""))
	require.Len(t, list.Items, 2)
	c := list.Items[0]
	assert.Equal(t, "checkout", c.ID)
	assert.Equal(t, admin.TypeToggle, c.Type)
	assert.Equal(t, admin.StatusActive, c.Status)
	assert.Empty(t, c.ProjectID)
	assert.NotEmpty(t, c.CreatedAt)
	require.Len(t, c.VariationGroups, 1)
	assert.Equal(t, "vg_checkout", c.VariationGroups[0].ID)
	assert.Equal(t, &admin.Targeting{TargetingGroups: []admin.TargetingGroup{{Targetings: []admin.TargetingRule{
		{Key: "fs_all_users", Operator: admin.OperatorEquals, Value: ""}}}}}, c.VariationGroups[0].Targeting)
	assert.Equal(t, []admin.Variation{{ID: "var_checkout", Allocation: 100,
		Modifications: &admin.Modifications{Type: "FLAG", Value: map[string]any{"newCheckout": true}}}}, c.VariationGroups[0].Variations)

	// Paused through the API: gone from the file; the other one is served
	// as set (bucket range [0, 50] included).
	r := api(t, s, tok, http.MethodPatch, envPath+"/campaigns/checkout/toggle", `{"state":"paused"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	f := servedFile(t, s)
	require.Len(t, f.Campaigns, 1)
	assert.Equal(t, half, f.Campaigns[0])

	// An edit must make the campaign valid for the API (a project, names,
	// a reference); the bucket ranges set in code are kept.
	r = api(t, s, tok, http.MethodPatch, envPath+"/campaigns/half", `{"name":"Half"}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	errs := decodeBody[apiError](t, r).Errors
	assert.Contains(t, errs, "project_id")
	assert.Contains(t, errs, "variation_groups[0].variations[0].name")
	assert.Contains(t, errs, "variation_groups[0].variations")
	pid := newProject(t, s, tok)
	r = api(t, s, tok, http.MethodPatch, envPath+"/campaigns/half", `{"name":"Half","project_id":"`+pid+`",
		"variation_groups":[{"id":"vg_half","variations":[{"id":"var_half","name":"on","reference":true}]}]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	f = servedFile(t, s)
	require.Len(t, f.Campaigns, 1)
	assert.Equal(t, "Half", f.Campaigns[0].Name)
	assert.Equal(t, half.BucketRanges, f.Campaigns[0].BucketRanges)

	// SetCampaigns replaces every campaign, those of the API included.
	mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(pid))
	s.SetCampaigns(flagshiptest.Toggle("only", nil))
	list = decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns", ""))
	require.Len(t, list.Items, 1)
	assert.Equal(t, "only", list.Items[0].ID)
	assert.Equal(t, 1, decodeBody[page[admin.Project]](t, api(t, s, tok, http.MethodGet, acc+"/projects", "")).TotalCount,
		"projects are kept")
}

// TestAdminSeesBucketingFile: a file's campaigns are active management
// campaigns; the file is served byte for byte until the API changes a
// campaign; a campaign whose id repeats an earlier one's is served but not
// managed; the file's panic and 1V1T show on the environment.
func TestAdminSeesBucketingFile(t *testing.T) {
	const file = `{"panic":false,"accountSettings":{"enabled1V1T":true},"campaigns":[
	{"id":"c1","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg1","variations":[{"id":"v1","allocation":100,"modifications":{"type":"JSON","value":{"a":1}}}]}]},
	{"id":"c1","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[]},
	{"id":"c2","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[]}]}`
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(file)))
	tok := token(t, s)
	assert.Equal(t, file, do(t, s, http.MethodGet, bucketingPath(), "").body)

	list := decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns", ""))
	require.Len(t, list.Items, 2)
	assert.Equal(t, []string{"c1", "c2"}, []string{list.Items[0].ID, list.Items[1].ID})
	assert.Equal(t, "JSON", list.Items[0].VariationGroups[0].Variations[0].Modifications.Type)
	env := decodeBody[admin.Environment](t, api(t, s, tok, http.MethodGet, envPath, ""))
	assert.True(t, env.SingleAssignment)

	api(t, s, tok, http.MethodPatch, envPath+"/campaigns/c2/toggle", `{"state":"paused"}`)
	f := servedFile(t, s)
	require.Len(t, f.Campaigns, 2, "the unmanaged duplicate stays")
	assert.Equal(t, []string{"c1", "c1"}, []string{f.Campaigns[0].ID, f.Campaigns[1].ID})
	assert.True(t, f.AccountSettings.Enabled1V1T, "the file's settings are kept")

	s.SetPanic(false)
	require.NoError(t, s.SetBucketingFile([]byte(`{"panic":true,"campaigns":[]}`)))
	env = decodeBody[admin.Environment](t, api(t, s, tok, http.MethodGet, envPath, ""))
	assert.True(t, env.Panic, "the file's own panic")
}

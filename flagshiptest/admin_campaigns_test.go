package flagshiptest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestAdminCampaignCRUD(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	pid := newProject(t, s, tok)
	camps := envPath + "/campaigns"

	r := api(t, s, tok, http.MethodPost, camps, `{"id":"mine","status":"active","project_id":"`+pid+`","name":"AB","description":"d","type":"ab","slug":"ab-1",
		"variation_groups":[{"id":"x","variations":[{"id":"y","name":"A","reference":true,"allocation":50},{"name":"B","allocation":50}]}]}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))
	c := decodeBody[admin.Campaign](t, r)
	assert.Regexp(t, `^[0-9a-v]{20}$`, c.ID, "read-only id generated")
	assert.Equal(t, admin.StatusDraft, c.Status, "read-only status ignored")
	assert.NotEmpty(t, c.CreatedAt)
	assert.Equal(t, "ab-1", c.Slug)
	vg := c.VariationGroups[0]
	assert.Regexp(t, `^[0-9a-v]{20}$`, vg.ID)
	assert.Regexp(t, `^[0-9a-v]{20}$`, vg.Variations[0].ID)
	assert.NotEqual(t, vg.Variations[0].ID, vg.Variations[1].ID)

	got := api(t, s, tok, http.MethodGet, camps+"/"+c.ID, "")
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, c, decodeBody[admin.Campaign](t, got))

	// PATCH is partial: the name changes, the rest is kept.
	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID, `{"name":"AB 2","status":"paused"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	upd := decodeBody[admin.Campaign](t, r)
	assert.Equal(t, "AB 2", upd.Name)
	assert.Equal(t, "d", upd.Description)
	assert.Equal(t, admin.StatusDraft, upd.Status)
	assert.Equal(t, c.VariationGroups, upd.VariationGroups)
	assert.Equal(t, c.CreatedAt, upd.CreatedAt)

	// Sub-collections are replaced: listed ids updated in place, no id
	// created, the others deleted (spec §3.4).
	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID, `{"variation_groups":[{"id":"`+vg.ID+`","name":"renamed","variations":[
		{"id":"`+vg.Variations[0].ID+`","allocation":30},{"name":"C","allocation":70}]}]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	upd = decodeBody[admin.Campaign](t, r)
	require.Len(t, upd.VariationGroups, 1)
	g := upd.VariationGroups[0]
	assert.Equal(t, vg.ID, g.ID)
	assert.Equal(t, "renamed", g.Name)
	require.Len(t, g.Variations, 2)
	assert.Equal(t, admin.Variation{ID: vg.Variations[0].ID, Name: "A", Reference: true, Allocation: 30}, g.Variations[0])
	assert.Equal(t, "C", g.Variations[1].Name)
	assert.NotContains(t, []string{vg.Variations[0].ID, vg.Variations[1].ID}, g.Variations[1].ID)

	// A whole new group list drops the old group.
	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID, `{"variation_groups":[{"variations":[{"name":"only","reference":true,"allocation":100}]}]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	upd = decodeBody[admin.Campaign](t, r)
	require.Len(t, upd.VariationGroups, 1)
	assert.NotEqual(t, vg.ID, upd.VariationGroups[0].ID)

	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID, `{"variation_groups":[{"id":"nope","variations":[]}]}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, decodeBody[apiError](t, r).Errors, "variation_groups[0].id")
	gid := upd.VariationGroups[0].ID
	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID, `{"variation_groups":[{"id":"`+gid+`"},{"id":"`+gid+`"}]}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, []string{"variation group " + `"` + gid + `"` + " listed twice"}, decodeBody[apiError](t, r).Errors["variation_groups[1].id"])

	list := decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, camps, ""))
	assert.Equal(t, 1, list.TotalCount)

	r = api(t, s, tok, http.MethodDelete, camps+"/"+c.ID, "")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		r = api(t, s, tok, m, camps+"/"+c.ID, `{}`)
		assert.Equal(t, http.StatusNotFound, r.status, m)
		assert.Contains(t, decodeBody[apiError](t, r).Message, c.ID, m)
	}
	r = api(t, s, tok, http.MethodPatch, camps+"/"+c.ID+"/toggle", `{"state":"active"}`)
	assert.Equal(t, http.StatusNotFound, r.status)
}

func TestAdminCampaignValidation(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	pid := newProject(t, s, tok)
	// campaign returns a campaign body with one group whose variations are vars.
	campaign := func(fields, vars string) string {
		return `{"project_id":"` + pid + `","name":"n","description":"","type":"ab"` + fields +
			`,"variation_groups":[{"variations":[` + vars + `]}]}`
	}
	const ok2 = `{"name":"a","reference":true,"allocation":50},{"name":"b","allocation":50}`
	tests := []struct {
		name      string
		give      string
		wantField string
	}{
		{name: "not an object", give: `[]`, wantField: "body"},
		{name: "invalid JSON", give: `{"name":`, wantField: "body"},
		{name: "no project", give: `{"name":"n","description":"","type":"ab","variation_groups":[{"variations":[` + ok2 + `]}]}`, wantField: "project_id"},
		{name: "unknown project", give: strings.Replace(campaign("", ok2), pid, "nope", 1), wantField: "project_id"},
		{name: "no name", give: strings.Replace(campaign("", ok2), `"name":"n",`, "", 1), wantField: "name"},
		{name: "no description", give: strings.Replace(campaign("", ok2), `"description":"",`, "", 1), wantField: "description"},
		{name: "unknown type", give: strings.Replace(campaign("", ok2), `"ab"`, `"mvt"`, 1), wantField: "type"},
		{name: "no groups", give: `{"project_id":"` + pid + `","name":"n","description":"","type":"ab","variation_groups":[]}`, wantField: "variation_groups"},
		{name: "no variations", give: campaign("", ``), wantField: "variation_groups[0].variations"},
		{name: "sum not 100", give: campaign("", `{"name":"a","reference":true,"allocation":50},{"name":"b","allocation":60}`), wantField: "variation_groups[0].variations"},
		{name: "allocation over 100", give: campaign("", `{"name":"a","reference":true,"allocation":150},{"name":"b","allocation":-50}`), wantField: "variation_groups[0].variations[0].allocation"},
		{name: "allocation not an integer", give: campaign("", `{"name":"a","reference":true,"allocation":50.5},{"name":"b","allocation":49.5}`), wantField: "variation_groups[0].variations[1].allocation"},
		{name: "allocation a string", give: campaign("", `{"name":"a","reference":true,"allocation":"100"}`), wantField: "variation_groups[0].variations[0].allocation"},
		{name: "allocation missing", give: campaign("", `{"name":"a","reference":true}`), wantField: "variation_groups[0].variations[0].allocation"},
		{name: "two references", give: campaign("", `{"name":"a","reference":true,"allocation":50},{"name":"b","reference":true,"allocation":50}`), wantField: "variation_groups[0].variations"},
		{name: "no variation name", give: campaign("", `{"reference":true,"allocation":100}`), wantField: "variation_groups[0].variations[0].name"},
		{name: "modification type", give: campaign("", `{"name":"a","reference":true,"allocation":100,"modifications":{"type":"JSON","value":{}}}`), wantField: "variation_groups[0].variations[0].modifications.type"},
		{name: "unknown operator", give: `{"project_id":"` + pid + `","name":"n","description":"","type":"ab","variation_groups":[{
			"targeting":{"targeting_groups":[{"targetings":[{"key":"k","operator":"MATCHES_REGEX","value":"x"}]}]},
			"variations":[{"name":"a","reference":true,"allocation":100}]}]}`, wantField: "variation_groups[0].targeting.targeting_groups[0].targetings[0].operator"},
		{name: "wrong type", give: campaign(`,"slug":5`, ok2), wantField: "slug"},
		{name: "groups not an array", give: `{"project_id":"` + pid + `","name":"n","description":"","type":"ab","variation_groups":{}}`, wantField: "variation_groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, tok, http.MethodPost, envPath+"/campaigns", tt.give)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			e := decodeBody[apiError](t, r)
			assert.Contains(t, e.Errors, tt.wantField, e.Message)
			assert.Contains(t, e.Message, tt.wantField+": ")
		})
	}
	list := decodeBody[page[admin.Campaign]](t, api(t, s, tok, http.MethodGet, envPath+"/campaigns", ""))
	assert.Zero(t, list.TotalCount, "nothing created")

	r := api(t, s, tok, http.MethodPost, envPath+"/campaigns", campaign("", ok2))
	require.Equal(t, http.StatusCreated, r.status, r.body)
	id := decodeBody[admin.Campaign](t, r).ID
	for _, body := range []string{`{"state":"on"}`, `{}`, `{"state":"draft"}`, `nope`} {
		r = api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+id+"/toggle", body)
		assert.Equal(t, http.StatusBadRequest, r.status, body)
	}
}

func TestAdminGroupsAndVariations(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	c := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(newProject(t, s, tok)))
	groups := envPath + "/campaigns/" + c.ID + "/variation_groups"

	g := mustCreate[admin.VariationGroup](t, s, tok, groups, `{"name":"everyone","variations":[
		{"name":"off","reference":true,"allocation":90},{"name":"on","allocation":10,"modifications":{"value":{"new_checkout":true}}}]}`)
	assert.Equal(t, "everyone", g.Name)
	list := decodeBody[page[admin.VariationGroup]](t, api(t, s, tok, http.MethodGet, groups, ""))
	require.Equal(t, 2, list.TotalCount)
	assert.Equal(t, g, list.Items[1])
	assert.Equal(t, g, decodeBody[admin.VariationGroup](t, api(t, s, tok, http.MethodGet, groups+"/"+g.ID, "")))

	// The campaign stays valid: a group that breaks a rule is refused,
	// named by its path in the campaign.
	r := api(t, s, tok, http.MethodPost, groups, `{"variations":[{"name":"x","reference":true,"allocation":99}]}`)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, decodeBody[apiError](t, r).Errors, "variation_groups[2].variations")

	r = api(t, s, tok, http.MethodPatch, groups+"/"+g.ID, `{"name":"all"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "all", decodeBody[admin.VariationGroup](t, r).Name)
	assert.Equal(t, g.Variations, decodeBody[admin.VariationGroup](t, r).Variations)

	vars := groups + "/" + g.ID + "/variations"
	vl := decodeBody[page[admin.Variation]](t, api(t, s, tok, http.MethodGet, vars, ""))
	require.Equal(t, 2, vl.TotalCount)
	v := mustCreate[admin.Variation](t, s, tok, vars, `{"name":"later","allocation":0}`)
	assert.Equal(t, "later", v.Name)
	assert.Equal(t, v, decodeBody[admin.Variation](t, api(t, s, tok, http.MethodGet, vars+"/"+v.ID, "")))
	r = api(t, s, tok, http.MethodPatch, vars+"/"+v.ID, `{"allocation":10}`)
	require.Equal(t, http.StatusBadRequest, r.status, "one variation can't break the sum")
	assert.Equal(t, []string{"allocations sum to 110, want 100"}, decodeBody[apiError](t, r).Errors["variation_groups[1].variations"])
	r = api(t, s, tok, http.MethodPatch, vars+"/"+v.ID, `{"name":"renamed"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "renamed", decodeBody[admin.Variation](t, r).Name)
	r = api(t, s, tok, http.MethodDelete, vars+"/"+v.ID, "")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, vars+"/"+v.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodPatch, vars+"/"+v.ID, `{}`).status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodDelete, vars+"/"+v.ID, "").status)

	r = api(t, s, tok, http.MethodDelete, groups+"/"+g.ID, "")
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, groups+"/"+g.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, groups+"/"+g.ID+"/variations", "").status)
	r = api(t, s, tok, http.MethodDelete, groups+"/"+c.VariationGroups[0].ID, "")
	require.Equal(t, http.StatusBadRequest, r.status, "a campaign keeps a group")
	assert.Contains(t, decodeBody[apiError](t, r).Errors, "variation_groups")
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, envPath+"/campaigns/nope/variation_groups", "").status)
}

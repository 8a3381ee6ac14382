package flagshiptest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestAdminPagination(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	for i := range 25 {
		mustCreate[admin.Flag](t, s, tok, acc+"/flags", fmt.Sprintf(`{"name":"f%02d","type":"boolean","description":""}`, i))
	}
	tests := []struct {
		giveQuery    string
		wantFirst    string
		wantCount    int
		wantPage     int
		wantPerPage  int
		wantLastPage int
	}{
		{giveQuery: "", wantFirst: "f00", wantCount: 10, wantPage: 1, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=0", wantFirst: "f00", wantCount: 10, wantPage: 1, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=1", wantFirst: "f00", wantCount: 10, wantPage: 1, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=-4", wantFirst: "f00", wantCount: 10, wantPage: 1, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=3", wantFirst: "f20", wantCount: 5, wantPage: 3, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=4", wantCount: 0, wantPage: 4, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=9223372036854775807", wantCount: 0, wantPage: 9223372036854775807, wantPerPage: 10, wantLastPage: 3},
		{giveQuery: "?_page=2&_max_per_page=20", wantFirst: "f20", wantCount: 5, wantPage: 2, wantPerPage: 20, wantLastPage: 2},
		{giveQuery: "?_max_per_page=0", wantFirst: "f00", wantCount: 1, wantPage: 1, wantPerPage: 1, wantLastPage: 25},
		{giveQuery: "?_max_per_page=1000", wantFirst: "f00", wantCount: 25, wantPage: 1, wantPerPage: 100, wantLastPage: 1},
	}
	for _, tt := range tests {
		t.Run(tt.giveQuery, func(t *testing.T) {
			r := api(t, s, tok, http.MethodGet, acc+"/flags"+tt.giveQuery, "")
			require.Equal(t, http.StatusOK, r.status, r.body)
			p := decodeBody[page[admin.Flag]](t, r)
			assert.Equal(t, 25, p.TotalCount)
			require.Len(t, p.Items, tt.wantCount)
			assert.Equal(t, tt.wantCount, p.CurrentItemCount)
			assert.Equal(t, tt.wantPage, p.CurrentPage)
			assert.Equal(t, tt.wantPerPage, p.ItemsPerPage)
			assert.Equal(t, tt.wantLastPage, p.LastPage)
			if tt.wantCount > 0 {
				assert.Equal(t, tt.wantFirst, p.Items[0].Name)
			}
		})
	}
	r := api(t, s, tok, http.MethodGet, acc+"/flags?_max_per_page=ten", "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, decodeBody[apiError](t, r).Errors, "_max_per_page")
	r = api(t, s, tok, http.MethodGet, acc+"/projects", "")
	assert.JSONEq(t, `{"items":[],"total_count":0,"current_item_count":0,"current_page":1,"items_per_page":10,"last_page":1}`, r.body)
}

func TestAdminProjects(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	p := mustCreate[admin.Project](t, s, tok, acc+"/projects", `{"id":"ignored","name":"shop"}`)
	assert.NotEqual(t, "ignored", p.ID)
	assert.Equal(t, p, decodeBody[admin.Project](t, api(t, s, tok, http.MethodGet, acc+"/projects/"+p.ID, "")))
	for _, m := range []string{http.MethodPatch, http.MethodPut} {
		r := api(t, s, tok, m, acc+"/projects/"+p.ID, `{"name":"shop `+m+`"}`)
		require.Equal(t, http.StatusOK, r.status, r.body)
		assert.Equal(t, admin.Project{ID: p.ID, Name: "shop " + m}, decodeBody[admin.Project](t, r))
	}
	r := api(t, s, tok, http.MethodPatch, acc+"/projects/"+p.ID, `{"name":""}`)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, []string{"required"}, decodeBody[apiError](t, r).Errors["name"])
	assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodPost, acc+"/projects", `{}`).status)

	// A project with campaigns is not deleted.
	c := mustCreate[admin.Campaign](t, s, tok, envPath+"/campaigns", betaToggle(p.ID))
	r = api(t, s, tok, http.MethodDelete, acc+"/projects/"+p.ID, "")
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, decodeBody[apiError](t, r).Message, "has 1 campaigns")
	api(t, s, tok, http.MethodDelete, envPath+"/campaigns/"+c.ID, "")
	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, acc+"/projects/"+p.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, acc+"/projects/"+p.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodDelete, acc+"/projects/"+p.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodPatch, acc+"/projects/"+p.ID, `{"name":"x"}`).status)
}

func TestAdminFlags(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	f := mustCreate[admin.Flag](t, s, tok, acc+"/flags", `{"name":"new_checkout","type":"boolean","description":"d","default_value":"false"}`)
	assert.Equal(t, admin.FlagSourceManual, f.Source, "default source")
	assert.NotEmpty(t, f.CreatedAt)
	assert.Equal(t, f, decodeBody[admin.Flag](t, api(t, s, tok, http.MethodGet, acc+"/flags/"+f.ID, "")))

	tests := []struct {
		name      string
		give      string
		wantField string
	}{
		{name: "duplicate name", give: `{"name":"NEW_checkout","type":"boolean","description":""}`, wantField: "name"},
		{name: "no name", give: `{"type":"boolean","description":""}`, wantField: "name"},
		{name: "unknown type", give: `{"name":"x","type":"date","description":""}`, wantField: "type"},
		{name: "unknown source", give: `{"name":"x","type":"string","description":"","source":"ui"}`, wantField: "source"},
		{name: "no description", give: `{"name":"x","type":"string"}`, wantField: "description"},
		{name: "bulk item", give: `{"flags":[{"name":"ok","type":"string"},{"name":"x","type":"date"}]}`, wantField: "flags[1].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := api(t, s, tok, http.MethodPost, acc+"/flags", tt.give)
			require.Equal(t, http.StatusBadRequest, r.status, r.body)
			assert.Contains(t, decodeBody[apiError](t, r).Errors, tt.wantField)
		})
	}

	// Bulk: names that exist are skipped.
	r := api(t, s, tok, http.MethodPost, acc+"/flags", `{"flags":[{"name":"a","type":"json"},{"name":"New_Checkout","type":"string"},{"name":"A","type":"string"}]}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	ids := decodeBody[struct {
		CreatedIDs []string `json:"created_ids"`
	}](t, r).CreatedIDs
	require.Len(t, ids, 1)
	assert.Equal(t, "a", decodeBody[admin.Flag](t, api(t, s, tok, http.MethodGet, acc+"/flags/"+ids[0], "")).Name)

	r = api(t, s, tok, http.MethodPatch, acc+"/flags/"+f.ID, `{"description":"changed","predefined_values":["true","false"]}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	upd := decodeBody[admin.Flag](t, r)
	assert.Equal(t, "changed", upd.Description)
	assert.Equal(t, "new_checkout", upd.Name)
	assert.Equal(t, f.CreatedAt, upd.CreatedAt)
	r = api(t, s, tok, http.MethodPatch, acc+"/flags/"+f.ID, `{"name":"A"}`)
	assert.Equal(t, http.StatusBadRequest, r.status, "another flag's name")
	r = api(t, s, tok, http.MethodPatch, acc+"/flags/"+f.ID, `{"name":"NEW_CHECKOUT"}`)
	assert.Equal(t, http.StatusOK, r.status, "its own name")

	r = api(t, s, tok, http.MethodGet, acc+"/flags/usage", "")
	require.Equal(t, http.StatusOK, r.status)
	assert.Zero(t, decodeBody[page[struct{}]](t, r).TotalCount)

	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, acc+"/flags/"+f.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, acc+"/flags/"+f.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodPatch, acc+"/flags/"+f.ID, `{}`).status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodDelete, acc+"/flags/"+f.ID, "").status)
}

func TestAdminTargetingKeys(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	k := mustCreate[admin.TargetingKey](t, s, tok, acc+"/targeting_keys", `{"name":"beta","type":"boolean","description":"beta testers"}`)
	assert.Equal(t, k, decodeBody[admin.TargetingKey](t, api(t, s, tok, http.MethodGet, acc+"/targeting_keys/"+k.ID, "")))
	for _, body := range []string{
		`{"name":"beta","type":"boolean","description":""}`,
		`{"name":"x","type":"array","description":""}`,
		`{"name":"x","type":"string"}`,
		`{"targeting_keys":[{"name":"","type":"string"}]}`,
	} {
		assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodPost, acc+"/targeting_keys", body).status, body)
	}
	r := api(t, s, tok, http.MethodPost, acc+"/targeting_keys", `{"targeting_keys":[{"name":"beta","type":"boolean"},{"name":"plan","type":"string"}]}`)
	require.Equal(t, http.StatusCreated, r.status, r.body)
	assert.Len(t, decodeBody[struct {
		CreatedIDs []string `json:"created_ids"`
	}](t, r).CreatedIDs, 1)
	assert.Equal(t, 2, decodeBody[page[admin.TargetingKey]](t, api(t, s, tok, http.MethodGet, acc+"/targeting_keys", "")).TotalCount)

	r = api(t, s, tok, http.MethodPatch, acc+"/targeting_keys/"+k.ID, `{"type":"string"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, admin.TargetingKey{ID: k.ID, Name: "beta", Type: "string", Description: "beta testers"}, decodeBody[admin.TargetingKey](t, r))
	assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodPatch, acc+"/targeting_keys/"+k.ID, `{"name":"plan"}`).status)
	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, acc+"/targeting_keys/"+k.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, acc+"/targeting_keys/"+k.ID, "").status)
}

func TestAdminGoals(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	goals := envPath + "/goals"
	g := mustCreate[admin.Goal](t, s, tok, goals, `{"label":"checkout","type":"transaction","operator":"exact","value":"/done","metrics":["uniqueConversions"]}`)
	assert.Equal(t, g, decodeBody[admin.Goal](t, api(t, s, tok, http.MethodGet, goals+"/"+g.ID, "")))
	for _, body := range []string{`{"type":"event"}`, `{"label":"x"}`, `{"label":"x","type":"visit"}`, `{"label":"x","type":"event","operator":"like"}`} {
		assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodPost, goals, body).status, body)
	}
	r := api(t, s, tok, http.MethodPatch, goals+"/"+g.ID, `{"operator":"regex"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "checkout", decodeBody[admin.Goal](t, r).Label)
	assert.Equal(t, "regex", decodeBody[admin.Goal](t, r).Operator)
	assert.Equal(t, 1, decodeBody[page[admin.Goal]](t, api(t, s, tok, http.MethodGet, goals, "")).TotalCount)
	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, goals+"/"+g.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, goals+"/"+g.ID, "").status)
	assert.Equal(t, http.StatusNotFound, api(t, s, tok, http.MethodGet, acc+"/account_environments/other/goals", "").status)
}

func TestAdminUsers(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	users := envPath + "/users"
	r := api(t, s, tok, http.MethodPut, users, `[{"email":"a@x.io","role":"ADMIN"},{"email":"b@x.io","role":"VIEWER"}]`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	r = api(t, s, tok, http.MethodPut, users, `[{"email":"A@x.io","role":"SUPER_ADMIN"},{"email":"c@x.io","role":"GUEST"}]`)
	require.Equal(t, http.StatusNoContent, r.status, r.body)
	list := decodeBody[page[admin.User]](t, api(t, s, tok, http.MethodGet, users, ""))
	assert.Equal(t, []admin.User{{Email: "a@x.io", Role: "SUPER_ADMIN"}, {Email: "b@x.io", Role: "VIEWER"}, {Email: "c@x.io", Role: "GUEST"}}, list.Items)

	for _, body := range []string{`{"email":"a@x.io"}`, `[{"email":"a@x.io","role":"GOD"}]`, `[{"email":"nobody","role":"GUEST"}]`} {
		assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodPut, users, body).status, body)
	}
	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, users+"?emails[]=a@x.io&emails[]=zz@x.io", "").status)
	assert.Equal(t, http.StatusNoContent, api(t, s, tok, http.MethodDelete, users+"?email[]=B@x.io", "").status)
	assert.Equal(t, http.StatusBadRequest, api(t, s, tok, http.MethodDelete, users, "").status)
	list = decodeBody[page[admin.User]](t, api(t, s, tok, http.MethodGet, users, ""))
	assert.Equal(t, []admin.User{{Email: "c@x.io", Role: "GUEST"}}, list.Items)
}

func TestAdminEnvironments(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	want := admin.Environment{ID: flagshiptest.EnvID, Environment: "production", IsMain: true}
	list := decodeBody[page[admin.Environment]](t, api(t, s, tok, http.MethodGet, acc+"/account_environments", ""))
	assert.Equal(t, []admin.Environment{want}, list.Items)
	assert.Equal(t, want, decodeBody[admin.Environment](t, api(t, s, tok, http.MethodGet, envPath, "")))
}

package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

// validCampaign is the example of spec §5.6.
func validCampaign() admin.Campaign {
	return admin.Campaign{
		ProjectID:   "proj-id",
		Name:        "New checkout",
		Description: "progressive delivery",
		Type:        admin.TypeToggle,
		VariationGroups: []admin.VariationGroup{
			{
				Name: "beta testers",
				Targeting: &admin.Targeting{TargetingGroups: []admin.TargetingGroup{{Targetings: []admin.TargetingRule{
					{Key: "beta", Operator: admin.OperatorEquals, Value: true},
				}}}},
				Variations: []admin.Variation{
					{Name: "off", Reference: true, Allocation: 0},
					{Name: "on", Allocation: 100, Modifications: &admin.Modifications{Type: admin.ModificationsFlag, Value: map[string]any{"new_checkout": true}}},
				},
			},
			{
				Name: "everyone else",
				Variations: []admin.Variation{
					{Name: "off", Reference: true, Allocation: 90},
					{Name: "on", Allocation: 10, Modifications: &admin.Modifications{Type: admin.ModificationsFlag, Value: map[string]any{"new_checkout": true}}},
				},
			},
		},
	}
}

func TestRoutes(t *testing.T) {
	cp := validCampaign()
	tests := []struct {
		name       string
		call       func(ctx context.Context, c *admin.Client) error
		wantMethod string
		wantPath   string
		wantQuery  string
		wantBody   string // JSON, compared semantically; "" for none
	}{
		{name: "get environment", call: func(ctx context.Context, c *admin.Client) error { _, err := c.GetEnvironment(ctx, envID); return err },
			wantMethod: "GET", wantPath: base + "/account_environments/env-1"},
		{name: "list environments", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListEnvironments(ctx))
			return err
		},
			wantMethod: "GET", wantPath: base + "/account_environments", wantQuery: "_max_per_page=100&_page=0"},
		{name: "panic on", call: func(ctx context.Context, c *admin.Client) error { return c.SetPanic(ctx, envID, true) },
			wantMethod: "PATCH", wantPath: base + "/account_environments/env-1/panic", wantBody: `{"panic":"on"}`},
		{name: "panic off", call: func(ctx context.Context, c *admin.Client) error { return c.SetPanic(ctx, envID, false) },
			wantMethod: "PATCH", wantPath: base + "/account_environments/env-1/panic", wantBody: `{"panic":"off"}`},
		{name: "list projects", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListProjects(ctx))
			return err
		},
			wantMethod: "GET", wantPath: base + "/projects", wantQuery: "_max_per_page=100&_page=0"},
		{name: "get project escapes its id", call: func(ctx context.Context, c *admin.Client) error { _, err := c.GetProject(ctx, "a/b c"); return err },
			wantMethod: "GET", wantPath: base + "/projects/a%2Fb%20c"},
		{name: "create project", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.CreateProject(ctx, admin.Project{ID: "ignored", Name: "p"})
			return err
		}, wantMethod: "POST", wantPath: base + "/projects", wantBody: `{"name":"p"}`},
		{name: "update project", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.UpdateProject(ctx, "p1", admin.Project{Name: "q"})
			return err
		}, wantMethod: "PATCH", wantPath: base + "/projects/p1", wantBody: `{"name":"q"}`},
		{name: "delete project", call: func(ctx context.Context, c *admin.Client) error { return c.DeleteProject(ctx, "p1") },
			wantMethod: "DELETE", wantPath: base + "/projects/p1"},
		{name: "switch project", call: func(ctx context.Context, c *admin.Client) error {
			return c.SwitchProject(ctx, "p1", admin.StatusPaused)
		},
			wantMethod: "PATCH", wantPath: base + "/projects/p1/toggle", wantBody: `{"state":"paused"}`},
		{name: "list campaigns", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListCampaigns(ctx, envID))
			return err
		}, wantMethod: "GET", wantPath: base + "/account_environments/env-1/campaigns", wantQuery: "_max_per_page=100&_page=0"},
		{name: "get campaign", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.GetCampaign(ctx, envID, "c1")
			return err
		},
			wantMethod: "GET", wantPath: base + "/account_environments/env-1/campaigns/c1"},
		{name: "create campaign", call: func(ctx context.Context, c *admin.Client) error {
			give := cp
			give.ID, give.Status = "x", admin.StatusActive // read-only: not sent
			_, err := c.CreateCampaign(ctx, envID, give)
			return err
		}, wantMethod: "POST", wantPath: base + "/account_environments/env-1/campaigns", wantBody: campaignJSON},
		{name: "update campaign", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.UpdateCampaign(ctx, envID, "c1", cp)
			return err
		},
			wantMethod: "PATCH", wantPath: base + "/account_environments/env-1/campaigns/c1", wantBody: campaignJSON},
		{name: "delete campaign", call: func(ctx context.Context, c *admin.Client) error { return c.DeleteCampaign(ctx, envID, "c1") },
			wantMethod: "DELETE", wantPath: base + "/account_environments/env-1/campaigns/c1"},
		{name: "switch campaign", call: func(ctx context.Context, c *admin.Client) error {
			return c.SwitchCampaign(ctx, envID, "c1", admin.StatusInterrupted)
		}, wantMethod: "PATCH", wantPath: base + "/account_environments/env-1/campaigns/c1/toggle", wantBody: `{"state":"interrupted"}`},
		{name: "list flags", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListFlags(ctx))
			return err
		},
			wantMethod: "GET", wantPath: base + "/flags", wantQuery: "_max_per_page=100&_page=0"},
		{name: "get flag", call: func(ctx context.Context, c *admin.Client) error { _, err := c.GetFlag(ctx, "f1"); return err },
			wantMethod: "GET", wantPath: base + "/flags/f1"},
		{name: "create flag", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.CreateFlag(ctx, admin.Flag{Name: "btn", Type: admin.FlagString, Description: "d"})
			return err
		}, wantMethod: "POST", wantPath: base + "/flags", wantBody: `{"name":"btn","type":"string","description":"d","source":"manual"}`},
		{name: "update flag", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.UpdateFlag(ctx, "f1", admin.Flag{Name: "btn", Type: admin.FlagBoolean, Description: "d", Source: admin.FlagSourceCLI})
			return err
		}, wantMethod: "PATCH", wantPath: base + "/flags/f1", wantBody: `{"name":"btn","type":"boolean","description":"d","source":"cli"}`},
		{name: "delete flag", call: func(ctx context.Context, c *admin.Client) error { return c.DeleteFlag(ctx, "f1") },
			wantMethod: "DELETE", wantPath: base + "/flags/f1"},
		{name: "list targeting keys", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListTargetingKeys(ctx))
			return err
		}, wantMethod: "GET", wantPath: base + "/targeting_keys", wantQuery: "_max_per_page=100&_page=0"},
		{name: "get targeting key", call: func(ctx context.Context, c *admin.Client) error { _, err := c.GetTargetingKey(ctx, "k1"); return err },
			wantMethod: "GET", wantPath: base + "/targeting_keys/k1"},
		{name: "create targeting key", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.CreateTargetingKey(ctx, admin.TargetingKey{Name: "age", Type: admin.TargetingKeyNumber, Description: "d"})
			return err
		}, wantMethod: "POST", wantPath: base + "/targeting_keys", wantBody: `{"name":"age","type":"number","description":"d"}`},
		{name: "update targeting key", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.UpdateTargetingKey(ctx, "k1", admin.TargetingKey{Name: "age", Type: admin.TargetingKeyString, Description: ""})
			return err
		}, wantMethod: "PATCH", wantPath: base + "/targeting_keys/k1", wantBody: `{"name":"age","type":"string","description":""}`},
		{name: "delete targeting key", call: func(ctx context.Context, c *admin.Client) error { return c.DeleteTargetingKey(ctx, "k1") },
			wantMethod: "DELETE", wantPath: base + "/targeting_keys/k1"},
		{name: "list goals", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListGoals(ctx, envID))
			return err
		},
			wantMethod: "GET", wantPath: base + "/account_environments/env-1/goals", wantQuery: "_max_per_page=100&_page=0"},
		{name: "get goal", call: func(ctx context.Context, c *admin.Client) error { _, err := c.GetGoal(ctx, envID, "g1"); return err },
			wantMethod: "GET", wantPath: base + "/account_environments/env-1/goals/g1"},
		{name: "create goal", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.CreateGoal(ctx, envID, admin.Goal{Label: "buy", Type: admin.GoalTransaction})
			return err
		}, wantMethod: "POST", wantPath: base + "/account_environments/env-1/goals", wantBody: `{"label":"buy","type":"transaction"}`},
		{name: "update goal", call: func(ctx context.Context, c *admin.Client) error {
			_, err := c.UpdateGoal(ctx, envID, "g1", admin.Goal{Label: "home", Type: admin.GoalPageview, Operator: admin.GoalOperatorExact, Value: "/"})
			return err
		}, wantMethod: "PATCH", wantPath: base + "/account_environments/env-1/goals/g1", wantBody: `{"label":"home","type":"pageview","operator":"exact","value":"/"}`},
		{name: "delete goal", call: func(ctx context.Context, c *admin.Client) error { return c.DeleteGoal(ctx, envID, "g1") },
			wantMethod: "DELETE", wantPath: base + "/account_environments/env-1/goals/g1"},
		{name: "list users", call: func(ctx context.Context, c *admin.Client) error {
			_, err := admin.Collect(c.ListUsers(ctx, envID))
			return err
		},
			wantMethod: "GET", wantPath: base + "/account_environments/env-1/users", wantQuery: "_max_per_page=100&_page=0"},
		{name: "set users", call: func(ctx context.Context, c *admin.Client) error {
			return c.SetUsers(ctx, envID, admin.User{Email: "a@x.io", Role: admin.RoleAdmin}, admin.User{Email: "b@x.io", Role: admin.RoleViewer})
		}, wantMethod: "PUT", wantPath: base + "/account_environments/env-1/users",
			wantBody: `[{"email":"a@x.io","role":"ADMIN"},{"email":"b@x.io","role":"VIEWER"}]`},
		{name: "remove users", call: func(ctx context.Context, c *admin.Client) error {
			return c.RemoveUsers(ctx, envID, "a+1@x.io", "b@x.io")
		},
			wantMethod: "DELETE", wantPath: base + "/account_environments/env-1/users", wantQuery: "emails%5B%5D=a%2B1%40x.io&emails%5B%5D=b%40x.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent) // an empty answer is a success
			})
			c := f.client(t)
			require.NoError(t, tt.call(t.Context(), c))
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.wantMethod, reqs[0].Method)
			assert.Equal(t, tt.wantPath, reqs[0].Path)
			assert.Equal(t, tt.wantQuery, reqs[0].Query)
			if tt.wantBody == "" {
				assert.Empty(t, reqs[0].Body)
				return
			}
			assert.JSONEq(t, tt.wantBody, reqs[0].Body)
		})
	}
}

// campaignJSON is validCampaign as the API wants it: snake_case, no
// read-only fields.
const campaignJSON = `{
  "project_id": "proj-id",
  "name": "New checkout",
  "description": "progressive delivery",
  "type": "toggle",
  "variation_groups": [
    { "name": "beta testers",
      "targeting": {"targeting_groups": [{"targetings": [
          {"key": "beta", "operator": "EQUALS", "value": true}]}]},
      "variations": [
        {"name": "off", "reference": true, "allocation": 0},
        {"name": "on", "reference": false, "allocation": 100,
         "modifications": {"type": "FLAG", "value": {"new_checkout": true}}}]},
    { "name": "everyone else",
      "variations": [
        {"name": "off", "reference": true, "allocation": 90},
        {"name": "on", "reference": false, "allocation": 10,
         "modifications": {"type": "FLAG", "value": {"new_checkout": true}}}]}
  ]
}`

func TestCreateReturnsTheServersObject(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		var cp map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&cp))
		cp["id"], cp["status"], cp["created_at"], cp["unknown_field"] = "c1", "draft", "2025-01-01T00:00:00Z", []int{1}
		b, _ := json.Marshal(cp)
		reply(w, http.StatusCreated, string(b))
	})
	c := f.client(t)
	give := validCampaign()
	got, err := c.CreateCampaign(t.Context(), envID, give)
	require.NoError(t, err)
	assert.Equal(t, "c1", got.ID)
	assert.Equal(t, admin.StatusDraft, got.Status)
	assert.Equal(t, "2025-01-01T00:00:00Z", got.CreatedAt)
	assert.Equal(t, validCampaign(), give, "the caller's campaign is left alone")
}

func TestUnknownResponseFieldsAreIgnored(t *testing.T) {
	f := newFake(t, ok(`{"id":"c1","name":"n","type":"ab","status":"archived","future":{"a":[1,2]},
		"variation_groups":[{"id":"vg","variations":[{"id":"v","name":"a","reference":true,"allocation":100,"weight":0.5}],
		"allocation_config":{"start_allocation":10,"periodic_steps":{"allocation":5,"step":1,"step_type":"day"}}}]}`))
	c := f.client(t)
	got, err := c.GetCampaign(t.Context(), envID, "c1")
	require.NoError(t, err)
	assert.Equal(t, admin.Status("archived"), got.Status)
	require.Len(t, got.VariationGroups, 1)
	assert.Equal(t, 100, got.VariationGroups[0].Variations[0].Allocation)
	ac := got.VariationGroups[0].AllocationConfig
	require.NotNil(t, ac)
	assert.Equal(t, admin.AllocationStep{AllocationStep: 5, Step: 1, StepType: "day"}, *ac.PeriodicSteps, `"allocation" read as "allocation_step"`)
}

func TestRequestHeaders(t *testing.T) {
	var got http.Header
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.WriteHeader(http.StatusNoContent)
	})
	c := f.client(t, admin.WithUserAgent("test-agent/1"))
	require.NoError(t, c.SetPanic(t.Context(), envID, true))
	assert.Equal(t, "application/json", got.Get("Content-Type"))
	assert.Equal(t, "test-agent/1", got.Get("User-Agent"))
	assert.Regexp(t, `^Bearer tok-1-`, got.Get("Authorization"))
}

func TestEmptyIDsAreRefusedBeforeSending(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c := f.client(t)
	_, err := c.GetCampaign(t.Context(), envID, "")
	assert.ErrorIs(t, err, admin.ErrValidation)
	assert.ErrorContains(t, err, "campaign id")
	_, err = admin.Collect(c.ListCampaigns(t.Context(), ""))
	assert.ErrorIs(t, err, admin.ErrValidation)
	assert.ErrorIs(t, c.SwitchCampaign(t.Context(), envID, "c1", admin.StatusDraft), admin.ErrValidation)
	assert.ErrorIs(t, c.SetUsers(t.Context(), envID, admin.User{Email: "a@x.io"}), admin.ErrValidation)
	assert.ErrorIs(t, c.RemoveUsers(t.Context(), envID), admin.ErrValidation)
	assert.Empty(t, f.requests())
	assert.Zero(t, f.tokens())
}

func TestClosedClient(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c := f.client(t)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "twice is fine")
	_, err := c.GetProject(t.Context(), "p1")
	assert.ErrorIs(t, err, admin.ErrClosed)
}

func TestNewRefusesBadConfig(t *testing.T) {
	good := admin.Credentials{ClientID: "id", ClientSecret: "s"}
	tests := []struct {
		name      string
		giveAcc   string
		giveCreds admin.Credentials
		giveOpts  []admin.Option
		wantMsg   string
	}{
		{name: "no account", giveCreds: good, wantMsg: "empty account id"},
		{name: "no client id", giveAcc: "a", giveCreds: admin.Credentials{ClientSecret: "s"}, wantMsg: "empty client id"},
		{name: "no secret", giveAcc: "a", giveCreds: admin.Credentials{ClientID: "id"}, wantMsg: "empty client secret"},
		{name: "relative base URL", giveAcc: "a", giveCreds: good, giveOpts: []admin.Option{admin.WithBaseURL("/v1")}, wantMsg: "base URL"},
		{name: "ftp auth URL", giveAcc: "a", giveCreds: good, giveOpts: []admin.Option{admin.WithAuthURL("ftp://x")}, wantMsg: "auth URL"},
		{name: "short token lifetime", giveAcc: "a", giveCreds: good, giveOpts: []admin.Option{admin.WithTokenLifetime(0)}, wantMsg: "token lifetime"},
		{name: "nil clock", giveAcc: "a", giveCreds: good, giveOpts: []admin.Option{admin.WithClock(nil)}, wantMsg: "nil clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := admin.New(tt.giveAcc, tt.giveCreds, tt.giveOpts...)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, admin.ErrInvalidConfig)
			assert.ErrorContains(t, err, tt.wantMsg)
		})
	}
}

package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// adminServer starts a local Flagship with one active toggle campaign and
// sets the credentials variables to its access.
func adminServer(t *testing.T) *flagshiptest.Server {
	t.Helper()
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}),
	))
	a := srv.AdminAccess()
	t.Setenv("FLAGSHIP_ACCOUNT_ID", a.AccountID)
	t.Setenv("FLAGSHIP_CLIENT_ID", a.Credentials.ClientID)
	t.Setenv("FLAGSHIP_CLIENT_SECRET", string(a.Credentials.ClientSecret))
	return srv
}

// runAdminCLI runs "flagship admin args... --base-url" against srv.
func runAdminCLI(t *testing.T, srv *flagshiptest.Server, stdin string, args ...string) result {
	t.Helper()
	return runCLI(t, stdin, append(append([]string{"admin"}, args...), "--base-url", srv.AdminURL())...)
}

// adminWrites returns the management requests that change something.
func adminWrites(srv *flagshiptest.Server) []string {
	var out []string
	for _, r := range srv.AdminRequests() {
		if r.Route == flagshiptest.RouteAdmin && r.Method != http.MethodGet {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func TestAdminUsage(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "-h", give: []string{"admin", "-h"}, wantCode: 0, wantStderr: "  -base-url URL"},
		{name: "help admin", give: []string{"help", "admin"}, wantCode: 0, wantStdout: "flagship admin campaigns switch --env ENV_ID CAMPAIGN_ID active|paused|interrupted"},
		{name: "admin help", give: []string{"admin", "help"}, wantCode: 0, wantStdout: "FLAGSHIP_CLIENT_SECRET"},
		{name: "command -h", give: []string{"admin", "campaigns", "list", "-h"}, wantCode: 0, wantStderr: "  -env id"},
		{name: "nothing", give: []string{"admin"}, wantCode: 2, wantStderr: "flagship admin: want a resource and a verb"},
		{name: "resource only", give: []string{"admin", "campaigns"}, wantCode: 2, wantStderr: "want a resource and a verb"},
		{name: "unknown", give: []string{"admin", "segments", "list"}, wantCode: 2, wantStderr: `unknown command "segments list"`},
		{name: "missing id", give: []string{"admin", "campaigns", "get", "--env", "e"}, wantCode: 2, wantStderr: "flagship admin campaigns get: missing CAMPAIGN_ID"},
		{name: "missing state", give: []string{"admin", "campaigns", "switch", "--env", "e", "c1"}, wantCode: 2, wantStderr: "missing active|paused|interrupted"},
		{name: "extra argument", give: []string{"admin", "projects", "list", "p1"}, wantCode: 2, wantStderr: `unexpected argument "p1"`},
		{name: "missing env", give: []string{"admin", "campaigns", "list"}, wantCode: 2, wantStderr: "--env is required"},
		{name: "env out of place", give: []string{"admin", "flags", "list", "--env", "e"}, wantCode: 2, wantStderr: "--env applies to campaigns, goals and users only"},
		{name: "missing file", give: []string{"admin", "campaigns", "create", "--env", "e"}, wantCode: 2, wantStderr: "--file is required"},
		{name: "file out of place", give: []string{"admin", "campaigns", "get", "--env", "e", "--file", "x", "c1"}, wantCode: 2, wantStderr: "--file applies to"},
		{name: "bad flag", give: []string{"admin", "flags", "list", "--nope"}, wantCode: 2, wantStderr: "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", tt.give...)
			assert.Equal(t, tt.wantCode, got.code, got.stderr)
			assert.Contains(t, got.stdout, tt.wantStdout)
			assert.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

func TestAdminNeedsCredentials(t *testing.T) {
	t.Setenv("FLAGSHIP_ACCOUNT_ID", "acc")
	t.Setenv("FLAGSHIP_CLIENT_ID", "")
	t.Setenv("FLAGSHIP_CLIENT_SECRET", "")
	got := runCLI(t, "", "admin", "projects", "list")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, "flagship: set FLAGSHIP_CLIENT_ID, FLAGSHIP_CLIENT_SECRET:")
}

func TestAdminBadBaseURL(t *testing.T) {
	adminServer(t)
	got := runCLI(t, "", "admin", "projects", "list", "--base-url", "localhost:8080")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, "admin: invalid config: base URL")
}

func TestAdminAuthURLFor(t *testing.T) {
	tests := []struct{ give, want string }{
		{give: "http://127.0.0.1:8080/v1", want: "http://127.0.0.1:8080"},
		{give: "http://127.0.0.1:8080/v1/", want: "http://127.0.0.1:8080"},
		{give: "https://flagship.example.com/api/v1", want: "https://flagship.example.com/api"},
		{give: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, authURLFor(tt.give), tt.give)
	}
}

func TestAdminEnvironments(t *testing.T) {
	srv := adminServer(t)
	got := runAdminCLI(t, srv, "", "environments", "list")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `(?m)^ID\s+NAME\s+MAIN\s+PANIC\s+SINGLE ASSIGNMENT$`, got.stdout)
	assert.Regexp(t, `(?m)^`+srv.EnvID()+`\s+\S+\s+(yes|no)\s+no\s+`, got.stdout)

	got = runAdminCLI(t, srv, "", "environments", "panic", srv.EnvID(), "on")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "panic mode on for environment "+srv.EnvID()+"\n", got.stdout)

	got = runAdminCLI(t, srv, "", "environments", "get", srv.EnvID(), "--json")
	require.Equal(t, 0, got.code, got.stderr)
	var env admin.Environment
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &env))
	assert.True(t, env.Panic)
	assert.Equal(t, 1, strings.Count(got.stdout, "\n"), "one line")

	got = runAdminCLI(t, srv, "", "environments", "panic", srv.EnvID(), "off")
	require.Equal(t, 0, got.code, got.stderr)
	got = runAdminCLI(t, srv, "", "environments", "get", srv.EnvID())
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, "\n  \"panic\": false,\n", "indented")

	got = runAdminCLI(t, srv, "", "environments", "panic", srv.EnvID(), "maybe")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, `panic state "maybe": want on or off`)
	assert.Equal(t, []string{"PATCH /v1/accounts/" + srv.AdminAccess().AccountID + "/account_environments/" + srv.EnvID() + "/panic",
		"PATCH /v1/accounts/" + srv.AdminAccess().AccountID + "/account_environments/" + srv.EnvID() + "/panic"}, adminWrites(srv))
}

// newCampaignFile is a campaign to create, in the API's JSON form.
const newCampaignFile = `{
  "project_id": "%s",
  "name": "New checkout",
  "description": "progressive delivery",
  "type": "toggle",
  "variation_groups": [
    {"name": "everyone",
     "targeting": {"targeting_groups": [{"targetings": [{"key": "plan", "operator": "EQUALS", "value": "gold"}]}]},
     "variations": [
       {"name": "off", "reference": true, "allocation": 50},
       {"name": "on", "reference": false, "allocation": 50,
        "modifications": {"type": "FLAG", "value": {"new_checkout": true}}}]}
  ]
}`

func TestAdminCampaignLifecycle(t *testing.T) {
	srv := adminServer(t)
	env := srv.EnvID()
	p, err := srv.AdminClient().CreateProject(t.Context(), admin.Project{Name: "Web"})
	require.NoError(t, err)

	file := writeFile(t, "campaign.json", strings.ReplaceAll(newCampaignFile, "%s", p.ID))
	got := runAdminCLI(t, srv, "", "campaigns", "create", "--env", env, "--file", file)
	require.Equal(t, 0, got.code, got.stderr)
	var created admin.Campaign
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &created))
	require.NotEmpty(t, created.ID)
	assert.Equal(t, admin.StatusDraft, created.Status)
	assert.Equal(t, "New checkout", created.Name)

	got = runAdminCLI(t, srv, "", "campaigns", "list", "--env", env)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `(?m)^ID\s+NAME\s+TYPE\s+STATUS\s+PROJECT$`, got.stdout)
	assert.Regexp(t, `(?m)^`+created.ID+`\s+New checkout\s+toggle\s+draft\s+`+p.ID+`$`, got.stdout)
	assert.Regexp(t, `(?m)\s+active\s+`, got.stdout, "the campaign set in code")

	// Read, change, update: the file of get --json goes back with update.
	got = runAdminCLI(t, srv, "", "campaigns", "get", "--env", env, created.ID, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	edited := strings.Replace(got.stdout, `"name":"New checkout"`, `"name":"Newer checkout"`, 1)
	require.NotEqual(t, got.stdout, edited)
	got = runAdminCLI(t, srv, edited, "campaigns", "update", "--env", env, "--file", "-")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, `"name": "Newer checkout"`)

	got = runAdminCLI(t, srv, "", "campaigns", "switch", "--env", env, created.ID, "active")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "campaign "+created.ID+" of environment "+env+" is active\n", got.stdout)
	cp, err := srv.AdminClient().GetCampaign(t.Context(), env, created.ID)
	require.NoError(t, err)
	assert.Equal(t, admin.StatusActive, cp.Status)
	assert.Equal(t, "Newer checkout", cp.Name)

	got = runAdminCLI(t, srv, "", "campaigns", "switch", "--env", env, created.ID, "on")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, `campaign state "on": want active, paused or interrupted`)
}

func TestAdminCampaignFileIsCheckedBeforeSending(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantStderr []string
	}{
		{name: "allocations", give: strings.Replace(newCampaignFile, `"allocation": 50}`, `"allocation": 60}`, 1),
			wantStderr: []string{"invalid campaign:", "campaign.json: variation_groups[0].variations: allocations sum to 110, want 100"}},
		{name: "operator", give: strings.Replace(newCampaignFile, `"EQUALS"`, `"IN"`, 1),
			wantStderr: []string{`campaign.json: variation_groups[0].targeting.targeting_groups[0].targetings[0].operator: unknown operator "IN"`}},
		{name: "two problems", give: strings.Replace(strings.Replace(newCampaignFile, `"reference": false`, `"reference": true`, 1), `"name": "New checkout",`, ``, 1),
			wantStderr: []string{"campaign.json: name: required", "campaign.json: variation_groups[0].variations: 2 reference variations, want exactly 1"}},
		{name: "syntax", give: strings.Replace(newCampaignFile, `"type": "toggle",`, `"type": "toggle"`, 1),
			wantStderr: []string{"campaign.json: line 6: invalid character"}},
		{name: "wrong type", give: strings.Replace(newCampaignFile, `"allocation": 50}`, `"allocation": "50"}`, 1),
			wantStderr: []string{"campaign.json: line 10: variation_groups.variations.allocation: want int, got JSON string"}},
		{name: "fraction", give: strings.Replace(newCampaignFile, `"allocation": 50}`, `"allocation": 49.5}`, 1),
			wantStderr: []string{"campaign.json: line 10: variation_groups.variations.allocation: want int, got JSON number 49.5"}},
		{name: "unknown field", give: strings.Replace(newCampaignFile, `"variation_groups"`, `"variationGroups"`, 1),
			wantStderr: []string{"campaign.json: line 6: unknown field \"variationGroups\""}},
		{name: "unknown field twice", give: strings.Replace(newCampaignFile, `"reference": true,`, `"reference": true, "weight": 1,`, 1) + ` `,
			wantStderr: []string{"campaign.json: line 10: unknown field \"weight\""}},
		{name: "empty", give: "", wantStderr: []string{"campaign.json: empty, want a campaign as a JSON object"}},
		{name: "two campaigns", give: "{} {}", wantStderr: []string{"campaign.json: want one campaign"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := adminServer(t)
			file := writeFile(t, "campaign.json", strings.ReplaceAll(tt.give, "%s", "p1"))
			got := runAdminCLI(t, srv, "", "campaigns", "create", "--env", srv.EnvID(), "--file", file)
			assert.Equal(t, 2, got.code)
			for _, w := range tt.wantStderr {
				assert.Contains(t, got.stderr, w)
			}
			assert.Contains(t, got.stderr, filepath.Dir(file), "the file is named")
			assert.Empty(t, adminWrites(srv), "nothing sent")
		})
	}
}

func TestAdminMissingCampaignFile(t *testing.T) {
	srv := adminServer(t)
	missing := filepath.Join(t.TempDir(), "nope.json")
	got := runAdminCLI(t, srv, "", "campaigns", "create", "--env", srv.EnvID(), "--file", missing)
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, missing)
	_, err := os.Stat(missing)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestAdminUpdateNeedsAnID(t *testing.T) {
	srv := adminServer(t)
	got := runAdminCLI(t, srv, strings.ReplaceAll(newCampaignFile, "%s", "p1"), "campaigns", "update", "--env", srv.EnvID(), "--file", "-")
	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, `stdin: no campaign id: give CAMPAIGN_ID or an "id" in the file`)
}

func TestAdminServerRefusalIsReported(t *testing.T) {
	srv := adminServer(t)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Status: 400,
		Body: `{"message":"project p1 does not exist"}`})
	file := writeFile(t, "campaign.json", strings.ReplaceAll(newCampaignFile, "%s", "p1"))
	got := runAdminCLI(t, srv, "", "campaigns", "create", "--env", srv.EnvID(), "--file", file)
	assert.Equal(t, 1, got.code)
	assert.Contains(t, got.stderr, "400 Bad Request: project p1 does not exist")
}

func TestAdminNotFound(t *testing.T) {
	srv := adminServer(t)
	got := runAdminCLI(t, srv, "", "campaigns", "get", "--env", srv.EnvID(), "nope")
	assert.Equal(t, 1, got.code)
	assert.Contains(t, got.stderr, "404 Not Found")
}

func TestAdminRevokedAccess(t *testing.T) {
	srv := adminServer(t)
	secret := srv.AdminAccess().Credentials.ClientSecret
	srv.RevokeAdminAccess()
	got := runAdminCLI(t, srv, "", "projects", "list")
	assert.Equal(t, 1, got.code)
	assert.Contains(t, got.stderr, "check FLAGSHIP_ACCOUNT_ID, FLAGSHIP_CLIENT_ID and FLAGSHIP_CLIENT_SECRET")
	assert.NotContains(t, got.stderr+got.stdout, string(secret))
}

func TestAdminCatalogsAndGoals(t *testing.T) {
	srv := adminServer(t)
	c := srv.AdminClient()
	ctx := t.Context()
	env := srv.EnvID()
	p, err := c.CreateProject(ctx, admin.Project{Name: "Web"})
	require.NoError(t, err)
	f, err := c.CreateFlag(ctx, admin.Flag{Name: "btn-color", Type: admin.FlagString, Description: "button color", DefaultValue: "blue"})
	require.NoError(t, err)
	k, err := c.CreateTargetingKey(ctx, admin.TargetingKey{Name: "plan", Type: admin.TargetingKeyString, Description: "pricing plan"})
	require.NoError(t, err)
	g, err := c.CreateGoal(ctx, env, admin.Goal{Label: "checkout", Type: admin.GoalTransaction})
	require.NoError(t, err)
	require.NoError(t, c.SetUsers(ctx, env, admin.User{Email: "ana@example.com", Role: "ADMIN"}))

	tests := []struct {
		name string
		give []string
		want string // a regexp of a line of the output
	}{
		{name: "projects list", give: []string{"projects", "list"}, want: `(?m)^` + p.ID + `\s+Web$`},
		{name: "projects get", give: []string{"projects", "get", p.ID}, want: `"name": "Web"`},
		{name: "flags list", give: []string{"flags", "list"}, want: `(?m)^` + f.ID + `\s+btn-color\s+string\s+blue\s+button color$`},
		{name: "flags get", give: []string{"flags", "get", f.ID, "--json"}, want: `"default_value":"blue"`},
		{name: "targeting keys list", give: []string{"targeting-keys", "list"}, want: `(?m)^` + k.ID + `\s+plan\s+string\s+pricing plan$`},
		{name: "targeting keys get", give: []string{"targeting-keys", "get", k.ID}, want: `"type": "string"`},
		{name: "goals list", give: []string{"goals", "list", "--env", env}, want: `(?m)^` + g.ID + `\s+checkout\s+transaction\s+-\s+-$`},
		{name: "goals get", give: []string{"goals", "get", "--env", env, g.ID}, want: `"label": "checkout"`},
		{name: "users list", give: []string{"users", "list", "--env", env}, want: `(?m)^ana@example.com\s+ADMIN$`},
		{name: "users list --json", give: []string{"users", "list", "--env", env, "--json"}, want: `(?m)^\{"email":"ana@example.com","role":"ADMIN"\}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runAdminCLI(t, srv, "", tt.give...)
			require.Equal(t, 0, got.code, got.stderr)
			assert.Regexp(t, tt.want, got.stdout)
		})
	}
}

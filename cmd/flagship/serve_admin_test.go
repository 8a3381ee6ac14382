package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// clearAccessEnv makes the test independent of the FLAGSHIP_* variables
// of the environment it runs in.
func clearAccessEnv(t *testing.T) {
	for _, k := range []string{"FLAGSHIP_ACCOUNT_ID", "FLAGSHIP_CLIENT_ID", "FLAGSHIP_CLIENT_SECRET"} {
		t.Setenv(k, "")
	}
}

// TestServeAdmin: "flagship serve" without a bucketing file serves the
// management API with the access of its flags; what the admin client
// creates and switches on is in the bucketing file and the Decision API's
// answers, and panic set through it reaches them too. The secret and the
// tokens are never logged.
func TestServeAdmin(t *testing.T) {
	clearAccessEnv(t)
	url, stderr, stop := startServe(t, "--addr", "127.0.0.1:0", "--env", "env_local",
		"--account", "a1", "--client-id", "c1", "--client-secret", "s3cr3t", "--verbose")
	hc := &http.Client{Timeout: 5 * time.Second}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	send := func(method, path, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, url+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := send(http.MethodGet, "/env_local/bucketing.json", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"campaigns":[]`)

	adm, err := admin.New("a1", admin.Credentials{ClientID: "c1", ClientSecret: "s3cr3t"},
		admin.WithBaseURL(url+"/v1"), admin.WithAuthURL(url), admin.WithHTTPClient(hc))
	require.NoError(t, err)
	defer adm.Close()
	p, err := adm.CreateProject(ctx, admin.Project{Name: "shop"})
	require.NoError(t, err)
	c, err := adm.CreateCampaign(ctx, "env_local", admin.Campaign{ProjectID: p.ID, Name: "t", Type: admin.TypeToggle,
		VariationGroups: []admin.VariationGroup{{Variations: []admin.Variation{{Name: "on", Reference: true, Allocation: 100,
			Modifications: &admin.Modifications{Value: map[string]any{"color": "green"}}}}}}})
	require.NoError(t, err)
	require.NoError(t, adm.SwitchCampaign(ctx, "env_local", c.ID, admin.StatusActive))
	code, body = send(http.MethodGet, "/env_local/bucketing.json", "")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"id":"`+c.ID+`"`)
	code, body = send(http.MethodPost, "/v2/env_local/campaigns", `{"visitorId":"v","trigger_hit":false}`)
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"value":{"color":"green"}`)
	require.NoError(t, adm.SetPanic(ctx, "env_local", true))
	_, body = send(http.MethodPost, "/v2/env_local/campaigns", `{"visitorId":"v","trigger_hit":false}`)
	assert.Contains(t, body, `"panic":true`)

	// Another secret is refused; the token is redacted from the log.
	code, _ = send(http.MethodPost, "/a1/token", `{"grant_type":"client_credentials","client_id":"c1","client_secret":"secret"}`)
	assert.Equal(t, http.StatusBadRequest, code)
	code, body = send(http.MethodPost, "/a1/token", `{"grant_type":"client_credentials","client_id":"c1","client_secret":"s3cr3t"}`)
	require.Equal(t, http.StatusOK, code)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tr))
	code, _ = send(http.MethodGet, "/token?access_token="+tr.AccessToken, "")
	assert.Equal(t, http.StatusOK, code)

	adm.Close()
	hc.CloseIdleConnections()
	assert.Equal(t, 0, stop())
	log := stderr.String()
	for _, want := range []string{
		"flagship serve: environment env_local, no bucketing file: no campaigns until the management API creates some\n",
		"  management    " + url + "/v1/accounts/a1/... (flagship admin --base-url " + url + "/v1)\n",
		"  token         POST " + url + `/a1/token (client id "c1", client secret from --client-secret)` + "\n",
		"flagship serve: POST /a1/token 200 ",
		"flagship serve: POST /v1/accounts/a1/projects 201 ",
		"flagship serve: PATCH /v1/accounts/a1/account_environments/env_local/campaigns/" + c.ID + "/toggle 200 ",
		"flagship serve: GET /token?access_token=REDACTED 200 ",
	} {
		assert.Contains(t, log, want)
	}
	assert.NotContains(t, log, "s3cr3t")
	assert.NotContains(t, log, tr.AccessToken)
}

func TestServeAdminAccessDefaults(t *testing.T) {
	tests := []struct {
		name       string
		giveEnv    map[string]string
		wantLog    string
		wantSecret string
	}{
		{name: "defaults", wantLog: `  token         POST URL/acc/token (client id "client", client secret the default "secret")`, wantSecret: "secret"},
		{name: "variables", giveEnv: map[string]string{"FLAGSHIP_ACCOUNT_ID": "a9", "FLAGSHIP_CLIENT_ID": "c9", "FLAGSHIP_CLIENT_SECRET": "env-s3cr3t"},
			wantLog: `  token         POST URL/a9/token (client id "c9", client secret from $FLAGSHIP_CLIENT_SECRET)`, wantSecret: "env-s3cr3t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAccessEnv(t)
			for k, v := range tt.giveEnv {
				t.Setenv(k, v)
			}
			url, stderr, stop := startServe(t, "--addr", "127.0.0.1:0")
			account := flagshiptest.DefaultAdminAccountID
			if a := tt.giveEnv["FLAGSHIP_ACCOUNT_ID"]; a != "" {
				account = a
			}
			clientID := strings.TrimSuffix(strings.SplitN(strings.SplitN(tt.wantLog, `client id "`, 2)[1], `"`, 2)[0], "")
			hc := &http.Client{Timeout: 5 * time.Second}
			resp, err := hc.Post(url+"/"+account+"/token", "application/json", strings.NewReader(
				`{"grant_type":"client_credentials","client_id":"`+clientID+`","client_secret":"`+tt.wantSecret+`"}`))
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			hc.CloseIdleConnections()
			assert.Equal(t, 0, stop())
			assert.Contains(t, stderr.String(), strings.ReplaceAll(tt.wantLog, "URL", url)+"\n")
			if tt.wantSecret != flagshiptest.DefaultAdminClientSecret {
				assert.NotContains(t, stderr.String(), tt.wantSecret)
			}
		})
	}
}

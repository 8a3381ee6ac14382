package flagshiptest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// tokenReply is the token route's answer.
type tokenReply struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	TokenType    string `json:"token_type"`
	Error        string `json:"error"`
}

func TestAdminTokenRoute(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithClock(clock.now))
	r := post(t, s, "/acc/token?expires_in=60", credentials)
	require.Equal(t, http.StatusOK, r.status, r.body)
	tr := decodeBody[tokenReply](t, r)
	assert.Equal(t, "Bearer", tr.TokenType)
	assert.EqualValues(t, 60, tr.ExpiresIn)
	assert.Contains(t, tr.Scope, "campaign.toggle")
	assert.Contains(t, tr.Scope, "env:*")
	assert.NotEmpty(t, tr.RefreshToken)

	// Introspection.
	clock.add(15 * time.Second)
	r = do(t, s, http.MethodGet, "/token?access_token="+tr.AccessToken, "")
	require.Equal(t, http.StatusOK, r.status, r.body)
	info := decodeBody[struct {
		ClientID  string `json:"client_id"`
		Account   string `json:"account"`
		ExpiresIn int64  `json:"expires_in"`
		Scope     string `json:"scope"`
	}](t, r)
	assert.Equal(t, "client", info.ClientID)
	assert.Equal(t, "acc", info.Account)
	assert.EqualValues(t, 45, info.ExpiresIn)
	assert.Equal(t, tr.Scope, info.Scope)
	assert.Equal(t, http.StatusBadRequest, do(t, s, http.MethodGet, "/token?access_token=nope", "").status)

	// Expired: refused; a refresh grant gives a new token, once.
	assert.Equal(t, http.StatusOK, api(t, s, tr.AccessToken, http.MethodGet, acc+"/projects", "").status)
	clock.add(45 * time.Second)
	assert.Equal(t, http.StatusUnauthorized, api(t, s, tr.AccessToken, http.MethodGet, acc+"/projects", "").status)
	assert.Equal(t, http.StatusBadRequest, do(t, s, http.MethodGet, "/token?access_token="+tr.AccessToken, "").status)
	refresh := `{"grant_type":"refresh_token","client_id":"client","refresh_token":"` + tr.RefreshToken + `"}`
	r = post(t, s, "/acc/token", refresh)
	require.Equal(t, http.StatusOK, r.status, r.body)
	fresh := decodeBody[tokenReply](t, r)
	assert.Zero(t, fresh.ExpiresIn, "no expires_in: never expires")
	clock.add(1000 * time.Hour)
	assert.Equal(t, http.StatusOK, api(t, s, fresh.AccessToken, http.MethodGet, acc+"/projects", "").status)
	r = post(t, s, "/acc/token", refresh)
	assert.Equal(t, http.StatusBadRequest, r.status, "a refresh token is used once")
	assert.Equal(t, "invalid_grant", decodeBody[tokenReply](t, r).Error)

	// A subset of scopes.
	r = post(t, s, "/acc/token", `{"grant_type":"client_credentials","client_id":"client","client_secret":"secret","scope":"campaign.read nope"}`)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "campaign.read env:*", decodeBody[tokenReply](t, r).Scope)
}

func TestAdminTokenErrors(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tests := []struct {
		name      string
		givePath  string
		giveBody  string
		wantError string
	}{
		{name: "wrong secret", givePath: "/acc/token", giveBody: `{"grant_type":"client_credentials","client_id":"client","client_secret":"nope"}`, wantError: "invalid_client"},
		{name: "wrong client", givePath: "/acc/token", giveBody: `{"grant_type":"client_credentials","client_id":"other","client_secret":"secret"}`, wantError: "invalid_client"},
		{name: "unknown account", givePath: "/other/token", giveBody: credentials, wantError: "invalid_client"},
		{name: "grant type", givePath: "/acc/token", giveBody: `{"grant_type":"password","client_id":"client","client_secret":"secret"}`, wantError: "unsupported_grant_type"},
		{name: "no grant type", givePath: "/acc/token", giveBody: `{"client_id":"client","client_secret":"secret"}`, wantError: "unsupported_grant_type"},
		{name: "not JSON", givePath: "/acc/token", giveBody: `grant_type=client_credentials`, wantError: "invalid_request"},
		{name: "bad expires_in", givePath: "/acc/token?expires_in=-1", giveBody: credentials, wantError: "invalid_request"},
		{name: "unknown refresh token", givePath: "/acc/token", giveBody: `{"grant_type":"refresh_token","client_id":"client","refresh_token":"x"}`, wantError: "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, s, tt.givePath, tt.giveBody)
			assert.Equal(t, http.StatusBadRequest, r.status)
			assert.Equal(t, tt.wantError, decodeBody[tokenReply](t, r).Error)
			assert.NotContains(t, r.body, "nope", "the secret is not echoed")
		})
	}
	r := do(t, s, http.MethodGet, "/acc/token", "")
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "POST", r.header.Get("Allow"))
}

func TestAdminAuthorization(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithAdminAccess(flagshiptest.AdminAccess{AccountID: "a1"}),
		flagshiptest.WithCampaigns(flagshiptest.Toggle("a b/c", nil)))
	assert.Equal(t, flagshiptest.AdminAccess{AccountID: "a1", Credentials: admin.Credentials{ClientID: "client", ClientSecret: "secret"}},
		s.AdminAccess(), "defaults fill the other fields")
	r := post(t, s, "/a1/token", credentials)
	require.Equal(t, http.StatusOK, r.status, r.body)
	tok := decodeBody[tokenReply](t, r).AccessToken
	tests := []struct {
		name        string
		givePath    string
		giveHeaders []string
		wantStatus  int
	}{
		{name: "no header", givePath: "/v1/accounts/a1/projects", wantStatus: http.StatusUnauthorized},
		{name: "basic", givePath: "/v1/accounts/a1/projects", giveHeaders: []string{"Authorization: Basic eDp5"}, wantStatus: http.StatusUnauthorized},
		{name: "unknown token", givePath: "/v1/accounts/a1/projects", giveHeaders: []string{"Authorization: Bearer nope"}, wantStatus: http.StatusUnauthorized},
		{name: "other account", givePath: "/v1/accounts/a2/projects", giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusForbidden},
		{name: "ok", givePath: "/v1/accounts/a1/projects", giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusOK},
		{name: "scheme case", givePath: "/v1/accounts/a1/projects", giveHeaders: []string{"Authorization: bearer " + tok}, wantStatus: http.StatusOK},
		{name: "unknown environment", givePath: "/v1/accounts/a1/account_environments/nope", giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusNotFound},
		{name: "unknown route", givePath: "/v1/accounts/a1/segments", wantStatus: http.StatusNotFound},
		{name: "no account", givePath: "/v1/accounts", wantStatus: http.StatusNotFound},
		{name: "trailing slash", givePath: "/v1/accounts/a1/projects/", giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusOK},
		{name: "escaped id", givePath: "/v1/accounts/a1/account_environments/" + flagshiptest.EnvID + "/campaigns/a%20b%2Fc",
			giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusOK},
		{name: "unescaped id", givePath: "/v1/accounts/a1/account_environments/" + flagshiptest.EnvID + "/campaigns/a b/c",
			giveHeaders: []string{"Authorization: Bearer " + tok}, wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, http.MethodGet, tt.givePath, "", tt.giveHeaders...)
			assert.Equal(t, tt.wantStatus, r.status, r.body)
			assert.Equal(t, tt.wantStatus == http.StatusUnauthorized, r.header.Get("WWW-Authenticate") != "")
		})
	}
	r = do(t, s, http.MethodPost, "/v1/accounts/a1/account_environments", "{}", "Authorization: Bearer "+tok)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "GET", r.header.Get("Allow"))
	r = do(t, s, http.MethodGet, "/v1/accounts/a1/projects/p/toggle", "", "Authorization: Bearer "+tok)
	assert.Equal(t, http.StatusMethodNotAllowed, r.status)
	assert.Equal(t, "PATCH", r.header.Get("Allow"))

	// The SDK routes still answer beside them.
	assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, bucketingPath(), "").status)
}

func TestAdminExpireTokens(t *testing.T) {
	s := flagshiptest.NewServer(t)
	r := post(t, s, "/acc/token", credentials)
	require.Equal(t, http.StatusOK, r.status)
	tr := decodeBody[tokenReply](t, r)
	require.Equal(t, http.StatusOK, api(t, s, tr.AccessToken, http.MethodGet, acc+"/projects", "").status)
	s.ExpireAdminTokens()
	r = api(t, s, tr.AccessToken, http.MethodGet, acc+"/projects", "")
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, "expired token", decodeBody[apiError](t, r).Message)
	assert.Equal(t, http.StatusOK, api(t, s, token(t, s), http.MethodGet, acc+"/projects", "").status, "a new token works")
	r = post(t, s, "/acc/token", `{"grant_type":"refresh_token","client_id":"client","refresh_token":"`+tr.RefreshToken+`"}`)
	require.Equal(t, http.StatusOK, r.status, "refresh tokens keep working")
	assert.Equal(t, http.StatusOK, api(t, s, decodeBody[tokenReply](t, r).AccessToken, http.MethodGet, acc+"/projects", "").status)
}

func TestAdminRevokeAccess(t *testing.T) {
	s := flagshiptest.NewServer(t)
	tok := token(t, s)
	s.RevokeAdminAccess()
	assert.Equal(t, http.StatusUnauthorized, api(t, s, tok, http.MethodGet, acc+"/projects", "").status)
	r := post(t, s, "/acc/token", credentials)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "invalid_client", decodeBody[tokenReply](t, r).Error)

	// A new access: the old tokens stay refused.
	s.SetAdminAccess(flagshiptest.AdminAccess{Credentials: admin.Credentials{ClientID: "c2", ClientSecret: "s2"}})
	assert.Equal(t, http.StatusUnauthorized, api(t, s, tok, http.MethodGet, acc+"/projects", "").status)
	assert.Equal(t, http.StatusBadRequest, post(t, s, "/acc/token", credentials).status)
	r = post(t, s, "/acc/token", `{"grant_type":"client_credentials","client_id":"c2","client_secret":"s2"}`)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, http.StatusOK, api(t, s, decodeBody[tokenReply](t, r).AccessToken, http.MethodGet, acc+"/projects", "").status)
}

package flagshiptest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/admin"
)

// Defaults of [AdminAccess]: tests need no setup to call the management
// API. They are test credentials, not secrets.
const (
	DefaultAdminAccountID    = "acc"
	DefaultAdminClientID     = "client"
	DefaultAdminClientSecret = "secret"
)

// AdminAccess is the one Remote Control API access of a handler's
// account (spec §2.1): the account id of the management and token routes,
// and the credentials the token route accepts. Empty fields take their
// defaults: [DefaultAdminAccountID], [DefaultAdminClientID] and
// [DefaultAdminClientSecret].
type AdminAccess struct {
	AccountID   string
	Credentials admin.Credentials
}

func (a AdminAccess) withDefaults() AdminAccess {
	if a.AccountID == "" {
		a.AccountID = DefaultAdminAccountID
	}
	if a.Credentials.ClientID == "" {
		a.Credentials.ClientID = DefaultAdminClientID
	}
	if a.Credentials.ClientSecret == "" {
		a.Credentials.ClientSecret = DefaultAdminClientSecret
	}
	return a
}

// WithAdminAccess sets the account id and the credentials of the
// management API. Default: AdminAccess{} (see its defaults).
func WithAdminAccess(a AdminAccess) HandlerOption {
	return optionFunc(func(c *handlerConfig) { c.access = a })
}

// adminScopes are the scopes of the access (spec §2.5, with the names the
// spec infers for the routes it found none for). They are reported, never
// enforced.
const adminScopes = "campaign.list campaign.create campaign.read campaign.update campaign.toggle campaign.delete " +
	"project.list project.create project.read project.update project.toggle project.delete " +
	"environment.list environment.read environment.panic environment.user.list environment.user.put environment.user.delete " +
	"flag.list flag.create flag.read flag.update flag.delete " +
	"goal.list goal.create goal.read goal.update goal.delete " +
	"targeting_key.list targeting_key.create targeting_key.read targeting_key.update targeting_key.delete"

// adminToken is one access token the token route issued.
type adminToken struct {
	access, refresh string
	scope           string
	expiry          time.Time // zero: never
	revoked         bool      // by SetAdminAccess, RevokeAdminAccess or a refresh grant
}

func (t *adminToken) valid(now time.Time) bool {
	return !t.revoked && (t.expiry.IsZero() || now.Before(t.expiry))
}

// AdminAccess returns the account id and credentials of the management
// API.
func (h *Handler) AdminAccess() AdminAccess {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.adm.access
}

// SetAdminAccess replaces the access of the management API, as creating a
// new access in the platform does: a revoked access works again with the
// credentials of a, and every token issued before is refused. Empty
// fields of a take their defaults.
func (h *Handler) SetAdminAccess(a AdminAccess) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adm.access = a.withDefaults()
	h.adm.revoked = false
	h.revokeTokensLocked()
}

// RevokeAdminAccess revokes the access, as the platform does: from now on
// the token route refuses its credentials (400 invalid_client) and every
// management call is refused with 401, until [Handler.SetAdminAccess].
func (h *Handler) RevokeAdminAccess() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adm.revoked = true
	h.revokeTokensLocked()
}

// ExpireAdminTokens makes every token issued so far expire now: the next
// management call with one of them gets a 401, and the token route issues
// new ones as before. Refresh tokens keep working.
func (h *Handler) ExpireAdminTokens() {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for _, t := range h.adm.tokens {
		if t.expiry.IsZero() || t.expiry.After(now) {
			t.expiry = now
		}
	}
}

func (h *Handler) revokeTokensLocked() {
	for _, t := range h.adm.tokens {
		t.revoked = true
	}
	h.adm.tokens = map[string]*adminToken{}
	h.adm.refresh = map[string]*adminToken{}
}

// tokenError answers an OAuth error (RFC 6749 §5.2) with status 400.
func tokenError(w http.ResponseWriter, code, description string) {
	writeJSON(w, http.StatusBadRequest, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{code, description})
}

// tokenGrant is the body of the token route (spec §2.2, §2.4).
type tokenGrant struct {
	GrantType    string `json:"grant_type"`
	Scope        string `json:"scope"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// serveToken serves POST /{account}/token?expires_in=N (spec §9.2).
func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request, account string, body []byte) {
	var g tokenGrant
	if err := json.Unmarshal(body, &g); err != nil {
		tokenError(w, "invalid_request", "the body must be a JSON object: "+err.Error())
		return
	}
	ttl := int64(0)
	if s := r.URL.Query().Get("expires_in"); s != "" {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 0 {
			tokenError(w, "invalid_request", "expires_in: want a number of seconds, got "+quote(s))
			return
		}
		ttl = n
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	a := &h.adm
	if account != a.access.AccountID {
		tokenError(w, "invalid_client", "unknown account "+quote(account))
		return
	}
	var scope string
	switch g.GrantType {
	case "client_credentials":
		if a.revoked || g.ClientID != a.access.Credentials.ClientID ||
			subtle.ConstantTimeCompare([]byte(g.ClientSecret), []byte(a.access.Credentials.ClientSecret)) != 1 {
			tokenError(w, "invalid_client", "unknown client or wrong secret")
			return
		}
		scope = grantedScope(g.Scope)
	case "refresh_token":
		old, ok := a.refresh[g.RefreshToken]
		if a.revoked || !ok || g.ClientID != a.access.Credentials.ClientID {
			tokenError(w, "invalid_grant", "unknown refresh token")
			return
		}
		delete(a.refresh, g.RefreshToken) // refresh tokens are used once
		old.revoked = true
		scope = old.scope
	default:
		tokenError(w, "unsupported_grant_type", "grant_type must be client_credentials or refresh_token, got "+quote(g.GrantType))
		return
	}
	t := &adminToken{access: rand.Text(), refresh: rand.Text(), scope: scope}
	if ttl > 0 {
		t.expiry = h.now().Add(time.Duration(ttl) * time.Second)
	}
	a.tokens[t.access] = t
	a.refresh[t.refresh] = t
	writeJSON(w, http.StatusOK, struct {
		AccessToken  string `json:"access_token"`
		ExpiresIn    int64  `json:"expires_in"`
		RefreshToken string `json:"refresh_token"`
		Scope        string `json:"scope"`
		TokenType    string `json:"token_type"`
	}{t.access, ttl, t.refresh, t.scope + " env:*", "Bearer"})
}

// grantedScope returns the scopes of the access that requested asks for:
// all of them for "" or "*", else those listed.
func grantedScope(requested string) string {
	if requested == "" || requested == "*" {
		return adminScopes
	}
	var out []string
	for _, s := range strings.Fields(requested) {
		if strings.Contains(" "+adminScopes+" ", " "+s+" ") {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// serveIntrospect serves GET /token?access_token=T (spec §2.3).
func (h *Handler) serveIntrospect(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	t, ok := h.adm.tokens[r.URL.Query().Get("access_token")]
	if !ok || !t.valid(now) {
		tokenError(w, "invalid_token", "unknown, expired or revoked token")
		return
	}
	remaining := int64(0)
	if !t.expiry.IsZero() {
		remaining = int64((t.expiry.Sub(now) + time.Second - 1) / time.Second)
	}
	writeJSON(w, http.StatusOK, struct {
		ClientID  string `json:"client_id"`
		Account   string `json:"account"`
		ExpiresIn int64  `json:"expires_in"`
		Scope     string `json:"scope"`
	}{h.adm.access.Credentials.ClientID, h.adm.access.AccountID, remaining, t.scope + " env:*"})
}

// authorizeLocked checks the bearer token of a management call on
// account (spec §9.2) and returns 0, or the status and message to answer.
// h.mu is held.
func (h *Handler) authorizeLocked(r *http.Request, account string) (int, string) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	switch {
	case auth == "":
		return http.StatusUnauthorized, "missing Authorization header"
	case !strings.EqualFold(scheme, "Bearer") || tok == "":
		return http.StatusUnauthorized, "want an Authorization: Bearer token"
	}
	t, ok := h.adm.tokens[strings.TrimSpace(tok)]
	switch {
	case !ok || h.adm.revoked:
		return http.StatusUnauthorized, "unknown or revoked token"
	case !t.valid(h.now()):
		return http.StatusUnauthorized, "expired token"
	case account != h.adm.access.AccountID:
		return http.StatusForbidden, "the token is not one of account " + quote(account)
	}
	return 0, ""
}

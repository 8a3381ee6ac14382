package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"}

func TestSecretNeverPrints(t *testing.T) {
	creds := admin.Credentials{ClientID: clientID, ClientSecret: secret}
	for _, v := range verbs {
		for _, x := range []any{creds, &creds, creds.ClientSecret, []admin.Credentials{creds}} {
			out := fmt.Sprintf(v, x)
			assert.NotContains(t, out, secret, "%s of %T", v, x)
			assert.NotContains(t, out, fmt.Sprintf("%x", secret), "%s of %T", v, x)
		}
	}
	assert.Equal(t, "REDACTED", creds.ClientSecret.String())
	b, err := json.Marshal(creds)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ClientID":"client-1","ClientSecret":"REDACTED"}`, string(b))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("creds", "creds", creds, "secret", creds.ClientSecret)
	assert.NotContains(t, buf.String(), secret)
}

func TestClientNeverPrintsItsSecrets(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	c := f.client(t)
	_, err := c.GetProject(t.Context(), "p1") // holds a token now
	require.NoError(t, err)
	tok := strings.TrimPrefix(f.requests()[0].Auth, "Bearer ")
	require.NotEmpty(t, tok)
	for _, v := range verbs {
		for _, x := range []any{c} {
			out := fmt.Sprintf(v, x)
			assert.NotContains(t, out, secret, v)
			assert.NotContains(t, out, tok, v)
		}
	}
}

func TestSecretsAreNotInErrorsNorLogs(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	var tokens []string
	var f *fake
	f = newFake(t, failThen(1, status(503), func(w http.ResponseWriter, r *http.Request) {
		// A careless server that echoes the token and the secret.
		tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		tokens = append(tokens, tok)
		f.revoke()
		reply(w, http.StatusUnauthorized, `{"message":"token `+tok+` of client with secret `+secret+` refused"}`)
	}))
	c := f.client(t, admin.WithLogger(logger))
	_, err := c.GetProject(t.Context(), "p1")
	require.ErrorIs(t, err, admin.ErrUnauthorized)
	require.Len(t, tokens, 2, "retried, refreshed, replayed")
	assert.Contains(t, err.Error(), "REDACTED")
	assert.Contains(t, logs.String(), "retrying", "the log has something to check")
	assert.Contains(t, logs.String(), "token obtained")
	for _, s := range append(tokens, secret) {
		assert.NotContains(t, err.Error(), s)
		assert.NotContains(t, fmt.Sprintf("%#v", err), s)
		assert.NotContains(t, logs.String(), s)
	}

	// The token server's refusal echoes the secret too.
	f.set(func(f *fake) { f.refuseTokens = true })
	f.revoke()
	_, err = c.GetProject(t.Context(), "p1")
	require.ErrorIs(t, err, admin.ErrUnauthorized)
	assert.NotContains(t, err.Error(), secret)
	assert.NotContains(t, fmt.Sprintf("%+v", err), secret)
}

// TestSecretOnTheCutIsRedacted: a server message longer than the cap
// with the secret across the cut keeps no part of it: the message is
// redacted before it is cut.
func TestSecretOnTheCutIsRedacted(t *testing.T) {
	long := strings.Repeat("x", 1024-8) + " " + secret + " tail"
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusBadRequest, `{"message":"`+long+`"}`)
	})
	c := f.client(t)
	_, err := c.GetProject(t.Context(), "p1")
	require.ErrorIs(t, err, admin.ErrValidation)
	assert.NotContains(t, err.Error(), secret[:6], "no part of the secret")
}

package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// tokenSource caches the access token of a Client and refreshes it.
type tokenSource struct {
	url      string // the token endpoint, expires_in included
	clientID string
	secret   Secret
	now      func() time.Time

	mu        sync.Mutex
	tok       Secret    // "" when none or invalidated
	refreshAt time.Time // when to refresh tok; zero: never (a token that does not expire)
	flight    *flight   // the refresh in progress, or nil
}

// flight is one token request that concurrent callers share.
type flight struct {
	done chan struct{} // closed when tok and err are set
	tok  Secret
	err  error
}

// refreshFraction of a token's lifetime passes before it is refreshed, so
// that no call is sent with a token about to expire.
const refreshFraction = 0.9

// token returns the cached token, or asks for a new one when there is
// none or it is due for refresh. Concurrent callers share one request:
// the first runs it, in its goroutine and under its ctx, the others wait.
// If the first caller's ctx ends, a waiter whose ctx is still live asks
// again rather than fail with another's error.
func (c *Client) token(ctx context.Context) (Secret, error) {
	a := c.auth
	for {
		a.mu.Lock()
		if a.tok != "" && (a.refreshAt.IsZero() || a.now().Before(a.refreshAt)) {
			tok := a.tok
			a.mu.Unlock()
			return tok, nil
		}
		f := a.flight
		if f == nil {
			f = &flight{done: make(chan struct{})}
			a.flight = f
			a.mu.Unlock()
			tok, ttl, err := c.fetchToken(ctx)
			a.mu.Lock()
			if err == nil {
				a.tok, a.refreshAt = tok, time.Time{}
				if ttl > 0 {
					a.refreshAt = a.now().Add(time.Duration(float64(ttl) * refreshFraction))
				}
			}
			f.tok, f.err = tok, err
			a.flight = nil
			close(f.done)
			a.mu.Unlock()
			return tok, err
		}
		a.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return "", fmt.Errorf("admin: waiting for a token: %w", ctx.Err())
		}
		if f.err == nil {
			return f.tok, nil
		}
		if ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
			continue
		}
		return "", f.err
	}
}

// invalidate forgets tok, refused by the API, so that the next call asks
// for a new token. A token already replaced is left alone, so that
// concurrent refusals of one token cause one refresh.
func (a *tokenSource) invalidate(tok Secret) {
	a.mu.Lock()
	if a.tok == tok {
		a.tok = ""
	}
	a.mu.Unlock()
}

// tokenRequest is the body of a client_credentials grant (spec §2.2).
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	Scope        string `json:"scope"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// tokenResponse is the token endpoint's answer (spec §2.2).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"` // seconds; 0: never expires
	TokenType   string `json:"token_type"`
}

// fetchToken asks the token endpoint for a token with the client's
// credentials, and returns it with its lifetime (0: it never expires).
func (c *Client) fetchToken(ctx context.Context) (Secret, time.Duration, error) {
	a := c.auth
	body, err := json.Marshal(tokenRequest{
		GrantType:    "client_credentials",
		Scope:        "*",
		ClientID:     a.clientID,
		ClientSecret: string(a.secret),
	})
	if err != nil {
		return "", 0, fmt.Errorf("admin: token request: %w", err)
	}
	r := newRequest(http.MethodPost, a.url, body)
	r.tokenCall = true
	resp, err := c.send(ctx, r)
	if err != nil {
		return "", 0, err
	}
	var tr tokenResponse
	if err := decodeJSON(r, resp.body, &tr); err != nil {
		return "", 0, err
	}
	if tr.AccessToken == "" {
		// What Flagship's CLIs take for refused credentials (spec §2.2).
		return "", 0, fmt.Errorf("admin: %s %s: no access token in the answer, the client id or secret is not valid: %w",
			r.method, r.path, ErrUnauthorized)
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "token obtained", slog.Int64("expires_in", tr.ExpiresIn))
	return Secret(tr.AccessToken), time.Duration(max(tr.ExpiresIn, 0)) * time.Second, nil
}

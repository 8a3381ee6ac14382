package admin_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

// clock is a settable clock for token expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestTokenCachedThenRefreshedBeforeExpiry(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	f.set(func(f *fake) { f.expiresIn = 100 })
	clk := newClock()
	c := f.client(t, admin.WithClock(clk.Now))

	_, err := c.GetProject(t.Context(), "p1")
	require.NoError(t, err)
	clk.Add(89 * time.Second) // before 90 % of the lifetime: cached
	_, err = c.GetProject(t.Context(), "p1")
	require.NoError(t, err)
	assert.Equal(t, 1, f.tokens())

	clk.Add(2 * time.Second) // past 90 %: refreshed before the token expires
	_, err = c.GetProject(t.Context(), "p1")
	require.NoError(t, err)
	assert.Equal(t, 2, f.tokens())
	reqs := f.requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, reqs[0].Auth, reqs[1].Auth)
	assert.NotEqual(t, reqs[1].Auth, reqs[2].Auth, "the last call uses the new token")
}

func TestTokenThatNeverExpiresIsKept(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	f.set(func(f *fake) { f.expiresIn = 0 }) // spec §2.2: 0 means never expires
	clk := newClock()
	c := f.client(t, admin.WithClock(clk.Now))
	for range 3 {
		_, err := c.GetProject(t.Context(), "p1")
		require.NoError(t, err)
		clk.Add(1000 * time.Hour)
	}
	assert.Equal(t, 1, f.tokens())
}

func TestExpiredTokenIsRefreshedTransparently(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	c := f.client(t)
	_, err := c.GetProject(t.Context(), "p1")
	require.NoError(t, err)

	f.revoke() // the server expired the token early: the next call gets 401
	p, err := c.GetProject(t.Context(), "p1")
	require.NoError(t, err)
	assert.Equal(t, "one", p.Name)
	assert.Equal(t, 2, f.tokens())
	reqs := f.requests()
	require.Len(t, reqs, 3, "the refused request is sent again once")
	assert.Equal(t, reqs[1].Path, reqs[2].Path)
	assert.NotEqual(t, reqs[1].Auth, reqs[2].Auth)
}

func TestRevokedAccessIsUnauthorizedAfterOneRefresh(t *testing.T) {
	tests := []struct {
		name         string
		refuseTokens bool // the token server refuses the revoked access too
		wantAPICalls int
	}{
		{name: "token server refuses", refuseTokens: true, wantAPICalls: 2},
		{name: "API refuses the new token", refuseTokens: false, wantAPICalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var revoked atomic.Bool
			var f *fake
			f = newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if revoked.Load() {
					f.revoke()
					reply(w, http.StatusUnauthorized, `{"message":"access revoked"}`)
					return
				}
				reply(w, http.StatusOK, `{"id":"p1","name":"one"}`)
			})
			c := f.client(t)
			_, err := c.GetProject(t.Context(), "p1")
			require.NoError(t, err)

			revoked.Store(true)
			f.revoke()
			f.set(func(f *fake) { f.refuseTokens = tt.refuseTokens })
			_, err = c.GetProject(t.Context(), "p1")
			require.Error(t, err)
			assert.ErrorIs(t, err, admin.ErrUnauthorized)
			assert.NotErrorIs(t, err, admin.ErrValidation)
			assert.Equal(t, 2, f.tokens(), "exactly one refresh")
			assert.Len(t, f.requests(), tt.wantAPICalls)
		})
	}
}

func TestBadCredentialsAreUnauthorized(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c, err := admin.New(account, admin.Credentials{ClientID: clientID, ClientSecret: "wrong"},
		admin.WithBaseURL(f.srv.URL+"/v1"), admin.WithAuthURL(f.srv.URL+"/auth"))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.GetProject(t.Context(), "p1")
	assert.ErrorIs(t, err, admin.ErrUnauthorized)
	assert.Equal(t, 1, f.tokens(), "a refused token request is not retried")
	assert.Empty(t, f.requests())
}

func TestEmptyAccessTokenIsUnauthorized(t *testing.T) {
	srv := newRawServer(t, func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, `{"access_token":"","expires_in":3600}`)
	})
	c := rawClient(t, srv)
	_, err := c.GetProject(t.Context(), "p1")
	assert.ErrorIs(t, err, admin.ErrUnauthorized)
}

func TestConcurrentCallsShareOneTokenRequest(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	f.set(func(f *fake) { f.tokenDelay = 50 * time.Millisecond })
	c := f.client(t)
	callAll := func() {
		var wg sync.WaitGroup
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.GetProject(t.Context(), "p1")
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
	}
	callAll()
	assert.Equal(t, 1, f.tokens(), "first token")

	f.revoke() // every call gets 401 with the same token: one refresh
	callAll()
	assert.Equal(t, 2, f.tokens(), "one refresh for all")
}

func TestTokenWaiterAsksAgainWhenTheFirstCallerGivesUp(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	f.set(func(f *fake) { f.tokenDelay = 200 * time.Millisecond })
	c := f.client(t)

	first, cancel := context.WithCancel(t.Context())
	errFirst := make(chan error, 1)
	go func() {
		_, err := c.GetProject(first, "p1")
		errFirst <- err
	}()
	time.Sleep(50 * time.Millisecond) // the first call is asking for the token
	errSecond := make(chan error, 1)
	go func() {
		_, err := c.GetProject(t.Context(), "p1")
		errSecond <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	assert.True(t, errors.Is(<-errFirst, context.Canceled))
	assert.NoError(t, <-errSecond, "the second call got a token of its own")
}

// TestTokenRequestIsRetried: a token request creates nothing, so a 503
// of the token server is retried as an idempotent request is.
func TestTokenRequestIsRetried(t *testing.T) {
	f := newFake(t, ok(`{"id":"p1","name":"one"}`))
	f.set(func(f *fake) { f.failTokens = 2 })
	c := f.client(t)
	p, err := c.GetProject(t.Context(), "p1")
	require.NoError(t, err)
	assert.Equal(t, "one", p.Name)
	assert.Equal(t, 3, f.tokens(), "two 503s, then the token")
}

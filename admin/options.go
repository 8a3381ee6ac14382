package admin

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults of [New].
const (
	DefaultBaseURL       = "https://api.flagship.io/v1" // the management API, version prefix included
	DefaultAuthURL       = "https://auth.flagship.io"   // the token server
	DefaultTokenLifetime = 12 * time.Hour               // asked for each token, as Flagship's CLIs do
	DefaultTimeout       = 30 * time.Second             // of each HTTP request of the client New makes
	// MaxResponseSize bounds what is read of a response body; a larger
	// one fails the call (it is never truncated).
	MaxResponseSize = 8 << 20
)

// Defaults of [RetryPolicy].
const (
	DefaultMaxAttempts    = 5
	DefaultMaxRetryWait   = 60 * time.Second
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
)

// An Option configures a [Client] in [New].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	baseURL       string
	authURL       string
	hc            *http.Client
	log           *slog.Logger
	retry         RetryPolicy
	userAgent     string
	now           func() time.Time
	tokenLifetime time.Duration
}

// WithBaseURL sets the management API's base URL, version prefix
// included: [DefaultBaseURL] by default, "https://staging-api.flagship.io/v1"
// for staging, or a local server's (flagshiptest) URL.
func WithBaseURL(u string) Option { return optionFunc(func(c *config) { c.baseURL = u }) }

// WithAuthURL sets the token server's URL: [DefaultAuthURL] by default,
// "https://staging-auth.flagship.io" for staging. Tokens are asked for
// at {AuthURL}/{accountID}/token.
func WithAuthURL(u string) Option { return optionFunc(func(c *config) { c.authURL = u }) }

// WithHTTPClient makes the client send its requests with h, which it
// neither modifies nor closes. By default New makes a client of its own,
// with a [DefaultTimeout] per request, that refuses redirects to another
// origin; [Client.Close] closes its connections.
func WithHTTPClient(h *http.Client) Option { return optionFunc(func(c *config) { c.hc = h }) }

// WithLogger sets the logger of retries and token refreshes (at Debug
// level). nil, the default, means slog.Default(). Neither secrets nor
// tokens are ever logged.
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.log = l }) }

// WithRetry sets how failed requests are retried (see the package
// documentation).
func WithRetry(p RetryPolicy) Option { return optionFunc(func(c *config) { c.retry = p }) }

// WithUserAgent sets the User-Agent header, "flagship-go-admin/<version>"
// by default.
func WithUserAgent(ua string) Option { return optionFunc(func(c *config) { c.userAgent = ua }) }

// WithClock sets the clock that dates tokens, time.Now by default.
func WithClock(now func() time.Time) Option { return optionFunc(func(c *config) { c.now = now }) }

// WithTokenLifetime sets the lifetime asked for each token,
// [DefaultTokenLifetime] by default. It must be at least a second: the
// client never asks for a token that does not expire.
func WithTokenLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) { c.tokenLifetime = d })
}

// RetryPolicy bounds the retries of a call. The zero value is valid: each
// zero field means its default.
type RetryPolicy struct {
	// MaxAttempts is the number of requests sent for one call, the first
	// included: DefaultMaxAttempts when 0; 1 disables retries.
	MaxAttempts int
	// MaxRetryWait is the longest Retry-After the client waits out: a
	// longer one ends the call with the error at once. DefaultMaxRetryWait
	// when 0.
	MaxRetryWait time.Duration
	// InitialBackoff and MaxBackoff bound the exponential backoff (factor
	// 2, ±50 % jitter) used when the server gives no Retry-After:
	// DefaultInitialBackoff and DefaultMaxBackoff when 0.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

func (p RetryPolicy) maxAttempts() int {
	if p.MaxAttempts > 0 {
		return p.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (p RetryPolicy) maxRetryWait() time.Duration {
	if p.MaxRetryWait > 0 {
		return p.MaxRetryWait
	}
	return DefaultMaxRetryWait
}

func (p RetryPolicy) initialBackoff() time.Duration {
	if p.InitialBackoff > 0 {
		return p.InitialBackoff
	}
	return DefaultInitialBackoff
}

func (p RetryPolicy) maxBackoff() time.Duration {
	if p.MaxBackoff > 0 {
		return p.MaxBackoff
	}
	return DefaultMaxBackoff
}

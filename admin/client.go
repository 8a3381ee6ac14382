package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/version"
)

// Client calls the Remote Control API of one account. Build it with
// [New]; the zero Client is not usable. A Client is safe for concurrent
// use; its calls share one token.
type Client struct {
	account string
	base    string // API base URL, no trailing slash
	hc      httpx.Client
	auth    *tokenSource // a pointer, so that printing the Client shows no secret
	log     *slog.Logger
	retry   RetryPolicy
	ua      string
	closed  atomic.Bool
}

// New returns a client of the account accountID that authenticates with
// creds. It sends nothing: the first call asks for a token. It fails with
// an error wrapping [ErrInvalidConfig] when an argument or option is
// invalid (an empty id or secret, a URL that is not absolute http(s)).
func New(accountID string, creds Credentials, opts ...Option) (*Client, error) {
	cfg := config{
		baseURL:       DefaultBaseURL,
		authURL:       DefaultAuthURL,
		userAgent:     "flagship-go-admin/" + version.SDK,
		now:           time.Now,
		tokenLifetime: DefaultTokenLifetime,
	}
	for _, o := range opts {
		o.apply(&cfg)
	}
	var errs []error
	if accountID == "" {
		errs = append(errs, errors.New("empty account id"))
	}
	if creds.ClientID == "" {
		errs = append(errs, errors.New("empty client id"))
	}
	if creds.ClientSecret == "" {
		errs = append(errs, errors.New("empty client secret"))
	}
	base, err := checkURL("base URL", cfg.baseURL)
	errs = append(errs, err)
	authURL, err := checkURL("auth URL", cfg.authURL)
	errs = append(errs, err)
	if cfg.tokenLifetime < time.Second {
		errs = append(errs, fmt.Errorf("token lifetime %s: want at least 1s", cfg.tokenLifetime))
	}
	if cfg.now == nil {
		errs = append(errs, errors.New("nil clock"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	log := cfg.log
	if log == nil {
		log = slog.Default()
	}
	c := &Client{
		account: accountID,
		base:    base,
		hc:      httpx.ClientFor(cfg.hc, DefaultTimeout),
		log:     log.With("component", "admin"),
		retry:   cfg.retry,
		ua:      cfg.userAgent,
	}
	c.auth = &tokenSource{
		url: authURL + "/" + url.PathEscape(accountID) + "/token?expires_in=" +
			fmt.Sprint(int64(cfg.tokenLifetime/time.Second)),
		clientID: creds.ClientID,
		secret:   creds.ClientSecret,
		now:      cfg.now,
	}
	return c, nil
}

// checkURL returns u without its trailing slashes, or an error if it is
// not an absolute http(s) URL.
func checkURL(what, u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", fmt.Errorf("%s %q: want an absolute http or https URL", what, u)
	}
	if p.RawQuery != "" || p.Fragment != "" {
		return "", fmt.Errorf("%s %q: want no query nor fragment", what, u)
	}
	return strings.TrimRight(u, "/"), nil
}

// Format prints the client's account and base URL, whatever the verb:
// never its credentials nor its token (fmt would print the fields behind
// its pointers for a verb that does not fit them).
func (c *Client) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "admin.Client{account: %q, base: %q}", c.account, c.base)
}

// AccountID returns the account the client manages.
func (c *Client) AccountID() string { return c.account }

// Close closes the idle connections of the HTTP client [New] made (a
// client given with [WithHTTPClient] is left alone). Later calls fail with
// [ErrClosed]; calls in flight finish. Close never blocks and is safe to
// call more than once.
func (c *Client) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.hc.CloseIdle()
	}
	return nil
}

// accountPath returns the escaped path of an account-level resource:
// /accounts/{a}/seg[0]/seg[1]….
func (c *Client) accountPath(segs ...string) string {
	var b strings.Builder
	b.WriteString("/accounts/")
	b.WriteString(url.PathEscape(c.account))
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// envPath returns the escaped path of a resource of environment envID.
func (c *Client) envPath(envID string, segs ...string) string {
	return c.accountPath(append([]string{"account_environments", envID}, segs...)...)
}

// needID reports an empty id argument, which would change the route.
func needID(what, id string) error {
	if id == "" {
		return &FieldError{Path: what, Problem: "required"}
	}
	return nil
}

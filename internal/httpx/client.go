package httpx

import (
	"net"
	"net/http"
	"time"
)

// Transport settings of [NewTransport]. They are those of
// http.DefaultTransport, but for MaxIdleConnsPerHost: the SDK talks to a
// few hosts (Decision API, CDN, collectors), from every request handler of
// the application in DECISION_API mode, so it keeps more idle connections
// per host than the default 2.
const (
	dialTimeout           = 30 * time.Second
	keepAlive             = 30 * time.Second
	maxIdleConns          = 100
	maxIdleConnsPerHost   = 32
	idleConnTimeout       = 90 * time.Second
	tlsHandshakeTimeout   = 10 * time.Second
	expectContinueTimeout = 1 * time.Second
)

// NewTransport returns a new transport for the SDK to own: the settings
// of http.DefaultTransport (proxy from the environment, HTTP/2 attempted,
// dial, TLS and idle timeouts), 32 idle connections kept per host. It is
// built afresh, not cloned from http.DefaultTransport, so that nothing the
// application did to the default transport changes it.
func NewTransport() *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ExpectContinueTimeout: expectContinueTimeout,
	}
}

// NewClient returns an *http.Client on a transport of its own
// ([NewTransport]) that follows redirects by [CheckRedirect]. timeout is
// its Timeout; 0 means none, for a client whose users bound each request
// by its context. Whoever calls NewClient owns the client and closes its
// idle connections when done with it.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{Transport: NewTransport(), CheckRedirect: CheckRedirect, Timeout: timeout}
}

// Client is the *http.Client a component sends its requests with, and
// whether the component made it. The zero Client is not usable; build one
// with [ClientFor]. A Client is safe for concurrent use.
type Client struct {
	h     *http.Client
	owned bool
}

// ClientFor returns h as a Client the component does not own, used as
// is, or for a nil h a new client ([NewClient] with timeout) that the
// component owns.
func ClientFor(h *http.Client, timeout time.Duration) Client {
	if h != nil {
		return Client{h: h}
	}
	return Client{h: NewClient(timeout), owned: true}
}

// Do sends req, as [http.Client.Do].
func (c Client) Do(req *http.Request) (*http.Response, error) { return c.h.Do(req) }

// HTTP returns the *http.Client, to hand it to another component that
// will use it without owning it.
func (c Client) HTTP() *http.Client { return c.h }

// Owned reports whether the component made the client.
func (c Client) Owned() bool { return c.owned }

// CloseIdle closes the idle connections of a client the component made,
// and those that become idle afterwards until the next request; it does
// nothing to a caller's client. The client stays usable: a later request
// opens a new connection. It is safe to call more than once.
func (c Client) CloseIdle() {
	if c.owned {
		c.h.CloseIdleConnections()
	}
}

package httpx

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// MaxRedirects is the number of redirects followed before a request
// fails, as in net/http.
const MaxRedirects = 10

// ErrCrossOriginRedirect is wrapped by the error of a request that was
// redirected to another origin (scheme, host or port) and refused.
var ErrCrossOriginRedirect = errors.New("redirect to another origin refused")

// CheckRedirect is the redirect rule of the clients the SDK makes, for
// http.Client.CheckRedirect: a redirect to another origin fails with an
// error wrapping [ErrCrossOriginRedirect]; one that would turn a request
// with a body into a GET without it (301, 302 or 303 to a POST) is not
// followed and its 3xx answer is returned; any other is followed, up to
// [MaxRedirects].
func CheckRedirect(req *http.Request, via []*http.Request) error {
	if err := checkOrigin(req, via); err != nil {
		return err
	}
	if len(via) >= MaxRedirects {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	if req.Method != via[len(via)-1].Method {
		return http.ErrUseLastResponse
	}
	return nil
}

// GuardRedirects returns a shallow copy of a caller's client h whose
// CheckRedirect refuses a redirect to another origin as [CheckRedirect]
// does, and otherwise asks h.CheckRedirect (or, if nil, follows up to
// [MaxRedirects], as net/http does). h itself is not modified. It returns
// nil for nil.
func GuardRedirects(h *http.Client) *http.Client {
	if h == nil {
		return nil
	}
	cp := *h
	next := h.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := checkOrigin(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= MaxRedirects {
			return fmt.Errorf("stopped after %d redirects", len(via))
		}
		return nil
	}
	return &cp
}

// checkOrigin refuses req unless it has the origin of the first request.
func checkOrigin(req *http.Request, via []*http.Request) error {
	if to, from := origin(req.URL), origin(via[0].URL); to != from {
		return fmt.Errorf("%w: %s is not %s", ErrCrossOriginRedirect, to, from)
	}
	return nil
}

// origin returns u's scheme, host and port, lower-cased, with the
// scheme's default port when u has none. It never includes user
// information, path or query.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "http":
			port = "80"
		case "https":
			port = "443"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

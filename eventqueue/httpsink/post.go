package httpsink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// maxReason bounds what is read of a non-2xx answer, kept as
// StatusError.Body; the rest is drained by httpx.DrainClose.
const maxReason = 1 << 10

// post sends sc.body to ep and classifies the outcome.
func (s *Sink) post(ctx context.Context, sc *scratch, ep endpoint) error {
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	// The transport may still be reading the body after Do returns, when
	// the server answers before reading it all: sc.body is reused only if
	// the transport reported that it wrote the request. The body stays a
	// *bytes.Reader so that the transport sends headers and a small body
	// in one packet.
	var wrote atomic.Bool
	rctx = httptrace.WithClientTrace(rctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url(ep), bytes.NewReader(sc.body))
	if err != nil { // unreachable: New checked the URLs
		return fmt.Errorf("httpsink: %s: %w", ep, err)
	}
	req.GetBody = nil // the body is written once: no replay, no redirect re-sending it
	req.Header = s.header(ep)
	sc.refused = sc.refused[:0]
	resp, err := s.client.Do(req)
	switch {
	case err == nil:
		sc.refused, err = s.check(ep, resp, sc.refused)
	case errors.Is(err, httpx.ErrCrossOriginRedirect):
		// A refusal of the destination, as every redirect is: see the
		// package documentation.
		err = eventqueue.Systemic(fmt.Errorf("httpsink: %s: %w", ep, err))
	default:
		err = fmt.Errorf("httpsink: %s: %w", ep, err)
	}
	if !wrote.Load() {
		sc.body = nil // maybe still the transport's: leave it to the garbage collector
	}
	if err != nil && ctx.Err() != nil {
		// The caller gave up: say so rather than how the request failed.
		return fmt.Errorf("httpsink: %s: %w", ep, ctx.Err())
	}
	return err
}

// check reads, drains and closes resp, and returns nil for a 2xx status,
// else the error Send returns. For a 207 it appends to refused the items
// the answer refuses (see multiStatus).
func (s *Sink) check(ep endpoint, resp *http.Response, refused []itemRefusal) ([]itemRefusal, error) {
	if r := resp.Request; r != nil && r.Method != http.MethodPost {
		// A caller's client followed a 301, 302 or 303 with a GET and no
		// body: whatever the answer, nothing was delivered.
		httpx.DrainClose(resp.Body)
		return refused, eventqueue.Systemic(fmt.Errorf("httpsink: %s: redirect followed as a %s request, nothing delivered", ep, r.Method))
	}
	code := resp.StatusCode
	if code == http.StatusMultiStatus {
		refused = s.readMultiStatus(resp, refused)
		httpx.DrainClose(resp.Body)
		return refused, nil
	}
	if code >= 200 && code <= 299 {
		httpx.DrainClose(resp.Body)
		return refused, nil
	}
	return refused, s.statusError(ep, resp)
}

// statusError reads, drains and closes resp, a non-2xx answer, and
// returns the error Send returns for it.
func (s *Sink) statusError(ep endpoint, resp *http.Response) error {
	code := resp.StatusCode
	// Read past maxReason by the key's length, so that a key echoed
	// across the cut is whole when reason redacts it.
	buf := make([]byte, maxReason+s.keyLen())
	n, _ := io.ReadFull(resp.Body, buf)
	httpx.DrainClose(resp.Body)
	err := error(&StatusError{Endpoint: ep.String(), StatusCode: code, Body: s.reason(buf[:n])})
	switch {
	case systemicStatus(code):
		err = eventqueue.Systemic(err)
	case code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500:
		return eventqueue.Permanent(err)
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), s.now()); ok && d > 0 {
		return eventqueue.RetryAfter(err, d)
	}
	return err
}

// systemicStatus reports whether an answer with status code refuses the
// request whatever its records: a redirect (nothing was delivered where
// it points), a key refused (401, 403; 407 from a proxy), a wrong URL
// (404, 405).
func systemicStatus(code int) bool {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusProxyAuthRequired,
		http.StatusNotFound, http.StatusMethodNotAllowed:
		return true
	}
	return code >= 300 && code <= 399
}

// keyLen is the length of the API key, 0 without one.
func (s *Sink) keyLen() int {
	if s.key == nil {
		return 0
	}
	return len(*s.key)
}

// reason turns the start of a server's answer (a body, or an item's
// reason in a 207) into the reason an error and a dead letter carry: one
// line, without the API key (a server may echo it: it must reach no
// error, log or dead letter), at most maxReason bytes. The key is
// redacted before the cut, so that a key across it leaves nothing.
func (s *Sink) reason(b []byte) string {
	r := cleanReason(b)
	if s.key != nil {
		r = httpx.RedactToken(r, string(*s.key))
	}
	if len(r) > maxReason {
		r = cleanReason([]byte(r[:maxReason])) // drops a rune the cut split
	}
	return r
}

// cleanReason turns the start of an answer's body into a one-line
// message: control characters become spaces, invalid UTF-8 (such as a
// rune cut at the end) goes, and surrounding space is trimmed.
func cleanReason(b []byte) string {
	s := strings.ToValidUTF8(string(b), "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// parseRetryAfter parses a Retry-After header value, delay-seconds or an
// HTTP-date, into a delay from now; a date in the past gives 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseInt(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			return math.MaxInt64, true
		case err != nil:
			return 0, false
		case secs > math.MaxInt64/int64(time.Second):
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

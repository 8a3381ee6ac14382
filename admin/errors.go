package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sentinels for errors.Is. An [*APIError] matches the sentinel of its
// status; a [*FieldError] matches [ErrValidation].
var (
	// ErrNotFound: the resource or one of its parents does not exist (404).
	ErrNotFound = errors.New("admin: not found")
	// ErrUnauthorized: the credentials were refused, or the access was
	// revoked (401 after one token refresh, or a refused token request).
	ErrUnauthorized = errors.New("admin: unauthorized")
	// ErrForbidden: the access lacks the scope or the environment (403).
	ErrForbidden = errors.New("admin: forbidden")
	// ErrRateLimited: the server asked to slow down (429), and the retries
	// or the context ran out before it answered.
	ErrRateLimited = errors.New("admin: rate limited")
	// ErrValidation: the request was refused before sending it (a
	// [*FieldError]) or by the server (400).
	ErrValidation = errors.New("admin: validation failed")
	// ErrInvalidConfig: [New] was given bad arguments.
	ErrInvalidConfig = errors.New("admin: invalid config")
	// ErrClosed: the [Client] was closed.
	ErrClosed = errors.New("admin: client closed")
)

// maxMessage caps the server's message kept in an [APIError].
const maxMessage = 1024

// APIError reports a non-2xx answer of the API. It matches, for
// errors.Is, the sentinel of its status (see [ErrNotFound] and the
// others). It never holds the token or the secret.
type APIError struct {
	StatusCode int
	Method     string
	Path       string // the URL path, without the query
	// Message is the server's message: the "message" field of a JSON
	// body, or the body's text, capped at 1 KiB.
	Message string
	// RetryAfter is the wait the server asked for with Retry-After (429,
	// 503), or 0.
	RetryAfter time.Duration

	auth bool // an answer of the token endpoint
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("admin: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return msg
}

// Is reports whether target is the sentinel of e's status.
// An answer of the token endpoint that refuses the credentials (400, 401,
// 403) matches [ErrUnauthorized].
func (e *APIError) Is(target error) bool {
	if e.auth {
		switch e.StatusCode {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
			return target == ErrUnauthorized
		}
	}
	switch e.StatusCode {
	case http.StatusNotFound:
		return target == ErrNotFound
	case http.StatusUnauthorized:
		return target == ErrUnauthorized
	case http.StatusForbidden:
		return target == ErrForbidden
	case http.StatusTooManyRequests:
		return target == ErrRateLimited
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return target == ErrValidation
	}
	return false
}

// FieldError reports a value refused before it was sent. Path names the
// field as in the JSON document, e.g.
// "variation_groups[0].variations[1].allocation". It matches
// [ErrValidation].
type FieldError struct {
	Path    string
	Problem string
}

func (e *FieldError) Error() string { return "admin: invalid " + e.Path + ": " + e.Problem }

// Is reports whether target is [ErrValidation].
func (e *FieldError) Is(target error) bool { return target == ErrValidation }

// fieldErrors collects the problems of one value.
type fieldErrors []error

func (fe *fieldErrors) add(path, format string, args ...any) {
	*fe = append(*fe, &FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error { return errors.Join(fe...) }

// truncate caps s at n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !isRuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

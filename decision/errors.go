package decision

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors returned by this package. Test for them with [errors.Is];
// the returned errors wrap them with more context.
var (
	// ErrInvalidOptions reports a bad argument to [NewAPIClient]: an empty
	// environment id or API key, a malformed BaseURL, a negative limit.
	ErrInvalidOptions = errors.New("decision: invalid options")
	// ErrInvalidRequest reports a [Request] that cannot be sent: an empty
	// VisitorID, or a Context value that cannot be encoded as JSON. No
	// network call is made.
	ErrInvalidRequest = errors.New("decision: invalid request")
	// ErrUnauthorized matches an [*APIError] with status 401 or 403: the
	// environment id or API key was refused.
	ErrUnauthorized = errors.New("decision: unauthorized")
	// ErrForbidden matches an [*APIError] with status 403 only, to tell it
	// apart from a 401.
	ErrForbidden = errors.New("decision: forbidden")
	// ErrResponseTooLarge reports a response body larger than
	// APIOptions.MaxResponseBytes. The body is never silently truncated.
	ErrResponseTooLarge = errors.New("decision: response too large")
	// ErrBadResponse reports a 2xx response whose body is not a valid
	// campaigns document.
	ErrBadResponse = errors.New("decision: bad response")
)

// APIError reports a non-2xx answer from the Decision API.
//
// errors.Is(err, [ErrUnauthorized]) is true for status 401 and 403, and
// errors.Is(err, [ErrForbidden]) for 403 only.
type APIError struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Message is the "message" field of a JSON error body, truncated to
	// about 200 bytes and with the API key redacted; empty when the body
	// had none.
	Message string
}

// Error returns "decision: status <code> <text>" followed by the message,
// if any.
func (e *APIError) Error() string {
	s := fmt.Sprintf("decision: status %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		s += " " + t
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is reports whether target is [ErrUnauthorized] (status 401 or 403) or
// [ErrForbidden] (status 403).
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrForbidden:
		return e.StatusCode == http.StatusForbidden
	}
	return false
}

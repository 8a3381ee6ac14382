package bucketing

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

var (
	// ErrInvalidFile is wrapped by every [*ParseError]: the bucketing file
	// is malformed and was not loaded.
	ErrInvalidFile = errors.New("bucketing: invalid file")
	// ErrNoConfig is returned by decisions before any configuration was
	// loaded.
	ErrNoConfig = errors.New("bucketing: no bucketing configuration loaded")
	// ErrEmptyVisitorID is returned for a request without a visitor id.
	ErrEmptyVisitorID = errors.New("bucketing: empty visitor id")
	// ErrHistory wraps failures of the assignment store
	// ([Options].Assignments). A decision whose assignments cannot be read
	// returns no campaigns, as Flagship does.
	ErrHistory = errors.New("bucketing: assignment history")
	// ErrInvalidOptions is wrapped by [NewPoller] when its options are
	// unusable.
	ErrInvalidOptions = errors.New("bucketing: invalid options")
	// ErrFetch is matched by a [*FetchError] whose failure is the answer's
	// status: the bucketing file's server answered with a status other
	// than 2xx or 304.
	ErrFetch = errors.New("bucketing: fetch failed")
	// ErrUnauthorized is matched by a [*FetchError] with status 401 or 403:
	// the server refused the credentials in [PollerOptions].Header.
	ErrUnauthorized = errors.New("bucketing: unauthorized")
	// ErrCache wraps failures to read, decode or write the on-disk copy of
	// the bucketing file ([PollerOptions].CachePath).
	ErrCache = errors.New("bucketing: cache")
)

// FetchError reports a failed request for the bucketing file, naming
// the URL and the environment so that an operator can act on it:
//
//	bucketing: fetch https://cdn.flagship.io/ENV/bucketing.json (env ENV): status 404 Not Found
//	bucketing: fetch https://cdn.flagship.io/ENV/bucketing.json (env ENV): dial tcp: lookup cdn.flagship.io: no such host
//
// It never holds a request header (such as the API key), nor the URL's
// user information, query or fragment. errors.Is(err, ErrFetch) holds
// when the failure is an answer other than 2xx or 304, and
// errors.Is(err, ErrUnauthorized) for statuses 401 and 403; Unwrap
// returns Err, so a timeout matches context.DeadlineExceeded and an
// invalid or oversized body [ErrInvalidFile].
type FetchError struct {
	// URL is the bucketing file's URL without user information, query or
	// fragment ("" if unknown).
	URL string
	// EnvID is the environment id ([PollerOptions].EnvID), "" if unknown.
	EnvID string
	// StatusCode is the status of the server's answer, 0 if none came.
	StatusCode int
	// Err is the cause when the status is not the failure: the transport
	// error (DNS, connection refused, timeout, refused redirect), a body
	// that could not be read or is not a valid bucketing file, or the
	// caller's ctx ending. It is nil when the status is the failure.
	Err error
}

// Error returns "bucketing: fetch URL (env ENV): " followed by the cause,
// or by "status N Text" when the status is the failure.
func (e *FetchError) Error() string {
	var b strings.Builder
	b.WriteString("bucketing: fetch")
	if e.URL != "" {
		b.WriteString(" " + e.URL)
	}
	if e.EnvID != "" {
		b.WriteString(" (env " + e.EnvID + ")")
	}
	b.WriteString(": ")
	switch {
	case e.Err != nil:
		cause := e.Err
		// net/http's *url.Error repeats the method and URL: keep its cause.
		if ue, ok := cause.(*url.Error); ok && ue.Err != nil {
			cause = ue.Err
		}
		// The cause may be this package's own error (an invalid file):
		// name the package once.
		b.WriteString(strings.TrimPrefix(cause.Error(), "bucketing: "))
	default:
		b.WriteString("status " + strconv.Itoa(e.StatusCode))
		if text := http.StatusText(e.StatusCode); text != "" {
			b.WriteString(" " + text)
		}
	}
	return b.String()
}

// Unwrap returns Err.
func (e *FetchError) Unwrap() error { return e.Err }

// Is reports whether target is [ErrFetch] and the status is the failure
// (an answer other than 2xx or 304), or [ErrUnauthorized] and the status
// is 401 or 403.
func (e *FetchError) Is(target error) bool {
	switch target {
	case ErrFetch:
		return e.Err == nil && e.StatusCode != 0
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	}
	return false
}

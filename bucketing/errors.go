package bucketing

import (
	"errors"
	"fmt"
	"net/http"
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
	// ErrInvalidConfig is wrapped by [NewPoller] when its options are
	// unusable.
	ErrInvalidConfig = errors.New("bucketing: invalid config")
	// ErrFetch is matched by every [*FetchError]: the bucketing file's
	// server answered with a status other than 2xx or 304.
	ErrFetch = errors.New("bucketing: fetch failed")
	// ErrUnauthorized is matched by a [*FetchError] with status 401 or 403:
	// the server refused the credentials in [PollerOptions].Header.
	ErrUnauthorized = errors.New("bucketing: unauthorized")
	// ErrCache wraps failures to read, decode or write the on-disk copy of
	// the bucketing file ([PollerOptions].CachePath).
	ErrCache = errors.New("bucketing: cache")
)

// FetchError reports an answer other than 2xx or 304 to the request for
// the bucketing file. errors.Is(err, ErrFetch) holds for every FetchError,
// and errors.Is(err, ErrUnauthorized) for statuses 401 and 403.
type FetchError struct {
	StatusCode int
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("bucketing: fetch: status %d", e.StatusCode)
}

// Is reports whether target is [ErrFetch], or [ErrUnauthorized] for
// statuses 401 and 403.
func (e *FetchError) Is(target error) bool {
	switch target {
	case ErrFetch:
		return true
	case ErrUnauthorized:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	}
	return false
}

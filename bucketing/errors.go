package bucketing

import "errors"

var (
	// ErrInvalidFile is wrapped by every [*ParseError]: the bucketing file
	// is malformed and was not loaded.
	ErrInvalidFile = errors.New("bucketing: invalid file")
	// ErrNoConfig is returned by decisions before any configuration was
	// loaded.
	ErrNoConfig = errors.New("bucketing: no bucketing configuration loaded")
	// ErrEmptyVisitorID is returned for a request without a visitor id.
	ErrEmptyVisitorID = errors.New("bucketing: empty visitor id")
	// ErrHistory wraps failures of the assignment [History]. A decision
	// whose history cannot be read returns no campaigns, as Flagship does.
	ErrHistory = errors.New("bucketing: assignment history")
)

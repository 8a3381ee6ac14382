package hits

import "errors"

// Sentinel errors returned by this package. Test for them with [errors.Is];
// the returned errors wrap them with more context.
var (
	// ErrInvalidHit reports a hit that breaks a validation rule (see the
	// package documentation). Hits are validated by [Hit.Validate] and
	// [NewRecord]; the error is a [*ValidationError] naming the field,
	// except for a nil hit.
	ErrInvalidHit = errors.New("hits: invalid hit")
	// ErrInvalidRecord reports a [Record] that cannot be stamped or sent:
	// an empty environment or visitor id, a zero ID, an unknown Kind, a
	// Type that does not match the Kind, Fields that are not a JSON object,
	// or records that do not belong in the batch being encoded. The message
	// names the offending field.
	ErrInvalidRecord = errors.New("hits: invalid record")
)

// ValidationError reports the first rule a hit breaks. It wraps
// [ErrInvalidHit].
type ValidationError struct {
	// Type is the type of the invalid hit.
	Type Type
	// Field is the wire name of the offending field, e.g. "dl".
	Field string
	// Name is the Go name of the offending field, e.g. "URL".
	Name string
	// Rule is the broken rule, e.g. "must be an absolute URL".
	Rule string
}

// Error returns "hits: invalid <type>: <name> (<field>) <rule>", for
// example "hits: invalid PAGEVIEW: URL (dl) must be an absolute URL".
func (e *ValidationError) Error() string {
	return "hits: invalid " + string(e.Type) + ": " + e.Name + " (" + e.Field + ") " + e.Rule
}

// Unwrap returns [ErrInvalidHit].
func (e *ValidationError) Unwrap() error { return ErrInvalidHit }

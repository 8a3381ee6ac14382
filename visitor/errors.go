package visitor

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Sentinel errors returned by this package. Test for them with [errors.Is];
// returned errors wrap them with more context.
var (
	// ErrEmptyID reports an empty visitor id (New, Authenticate).
	ErrEmptyID = errors.New("visitor: empty visitor id")
	// ErrInvalidID reports a visitor id or anonymous id (New,
	// WithAnonymousID, Authenticate) that is not valid UTF-8 or is longer
	// than [MaxIDBytes]; the message names which id.
	ErrInvalidID = errors.New("visitor: invalid visitor id")
	// ErrInvalidAttribute reports a context key or value the SDK refuses;
	// the error is an [*AttributeError] naming the key.
	ErrInvalidAttribute = errors.New("visitor: invalid context attribute")
	// ErrInvalidOptions reports a [Config] that cannot work, such as a nil
	// Decider.
	ErrInvalidOptions = errors.New("visitor: invalid options")
	// ErrNotAuthenticated is returned by Unauthenticate on a visitor that
	// is not authenticated.
	ErrNotAuthenticated = errors.New("visitor: not authenticated")
	// ErrNoConsent reports that nothing was queued because the visitor has
	// not consented to data collection (spec §9.4).
	ErrNoConsent = errors.New("visitor: no consent")
	// ErrPanicMode reports that nothing was queued because the environment
	// is in panic mode (spec §9.3).
	ErrPanicMode = errors.New("visitor: panic mode")
	// ErrNoTracker reports a hit or activation that could not be queued
	// because the visitor's Config has no Tracker.
	ErrNoTracker = errors.New("visitor: no tracker")
)

// AttributeError reports a context attribute that was refused. It wraps
// [ErrInvalidAttribute].
type AttributeError struct {
	// Key is the attribute's key.
	Key string
	// Reason says what is wrong, e.g. "unsupported type []string".
	Reason string
}

// Error returns "visitor: context key "k": reason". A key longer than
// 64 bytes is cut there, with "..." appended.
func (e *AttributeError) Error() string {
	key := e.Key
	if len(key) > maxKeyInError {
		return fmt.Sprintf("visitor: context key %q...: %s", key[:maxKeyInError], e.Reason)
	}
	return fmt.Sprintf("visitor: context key %q: %s", key, e.Reason)
}

// maxKeyInError is how much of a key an AttributeError's message quotes.
const maxKeyInError = 64

// Unwrap returns [ErrInvalidAttribute].
func (e *AttributeError) Unwrap() error { return ErrInvalidAttribute }

// joinSorted joins attribute errors in key order, so that messages are
// deterministic although maps are not.
func joinSorted(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	slices.SortFunc(errs, func(a, b error) int {
		var ea, eb *AttributeError
		errors.As(a, &ea)
		errors.As(b, &eb)
		return strings.Compare(ea.Key, eb.Key)
	})
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

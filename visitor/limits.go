package visitor

import (
	"fmt"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/hits"
)

// Limits on what a visitor takes, checked by the call that sets it ([New],
// [Visitor.Authenticate], [Visitor.SetContext], [Visitor.UpdateContext]),
// so that nothing that could never be delivered is accepted. Lengths are
// in bytes. Flagship's protocol documents none of them; they are far
// above what its users send, and what its hits allow (2,048 bytes for the
// longest hit field, a page URL).
const (
	// MaxIDBytes bounds a visitor id and an anonymous id: the bound of
	// the hits' vid, cuid and aid ([hits.MaxVisitorIDBytes]).
	MaxIDBytes = hits.MaxVisitorIDBytes
	// MaxContextKeyBytes bounds a context key.
	MaxContextKeyBytes = 256
	// MaxContextValueBytes bounds a context string value: room for a URL
	// or a user agent.
	MaxContextValueBytes = 4096
	// MaxContextInteger is the largest magnitude of an integer context
	// value, 2^53: every integer up to it is exact as a JSON number (a
	// float64), which is how the Decision API, targeting and the context
	// hit read it. Larger integers would be rounded: send them as strings.
	MaxContextInteger = 1 << 53
)

// checkID returns an error wrapping ErrInvalidID if id is not valid UTF-8
// or longer than MaxIDBytes; what names the id ("visitor id", ...).
func checkID(what, id string) error {
	if len(id) > MaxIDBytes {
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalidID, what, len(id), MaxIDBytes)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrInvalidID, what, id)
	}
	return nil
}

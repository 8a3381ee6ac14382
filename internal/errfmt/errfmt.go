// Package errfmt formats the SDK's errors so that a message names each
// package once, whatever it wraps: "visitor: new: empty visitor id", not
// "visitor: new: visitor: empty visitor id" (one prefix per layer; see
// STYLE.md rule 11).
package errfmt

import (
	"fmt"
	"slices"
	"strings"
)

// Errorf is [fmt.Errorf] for a message that starts with a package prefix,
// "name: " (lower-case ASCII letters, a colon and a space). The prefix is
// the format's own leading text or, when the format starts with a verb,
// the start of the message of its first operand, an error. Every other
// error operand whose message starts with the same prefix is printed
// without it:
//
//	errfmt.Errorf("visitor: new: %w", ErrEmptyID)        // visitor: new: empty visitor id
//	errfmt.Errorf("%w: load: %w", ErrCache, parseErr)   // bucketing: cache: load: invalid file: ...
//
// Wrapping is fmt.Errorf's: errors.Is and errors.As find every %w operand
// and everything it wraps. Without a prefix, Errorf is fmt.Errorf.
func Errorf(format string, args ...any) error {
	prefix, skip := prefixOf(format), -1
	if prefix == "" && len(args) > 0 && startsWithVerb(format) {
		if e, ok := args[0].(error); ok && e != nil {
			prefix, skip = prefixOf(e.Error()), 0
		}
	}
	if prefix == "" {
		return fmt.Errorf(format, args...)
	}
	var out []any // a copy of args, made at the first change
	for i, a := range args {
		e, ok := a.(error)
		if !ok || e == nil || i == skip {
			continue
		}
		msg := e.Error()
		if !strings.HasPrefix(msg, prefix) {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = &trimmed{err: e, msg: msg[len(prefix):]}
	}
	if out == nil {
		return fmt.Errorf(format, args...)
	}
	return fmt.Errorf(format, out...)
}

// prefixOf returns the package prefix s starts with ("visitor: "), or "".
func prefixOf(s string) string {
	i := 0
	for i < len(s) && 'a' <= s[i] && s[i] <= 'z' {
		i++
	}
	if i == 0 || !strings.HasPrefix(s[i:], ": ") {
		return ""
	}
	return s[:i+2]
}

// startsWithVerb reports whether format starts with an operand's verb
// (%w, %v or %s).
func startsWithVerb(format string) bool {
	return strings.HasPrefix(format, "%w") || strings.HasPrefix(format, "%v") || strings.HasPrefix(format, "%s")
}

// trimmed prints err's message without its package prefix and wraps err.
type trimmed struct {
	err error
	msg string
}

func (t *trimmed) Error() string { return t.msg }
func (t *trimmed) Unwrap() error { return t.err }

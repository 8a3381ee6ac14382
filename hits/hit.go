package hits

import (
	"math"
	"net/netip"
	"strconv"
	"unicode/utf8"
)

// Type is a hit's wire type, sent as the "t" member of an events-endpoint
// item.
type Type string

// Hit types. [TypeActivation] is never sent as "t": activations go to the
// activation endpoint (see [AppendActivationBatch]).
const (
	TypePage        Type = "PAGEVIEW"
	TypeScreen      Type = "SCREENVIEW"
	TypeTransaction Type = "TRANSACTION"
	TypeItem        Type = "ITEM"
	TypeEvent       Type = "EVENT"
	TypeSegment     Type = "SEGMENT"
	TypeActivation  Type = "ACTIVATION"
)

// Hit is a hit the SDK can track. It is implemented by [Page], [Screen],
// [Transaction], [Item] and [Event], which users send, and by [Segment],
// [Activation] and [Consent], which the SDK emits itself. The interface is
// sealed: only this package's types implement it.
//
// Hit values are plain data: they are safe for concurrent use as long as
// nobody modifies them (or, for [Segment], its Context map).
type Hit interface {
	// HitType returns the hit's wire type.
	HitType() Type
	// Validate returns nil if the hit may be sent, or a
	// [*ValidationError] wrapping [ErrInvalidHit] naming the first
	// offending field.
	Validate() error
	// appendFields appends the hit's own wire members, each preceded by
	// a comma, in the hit's documented order.
	appendFields(b []byte) []byte
}

// Common holds the optional fields every user hit ([Page], [Screen],
// [Transaction], [Item], [Event]) may carry. Its zero value sets none of
// them; unset fields are not sent.
type Common struct {
	// UserIP ("uip") is the visitor's IPv4 or IPv6 address, without zone.
	UserIP string
	// ScreenResolution ("sr") is "<width>x<height>", both positive
	// integers; see [Resolution].
	ScreenResolution string
	// Language ("ul") is the user language or locale, e.g. "fr-fr", at
	// most 20 bytes.
	Language string
	// SessionNumber ("sn") is the visitor's session number, >= 0; 0 is
	// not sent.
	SessionNumber int
	// SessionTimestamp ("cst") is the start of the current session in
	// Unix seconds, >= 0; 0 is not sent.
	SessionTimestamp int64
}

// Resolution returns the ScreenResolution form of width and height, e.g.
// Resolution(640, 480) = "640x480". Like the Python SDK's with_resolution,
// it returns "" (no resolution is sent) unless both are positive.
func Resolution(width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	b := make([]byte, 0, 16)
	b = strconv.AppendInt(b, int64(width), 10)
	b = append(b, 'x')
	b = strconv.AppendInt(b, int64(height), 10)
	return string(b)
}

func (c *Common) check(v *checker) {
	if c.UserIP != "" {
		if a, err := netip.ParseAddr(c.UserIP); err != nil || a.Zone() != "" {
			v.fail("uip", "UserIP", "must be an IPv4 or IPv6 address")
		}
	}
	if c.ScreenResolution != "" && !validResolution(c.ScreenResolution) {
		v.fail("sr", "ScreenResolution", `must be "<width>x<height>" with positive integers`)
	}
	v.optional("ul", "Language", c.Language, 20)
	v.nonNegative("sn", "SessionNumber", int64(c.SessionNumber))
	v.nonNegative("cst", "SessionTimestamp", c.SessionTimestamp)
}

func (c *Common) appendFields(b []byte) []byte {
	b = appendOptString(b, "uip", c.UserIP)
	b = appendOptString(b, "sr", c.ScreenResolution)
	b = appendOptString(b, "ul", c.Language)
	b = appendOptInt(b, "sn", int64(c.SessionNumber))
	b = appendOptInt(b, "cst", c.SessionTimestamp)
	return b
}

// validResolution reports whether s is "<w>x<h>" with w and h positive
// decimal integers.
func validResolution(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 'x' {
			return positiveInt(s[:i]) && positiveInt(s[i+1:])
		}
	}
	return false
}

func positiveInt(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

// checker records the first rule a hit of type t breaks.
type checker struct {
	t   Type
	err *ValidationError
}

func (v *checker) fail(field, name, rule string) {
	if v.err == nil {
		v.err = &ValidationError{Type: v.t, Field: field, Name: name, Rule: rule}
	}
}

// result returns the first failure, or a nil error (never a typed nil).
func (v *checker) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// required checks a mandatory string of at most max bytes.
func (v *checker) required(field, name, s string, max int) {
	if s == "" {
		v.fail(field, name, "is required")
		return
	}
	v.optional(field, name, s, max)
}

// optional checks an optional string: valid UTF-8, at most max bytes
// (max <= 0 means no limit).
func (v *checker) optional(field, name, s string, max int) {
	if !utf8.ValidString(s) {
		v.fail(field, name, "must be valid UTF-8")
		return
	}
	if max > 0 && len(s) > max {
		v.fail(field, name, "must be at most "+strconv.Itoa(max)+" bytes")
	}
}

func (v *checker) nonNegative(field, name string, n int64) {
	if n < 0 {
		v.fail(field, name, "must not be negative")
	}
}

func (v *checker) finite(field, name string, f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.fail(field, name, "must be a finite number")
	}
}

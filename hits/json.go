package hits

import (
	"math"
	"strconv"

	"github.com/seed27eed597/flagship-go/internal/jsonenc"
)

// This file holds the JSON primitives the encoders share. They produce
// exactly what encoding/json produces for the same Go values, with HTML
// escaping off (json.Encoder.SetEscapeHTML(false)): '<', '>' and '&' are
// written as they are, U+2028 and U+2029 are escaped, and invalid UTF-8
// becomes U+FFFD (validation rejects it before that can matter).

// appendString appends s as a JSON string.
func appendString[S ~[]byte | ~string](b []byte, s S) []byte { return jsonenc.AppendString(b, s) }

// appendFloat appends a finite f as encoding/json does: like %g, but with
// the exponent form only below 1e-6 or from 1e21 on, e.g. 12.5, 1e+21.
func appendFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9.
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendKey appends `,"name":`. Names are ASCII wire names that need no
// escaping.
func appendKey(b []byte, name string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// appendStringMember appends `,"name":"s"`.
func appendStringMember(b []byte, name, s string) []byte {
	return appendString(appendKey(b, name), s)
}

// appendOptString appends `,"name":"s"` unless s is empty.
func appendOptString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendStringMember(b, name, s)
}

// appendOptInt appends `,"name":n` unless n is 0.
func appendOptInt(b []byte, name string, n int64) []byte {
	if n == 0 {
		return b
	}
	return strconv.AppendInt(appendKey(b, name), n, 10)
}

// appendOptFloat appends `,"name":f` unless f is 0.
func appendOptFloat(b []byte, name string, f float64) []byte {
	if f == 0 {
		return b
	}
	return appendFloat(appendKey(b, name), f)
}

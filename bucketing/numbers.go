package bucketing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/seed27eed597/flagship-go/internal/jsontree"
)

// Numbers follow protobuf JSON's rules, which decide whether Flagship
// accepts a file.

// parseInt32 accepts what protobuf JSON accepts for int32: an integral
// JSON number (50, 50.0, 5e1) or a string holding one.
func parseInt32(n *jsontree.Node) (int32, error) {
	raw := n.Str
	switch n.Kind {
	case jsontree.Number:
	case jsontree.String:
		if strings.TrimSpace(raw) != raw {
			return 0, errors.New("not an integer")
		}
		tok, err := jsontree.Parse([]byte(raw), 1)
		if err != nil || tok.Kind != jsontree.Number {
			return 0, errors.New("not an integer")
		}
		raw = tok.Str
	default:
		return 0, fmt.Errorf("expected an integer, got %s", n.Kind)
	}
	s, ok := integralString(raw)
	if !ok {
		return 0, errors.New("not an integer")
	}
	v, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, errors.New("integer out of int32 range")
	}
	return int32(v), nil
}

// integralString normalizes a JSON number to its integer digits if it is
// integral, like protobuf's JSON decoder: fraction digits must be absorbed by
// a positive exponent, trailing zeros of the fraction do not count, and a
// negative exponent may only shift out zeros.
func integralString(num string) (string, bool) {
	neg := false
	s := num
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	var intp, frac, exp string
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intp, s = s[:i], s[i:]
	if intp == "0" {
		intp = ""
	}
	if strings.HasPrefix(s, ".") {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac, s = strings.TrimRight(s[1:j], "0"), s[j:]
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		exp = s[1:]
	}
	if intp == "" && frac == "" {
		return "0", true
	}
	e := 0
	if exp != "" {
		v, err := strconv.ParseInt(exp, 10, 32)
		if err != nil {
			return "", false
		}
		e = int(v)
	}
	var digits string
	if e >= 0 {
		if len(frac) > e || len(intp)+e > 20 {
			return "", false
		}
		digits = intp + frac + strings.Repeat("0", e-len(frac))
	} else {
		if len(frac) > 0 {
			return "", false
		}
		idx := len(intp) + e
		if idx < 0 {
			return "", false
		}
		if strings.Trim(intp[idx:], "0") != "" {
			return "", false
		}
		digits = intp[:idx]
	}
	if digits == "" {
		digits = "0"
	}
	if neg {
		return "-" + digits, true
	}
	return digits, true
}

// parseDouble accepts what protobuf JSON accepts for double: a JSON number
// or a string holding one, "NaN", "Infinity" or "-Infinity".
func parseDouble(n *jsontree.Node) (float64, error) {
	switch n.Kind {
	case jsontree.Number:
		return n.Float()
	case jsontree.String:
		switch n.Str {
		case "NaN", "Infinity", "-Infinity":
			return strconv.ParseFloat(n.Str, 64)
		}
		if strings.TrimSpace(n.Str) != n.Str {
			return 0, errors.New("not a number")
		}
		tok, err := jsontree.Parse([]byte(n.Str), 1)
		if err != nil || tok.Kind != jsontree.Number {
			return 0, errors.New("not a number")
		}
		return tok.Float()
	default:
		return 0, fmt.Errorf("expected a number, got %s", n.Kind)
	}
}

package bucketing

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/internal/semver"
)

// evalErr is why a comparison raised an error; an error disqualifies the
// whole variation group (Flagship's no-short-circuit rule).
type evalErr uint8

const (
	errNone evalErr = iota
	errKindMismatch
	errListKindMismatch
	errOperator
)

var evalErrText = [...]string{
	errNone:             "",
	errKindMismatch:     "targeting and context value kinds differ",
	errListKindMismatch: "context list elements and targeting value kinds differ",
	errOperator:         "operator not valid for this kind",
}

func (e evalErr) String() string { return evalErrText[e] }

// errorOf returns the error compare(op, t, c) raises, without comparing:
// errors depend only on the operator and the kinds involved. This lets a
// decision check every rule for errors (Flagship evaluates every rule and
// any error rejects the variation group) and then evaluate the booleans
// with short circuits.
func errorOf(op Operator, t *cval, c *cval) evalErr {
	if c != nil && c.kind == kindList {
		if len(c.list) > 0 && c.list[0].kind != t.kind {
			return errListKindMismatch
		}
		return errNone
	}
	if op == OperatorExists || op == OperatorNotExists {
		return errNone
	}
	if c == nil || t.kind != kindList && t.kind != c.kind {
		return errKindMismatch
	}
	switch t.kind {
	case kindString:
		if op < OperatorLowerThan || op > OperatorSemverLowerThanOrEquals || op == OperatorExists || op == OperatorNotExists {
			return errOperator
		}
	case kindNumber:
		switch op {
		case OperatorLowerThan, OperatorGreaterThan, OperatorLowerThanOrEquals, OperatorGreaterThanOrEquals, OperatorEquals, OperatorNotEquals:
		default:
			return errOperator
		}
	case kindBool:
		if op != OperatorEquals && op != OperatorNotEquals {
			return errOperator
		}
	}
	return errNone
}

func isAND(op Operator) bool { return op == OperatorNotContains || op == OperatorNotEquals }
func isOR(op Operator) bool  { return op == OperatorContains || op == OperatorEquals }

// compare mirrors flagship-common's targetingMatchOperator exactly. c is nil
// when the context has no value for the key (only reached for EXISTS and
// NOT_EXISTS). arena holds lazily lower-cased context strings.
func (s *scratch) compare(op Operator, t *cval, c *cval) (bool, evalErr) {
	// 1. A context list is handled first, whatever the targeting value.
	if c != nil && c.kind == kindList {
		if len(c.list) > 0 && c.list[0].kind != t.kind {
			return false, errListKindMismatch
		}
		and, or := isAND(op), isOR(op)
		if !and && !or {
			// Every element leaves the result false and an element error
			// also yields false: the answer is false either way.
			return false, errNone
		}
		match := and
		for i := range c.list {
			sub, err := s.compare(op, t, &c.list[i])
			if err != errNone {
				return false, errNone
			}
			if and {
				match = match && sub
			} else {
				match = match || sub
			}
		}
		return match, errNone
	}
	// 2. EXISTS / NOT_EXISTS read the targeting value as a bool.
	if op == OperatorExists || op == OperatorNotExists {
		want := t.kind == kindBool && t.b
		present := c != nil
		if op == OperatorExists {
			return present && want || !present && !want, errNone
		}
		return !present && want || present && !want, errNone
	}
	if c == nil {
		return false, errKindMismatch
	}
	// 3-4. Kinds must agree, except against a targeting list.
	if t.kind != kindList && t.kind != c.kind {
		return false, errKindMismatch
	}
	switch t.kind {
	case kindString:
		return s.compareString(op, t, c)
	case kindNumber:
		return compareNumber(op, t.n, c.n)
	case kindBool:
		switch op {
		case OperatorEquals:
			return c.b == t.b, errNone
		case OperatorNotEquals:
			return c.b != t.b, errNone
		}
		return false, errOperator
	case kindList:
		and, or := isAND(op), isOR(op)
		if !and && !or {
			return false, errNone
		}
		// Element errors count as non-matches and never escape, so the
		// result is settled by the first decisive element.
		for i := range t.list {
			sub, err := s.compare(op, &t.list[i], c)
			ok := err == errNone && sub
			if and && !ok {
				return false, errNone
			}
			if or && ok {
				return true, errNone
			}
		}
		return and, errNone
	}
	// null and object targets: same kind, never a match.
	return false, errNone
}

func compareNumber(op Operator, t, c float64) (bool, evalErr) {
	switch op {
	case OperatorLowerThan:
		return c < t, errNone
	case OperatorGreaterThan:
		return c > t, errNone
	case OperatorLowerThanOrEquals:
		return c <= t, errNone
	case OperatorGreaterThanOrEquals:
		return c >= t, errNone
	case OperatorEquals:
		return c == t, errNone
	case OperatorNotEquals:
		return c != t, errNone
	}
	return false, errOperator
}

func (s *scratch) compareString(op Operator, t, c *cval) (bool, evalErr) {
	switch op {
	case OperatorEquals:
		return strings.EqualFold(c.s, t.s), errNone
	case OperatorNotEquals:
		return !strings.EqualFold(c.s, t.s), errNone
	case OperatorLowerThan, OperatorGreaterThan, OperatorLowerThanOrEquals, OperatorGreaterThanOrEquals,
		OperatorStartsWith, OperatorEndsWith, OperatorContains, OperatorNotContains:
		if isLowerASCII(c.s) {
			// Already lower case: compare the string itself.
			return stringOp(op, c.s, t.x.lowerS), errNone
		}
		cx := s.ext(c)
		if !cx.lowered {
			start := len(s.arena)
			s.arena = appendLower(s.arena, c.s)
			cx.lower, cx.lowered = s.arena[start:len(s.arena):len(s.arena)], true
		}
		cl, tl := cx.lower, t.x.lower
		switch op {
		case OperatorLowerThan:
			return bytes.Compare(cl, tl) < 0, errNone
		case OperatorGreaterThan:
			return bytes.Compare(cl, tl) > 0, errNone
		case OperatorLowerThanOrEquals:
			return bytes.Compare(cl, tl) <= 0, errNone
		case OperatorGreaterThanOrEquals:
			return bytes.Compare(cl, tl) >= 0, errNone
		case OperatorStartsWith:
			return bytes.HasPrefix(cl, tl), errNone
		case OperatorEndsWith:
			return bytes.HasSuffix(cl, tl), errNone
		case OperatorContains:
			return bytes.Contains(cl, tl), errNone
		default: // OperatorNotContains
			return !bytes.Contains(cl, tl), errNone
		}
	case OperatorSemverEquals, OperatorSemverNotEquals, OperatorSemverGreaterThan,
		OperatorSemverLowerThan, OperatorSemverGreaterThanOrEquals, OperatorSemverLowerThanOrEquals:
		cx := s.ext(c)
		if !cx.parsed {
			cx.sv, cx.parsed = semver.Parse(c.s), true
		}
		if !cx.sv.Valid() || !t.x.sv.Valid() {
			return false, errNone
		}
		cmp := semver.Compare(cx.sv, t.x.sv)
		switch op {
		case OperatorSemverEquals:
			return cmp == 0, errNone
		case OperatorSemverNotEquals:
			return cmp != 0, errNone
		case OperatorSemverGreaterThan:
			return cmp > 0, errNone
		case OperatorSemverLowerThan:
			return cmp < 0, errNone
		case OperatorSemverGreaterThanOrEquals:
			return cmp >= 0, errNone
		default:
			return cmp <= 0, errNone
		}
	}
	return false, errOperator
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// stringOp applies a lower-case string operator to lower-cased operands.
func stringOp(op Operator, c, t string) bool {
	switch op {
	case OperatorLowerThan:
		return c < t
	case OperatorGreaterThan:
		return c > t
	case OperatorLowerThanOrEquals:
		return c <= t
	case OperatorGreaterThanOrEquals:
		return c >= t
	case OperatorStartsWith:
		return strings.HasPrefix(c, t)
	case OperatorEndsWith:
		return strings.HasSuffix(c, t)
	case OperatorContains:
		return strings.Contains(c, t)
	default: // OperatorNotContains
		return !strings.Contains(c, t)
	}
}

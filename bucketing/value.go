package bucketing

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/internal/semver"
)

// vkind is the JSON kind of a compiled value. kindNone is an absent
// targeting value (it equals no other kind).
type vkind uint8

const (
	kindNone vkind = iota
	kindNull
	kindBool
	kindNumber
	kindString
	kindList
	kindObject
)

var vkindNames = [...]string{"absent", "null", "bool", "number", "string", "list", "object"}

func (k vkind) String() string { return vkindNames[k] }

// cval is a compiled JSON value. Targeting values are compiled once with
// their lower-cased and semver forms; context values are converted per
// decision into pooled scratch space and get those forms lazily.
type cval struct {
	kind vkind
	b    bool
	n    float64
	s    string
	list []cval
	// x holds the derived forms of a string: precomputed for targeting
	// values, attached on first use for context values. Keeping them out of
	// line keeps cval small, which matters on the decision path.
	x *cext
}

// cext holds the derived forms of a string value.
type cext struct {
	lower  []byte // strings.ToLower(s), valid when lowered
	lowerS string // the same as a string (targeting values only)
	sv     semver.Version
	// lowered and parsed tell that lower and sv are computed.
	lowered, parsed bool
}

// appendLower appends strings.ToLower(s) to dst without allocating a string.
func appendLower(dst []byte, s string) []byte {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	// strings.ToLower maps every rune (invalid bytes become U+FFFD).
	for _, r := range s {
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

// compileTarget converts a targeting value of a [Rule] (nil, bool,
// numbers, string, slices, maps) to its compiled form.
func compileTarget(v any, noValue bool) (cval, error) {
	if noValue {
		return cval{kind: kindNone}, nil
	}
	c, ok := convert(v, true)
	if !ok {
		return cval{}, fmt.Errorf("unsupported value type %T", v)
	}
	precompute(&c)
	return c, nil
}

func precompute(c *cval) {
	switch c.kind {
	case kindString:
		l := strings.ToLower(c.s)
		c.x = &cext{lower: []byte(l), lowerS: l, sv: semver.Parse(c.s), lowered: true, parsed: true}
	case kindList:
		for i := range c.list {
			precompute(&c.list[i])
		}
	}
}

// convert turns a Go value into a cval, allocating list storage. strict
// reports unsupported types as !ok; otherwise they become objects.
func convert(v any, strict bool) (cval, bool) {
	switch x := v.(type) {
	case nil:
		return cval{kind: kindNull}, true
	case string:
		return cval{kind: kindString, s: x}, true
	case bool:
		return cval{kind: kindBool, b: x}, true
	case float64:
		return cval{kind: kindNumber, n: x}, true
	case []any:
		l := make([]cval, len(x))
		for i := range x {
			var ok bool
			if l[i], ok = convert(x[i], strict); !ok {
				return cval{}, false
			}
		}
		return cval{kind: kindList, list: l}, true
	case map[string]any:
		return cval{kind: kindObject}, true
	}
	if n, ok := number(v); ok {
		return cval{kind: kindNumber, n: n}, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		l := make([]cval, rv.Len())
		for i := range l {
			var ok bool
			if l[i], ok = convert(rv.Index(i).Interface(), strict); !ok {
				return cval{}, false
			}
		}
		return cval{kind: kindList, list: l}, true
	case reflect.Map, reflect.Struct:
		return cval{kind: kindObject}, !strict || rv.Kind() == reflect.Map
	case reflect.String:
		return cval{kind: kindString, s: rv.String()}, true
	case reflect.Bool:
		return cval{kind: kindBool, b: rv.Bool()}, true
	}
	return cval{kind: kindObject}, !strict
}

// number converts Go numeric types to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return math.NaN(), false
}

// convertCtxInto converts a context value in place.
func (s *scratch) convertCtxInto(c *cval, v any) {
	switch x := v.(type) {
	case string:
		c.kind, c.s, c.list, c.x = kindString, x, nil, nil
	case float64:
		c.kind, c.n, c.list, c.x = kindNumber, x, nil, nil
	case bool:
		c.kind, c.b, c.list, c.x = kindBool, x, nil, nil
	default:
		*c = s.convertCtx(v)
	}
}

// convertCtx converts a context value into s's pooled storage.
func (s *scratch) convertCtx(v any) cval {
	switch x := v.(type) {
	case string:
		return cval{kind: kindString, s: x}
	case bool:
		return cval{kind: kindBool, b: x}
	case float64:
		return cval{kind: kindNumber, n: x}
	case nil:
		return cval{kind: kindNull}
	case []any:
		start := len(s.elems)
		s.elems = append(s.elems, make([]cval, len(x))...)
		l := s.elems[start:len(s.elems):len(s.elems)]
		for i := range x {
			l[i] = s.convertCtx(x[i])
		}
		return cval{kind: kindList, list: l}
	case []string:
		start := len(s.elems)
		for i := range x {
			s.elems = append(s.elems, cval{kind: kindString, s: x[i]})
		}
		return cval{kind: kindList, list: s.elems[start:len(s.elems):len(s.elems)]}
	}
	c, _ := convert(v, false)
	return c
}

// A signature summarizes what decides whether a comparison with a context
// value raises an error: its kind and, for a non-empty list, the kind of its
// first element. 0 means absent.
const (
	sigAbsent     = 0
	sigEmptyList  = 1 + uint8(kindObject)             // after the scalar kinds
	sigListOf     = sigEmptyList + 1                  // + kind of the first element
	numSignatures = sigListOf + uint8(kindObject) + 1 // 15
)

func signature(c *cval) uint8 {
	if c.kind != kindList {
		return uint8(c.kind) // kindNull..kindObject: 1..6 (kindNone never occurs)
	}
	if len(c.list) == 0 {
		return sigEmptyList
	}
	return sigListOf + uint8(c.list[0].kind)
}

// sampleOf returns a context value with the given signature.
func sampleOf(sig uint8) cval {
	switch {
	case sig < sigEmptyList:
		return cval{kind: vkind(sig)}
	case sig == sigEmptyList:
		return cval{kind: kindList, list: []cval{}}
	default:
		return cval{kind: kindList, list: []cval{{kind: vkind(sig - sigListOf)}}}
	}
}

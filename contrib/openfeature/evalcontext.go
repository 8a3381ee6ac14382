package fsopenfeature

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/visitor"
)

// maxSortedOnStack is how many attribute keys contextKey sorts without
// allocating.
const maxSortedOnStack = 32

// targetingKey returns the targeting key of flat, or a resolution error:
// TARGETING_KEY_MISSING when it is absent or empty, INVALID_CONTEXT when
// it is not a string.
func targetingKey(flat openfeature.FlattenedContext) (string, *openfeature.ResolutionError) {
	raw, ok := flat[openfeature.TargetingKey]
	if !ok {
		e := openfeature.NewTargetingKeyMissingResolutionError("the evaluation context has no targeting key (the Flagship visitor id)")
		return "", &e
	}
	id, ok := raw.(string)
	if !ok {
		e := openfeature.NewInvalidContextResolutionError(fmt.Sprintf("targeting key is a %T, not a string", raw))
		return "", &e
	}
	if id == "" {
		e := openfeature.NewTargetingKeyMissingResolutionError("the evaluation context's targeting key is empty")
		return "", &e
	}
	return id, nil
}

// appendContextKey appends to b the canonical encoding of (id, flat's
// attributes): the same bytes for the same visitor id and the same
// visitor context, whatever the attributes' order, and different bytes
// for contexts a visitor tells apart (the string "1" and the number 1,
// the number 1 and true). Numbers are encoded by value, so that int 1 and
// float64 1 (the same context value once stored) share an entry, but
// integers are written exactly, so that one a float64 would round is
// never confused with its rounded neighbour. ok is false when a value
// has a type the encoding does not know: the context is then not cached,
// and making the visitor reports the problem.
func appendContextKey(b []byte, id string, flat openfeature.FlattenedContext) (_ []byte, ok bool) {
	b = appendString(b, id)
	var stack [maxSortedOnStack]string
	keys := stack[:0]
	for k := range flat {
		if k != openfeature.TargetingKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = appendString(b, k)
		if b, ok = appendValue(b, flat[k]); !ok {
			return b, false
		}
	}
	return b, true
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendValue appends a type tag and v's value: 's' strings (time.Time as
// its context string), 'b' booleans, 'i' integers (integral floats
// included), 'u' unsigned integers beyond int64, 'f' other floats, 'j'
// json.Number.
func appendValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		return appendString(append(b, 's'), x), true
	case bool:
		if x {
			return append(b, 'b', 1), true
		}
		return append(b, 'b', 0), true
	case float64:
		return appendFloat(b, x), true
	case int:
		return strconv.AppendInt(append(b, 'i'), int64(x), 10), true
	case int64:
		return strconv.AppendInt(append(b, 'i'), x, 10), true
	case time.Time:
		return appendString(append(b, 's'), timeString(x)), true
	case json.Number:
		return appendString(append(b, 'j'), string(x)), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return appendString(append(b, 's'), rv.String()), true
	case reflect.Bool:
		return appendValue(b, rv.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(append(b, 'i'), rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return strconv.AppendInt(append(b, 'i'), int64(u), 10), true
		}
		return strconv.AppendUint(append(b, 'u'), rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return appendFloat(b, rv.Float()), true
	}
	return b, false
}

// appendFloat writes an integral float as the integer it is, so that
// 1.0 and 1 share an entry (a visitor stores both as float64 1).
func appendFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) <= visitor.MaxContextInteger {
		return strconv.AppendInt(append(b, 'i'), int64(f), 10)
	}
	return strconv.AppendFloat(append(b, 'f'), f, 'g', -1, 64)
}

// attributes returns flat's attributes as a visitor context: every
// attribute but the targeting key, time.Time values as RFC 3339 strings
// (see timeString). Other values are left to [visitor.Attributes]'
// rules.
func attributes(flat openfeature.FlattenedContext) visitor.Attributes {
	attrs := make(visitor.Attributes, len(flat))
	for k, v := range flat {
		if k == openfeature.TargetingKey {
			continue
		}
		if t, ok := v.(time.Time); ok {
			v = timeString(t)
		}
		attrs[k] = v
	}
	return attrs
}

// timeString is the context value of a time: RFC 3339 in UTC to the
// second ("2024-05-01T12:00:00Z"), whose string order is time order, so
// that targeting's string comparisons (lower than, greater than) compare
// times.
func timeString(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

package hits

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Segment is the SEGMENT hit the SDK sends in bucketing mode to report a
// visitor's context. Users do not send it themselves.
//
// Wire members: s, an object mapping each context key (in sorted order)
// to its value's string form: strings as they are, true to "true", 31 to
// "31", 1.5 to "1.5" (the shortest decimal form, never an exponent).
type Segment struct {
	// Context is the visitor context. It must not be empty, and its values
	// must be strings, bools, or Go integer or float types (finite).
	Context map[string]any
}

// HitType returns [TypeSegment].
func (Segment) HitType() Type { return TypeSegment }

// Validate reports the first rule s breaks, as a [*ValidationError].
// Keys are checked in sorted order.
func (s Segment) Validate() error {
	v := checker{t: TypeSegment}
	if len(s.Context) == 0 {
		v.fail("s", "Context", "must not be empty")
		return v.result()
	}
	// The failure of the smallest key is reported, so that the error does
	// not depend on the map's order; keys are not sorted otherwise.
	bad, rule := "", ""
	for k, x := range s.Context {
		if rule != "" && k >= bad {
			continue
		}
		if !utf8.ValidString(k) {
			bad, rule = k, fmt.Sprintf("key %q must be valid UTF-8", k)
		} else if r := checkContextValue(x); r != "" {
			bad, rule = k, fmt.Sprintf("value of %q %s", k, r)
		}
	}
	if rule != "" {
		v.fail("s", "Context", rule)
	}
	return v.result()
}

func checkContextValue(x any) string {
	switch x := x.(type) {
	case string:
		if !utf8.ValidString(x) {
			return "must be valid UTF-8"
		}
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "must be a finite number"
		}
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return "must be a finite number"
		}
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
	default:
		return fmt.Sprintf("must be a string, bool or number, not %T", x)
	}
	return ""
}

func (s Segment) appendFields(b []byte) []byte {
	b = append(b, `,"s":{`...)
	var scratch [32]byte
	// Sorted for a stable encoding; collected by hand, which costs a
	// quarter of slices.Sorted(maps.Keys(...)) (one allocation, no
	// iterator).
	keys := make([]string, 0, len(s.Context))
	for k := range s.Context {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if str, ok := s.Context[k].(string); ok {
			b = appendString(b, str)
			continue
		}
		b = appendString(b, contextValueString(scratch[:0], s.Context[k]))
	}
	return append(b, '}')
}

// contextValueString appends the string form of a context value (one
// accepted by checkContextValue) to b.
func contextValueString(b []byte, x any) []byte {
	switch x := x.(type) {
	case string:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case float32:
		return strconv.AppendFloat(b, float64(x), 'f', -1, 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	}
	return fmt.Append(b, x) // unreachable for a validated Segment
}

// Activation reports that a visitor was exposed to a variation (spec §3).
// The SDK emits it; [NewRecord] stamps it as a [KindActivation] record,
// which [AppendActivationBatch] sends to the activation endpoint.
//
// Wire members, in order: caid, vaid.
type Activation struct {
	// VariationGroupID ("caid") is the variation group id (not the
	// campaign id). Required.
	VariationGroupID string
	// VariationID ("vaid") is the variation id. Required.
	VariationID string
}

// HitType returns [TypeActivation].
func (Activation) HitType() Type { return TypeActivation }

// Validate reports the first rule a breaks, as a [*ValidationError].
func (a Activation) Validate() error {
	v := checker{t: TypeActivation}
	v.required("caid", "VariationGroupID", a.VariationGroupID, 0)
	v.required("vaid", "VariationID", a.VariationID, 0)
	return v.result()
}

func (a Activation) appendFields(b []byte) []byte {
	b = appendStringMember(b, "caid", a.VariationGroupID)
	return appendStringMember(b, "vaid", a.VariationID)
}

// Consent is the EVENT hit the SDK sends when a visitor is created and on
// every consent change (spec §7.4). [NewRecord] stamps it as a
// [KindConsent] record, which survives the purge of a visitor's pending
// hits when consent is withdrawn. It is always valid.
//
// Wire members, in order: ec ("User Engagement"), ea ("fs_consent"), el
// ("go:true" or "go:false").
type Consent struct {
	// Consented is the visitor's new consent.
	Consented bool
}

// HitType returns [TypeEvent].
func (Consent) HitType() Type { return TypeEvent }

// Validate returns nil: every Consent is valid.
func (Consent) Validate() error { return nil }

func (c Consent) appendFields(b []byte) []byte {
	b = append(b, `,"ec":"User Engagement","ea":"fs_consent","el":"go:`...)
	b = strconv.AppendBool(b, c.Consented)
	return append(b, '"')
}

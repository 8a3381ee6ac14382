package visitor

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/seed27eed597/flagship-go/decision"
)

// Reason says why a flag read served what it served.
type Reason uint8

const (
	// ReasonNotSynchronized: the visitor has no modifications yet; the
	// default was served.
	ReasonNotSynchronized Reason = iota
	// ReasonFound: the flag's value was served.
	ReasonFound
	// ReasonNotFound: no campaign of the visitor sets the key; the default
	// was served.
	ReasonNotFound
	// ReasonTypeMismatch: the flag's value has another type than the
	// default; the default was served.
	ReasonTypeMismatch
	// ReasonNullValue: the variation sets the key to null, which means
	// "use the default"; the default was served.
	ReasonNullValue
	// ReasonPanic: the environment is in panic mode; the default was
	// served.
	ReasonPanic
)

var reasonNames = [...]string{
	ReasonNotSynchronized: "not synchronized",
	ReasonFound:           "found",
	ReasonNotFound:        "flag not found",
	ReasonTypeMismatch:    "type mismatch",
	ReasonNullValue:       "null value",
	ReasonPanic:           "panic mode",
}

// String returns the reason in words, e.g. "type mismatch".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "unknown"
}

// Info describes where a flag's value comes from (Flagship's
// get_modification_info), for reporting exposures to a third party.
type Info struct {
	CampaignID         string
	CampaignName       string
	CampaignSlug       string // "" when the campaign has none
	CampaignType       string // "ab", "toggle", "perso", "deployment", ...
	VariationGroupID   string
	VariationGroupName string
	VariationID        string
	VariationName      string
	// Reference reports whether the variation is the campaign's original.
	Reference bool
	// ModificationType is "FLAG", "JSON", ...
	ModificationType string
}

func infoOf(a *decision.Assignment) Info {
	return Info{
		CampaignID:         a.ID,
		CampaignName:       a.Name,
		CampaignSlug:       a.Slug,
		CampaignType:       a.Type,
		VariationGroupID:   a.VariationGroup.ID,
		VariationGroupName: a.VariationGroup.Name,
		VariationID:        a.Variation.ID,
		VariationName:      a.Variation.Name,
		Reference:          a.Variation.Reference,
		ModificationType:   a.Variation.Modifications.Type,
	}
}

// lookup finds key in the last decision; the last campaign setting it
// wins. ok is false when no campaign sets it or flags serve defaults.
func (v *Visitor) lookup(key string) (any, *decision.Assignment, bool) {
	val, a, r := v.find(key)
	return val, a, r == ReasonFound || r == ReasonNullValue
}

func (v *Visitor) find(key string) (any, *decision.Assignment, Reason) {
	s := v.flags.Load()
	if s == nil {
		if v.cfg.InPanic != nil && v.cfg.InPanic() {
			return nil, nil, ReasonPanic
		}
		return nil, nil, ReasonNotSynchronized
	}
	if s.panic || (v.cfg.InPanic != nil && v.cfg.InPanic()) {
		return nil, nil, ReasonPanic
	}
	for i := len(s.campaigns) - 1; i >= 0; i-- {
		a := &s.campaigns[i]
		if val, ok := a.Variation.Modifications.Lookup(key); ok {
			if val == nil {
				return nil, a, ReasonNullValue
			}
			return val, a, ReasonFound
		}
	}
	return nil, nil, ReasonNotFound
}

// String returns the string value of flag key, or def when the visitor has
// no such flag or it is not a string. It never fails and does not allocate.
func (v *Visitor) String(key, def string) string {
	if s, ok := v.raw(key).(string); ok {
		return s
	}
	return def
}

// Bool returns the boolean value of flag key, or def. See String.
func (v *Visitor) Bool(key string, def bool) bool {
	if b, ok := v.raw(key).(bool); ok {
		return b
	}
	return def
}

// Float64 returns the numeric value of flag key, or def. See String.
func (v *Visitor) Float64(key string, def float64) float64 {
	if f, ok := v.raw(key).(float64); ok {
		return f
	}
	return def
}

// Int returns the value of flag key when it is a whole number that fits an
// int, or def. See String.
func (v *Visitor) Int(key string, def int) int {
	if i, ok := toInt(v.raw(key)); ok {
		return i
	}
	return def
}

// Object returns a copy of the JSON object value of flag key, or def. See
// String.
func (v *Visitor) Object(key string, def map[string]any) map[string]any {
	if m, ok := v.raw(key).(map[string]any); ok {
		return deepCopy(m).(map[string]any)
	}
	return def
}

// Array returns a copy of the JSON array value of flag key, or def. See
// String.
func (v *Visitor) Array(key string, def []any) []any {
	if a, ok := v.raw(key).([]any); ok {
		return deepCopy(a).([]any)
	}
	return def
}

// Value returns a copy of the value of flag key whatever its JSON type
// (Flagsmith's get_value), or def when the visitor has no such flag or it
// is null.
func (v *Visitor) Value(key string, def any) any {
	if x := v.raw(key); x != nil {
		return deepCopy(x)
	}
	return def
}

func (v *Visitor) raw(key string) any {
	val, _, r := v.find(key)
	if r != ReasonFound {
		return nil
	}
	return val
}

func toInt(x any) (int, bool) {
	f, ok := x.(float64)
	if !ok || f != math.Trunc(f) || f < math.MinInt || f >= math.MaxInt {
		return 0, false
	}
	return int(f), true
}

// Evaluation is the detailed result of a flag read.
type Evaluation struct {
	// Key is the flag key.
	Key string
	// Value is what was served: the flag's value, or the default.
	Value any
	// Reason says why.
	Reason Reason
	// Info describes the flag's campaign; zero when no campaign sets it.
	Info Info
}

// Evaluate reads flag key as Value does and says why it served what it
// served. def's type is the type expected: a string, bool, number (an
// int default wants a whole number), map[string]any or []any; a nil def
// accepts any type.
func (v *Visitor) Evaluate(key string, def any) Evaluation {
	val, a, r := v.find(key)
	e := Evaluation{Key: key, Value: def, Reason: r}
	if a != nil {
		e.Info = infoOf(a)
	}
	if r != ReasonFound {
		return e
	}
	if typed, ok := convertLike(val, def); ok {
		e.Value = typed
		return e
	}
	e.Reason = ReasonTypeMismatch
	return e
}

// convertLike returns val as def's type, or false if it has another.
func convertLike(val, def any) (any, bool) {
	switch def.(type) {
	case nil:
		return deepCopy(val), true
	case string:
		s, ok := val.(string)
		return s, ok
	case bool:
		b, ok := val.(bool)
		return b, ok
	case int:
		return toInt(val)
	case float64, float32, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, ok := val.(float64)
		return f, ok
	case map[string]any:
		m, ok := val.(map[string]any)
		if !ok {
			return nil, false
		}
		return deepCopy(m), true
	case []any:
		s, ok := val.([]any)
		if !ok {
			return nil, false
		}
		return deepCopy(s), true
	}
	return nil, false
}

// Has reports whether a campaign of the visitor sets flag key, even to
// null (Flagsmith's has_feature). It is false in panic mode.
func (v *Visitor) Has(key string) bool {
	_, _, ok := v.lookup(key)
	return ok
}

// Info returns where flag key comes from (Flagship's
// get_modification_info), and false when no campaign of the visitor sets
// it.
func (v *Visitor) Info(key string) (Info, bool) {
	_, a, ok := v.lookup(key)
	if !ok {
		return Info{}, false
	}
	return infoOf(a), true
}

// Flag is one of a visitor's flags with its value and metadata.
type Flag struct {
	Key string
	// Value is a copy of the flag's JSON value; nil for null.
	Value any
	Info  Info
}

// Flags returns every flag of the visitor sorted by key (Flagsmith's
// get_flags), the later campaign winning for a key several set. It is
// empty before the first Synchronize and in panic mode.
func (v *Visitor) Flags() []Flag {
	s := v.flags.Load()
	if s == nil || s.panic || (v.cfg.InPanic != nil && v.cfg.InPanic()) {
		return nil
	}
	n := 0
	for i := range s.campaigns {
		n += len(s.campaigns[i].Variation.Modifications.Value)
	}
	out := make([]Flag, 0, n)
	for i := range s.campaigns {
		a := &s.campaigns[i]
		for k, val := range a.Variation.Modifications.Value {
			out = append(out, Flag{Key: k, Value: deepCopy(val), Info: infoOf(a)})
		}
	}
	// By key; a stable sort keeps the campaigns' order within a key, and
	// the last of each run (the later campaign) wins.
	slices.SortStableFunc(out, func(x, y Flag) int { return strings.Compare(x.Key, y.Key) })
	w := 0
	for i := range out {
		if i+1 < len(out) && out[i+1].Key == out[i].Key {
			continue
		}
		out[w] = out[i]
		w++
	}
	clear(out[w:])
	return out[:w]
}

// Activating returns a Reader whose flag reads also activate the flag
// they read (Flagship's get_modification(key, default, activate=True)):
//
//	color := v.Activating(ctx).String("btn-color", "blue")
//
// A read activates when a campaign sets the key, whatever the value's
// type. The activation goes to the Tracker's EnqueueAsync when it is an
// [AsyncTracker]: a read never waits for a disk (use [Visitor.Activate]
// to return once the activation is durable). Activation errors cannot be
// returned by a read: they go to Config.OnActivateError.
func (v *Visitor) Activating(ctx context.Context) Reader {
	return Reader{v: v, ctx: ctx}
}

// Reader reads flags and activates them. It is a short-lived view made by
// [Visitor.Activating] for one request; it is safe for concurrent use.
type Reader struct {
	v   *Visitor
	ctx context.Context
}

// read finds key once, activates the variation serving it, and returns
// the value served (nil unless found), so that the value read and the
// variation activated always match. Without consent or in panic mode it
// activates nothing, silently: those are states, not failures.
func (r Reader) read(key string) any {
	val, a, reason := r.v.find(key)
	if a == nil {
		return nil
	}
	err := r.v.activateAssignment(r.ctx, key, a, false)
	if err != nil && !errors.Is(err, ErrNoConsent) && !errors.Is(err, ErrPanicMode) && r.v.cfg.OnActivateError != nil {
		r.v.cfg.OnActivateError(r.ctx, r.v.ID(), key, err)
	}
	if reason != ReasonFound {
		return nil
	}
	return val
}

// String is Visitor.String, activating the flag.
func (r Reader) String(key, def string) string {
	if s, ok := r.read(key).(string); ok {
		return s
	}
	return def
}

// Bool is Visitor.Bool, activating the flag.
func (r Reader) Bool(key string, def bool) bool {
	if b, ok := r.read(key).(bool); ok {
		return b
	}
	return def
}

// Float64 is Visitor.Float64, activating the flag.
func (r Reader) Float64(key string, def float64) float64 {
	if f, ok := r.read(key).(float64); ok {
		return f
	}
	return def
}

// Int is Visitor.Int, activating the flag.
func (r Reader) Int(key string, def int) int {
	if i, ok := toInt(r.read(key)); ok {
		return i
	}
	return def
}

// Object is Visitor.Object, activating the flag.
func (r Reader) Object(key string, def map[string]any) map[string]any {
	if m, ok := r.read(key).(map[string]any); ok {
		return deepCopy(m).(map[string]any)
	}
	return def
}

// Array is Visitor.Array, activating the flag.
func (r Reader) Array(key string, def []any) []any {
	if a, ok := r.read(key).([]any); ok {
		return deepCopy(a).([]any)
	}
	return def
}

// Value is Visitor.Value, activating the flag.
func (r Reader) Value(key string, def any) any {
	if x := r.read(key); x != nil {
		return deepCopy(x)
	}
	return def
}

// deepCopy copies a decoded JSON value, so that callers cannot modify the
// values shared by every visitor.
func deepCopy(x any) any {
	switch t := x.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, v := range t {
			m[k] = deepCopy(v)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, v := range t {
			s[i] = deepCopy(v)
		}
		return s
	}
	return x
}

package hits

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Kind says where a [Record] is delivered and how the queue treats it.
// The zero Kind is invalid.
type Kind uint8

// Record kinds.
const (
	// KindHit records are delivered to the events endpoint
	// ([AppendEventsBatch]).
	KindHit Kind = 1
	// KindActivation records are delivered to the activation endpoint
	// ([AppendActivationBatch]).
	KindActivation Kind = 2
	// KindConsent records hold a [Consent] hit: they are delivered like
	// KindHit records, but survive the purge of a visitor's pending hits
	// when consent is withdrawn.
	KindConsent Kind = 3
)

// String returns "hit", "activation" or "consent", and "Kind(n)" for an
// unknown Kind.
func (k Kind) String() string {
	switch k {
	case KindHit:
		return "hit"
	case KindActivation:
		return "activation"
	case KindConsent:
		return "consent"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Record is a hit stamped for delivery: what the durable queue stores and
// sinks send. Build one with [NewRecord]; the zero Record is invalid. A Record is a plain value, safe
// for concurrent use as long as nobody modifies it or its Fields.
type Record struct {
	// ID is the idempotency key collectors de-duplicate on (delivery is
	// at least once). Never the zero UUID.
	ID uuid.UUID
	// Kind says which endpoint the record goes to.
	Kind Kind
	// Type is the hit type: [TypeActivation] for activations, [TypeEvent]
	// for consent, one of the other types for KindHit.
	Type Type
	// EnvID is the environment id. Required.
	EnvID string
	// VisitorID is the visitor id: the authenticated (customer) id when
	// the visitor is authenticated. Required.
	VisitorID string
	// AnonymousID is the visitor's anonymous id when it is authenticated,
	// else "".
	AnonymousID string
	// Created is when the hit was created; the wire "qt" (queue time) is
	// measured from it at send time.
	Created time.Time
	// Fields holds the hit's own wire members as a JSON object, e.g.
	// {"dl":"https://x"}, or {"caid":"..","vaid":".."} for an activation.
	Fields json.RawMessage
}

// NewRecord validates h and stamps it for delivery. The Kind is derived
// from h: [KindActivation] for an [Activation], [KindConsent] for a
// [Consent], [KindHit] otherwise. anonymousID is "" unless the visitor is
// authenticated, in which case visitorID is its authenticated id.
//
// NewRecord returns a [*ValidationError] (wrapping [ErrInvalidHit]) for an
// invalid hit, an error wrapping [ErrInvalidHit] for a nil hit, and an
// error wrapping [ErrInvalidRecord] naming the field for a zero id or an
// empty (or invalid UTF-8) envID or visitorID. It is safe for concurrent
// use.
func NewRecord(id uuid.UUID, envID, visitorID, anonymousID string, created time.Time, h Hit) (Record, error) {
	if h == nil {
		return Record{}, fmt.Errorf("%w: nil", ErrInvalidHit)
	}
	if v := reflect.ValueOf(h); v.Kind() == reflect.Pointer && v.IsNil() {
		return Record{}, fmt.Errorf("%w: nil %T", ErrInvalidHit, h)
	}
	if err := h.Validate(); err != nil {
		return Record{}, err
	}
	r := Record{
		ID:          id,
		Kind:        kindOf(h),
		Type:        h.HitType(),
		EnvID:       envID,
		VisitorID:   visitorID,
		AnonymousID: anonymousID,
		Created:     created,
	}
	if rule := r.checkHeader(); rule != "" {
		return Record{}, fmt.Errorf("%w: %s", ErrInvalidRecord, rule)
	}
	r.Fields = encodeFields(h)
	return r, nil
}

func kindOf(h Hit) Kind {
	switch h.(type) {
	case Activation, *Activation:
		return KindActivation
	case Consent, *Consent:
		return KindConsent
	}
	return KindHit
}

// encodeFields returns h's wire members as a JSON object.
func encodeFields(h Hit) json.RawMessage {
	b := h.appendFields(append(make([]byte, 0, 128), '{'))
	if len(b) == 1 {
		return append(b, '}')
	}
	// b is "{,m1,m2": drop the '{' and turn the first comma into one.
	b[1] = '{'
	return append(b[1:], '}')
}

// Validate reports whether r can be sent: a non-zero ID, a non-empty
// EnvID and VisitorID, valid UTF-8 ids, a known Kind with a matching
// Type, and Fields that are a JSON object ({"caid":..,"vaid":..} with
// both non-empty strings and nothing else for an activation). The error
// wraps [ErrInvalidRecord] and names the first offending field.
func (r Record) Validate() error {
	rule := r.checkHeader()
	if rule == "" {
		if r.Kind == KindActivation {
			_, rule = decodeActivation(r.Fields)
		} else {
			_, rule = objectMembers(r.Fields)
		}
	}
	if rule != "" {
		return fmt.Errorf("%w: %s", ErrInvalidRecord, rule)
	}
	return nil
}

// checkHeader checks everything but Fields and returns the broken rule,
// or "".
func (r *Record) checkHeader() string {
	switch {
	case r.ID == uuid.Nil:
		return "ID must not be the zero UUID"
	case r.EnvID == "":
		return "EnvID must not be empty"
	case !utf8.ValidString(r.EnvID):
		return "EnvID must be valid UTF-8"
	case r.VisitorID == "":
		return "VisitorID must not be empty"
	case !utf8.ValidString(r.VisitorID):
		return "VisitorID must be valid UTF-8"
	case !utf8.ValidString(r.AnonymousID):
		return "AnonymousID must be valid UTF-8"
	}
	ok := false
	switch r.Kind {
	case KindHit:
		switch r.Type {
		case TypePage, TypeScreen, TypeTransaction, TypeItem, TypeEvent, TypeSegment:
			ok = true
		}
	case KindActivation:
		ok = r.Type == TypeActivation
	case KindConsent:
		ok = r.Type == TypeEvent
	default:
		return "Kind " + r.Kind.String() + " is unknown"
	}
	if !ok {
		return fmt.Sprintf("Type %q does not match Kind %s", r.Type, r.Kind)
	}
	return ""
}

// objectMembers returns the members of the JSON object fields, without
// braces and surrounding whitespace, or the broken rule.
func objectMembers(fields []byte) ([]byte, string) {
	t := trimJSONSpace(fields)
	if len(t) < 2 || t[0] != '{' || !json.Valid(t) {
		return nil, "Fields must be a JSON object"
	}
	return trimJSONSpace(t[1 : len(t)-1]), ""
}

type activationFields struct {
	VariationGroupID string `json:"caid"`
	VariationID      string `json:"vaid"`
}

// decodeActivation decodes the Fields of an activation record, or returns
// the broken rule.
func decodeActivation(fields []byte) (activationFields, string) {
	var a activationFields
	if _, rule := objectMembers(fields); rule != "" {
		return a, rule
	}
	dec := json.NewDecoder(bytes.NewReader(fields))
	dec.DisallowUnknownFields()
	switch {
	case dec.Decode(&a) != nil:
		return a, `Fields must be {"caid":string,"vaid":string}`
	case a.VariationGroupID == "":
		return a, "Fields caid must not be empty"
	case a.VariationID == "":
		return a, "Fields vaid must not be empty"
	}
	return a, ""
}

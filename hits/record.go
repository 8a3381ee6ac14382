package hits

import (
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
// sinks send. It is sealed: [NewRecord] (from a hit it validates) and
// [Record.UnmarshalBinary] (from the stored form, which a checksum
// vouches for) are the only ways to build one, so a Record is valid by
// construction and the layers below trust it without checking it again.
// Its hit is encoded once, when it is built. A Record is immutable and
// safe for concurrent use; copies share their bytes. The zero Record is
// the only invalid one ([Record.IsZero]); the queue and the encoders
// refuse it.
type Record struct {
	bin         []byte // the stored form (see AppendBinary); nil for the zero Record
	id          uuid.UUID
	kind        Kind
	typ         Type
	envID       string
	visitorID   string
	anonymousID string
	created     time.Time
	fields      []byte // a JSON object: a sub-slice of bin
	caid, vaid  string // an activation's ids
}

// ID is the idempotency key collectors de-duplicate on (delivery is at
// least once). Never the zero UUID but for the zero Record.
func (r Record) ID() uuid.UUID { return r.id }

// Kind says which endpoint the record goes to.
func (r Record) Kind() Kind { return r.kind }

// Type is the hit type: [TypeActivation] for activations, [TypeEvent] for
// consent, one of the other types for [KindHit].
func (r Record) Type() Type { return r.typ }

// EnvID is the environment id.
func (r Record) EnvID() string { return r.envID }

// VisitorID is the visitor id: the authenticated (customer) id when the
// visitor is authenticated.
func (r Record) VisitorID() string { return r.visitorID }

// AnonymousID is the visitor's anonymous id when it is authenticated,
// else "".
func (r Record) AnonymousID() string { return r.anonymousID }

// Created is when the hit was created; the wire "qt" (queue time) is
// measured from it at send time.
func (r Record) Created() time.Time { return r.created }

// Fields returns a copy of the hit's own wire members as a JSON object,
// e.g. {"dl":"https://x"}, or {"caid":"..","vaid":".."} for an
// activation. [Record.AppendFields] appends them without the copy.
func (r Record) Fields() json.RawMessage {
	if r.bin == nil {
		return nil
	}
	return append(json.RawMessage(nil), r.fields...)
}

// AppendFields appends the JSON object [Record.Fields] returns to b.
func (r Record) AppendFields(b []byte) []byte { return append(b, r.fields...) }

// Activation returns the variation group id and variation id of a
// [KindActivation] record; ok is false for any other record.
func (r Record) Activation() (variationGroupID, variationID string, ok bool) {
	return r.caid, r.vaid, r.kind == KindActivation
}

// IsZero reports whether r is the zero Record, the only invalid one.
func (r Record) IsZero() bool { return r.bin == nil }

// Validate returns nil for a Record built by [NewRecord] or
// [Record.UnmarshalBinary], and an error wrapping [ErrInvalidRecord] for
// the zero Record.
func (r Record) Validate() error {
	if r.bin == nil {
		return errZeroRecord
	}
	return nil
}

var errZeroRecord = fmt.Errorf("%w: the zero Record (build one with NewRecord)", ErrInvalidRecord)

// NewRecord validates h and stamps it for delivery. The Kind is derived
// from h: [KindActivation] for an [Activation], [KindConsent] for a
// [Consent], [KindHit] otherwise. anonymousID is "" unless the visitor is
// authenticated, in which case visitorID is its authenticated id.
//
// NewRecord returns a [*ValidationError] (wrapping [ErrInvalidHit]) for an
// invalid hit, an error wrapping [ErrInvalidHit] for a nil hit, and an
// error wrapping [ErrInvalidRecord] naming the field for a zero id, an
// empty (or invalid UTF-8) envID or visitorID, an invalid UTF-8
// anonymousID, a visitorID or anonymousID longer than
// [MaxVisitorIDBytes], or a creation time outside the years 1970 to 2200.
// It is safe for concurrent use.
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
		id:          id,
		kind:        kindOf(h),
		typ:         h.HitType(),
		envID:       envID,
		visitorID:   visitorID,
		anonymousID: anonymousID,
		created:     created,
	}
	if rule := r.checkHeader(); rule != "" {
		return Record{}, fmt.Errorf("%w: %s", ErrInvalidRecord, rule)
	}
	if y := created.Year(); y < 1970 || y > 2200 {
		return Record{}, fmt.Errorf("%w: Created %v is outside the years 1970 to 2200", ErrInvalidRecord, created)
	}
	switch a := h.(type) {
	case Activation:
		r.caid, r.vaid = a.VariationGroupID, a.VariationID
	case *Activation:
		r.caid, r.vaid = a.VariationGroupID, a.VariationID
	}
	r.encode(h)
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

// checkHeader checks everything but the fields and returns the broken
// rule, or "".
func (r *Record) checkHeader() string {
	switch {
	case r.id == uuid.Nil:
		return "ID must not be the zero UUID"
	case r.envID == "":
		return "EnvID must not be empty"
	case !utf8.ValidString(r.envID):
		return "EnvID must be valid UTF-8"
	case r.visitorID == "":
		return "VisitorID must not be empty"
	case !utf8.ValidString(r.visitorID):
		return "VisitorID must be valid UTF-8"
	case len(r.visitorID) > MaxVisitorIDBytes:
		return "VisitorID is " + strconv.Itoa(len(r.visitorID)) + " bytes, more than " + strconv.Itoa(MaxVisitorIDBytes)
	case !utf8.ValidString(r.anonymousID):
		return "AnonymousID must be valid UTF-8"
	case len(r.anonymousID) > MaxVisitorIDBytes:
		return "AnonymousID is " + strconv.Itoa(len(r.anonymousID)) + " bytes, more than " + strconv.Itoa(MaxVisitorIDBytes)
	}
	return checkKind(r.kind, r.typ)
}

// checkKind checks that typ belongs to kind and returns the broken rule,
// or "".
func checkKind(kind Kind, typ Type) string {
	ok := false
	switch kind {
	case KindHit:
		switch typ {
		case TypePage, TypeScreen, TypeTransaction, TypeItem, TypeEvent, TypeSegment:
			ok = true
		}
	case KindActivation:
		ok = typ == TypeActivation
	case KindConsent:
		ok = typ == TypeEvent
	default:
		return "Kind " + kind.String() + " is unknown"
	}
	if !ok {
		return fmt.Sprintf("Type %q does not match Kind %s", typ, kind)
	}
	return ""
}

// members returns the members of r's fields without their braces: what
// the wire encoders splice into an item.
func (r *Record) members() []byte {
	if len(r.fields) < 2 {
		return nil
	}
	return r.fields[1 : len(r.fields)-1]
}

package decision

import (
	"context"
	"slices"
	"strconv"
	"strings"
)

// A Decider returns the campaigns a visitor is assigned to.
//
// Implementations must be safe for concurrent use. The returned
// [Decision] and everything it references are owned by the caller but may
// share immutable data with the decider (notably Modifications.Value maps):
// callers must not modify them.
type Decider interface {
	Decide(ctx context.Context, r Request) (Decision, error)
}

// DeciderFunc adapts a function to a [Decider].
type DeciderFunc func(ctx context.Context, r Request) (Decision, error)

// Decide calls f(ctx, r).
func (f DeciderFunc) Decide(ctx context.Context, r Request) (Decision, error) { return f(ctx, r) }

// Request is what a decision needs to know about a visitor.
//
// Context values are JSON-like: string, bool, float64 (any Go integer or
// float type is accepted as a number), nil, []any and map[string]any.
type Request struct {
	// VisitorID is the visitor id: the authenticated id when the visitor is
	// authenticated. Required.
	VisitorID string
	// AnonymousID is the anonymous id of an authenticated visitor
	// (experience continuity). Optional.
	AnonymousID string
	// DecisionGroup makes visitors that share it share allocations.
	// Optional; Flagship SDKs never set it.
	DecisionGroup string
	// Context is the visitor context targeting rules are evaluated against.
	Context map[string]any
}

// Decision is the result of a decision for one visitor.
type Decision struct {
	// VisitorID echoes the request's visitor id.
	VisitorID string
	// Campaigns are the campaigns the visitor is assigned to, in decision
	// order (the order of the campaigns in the environment).
	Campaigns []Assignment
	// Panic reports that the environment is in panic mode: Campaigns is
	// empty and callers must serve defaults and send nothing.
	Panic bool
}

// Assignment is one campaign a visitor is assigned to: the campaign with
// its variation group and variation, and why that variation was chosen.
//
// The Campaign is immutable and may be shared by every decision that
// assigns the same variation (the bucketing engine builds it once per
// configuration), so an Assignment is cheap to return; it must not be
// modified. Its fields are promoted: a.ID, a.Variation.ID, ...
type Assignment struct {
	*Campaign
	// Reason tells why this variation was chosen.
	Reason Reason
}

// Campaign is a campaign as assigned to visitors: the campaign, the
// variation group visitors are targeted into and the variation they are
// allocated.
type Campaign struct {
	ID   string
	Name string
	// Slug is the campaign's custom id; empty when it has none.
	Slug string
	// Type is the campaign type: "ab", "toggle", "perso", "deployment", ...
	Type           string
	VariationGroup VariationGroup
	Variation      Variation
}

// VariationGroup identifies the variation group a visitor was targeted into.
// Its ID is the caid of activations.
type VariationGroup struct {
	ID   string
	Name string
}

// Variation is the variation a visitor was allocated.
type Variation struct {
	ID        string
	Name      string
	Reference bool
	// Modifications are the flag values the variation sets.
	Modifications Modifications
}

// Modifications are the flag values of a variation.
type Modifications struct {
	// Type is the modification type: "FLAG", "JSON", "TEXT", "IMAGE",
	// "HTML", "REDIRECT", "TURING_ENGINE" or "NULL".
	Type string
	// Value maps flag keys to JSON values (string, bool, float64, nil,
	// []any, map[string]any). A nil value means "use the caller's default".
	// It is shared and must not be modified. Lookup reads an index that
	// NewModifications builds from it: a Modifications whose Value is
	// replaced after NewModifications keeps answering from the old index,
	// so build a new one instead.
	Value map[string]any

	// index holds Value's entries in a slice when there are few of them:
	// a linear scan of short keys beats a map lookup there. nil means
	// look up in Value. Built by NewModifications.
	index []modEntry
}

type modEntry struct {
	key   string
	value any
}

// maxIndexed is the number of keys up to which Lookup scans a slice
// rather than the map.
const maxIndexed = 16

// NewModifications returns Modifications of type typ with the flag values
// value, indexed for fast [Modifications.Lookup]. value is kept, not
// copied, and must not be modified afterwards.
func NewModifications(typ string, value map[string]any) Modifications {
	m := Modifications{Type: typ, Value: value}
	if n := len(value); n > 0 && n <= maxIndexed {
		m.index = make([]modEntry, 0, n)
		for k, v := range value {
			m.index = append(m.index, modEntry{k, v})
		}
		// Sorted, so that equal values compare equal (reflect.DeepEqual).
		slices.SortFunc(m.index, func(a, b modEntry) int { return strings.Compare(a.key, b.key) })
	}
	return m
}

// Lookup returns the value of flag key and whether the variation sets it
// (a JSON null counts as set, with a nil value). It does not allocate.
func (m *Modifications) Lookup(key string) (any, bool) {
	if m.index != nil {
		for i := range m.index {
			if m.index[i].key == key {
				return m.index[i].value, true
			}
		}
		return nil, false
	}
	v, ok := m.Value[key]
	return v, ok
}

// ReasonKind says how a variation was chosen.
type ReasonKind uint8

// Reasons a variation was chosen.
const (
	// ReasonRemote: the Decision API chose it.
	ReasonRemote ReasonKind = iota
	// ReasonAllocated: freshly allocated by hashing the visitor (or its
	// decision group) into the variation group's allocations.
	ReasonAllocated
	// ReasonHistory: reused from the visitor's assignment history.
	ReasonHistory
	// ReasonAnonymousHistory: inherited from the anonymous id's assignment
	// history (experience continuity).
	ReasonAnonymousHistory
	// ReasonDecisionGroupHistory: reused from the decision group's history.
	ReasonDecisionGroupHistory
)

var reasonNames = [...]string{
	ReasonRemote:               "decision api",
	ReasonAllocated:            "allocated",
	ReasonHistory:              "assignment history",
	ReasonAnonymousHistory:     "anonymous assignment history",
	ReasonDecisionGroupHistory: "decision group assignment history",
}

// String returns a short human-readable name of the reason.
func (k ReasonKind) String() string {
	if int(k) < len(reasonNames) {
		return reasonNames[k]
	}
	return "unknown"
}

// Reason tells why a campaign's variation was chosen.
type Reason struct {
	Kind ReasonKind
	// Bucket is the visitor's hash bucket (0-99) in the variation group when
	// the variation was freshly allocated by hashing, or -1.
	Bucket int8
}

// String formats the reason for people.
func (r Reason) String() string {
	if r.Bucket >= 0 && r.Kind == ReasonAllocated {
		return r.Kind.String() + " at bucket " + strconv.Itoa(int(r.Bucket))
	}
	return r.Kind.String()
}

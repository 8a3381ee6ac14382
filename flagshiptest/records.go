package flagshiptest

import (
	"bytes"
	"encoding/json"
	"time"
)

// RecordKind names what a [Record] holds.
type RecordKind string

// Record kinds.
const (
	KindHit             RecordKind = "hit"             // Record.Hit: a hit of the collector or a Decision API call's SEGMENT hit
	KindActivation      RecordKind = "activation"      // Record.Activation
	KindUsage           RecordKind = "usage"           // Record.Telemetry: a usage hit (POST /analytics)
	KindTroubleshooting RecordKind = "troubleshooting" // Record.Telemetry: a troubleshooting hit (POST /troubleshooting)
	KindContextEvent    RecordKind = "contextEvent"    // Record.ContextEvent (POST /v2/{envID}/events)
	KindRefused         RecordKind = "refused"         // Record.Refusal: an item or a request refused
)

// Record is one thing the handler received and recorded, accepted or
// refused. Exactly one of its pointers is set, the one its Kind names.
// Records returned by the Handler are copies: the caller may change them.
type Record struct {
	// Seq numbers the records of all kinds from 1, in arrival order; a
	// request's items have consecutive numbers. [Handler.Reset] does not
	// restart it.
	Seq int
	// Kind says which of the fields below is set.
	Kind RecordKind
	// Route is the route the record came by: [RouteEvents],
	// [RouteActivate], [RouteDecision] (the SEGMENT hit and the
	// activations a Decision API call made), [RouteAnalytics],
	// [RouteTroubleshooting] or [RouteContextEvents].
	Route string

	Hit          *Hit          // KindHit
	Activation   *Activation   // KindActivation
	Telemetry    *Telemetry    // KindUsage, KindTroubleshooting
	ContextEvent *ContextEvent // KindContextEvent
	Refusal      *Refusal      // KindRefused
}

// Received returns when the handler recorded r.
func (r Record) Received() time.Time {
	switch {
	case r.Hit != nil:
		return r.Hit.Received
	case r.Activation != nil:
		return r.Activation.Received
	case r.Telemetry != nil:
		return r.Telemetry.Received
	case r.ContextEvent != nil:
		return r.ContextEvent.Received
	case r.Refusal != nil:
		return r.Refusal.Received
	}
	return time.Time{}
}

func (r Record) clone() Record {
	switch {
	case r.Hit != nil:
		c := r.Hit.clone()
		r.Hit = &c
	case r.Activation != nil:
		c := r.Activation.clone()
		r.Activation = &c
	case r.Telemetry != nil:
		c := r.Telemetry.clone()
		r.Telemetry = &c
	case r.ContextEvent != nil:
		c := r.ContextEvent.clone()
		r.ContextEvent = &c
	case r.Refusal != nil:
		c := r.Refusal.clone()
		r.Refusal = &c
	}
	return r
}

// Telemetry is one usage or troubleshooting hit of Flagship's JS SDK
// (spec §7.4, §12), recorded as received: the handler checks nothing
// but that it is JSON.
type Telemetry struct {
	// Type is the item's t ("USAGE", "TROUBLESHOOTING"...), "" if absent
	// or not a string.
	Type string
	// VisitorID is the item's vid, "" if absent or not a string.
	VisitorID string
	// Fields holds the members of the item as encoding/json decodes them;
	// nil if the item is not an object.
	Fields map[string]any
	// Raw is the item as received.
	Raw json.RawMessage
	// Received is when the handler recorded it.
	Received time.Time
}

func (t Telemetry) clone() Telemetry {
	t.Fields = cloneObject(t.Fields)
	t.Raw = bytes.Clone(t.Raw)
	return t
}

// ContextEvent is one context event of Flagship's Go SDK v2 in
// bucketing mode (spec §7.4), {"visitorId","type":"CONTEXT","data":{...}}
// posted to /v2/{envID}/events.
type ContextEvent struct {
	// EnvID is the environment id of the path.
	EnvID string
	// VisitorID is the visitorId (or visitor_id) member.
	VisitorID string
	// Type is the type member: "CONTEXT".
	Type string
	// Data is the data member, the visitor's context, as encoding/json
	// decodes it (numbers are float64); nil if absent or null.
	Data map[string]any
	// Raw is the body as received.
	Raw json.RawMessage
	// Received is when the handler recorded it.
	Received time.Time
}

func (e ContextEvent) clone() ContextEvent {
	e.Data = cloneObject(e.Data)
	e.Raw = bytes.Clone(e.Raw)
	return e
}

// Refusal is one item the handler refused, or one request it refused as
// a whole.
type Refusal struct {
	// Route is the route of the request.
	Route string
	// Index is the item's index in the request: in the h array of a
	// BATCH envelope, in the batch array of an activation batch; 0 for a
	// single hit, activation or context event. It is -1 when the request
	// was refused as a whole (malformed JSON, an envelope's problem,
	// another environment id, a body too large).
	Index int
	// Status is the status the request was answered with: 207 when other
	// items of it were accepted, else 400 (413 for a body too large).
	Status int
	// Reason says what is wrong, as in the answer: the message of a 400,
	// or the reason of the item in a 207's refused list. A reason about
	// a field starts with its path, as in "h[3].dl: want an absolute
	// URL, got \"checkout\"".
	Reason string
	// Item is the item as received; the whole body when Index is -1 (which
	// may then not be JSON, or be empty when it could not be read).
	Item json.RawMessage
	// VisitorID is the item's vid (a context event's visitorId), "" when
	// it has none that is a string; for a request refused as a whole, that
	// of its first item, best effort.
	VisitorID string
	// Received is when the handler refused it.
	Received time.Time
}

func (r Refusal) clone() Refusal {
	r.Item = bytes.Clone(r.Item)
	return r
}

// Records returns copies of everything the handler recorded, of every
// kind, refusals included, in arrival order (see [Record]). Reading them
// does not mark refusals as read: on a [Server], a test that reads
// records for other reasons still fails for a refusal it did not expect.
func (h *Handler) Records() []Record {
	return h.RecordsSince(0)
}

// RecordsSince returns copies of the records whose Seq is greater than
// seq, in arrival order: pass the Seq of the last record seen to poll for
// new ones.
func (h *Handler) RecordsSince(seq int) []Record {
	out, _ := h.snapshot(seq)
	return out
}

// snapshot returns copies of the records after seq, and the number of
// the last record made.
func (h *Handler) snapshot(seq int) ([]Record, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []Record
	for i := range h.records {
		if h.records[i].Seq > seq {
			out = append(out, h.records[i].clone())
		}
	}
	return out, h.seq
}

// Refusals returns copies of the items and requests refused so far, in
// arrival order, on the routes of hits, activations, usage and
// troubleshooting hits and context events. Requests a [Fault] answered
// are not refusals, nor are those of the Decision API (whose client gets
// the error at once) or of an unknown route.
//
// [Server.Refusals] also marks them as read, so that the test does not
// fail for them.
func (h *Handler) Refusals() []Refusal { return h.refusalsRead(false) }

// refusalsRead returns copies of the refusals, marking every refusal so
// far as read if markRead.
func (h *Handler) refusalsRead(markRead bool) []Refusal {
	h.mu.Lock()
	defer h.mu.Unlock()
	if markRead {
		h.unread = nil
	}
	out := make([]Refusal, len(h.refusals))
	for i := range h.refusals {
		out[i] = h.refusals[i].clone()
	}
	return out
}

// UsageHits returns copies of the usage hits recorded (POST /analytics),
// in arrival order.
func (h *Handler) UsageHits() []Telemetry { return h.telemetry(KindUsage) }

// TroubleshootingHits returns copies of the troubleshooting hits recorded
// (POST /troubleshooting), in arrival order.
func (h *Handler) TroubleshootingHits() []Telemetry { return h.telemetry(KindTroubleshooting) }

func (h *Handler) telemetry(k RecordKind) []Telemetry {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []Telemetry{}
	for i := range h.records {
		if h.records[i].Kind == k {
			out = append(out, h.records[i].Telemetry.clone())
		}
	}
	return out
}

// ContextEvents returns copies of the context events recorded (POST
// /v2/{envID}/events), in arrival order.
func (h *Handler) ContextEvents() []ContextEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := []ContextEvent{}
	for i := range h.records {
		if h.records[i].Kind == KindContextEvent {
			out = append(out, h.records[i].ContextEvent.clone())
		}
	}
	return out
}

// addLocked records r, numbering it, and returns its number. r's payload
// is the handler's from now on: it is never changed, and copied on the
// way out. h.mu is held.
func (h *Handler) addLocked(r Record) int {
	h.seq++
	r.Seq = h.seq
	h.records = append(h.records, r)
	switch {
	case r.Hit != nil:
		h.hits = append(h.hits, *r.Hit)
	case r.Activation != nil:
		h.activations = append(h.activations, *r.Activation)
	case r.Refusal != nil:
		h.refusals = append(h.refusals, *r.Refusal)
		if h.trackUnread {
			h.unread = append(h.unread, *r.Refusal)
		}
	}
	return r.Seq
}

// readUnread returns the refusals no test read, and marks them read.
func (h *Handler) readUnread() []Refusal {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.unread
	h.unread = nil
	return out
}

// itemVisitor returns the vid member of the JSON object raw (or
// visitorId, visitor_id), if it is a string; "" otherwise.
func itemVisitor(raw []byte) string {
	var v struct {
		Vid       any `json:"vid"`
		VisitorID any `json:"visitorId"`
		Snake     any `json:"visitor_id"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	for _, x := range []any{v.Vid, v.VisitorID, v.Snake} {
		if s, ok := x.(string); ok {
			return s
		}
	}
	return ""
}

// bodyVisitor returns the visitor id of a request refused as a whole,
// best effort: that of the body, else of the first item of its h or
// batch array.
func bodyVisitor(body []byte) string {
	if vid := itemVisitor(body); vid != "" {
		return vid
	}
	var v struct {
		H     []json.RawMessage `json:"h"`
		Batch []json.RawMessage `json:"batch"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	switch {
	case len(v.H) > 0:
		return itemVisitor(v.H[0])
	case len(v.Batch) > 0:
		return itemVisitor(v.Batch[0])
	}
	return ""
}

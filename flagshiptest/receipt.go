package flagshiptest

import (
	"bytes"
	"net/http"
)

// Receipt reports, to the function given to [WithOnReceive], one thing
// the handler recorded: a hit, an activation, a usage or troubleshooting
// hit, a context event, or a refusal (of one item, or of a request as a
// whole).
type Receipt struct {
	// Route is the route of the request: [RouteEvents], [RouteActivate],
	// [RouteAnalytics], [RouteTroubleshooting] or [RouteContextEvents],
	// and [RouteDecision] for the SEGMENT hit and the activations a
	// Decision API call made (spec §2.7).
	Route string
	// Kind says what was recorded; Seq is the record's number (see
	// [Record]).
	Kind RecordKind
	Seq  int
	// Hit is a copy of the hit recorded; nil for anything else.
	Hit *Hit
	// Activation is a copy of the activation recorded; nil for anything
	// else.
	Activation *Activation
	// Telemetry is a copy of the usage or troubleshooting hit recorded;
	// nil for anything else.
	Telemetry *Telemetry
	// ContextEvent is a copy of the context event recorded; nil for
	// anything else.
	ContextEvent *ContextEvent
	// Refusal is a copy of the refusal recorded; nil for anything else.
	Refusal *Refusal
	// Status is the HTTP status the request of a refusal was answered
	// with (207 when other items of the request were accepted, 400 when
	// none was, 413 for a body too large); 0 when something was
	// accepted.
	Status int
	// Reason is the reason of the refusal (Refusal.Reason); "" when
	// something was accepted.
	Reason string
	// Body is a copy of the refused request's body, for what the reason
	// does not say; nil when something was accepted or the body could not
	// be read. The refusals of one request share it: read it, don't change
	// it.
	Body []byte
}

// Refused reports whether r is a refusal rather than a record of
// something accepted.
func (r Receipt) Refused() bool { return r.Status != 0 }

// WithOnReceive makes the handler call f for everything it records:
// every hit, activation, usage or troubleshooting hit and context event
// it accepts, and every item (or request as a whole) it refuses on those
// routes, for example to log them as they arrive ("flagship serve
// --verbose" does).
//
// f is called synchronously, on the goroutine serving the request, once
// the request's records are made (so [Handler.Hits], [Handler.Records]
// and the others include them) and before the response is written: when
// a client has its answer, f has returned for its request. Requests are
// served concurrently, so f may be called concurrently and must be safe
// for that; it must return quickly, since the client waits. The Receipt
// is f's to keep (its Body is shared, see there). The handler's lock is
// not held: f may call the Handler's methods. A panic in f is not
// recovered by the handler. Default, or a nil f: no calls.
func WithOnReceive(f func(Receipt)) HandlerOption {
	return optionFunc(func(c *handlerConfig) { c.onReceive = f })
}

// receiptsFromLocked returns receipts for the records made since there
// were n, or nil when no WithOnReceive function is set; body is the
// request's. h.mu is held.
func (h *Handler) receiptsFromLocked(n int, body []byte) []Receipt {
	if h.onReceive == nil {
		return nil
	}
	out := make([]Receipt, 0, len(h.records)-n)
	var shared []byte // one copy of body for the request's refusals
	for _, r := range h.records[n:] {
		r = r.clone()
		rc := Receipt{Route: r.Route, Kind: r.Kind, Seq: r.Seq, Hit: r.Hit, Activation: r.Activation,
			Telemetry: r.Telemetry, ContextEvent: r.ContextEvent, Refusal: r.Refusal}
		if r.Refusal != nil {
			rc.Status, rc.Reason = r.Refusal.Status, r.Refusal.Reason
			if body != nil && shared == nil {
				shared = bytes.Clone(body)
			}
			rc.Body = shared
		}
		out = append(out, rc)
	}
	return out
}

// deliver passes rs to the WithOnReceive function, if any. h.mu must not
// be held.
func (h *Handler) deliver(rs []Receipt) {
	for _, r := range rs {
		h.onReceive(r)
	}
}

// refuseRequest records the refusal of a request to route as a whole
// and answers it with status and msg; body is what was read of it.
func (h *Handler) refuseRequest(w http.ResponseWriter, route string, status int, msg string, body []byte) {
	h.mu.Lock()
	n := len(h.records)
	h.addLocked(Record{Kind: KindRefused, Route: route, Refusal: &Refusal{
		Route: route, Index: -1, Status: status, Reason: msg,
		Item: bytes.Clone(body), VisitorID: bodyVisitor(body), Received: h.now(),
	}})
	rs := h.receiptsFromLocked(n, body)
	h.mu.Unlock()
	h.deliver(rs)
	writeMessage(w, status, msg)
}

// readReceived reads the body of a request to route, as readBody does,
// recording a refusal.
func (h *Handler) readReceived(w http.ResponseWriter, r *http.Request, route string) ([]byte, bool) {
	body, status, msg := checkBody(w, r)
	if status != 0 {
		h.refuseRequest(w, route, status, msg, nil)
		return nil, false
	}
	return body, true
}

package flagshiptest

import (
	"bytes"
	"net/http"
)

// Receipt reports, to the function given to [WithOnReceive], one hit or
// activation the handler recorded, or one request of hits or activations
// it refused.
type Receipt struct {
	// Route is [RouteEvents] or [RouteActivate] for what was posted to
	// those routes, and [RouteDecision] for the SEGMENT hit and the
	// activations a Decision API call made (spec §2.7).
	Route string
	// Hit is a copy of the hit recorded; nil for an activation or a
	// refusal.
	Hit *Hit
	// Activation is a copy of the activation recorded; nil for a hit or a
	// refusal.
	Activation *Activation
	// Status is the HTTP status the refused request was answered with
	// (400 for content the handler refuses, 413 for a body too large); 0
	// when something was recorded.
	Status int
	// Reason is the message of the refusal, as answered in
	// {"message": ...}; "" when something was recorded. A refused request
	// records nothing: none of its hits or activations.
	Reason string
	// Body is a copy of the refused request's body, for what the reason
	// does not say (the visitor id, say); nil when something was recorded
	// or the body could not be read.
	Body []byte
}

// Refused reports whether r is a refusal rather than a record.
func (r Receipt) Refused() bool { return r.Status != 0 }

// WithOnReceive makes the handler call f for every hit and activation it
// records, and for every request to the events or activation route it
// refuses, for example to log them as they arrive ("flagship serve
// --verbose" does).
//
// f is called synchronously, on the goroutine serving the request, once
// the hits and activations are recorded (so [Handler.Hits] and
// [Handler.Activations] include them) and before the response is
// written: when a client has its answer, f has returned for its request.
// Requests are served concurrently, so f may be called concurrently and
// must be safe for that; it must return quickly, since the client waits.
// The Receipt is f's to keep. The handler's lock is not held: f may call
// the Handler's methods. A panic in f is not recovered by the handler.
// Default, or a nil f: no calls.
func WithOnReceive(f func(Receipt)) HandlerOption {
	return optionFunc(func(c *handlerConfig) { c.onReceive = f })
}

// receiptsLocked returns receipts for the hits and activations recorded
// since there were nh hits and na activations, or nil when no
// WithOnReceive function is set. h.mu is held.
func (h *Handler) receiptsLocked(route string, nh, na int) []Receipt {
	if h.onReceive == nil {
		return nil
	}
	out := make([]Receipt, 0, len(h.hits)-nh+len(h.activations)-na)
	for i := nh; i < len(h.hits); i++ {
		c := h.hits[i].clone()
		out = append(out, Receipt{Route: route, Hit: &c})
	}
	for i := na; i < len(h.activations); i++ {
		c := h.activations[i].clone()
		out = append(out, Receipt{Route: route, Activation: &c})
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

// refuse answers the request to route with status and msg, after
// reporting the refusal to the WithOnReceive function, if any; body is
// what was read of the request.
func (h *Handler) refuse(w http.ResponseWriter, route string, status int, msg string, body []byte) {
	if h.onReceive != nil {
		h.onReceive(Receipt{Route: route, Status: status, Reason: msg, Body: bytes.Clone(body)})
	}
	writeMessage(w, status, msg)
}

// readReceived reads the body of a request to route, as readBody does,
// reporting a refusal to the WithOnReceive function.
func (h *Handler) readReceived(w http.ResponseWriter, r *http.Request, route string) ([]byte, bool) {
	body, status, msg := checkBody(w, r)
	if status != 0 {
		h.refuse(w, route, status, msg, nil)
		return nil, false
	}
	return body, true
}

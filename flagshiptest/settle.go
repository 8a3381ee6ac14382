package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// A request of several items (a BATCH envelope's hits, an activation
// batch) is judged item by item: see "Answers" in the package
// documentation.

// judged is one item of a request, accepted (err nil, rec its record)
// or refused.
type judged struct {
	raw json.RawMessage
	err error
	rec Record
}

// multiStatus is the body of a 207: the items refused, with their index
// in the request and their reason.
type multiStatus struct {
	Message  string         `json:"message"`
	Accepted int            `json:"accepted"`
	Refused  []refusedIndex `json:"refused"`
}

type refusedIndex struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// settle records the items of a request to route whose body is body,
// and answers it: ok when every item is accepted (or there is none),
// 207 with a multiStatus when some are refused, 400 with the first
// reason when all are. A request with at least one item accepted is
// kept for Bodies.
func (h *Handler) settle(w http.ResponseWriter, route string, body []byte, items []judged, ok func(http.ResponseWriter)) {
	accepted := 0
	var ms multiStatus
	for i := range items {
		if items[i].err == nil {
			accepted++
			continue
		}
		if ms.Message == "" {
			ms.Message = items[i].err.Error()
		}
		ms.Refused = append(ms.Refused, refusedIndex{Index: i, Reason: items[i].err.Error()})
	}
	ms.Accepted = accepted
	status := http.StatusMultiStatus
	switch {
	case len(ms.Refused) == 0:
		status = 0
	case accepted == 0:
		status = http.StatusBadRequest
	}
	h.mu.Lock()
	now := h.now()
	n := len(h.records)
	for i := range items {
		it := &items[i]
		if it.err == nil {
			setReceived(&it.rec, now)
			it.rec.Route = route
			h.addLocked(it.rec)
			continue
		}
		h.addLocked(Record{Kind: KindRefused, Route: route, Refusal: &Refusal{
			Route: route, Index: i, Status: status, Reason: it.err.Error(),
			Item: bytes.Clone(it.raw), VisitorID: itemVisitor(it.raw), Received: now,
		}})
	}
	if accepted > 0 {
		h.bodies[route] = append(h.bodies[route], body)
	}
	rs := h.receiptsFromLocked(n, body)
	h.mu.Unlock()
	h.deliver(rs)
	switch status {
	case 0:
		ok(w)
	case http.StatusBadRequest:
		writeMessage(w, status, ms.Message)
	default:
		writeJSON(w, status, ms)
	}
}

// setReceived stamps r's payload with the time it was received.
func setReceived(r *Record, now time.Time) {
	switch {
	case r.Hit != nil:
		r.Hit.Received = now
	case r.Activation != nil:
		r.Activation.Received = now
	case r.Telemetry != nil:
		r.Telemetry.Received = now
	case r.ContextEvent != nil:
		r.ContextEvent.Received = now
	}
}

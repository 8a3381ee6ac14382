package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// serveContextEvent serves POST /v2/{envID}/events, where Flagship's Go
// SDK v2 sends a visitor's context in bucketing mode (spec §7.4):
// {"visitorId": "...", "type": "CONTEXT", "data": {...}}. It answers 204,
// as Flagship does.
func (h *Handler) serveContextEvent(w http.ResponseWriter, r *http.Request, env string) {
	body, ok := h.readReceived(w, r, RouteContextEvents)
	if !ok {
		return
	}
	if env != h.envID {
		h.refuseRequest(w, RouteContextEvents, http.StatusBadRequest, "unknown environment id "+quote(env), body)
		return
	}
	raw := json.RawMessage(bytes.TrimSpace(body))
	ev, err := h.parseContextEvent(raw)
	it := judged{raw: raw, err: err}
	if err == nil {
		ev.EnvID = env
		it.rec = Record{Kind: KindContextEvent, ContextEvent: &ev}
	}
	h.settle(w, RouteContextEvents, body, []judged{it}, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusNoContent)
	})
}

// parseContextEvent checks a context event: a non-empty visitorId (or
// visitor_id), type "CONTEXT", data an object or null; other members are
// refused by Strict and kept by Compatible.
func (h *Handler) parseContextEvent(raw json.RawMessage) (ContextEvent, error) {
	ev := ContextEvent{Raw: raw}
	ms, err := members(raw)
	if err != nil {
		return ev, err
	}
	var hasVisitor, hasType bool
	for _, m := range ms {
		switch m.key {
		case "visitorId", "visitor_id":
			if hasVisitor {
				return ev, ferr(m.key, "visitorId and visitor_id both given")
			}
			hasVisitor = true
			ev.VisitorID, err = nonEmpty(m.key, m.value)
		case "type":
			hasType = true
			if ev.Type, err = str("type", m.value); err == nil && ev.Type != "CONTEXT" {
				err = ferr("type", "want %s, got %s", quote("CONTEXT"), quote(ev.Type))
			}
		case "data":
			switch {
			case isNull(m.value):
			case m.value[0] != '{':
				err = wantErr("data", "an object", m.value)
			default:
				ev.Data, _ = decodeAny(m.value).(map[string]any)
			}
		default:
			if h.validation != Compatible {
				err = ferr(m.key, "unknown field of a context event")
			}
		}
		if err != nil {
			return ev, err
		}
	}
	switch {
	case !hasVisitor:
		return ev, ferr("visitorId", "required")
	case !hasType:
		return ev, ferr("type", "required")
	}
	return ev, nil
}

package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// serveEvents serves the collector: a BATCH envelope or a single hit,
// judged item by item.
func (h *Handler) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readReceived(w, r, RouteEvents)
	if !ok {
		return
	}
	items, err := h.parseHits(body)
	if err != nil {
		h.refuseRequest(w, RouteEvents, http.StatusBadRequest, err.Error(), body)
		return
	}
	h.settle(w, RouteEvents, body, items, func(w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, struct{}{})
	})
}

// parseHits reads a collector body: a BATCH envelope, recognised by its
// h member or its t "BATCH", or else a single hit. It returns an error
// for a body refused as a whole (not a JSON object, an envelope's
// problem), else every item judged.
func (h *Handler) parseHits(body []byte) ([]judged, error) {
	ms, err := members(body)
	if err != nil {
		return nil, err
	}
	if !isEnvelope(ms) {
		raw := json.RawMessage(bytes.TrimSpace(body))
		hit, err := h.singleHit(raw, ms)
		return []judged{judgedHit(raw, hit, err)}, nil
	}
	var cid string
	var raws []json.RawMessage
	if h.validation == Compatible {
		cid, raws, err = h.compatEnvelope(ms)
	} else {
		cid, raws, err = h.strictEnvelope(ms)
	}
	if err != nil {
		return nil, err
	}
	items := make([]judged, len(raws))
	for i, raw := range raws {
		p := "h[" + strconv.Itoa(i) + "]"
		var hit Hit
		if h.validation == Compatible {
			hit, err = h.compatHit(p, raw, cid)
		} else {
			hit, err = parseHit(p, raw, cid)
		}
		items[i] = judgedHit(raw, hit, err)
	}
	return items, nil
}

func judgedHit(raw json.RawMessage, hit Hit, err error) judged {
	if err != nil {
		return judged{raw: raw, err: err}
	}
	return judged{raw: raw, rec: Record{Kind: KindHit, Hit: &hit}}
}

// isEnvelope reports whether the members of a collector body are a BATCH
// envelope's.
func isEnvelope(ms []member) bool {
	for _, m := range ms {
		if m.key == "h" || m.key == "t" && string(m.value) == `"BATCH"` {
			return true
		}
	}
	return false
}

// singleHit judges a hit posted alone (Go SDK v2): it carries its own cid
// (and, for Strict, its ds).
func (h *Handler) singleHit(raw json.RawMessage, ms []member) (Hit, error) {
	if h.validation == Compatible {
		return h.compatHit("", raw, "")
	}
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.key] = true
	}
	hit, err := parseHit("", raw, h.envID)
	if err != nil {
		return hit, err
	}
	for _, k := range [...]string{"cid", "ds"} {
		if !seen[k] {
			return hit, ferr(k, "required (a hit posted without a BATCH envelope carries it)")
		}
	}
	return hit, nil
}

// compatEnvelope checks a BATCH envelope as Compatible does, and returns
// its cid ("" if absent or null) and items: a cid must be the
// environment's, t "BATCH", h an array (null or empty: no item); other
// members are ignored.
func (h *Handler) compatEnvelope(ms []member) (string, []json.RawMessage, error) {
	var cid string
	var items json.RawMessage
	var err error
	for _, m := range ms {
		switch m.key {
		case "cid":
			if isNull(m.value) {
				continue
			}
			if cid, err = str("cid", m.value); err == nil && cid != h.envID {
				err = ferr("cid", "unknown environment id %s", quote(cid))
			}
		case "t":
			if !isNull(m.value) {
				err = equals("t", m.value, "BATCH")
			}
		case "h":
			items = m.value
		}
		if err != nil {
			return "", nil, err
		}
	}
	switch {
	case items == nil:
		return "", nil, ferr("h", "required")
	case isNull(items):
		return cid, nil, nil
	case items[0] != '[':
		return "", nil, wantErr("h", "an array", items)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(items, &raws); err != nil {
		return "", nil, ferr("h", "%v", err)
	}
	return cid, raws, nil
}

// compatHit judges one hit as Compatible does: an object with a known t,
// a non-empty vid and the environment's cid (its own, else its
// envelope's, cid). Everything else is recorded as received.
func (h *Handler) compatHit(path string, raw json.RawMessage, cid string) (Hit, error) {
	hit := Hit{EnvID: cid, Raw: raw}
	if len(raw) == 0 || raw[0] != '{' {
		return hit, wantErr(path, "an object", raw)
	}
	ms, err := members(raw)
	if err != nil {
		return hit, ferr(path, "%v", err)
	}
	values := make(map[string]json.RawMessage, len(ms))
	for _, m := range ms {
		values[m.key] = m.value
	}
	p := func(k string) string { return joinPath(path, k) }
	t, ok := values["t"]
	if !ok {
		return hit, ferr(p("t"), "required")
	}
	if hit.Type, err = str(p("t"), t); err != nil {
		return hit, err
	}
	switch hit.Type {
	case hitPageview, hitScreenview, hitTransaction, hitItem, hitEvent, hitSegment, hitCampaign:
	default:
		return hit, ferr(p("t"), "unknown hit type %s", quote(hit.Type))
	}
	vid, ok := values["vid"]
	if !ok {
		return hit, ferr(p("vid"), "required")
	}
	if hit.VisitorID, err = nonEmpty(p("vid"), vid); err != nil {
		return hit, err
	}
	if c, ok := values["cid"]; ok && !isNull(c) {
		if err := equals(p("cid"), c, h.envID); err != nil {
			return hit, err
		}
		hit.EnvID = h.envID
	}
	if hit.EnvID == "" {
		return hit, ferr(p("cid"), "required (on the hit or its BATCH envelope)")
	}
	if c, ok := values["cuid"]; ok && len(c) > 0 && c[0] == '"' {
		hit.CustomerID, _ = str("", c)
	}
	if q, ok := values["qt"]; ok {
		if ms, err := nonNegInt("", q); err == nil {
			hit.QueueTime = time.Duration(ms) * time.Millisecond
		}
	}
	hit.Fields, _ = decodeAny(raw).(map[string]any)
	return hit, nil
}

package flagshiptest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// activationItem is one parsed activation.
type activationItem struct {
	cid, vid, aid, caid, vaid string
	qt                        int64
	qa                        bool
	raw                       json.RawMessage
}

// parseActivationItem reads the members of a single activation or batch
// item (spec §3.1). A batch item's cid is read and ignored.
func parseActivationItem(path string, ms []member, raw json.RawMessage) (activationItem, error) {
	it := activationItem{raw: raw}
	for _, m := range ms {
		p := joinPath(path, m.key)
		var err error
		switch m.key {
		case "cid", "vid", "aid", "caid", "vaid", "cvid":
			if isNull(m.value) {
				continue
			}
			var s string
			s, err = str(p, m.value)
			switch m.key {
			case "cid":
				it.cid = s
			case "vid":
				it.vid = s
			case "aid":
				it.aid = s
			case "caid":
				it.caid = s
			case "vaid":
				it.vaid = s
			}
		case "qt":
			if !isNull(m.value) {
				it.qt, err = nonNegInt(p, m.value)
			}
		case "qa":
			if !isNull(m.value) {
				it.qa, err = boolean(p, m.value)
			}
		default:
			err = ferr(p, "unknown field")
		}
		if err != nil {
			return it, err
		}
	}
	return it, nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// parseActivation parses an activation body, single or batch shape. The
// batch shape is recognised by its "batch" member; its top-level cid is
// copied into every item.
func parseActivation(body []byte) ([]activationItem, error) {
	ms, err := members(body)
	if err != nil {
		return nil, err
	}
	isBatch := false
	for _, m := range ms {
		isBatch = isBatch || m.key == "batch"
	}
	if !isBatch {
		it, err := parseActivationItem("", ms, body)
		return []activationItem{it}, err
	}
	var cid string
	var batch json.RawMessage
	for _, m := range ms {
		switch m.key {
		case "cid":
			if !isNull(m.value) {
				if cid, err = str("cid", m.value); err != nil {
					return nil, err
				}
			}
		case "batch":
			batch = m.value
		default:
			return nil, ferr(m.key, "unknown field")
		}
	}
	if isNull(batch) {
		return nil, ferr("batch", "must not be empty")
	}
	if batch[0] != '[' {
		return nil, wantErr("batch", "an array", batch)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(batch, &raws); err != nil {
		return nil, ferr("batch", "%v", err)
	}
	if len(raws) == 0 {
		return nil, ferr("batch", "must not be empty")
	}
	items := make([]activationItem, len(raws))
	for i, raw := range raws {
		p := "batch[" + strconv.Itoa(i) + "]"
		if raw[0] != '{' {
			return nil, wantErr(p, "an object", raw)
		}
		ims, err := members(raw)
		if err != nil {
			return nil, ferr(p, "%v", err)
		}
		if items[i], err = parseActivationItem(p, ims, raw); err != nil {
			return nil, err
		}
		items[i].cid = cid
	}
	return items, nil
}

// mandatoryMessage is the self-hosted server's message for missing
// fields: a JSON document in a string.
func mandatoryMessage(it *activationItem) string {
	errs := map[string]string{}
	for _, f := range [...]struct{ name, value string }{
		{"cid", it.cid}, {"vid", it.vid}, {"caid", it.caid}, {"vaid", it.vaid},
	} {
		if f.value == "" {
			errs[f.name] = "Field is mandatory."
		}
	}
	if len(errs) == 0 {
		return ""
	}
	b, _ := json.Marshal(struct {
		Status string            `json:"status"`
		Errors map[string]string `json:"errors"`
	}{"error", errs})
	return string(b)
}

func (h *Handler) serveActivate(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readReceived(w, r, RouteActivate)
	if !ok {
		return
	}
	items, err := parseActivation(body)
	if err != nil {
		h.refuse(w, RouteActivate, http.StatusBadRequest, err.Error(), body)
		return
	}
	for i := range items {
		if msg := mandatoryMessage(&items[i]); msg != "" {
			h.refuse(w, RouteActivate, http.StatusBadRequest, msg, body)
			return
		}
		if items[i].cid != h.envID {
			h.refuse(w, RouteActivate, http.StatusBadRequest, "Invalid cid.", body)
			return
		}
	}
	h.mu.Lock()
	now := h.now()
	n := len(h.activations)
	for _, it := range items {
		h.activations = append(h.activations, Activation{
			EnvID:            it.cid,
			VisitorID:        it.vid,
			AnonymousID:      it.aid,
			VariationGroupID: it.caid,
			VariationID:      it.vaid,
			QueueTime:        time.Duration(it.qt) * time.Millisecond,
			QA:               it.qa,
			Raw:              it.raw,
			Received:         now,
		})
	}
	h.bodies[RouteActivate] = append(h.bodies[RouteActivate], body)
	rs := h.receiptsLocked(RouteActivate, len(h.hits), n)
	h.mu.Unlock()
	h.deliver(rs)
	w.WriteHeader(http.StatusNoContent)
}

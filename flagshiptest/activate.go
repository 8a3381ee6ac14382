package flagshiptest

import (
	"bytes"
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

// parseActivation parses an activation body, single or batch shape, and
// judges its items. The batch shape is recognised by its "batch" member;
// its top-level cid is copied into every item. It returns an error for a
// body refused as a whole (not a JSON object, a batch's problem, a batch
// of another environment).
func (h *Handler) parseActivation(body []byte) ([]judged, error) {
	ms, err := members(body)
	if err != nil {
		return nil, err
	}
	isBatch := false
	for _, m := range ms {
		isBatch = isBatch || m.key == "batch"
	}
	if !isBatch {
		raw := json.RawMessage(bytes.TrimSpace(body))
		it, err := parseActivationItem("", ms, raw)
		return []judged{h.judgeActivation(it, err)}, nil
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
	if cid != "" && cid != h.envID {
		return nil, flagshipMessage(invalidCid)
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(batch, &raws); err != nil {
		return nil, ferr("batch", "%v", err)
	}
	if len(raws) == 0 {
		return nil, ferr("batch", "must not be empty")
	}
	items := make([]judged, len(raws))
	for i, raw := range raws {
		p := "batch[" + strconv.Itoa(i) + "]"
		if raw[0] != '{' {
			items[i] = judged{raw: raw, err: wantErr(p, "an object", raw)}
			continue
		}
		ims, err := members(raw)
		if err != nil {
			items[i] = judged{raw: raw, err: ferr(p, "%v", err)}
			continue
		}
		it, err := parseActivationItem(p, ims, raw)
		it.cid = cid
		items[i] = h.judgeActivation(it, err)
	}
	return items, nil
}

// judgeActivation judges an item parsed with err: its mandatory fields
// and its environment.
func (h *Handler) judgeActivation(it activationItem, err error) judged {
	switch {
	case err != nil:
	case mandatoryMessage(&it) != "":
		err = flagshipMessage(mandatoryMessage(&it))
	case it.cid != h.envID:
		err = flagshipMessage(invalidCid)
	}
	if err != nil {
		return judged{raw: it.raw, err: err}
	}
	return judged{raw: it.raw, rec: Record{Kind: KindActivation, Activation: &Activation{
		EnvID:            it.cid,
		VisitorID:        it.vid,
		AnonymousID:      it.aid,
		VariationGroupID: it.caid,
		VariationID:      it.vaid,
		QueueTime:        time.Duration(it.qt) * time.Millisecond,
		QA:               it.qa,
		Raw:              it.raw,
	}}}
}

// invalidCid is the self-hosted server's message for another cid.
const invalidCid = "Invalid cid."

// flagshipMessage is a refusal whose message is Flagship's own, as is
// (capitalised, with a full stop, or a JSON document).
type flagshipMessage string

func (m flagshipMessage) Error() string { return string(m) }

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
	items, err := h.parseActivation(body)
	if err != nil {
		h.refuseRequest(w, RouteActivate, http.StatusBadRequest, err.Error(), body)
		return
	}
	h.settle(w, RouteActivate, body, items, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusNoContent)
	})
}

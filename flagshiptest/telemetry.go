package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// serveTelemetry serves the usage (route RouteAnalytics) and
// troubleshooting (RouteTroubleshooting) endpoints of Flagship's JS SDK
// (spec §7.4, §12), at both validation levels alike: any JSON is taken.
// A BATCH envelope's items (its h array), an array's elements, or else
// the body, are each recorded as a [Telemetry]; 200 with {}.
func (h *Handler) serveTelemetry(w http.ResponseWriter, r *http.Request, route string) {
	body, ok := h.readReceived(w, r, route)
	if !ok {
		return
	}
	raws, paths, err := telemetryItems(body)
	if err != nil {
		h.refuseRequest(w, route, http.StatusBadRequest, err.Error(), body)
		return
	}
	kind := KindUsage
	if route == RouteTroubleshooting {
		kind = KindTroubleshooting
	}
	items := make([]judged, len(raws))
	for i, raw := range raws {
		t := &Telemetry{Raw: raw}
		if raw[0] == '{' {
			if _, err := members(raw); err != nil {
				items[i] = judged{raw: raw, err: ferr(paths[i], "%v", err)}
				continue
			}
			t.Fields, _ = decodeAny(raw).(map[string]any)
			t.Type, _ = t.Fields["t"].(string)
			t.VisitorID, _ = t.Fields["vid"].(string)
		}
		items[i] = judged{raw: raw, rec: Record{Kind: kind, Telemetry: t}}
	}
	h.settle(w, route, body, items, func(w http.ResponseWriter) {
		writeJSON(w, http.StatusOK, struct{}{})
	})
}

// telemetryItems returns the items of a usage or troubleshooting body
// and their paths in it ("" for a body that is one item).
func telemetryItems(body []byte) ([]json.RawMessage, []string, error) {
	body = bytes.TrimSpace(body)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, nil, syntaxError(err)
	}
	var raws []json.RawMessage
	prefix := ""
	switch body[0] {
	case '[':
		_ = json.Unmarshal(body, &raws) // valid JSON
	case '{':
		var env struct {
			T string          `json:"t"`
			H json.RawMessage `json:"h"`
		}
		if json.Unmarshal(body, &env) == nil && env.T == "BATCH" && len(env.H) > 0 && env.H[0] == '[' {
			_ = json.Unmarshal(env.H, &raws)
			prefix = "h"
			break
		}
		return []json.RawMessage{body}, []string{""}, nil
	default:
		return []json.RawMessage{body}, []string{""}, nil
	}
	paths := make([]string, len(raws))
	for i := range raws {
		paths[i] = prefix + "[" + strconv.Itoa(i) + "]"
	}
	return raws, paths, nil
}

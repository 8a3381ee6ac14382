package flagshiptest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// serveRecords serves RecordsPath: GET (or HEAD) answers the records as
// JSON (those after ?since=N if given), DELETE forgets them
// ([Handler.Reset]).
func (h *Handler) serveRecords(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodDelete:
		h.Reset()
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, DELETE")
		writeMessage(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	since := 0
	if s := r.URL.Query().Get("since"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeMessage(w, http.StatusBadRequest, "since: want a non-negative integer, got "+quote(s))
			return
		}
		since = n
	}
	recs, next := h.snapshot(since)
	writeJSON(w, http.StatusOK, recordsJSON(recs, max(next, since)))
}

// The JSON of the records route (see the package documentation).
type wireRecords struct {
	Next            int             `json:"next"`
	Hits            []wireHit       `json:"hits"`
	Activations     []wireAct       `json:"activations"`
	Usage           []wireTelemetry `json:"usage"`
	Troubleshooting []wireTelemetry `json:"troubleshooting"`
	ContextEvents   []wireContext   `json:"contextEvents"`
	Refused         []wireRefusal   `json:"refused"`
}

type wireCommon struct {
	Seq      int    `json:"seq"`
	Route    string `json:"route"`
	Received string `json:"received"`
}

type wireHit struct {
	wireCommon
	Type         string          `json:"type"`
	VisitorID    string          `json:"vid"`
	CustomerID   string          `json:"cuid"`
	EnvID        string          `json:"envId"`
	FromDecision bool            `json:"fromDecision"`
	Item         json.RawMessage `json:"item"`
}

type wireAct struct {
	wireCommon
	VisitorID        string          `json:"vid"`
	AnonymousID      string          `json:"aid"`
	VariationGroupID string          `json:"caid"`
	VariationID      string          `json:"vaid"`
	QueueTime        int64           `json:"qt"`
	QA               bool            `json:"qa"`
	EnvID            string          `json:"envId"`
	FromDecision     bool            `json:"fromDecision"`
	Item             json.RawMessage `json:"item"`
}

type wireTelemetry struct {
	wireCommon
	Type      string          `json:"type"`
	VisitorID string          `json:"vid"`
	Item      json.RawMessage `json:"item"`
}

type wireContext struct {
	wireCommon
	EnvID     string          `json:"envId"`
	VisitorID string          `json:"vid"`
	Type      string          `json:"type"`
	Data      map[string]any  `json:"data"`
	Item      json.RawMessage `json:"item"`
}

type wireRefusal struct {
	wireCommon
	Index     int             `json:"index"`
	Status    int             `json:"status"`
	Reason    string          `json:"reason"`
	VisitorID string          `json:"vid"`
	Item      json.RawMessage `json:"item"`
}

func recordsJSON(recs []Record, next int) wireRecords {
	out := wireRecords{
		Next: next, Hits: []wireHit{}, Activations: []wireAct{}, Usage: []wireTelemetry{},
		Troubleshooting: []wireTelemetry{}, ContextEvents: []wireContext{}, Refused: []wireRefusal{},
	}
	for _, r := range recs {
		c := wireCommon{Seq: r.Seq, Route: r.Route, Received: r.Received().UTC().Format(time.RFC3339Nano)}
		switch {
		case r.Hit != nil:
			h := r.Hit
			out.Hits = append(out.Hits, wireHit{wireCommon: c, Type: h.Type, VisitorID: h.VisitorID,
				CustomerID: h.CustomerID, EnvID: h.EnvID, FromDecision: h.FromDecision, Item: asJSON(h.Raw)})
		case r.Activation != nil:
			a := r.Activation
			out.Activations = append(out.Activations, wireAct{wireCommon: c, VisitorID: a.VisitorID,
				AnonymousID: a.AnonymousID, VariationGroupID: a.VariationGroupID, VariationID: a.VariationID,
				QueueTime: a.QueueTime.Milliseconds(), QA: a.QA, EnvID: a.EnvID, FromDecision: a.FromDecision,
				Item: asJSON(a.Raw)})
		case r.Telemetry != nil:
			t := wireTelemetry{wireCommon: c, Type: r.Telemetry.Type, VisitorID: r.Telemetry.VisitorID, Item: asJSON(r.Telemetry.Raw)}
			if r.Kind == KindTroubleshooting {
				out.Troubleshooting = append(out.Troubleshooting, t)
			} else {
				out.Usage = append(out.Usage, t)
			}
		case r.ContextEvent != nil:
			e := r.ContextEvent
			out.ContextEvents = append(out.ContextEvents, wireContext{wireCommon: c, EnvID: e.EnvID,
				VisitorID: e.VisitorID, Type: e.Type, Data: e.Data, Item: asJSON(e.Raw)})
		case r.Refusal != nil:
			f := r.Refusal
			out.Refused = append(out.Refused, wireRefusal{wireCommon: c, Index: f.Index, Status: f.Status,
				Reason: f.Reason, VisitorID: f.VisitorID, Item: asJSON(f.Item)})
		}
	}
	return out
}

// asJSON returns raw if it is JSON, else raw as a JSON string (null when
// empty).
func asJSON(raw []byte) json.RawMessage {
	switch {
	case len(raw) == 0:
		return json.RawMessage("null")
	case json.Valid(raw):
		return raw
	}
	b, _ := json.Marshal(string(raw)) // invalid UTF-8 becomes U+FFFD
	return b
}

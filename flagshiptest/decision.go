package flagshiptest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/seed27eed597/flagship-go/decision"
)

// Fields of a Decision API request body (spec §2.3).
const (
	fieldVisitorID = iota
	fieldAnonymousID
	fieldContext
	fieldTriggerHit
	fieldActivate
	fieldConsent
	fieldDecisionGroup
	fieldFormatResponse
	fieldCampaignID
	fieldClientID
	fieldCustomVisitorID
	fieldDefaultRedirectURL
	numDecisionFields
)

// decisionField returns the field named key, by its lowerCamelCase or
// snake_case name, and its JSON kind: 's' string, 'b' bool, 'o' object.
func decisionField(key string) (field int, kind byte) {
	switch key {
	case "visitorId", "visitor_id":
		return fieldVisitorID, 's'
	case "anonymousId", "anonymous_id":
		return fieldAnonymousID, 's'
	case "context":
		return fieldContext, 'o'
	case "triggerHit", "trigger_hit":
		return fieldTriggerHit, 'b'
	case "activate":
		return fieldActivate, 'b'
	case "visitorConsent", "visitor_consent":
		return fieldConsent, 'b'
	case "decisionGroup", "decision_group":
		return fieldDecisionGroup, 's'
	case "formatResponse", "format_response":
		return fieldFormatResponse, 'b'
	case "campaignId", "campaign_id":
		return fieldCampaignID, 's'
	case "clientId", "client_id":
		return fieldClientID, 's'
	case "customVisitorId", "custom_visitor_id":
		return fieldCustomVisitorID, 's'
	case "defaultRedirectUrl", "default_redirect_url":
		return fieldDefaultRedirectURL, 's'
	}
	return -1, 0
}

// decisionBody is a parsed Decision API request body.
type decisionBody struct {
	visitorID, anonymousID, decisionGroup string
	context                               map[string]any
	triggerHit, activate, consent         *bool
}

// parseDecisionBody parses body as protobuf JSON does for Flagship's
// request message: either name of each field, unknown fields and
// duplicates rejected, null meaning unset, strict kinds (a bool is never
// "false").
func parseDecisionBody(body []byte) (decisionBody, error) {
	var d decisionBody
	ms, err := members(body)
	if err != nil {
		return d, err
	}
	var seen [numDecisionFields]string // the name each field was given by
	for _, m := range ms {
		i, kind := decisionField(m.key)
		if i < 0 {
			return d, ferr(m.key, "unknown field")
		}
		if seen[i] != "" {
			return d, ferr(m.key, "duplicate field (also given as %s)", seen[i])
		}
		seen[i] = m.key
		if isNull(m.value) {
			continue
		}
		var s string
		var b bool
		switch kind {
		case 's':
			s, err = str(m.key, m.value)
		case 'b':
			b, err = boolean(m.key, m.value)
		default:
			if m.value[0] != '{' {
				err = wantErr(m.key, "an object", m.value)
			}
		}
		if err != nil {
			return d, err
		}
		switch i {
		case fieldVisitorID:
			d.visitorID = s
		case fieldAnonymousID:
			d.anonymousID = s
		case fieldContext:
			d.context, _ = decodeAny(m.value).(map[string]any)
		case fieldTriggerHit:
			d.triggerHit = &b
		case fieldActivate:
			d.activate = &b
		case fieldConsent:
			d.consent = &b
		case fieldDecisionGroup:
			d.decisionGroup = s
		}
	}
	if d.visitorID == "" {
		return d, ferr("visitorId", "required, must be a non-empty string")
	}
	return d, nil
}

func (h *Handler) serveDecision(w http.ResponseWriter, r *http.Request, env string) {
	if env != h.envID {
		writeMessage(w, http.StatusBadRequest, "unknown environment id "+quote(env))
		return
	}
	key := r.Header.Get("x-api-key")
	if h.apiKey != "" && subtle.ConstantTimeCompare([]byte(key), []byte(h.apiKey)) != 1 {
		msg := "missing x-api-key header"
		if key != "" {
			msg = "invalid API key" // never echo it
		}
		writeMessage(w, http.StatusUnauthorized, msg)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := parseDecisionBody(body)
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	d, err := h.engine.Decide(r.Context(), decision.Request{
		VisitorID:     req.visitorID,
		AnonymousID:   req.anonymousID,
		DecisionGroup: req.decisionGroup,
		Context:       req.context,
	})
	if err != nil {
		writeMessage(w, http.StatusInternalServerError, err.Error())
		return
	}

	headers := r.Header.Clone()
	headers.Del("x-api-key")
	h.mu.Lock()
	now := h.now()
	n := len(h.records)
	h.decisions = append(h.decisions, DecisionRequest{
		EnvID:         env,
		VisitorID:     req.visitorID,
		AnonymousID:   req.anonymousID,
		DecisionGroup: req.decisionGroup,
		Context:       req.context,
		TriggerHit:    req.triggerHit,
		Activate:      req.activate,
		Consent:       req.consent,
		Query:         r.URL.Query(),
		Headers:       headers,
		HasAPIKey:     key != "",
		Raw:           body,
		Received:      now,
	})
	h.bodies[RouteDecision] = append(h.bodies[RouteDecision], body)
	// Server-side side effects (spec §2.7).
	if r.URL.Query().Get("sendContextEvent") != "false" && notFalse(req.consent) && len(req.context) > 0 && !d.Panic {
		hit := h.contextHit(req, now)
		h.addLocked(Record{Kind: KindHit, Route: RouteDecision, Hit: &hit})
	}
	if notFalse(req.triggerHit) && notFalse(req.activate) {
		for _, c := range d.Campaigns {
			h.addLocked(Record{Kind: KindActivation, Route: RouteDecision, Activation: &Activation{
				EnvID:            env,
				VisitorID:        req.visitorID,
				AnonymousID:      req.anonymousID,
				VariationGroupID: c.VariationGroup.ID,
				VariationID:      c.Variation.ID,
				Received:         now,
				FromDecision:     true,
			}})
		}
	}
	served := h.served
	rs := h.receiptsFromLocked(n, nil)
	h.mu.Unlock()
	h.deliver(rs)

	out := toWireDecision(d)
	if wantsAccountSettings(r.URL.Query()) {
		out.Extras = &wireExtras{AccountSettings: accountSettingsOf(served)}
	}
	writeJSON(w, http.StatusOK, out)
}

// wantsAccountSettings reports whether a decision request asks for the
// account settings: extras=accountSettings, or extras[]=accountSettings
// as Flagship's JS SDK sends it (spec §2.2).
func wantsAccountSettings(q url.Values) bool {
	for _, k := range []string{"extras", "extras[]"} {
		for _, v := range q[k] {
			if v == "accountSettings" {
				return true
			}
		}
	}
	return false
}

// notFalse reports whether an optional bool is not explicitly false.
func notFalse(b *bool) bool { return b == nil || *b }

// quote returns s as a JSON string, for messages.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// contextHit is the SEGMENT hit the Decision API emits with a visitor's
// context: vid is the anonymous id when there is one, cuid the visitor id
// then, and every context value becomes its string form (JSON text for
// anything but strings).
func (h *Handler) contextHit(req decisionBody, now time.Time) Hit {
	s := make(map[string]any, len(req.context))
	for k, v := range req.context {
		if str, ok := v.(string); ok {
			s[k] = str
			continue
		}
		b, _ := json.Marshal(v) // decoded from JSON: encodable
		s[k] = string(b)
	}
	vid, cuid := req.visitorID, ""
	if req.anonymousID != "" {
		vid, cuid = req.anonymousID, req.visitorID
	}
	fields := map[string]any{"t": "SEGMENT", "cid": h.envID, "ds": "APP", "vid": vid, "s": s}
	if cuid != "" {
		fields["cuid"] = cuid
	} else {
		fields["cuid"] = nil
	}
	raw, _ := json.Marshal(fields)
	return Hit{EnvID: h.envID, Type: "SEGMENT", VisitorID: vid, CustomerID: cuid, Fields: fields, Raw: raw, Received: now, FromDecision: true}
}

// The Decision API response, mode normal (spec §2.4): every field present.
type wireDecision struct {
	VisitorID string             `json:"visitorId"`
	Campaigns []wireDecisionCamp `json:"campaigns"`
	Panic     bool               `json:"panic,omitempty"`
	Extras    *wireExtras        `json:"extras,omitempty"`
}

// wireExtras is the extras member of a decision answer, for a request
// asking extras=accountSettings (spec §2.2, §2.4).
type wireExtras struct {
	AccountSettings json.RawMessage `json:"accountSettings"`
}

type wireDecisionCamp struct {
	ID                 string          `json:"id"`
	Name               string          `json:"name"`
	Slug               *string         `json:"slug"`
	Type               string          `json:"type"`
	VariationGroupID   string          `json:"variationGroupId"`
	VariationGroupName string          `json:"variationGroupName"`
	Variation          wireDecisionVar `json:"variation"`
}

type wireDecisionVar struct {
	ID            string           `json:"id"`
	Name          string           `json:"name"`
	Modifications wireDecisionMods `json:"modifications"`
	Reference     bool             `json:"reference"`
}

type wireDecisionMods struct {
	Type  string         `json:"type"`
	Value map[string]any `json:"value"`
}

func toWireDecision(d decision.Decision) wireDecision {
	out := wireDecision{VisitorID: d.VisitorID, Campaigns: make([]wireDecisionCamp, 0, len(d.Campaigns)), Panic: d.Panic}
	for _, c := range d.Campaigns {
		wc := wireDecisionCamp{
			ID:                 c.ID,
			Name:               c.Name,
			Type:               c.Type,
			VariationGroupID:   c.VariationGroup.ID,
			VariationGroupName: c.VariationGroup.Name,
			Variation: wireDecisionVar{
				ID:            c.Variation.ID,
				Name:          c.Variation.Name,
				Modifications: wireDecisionMods{Type: c.Variation.Modifications.Type, Value: c.Variation.Modifications.Value},
				Reference:     c.Variation.Reference,
			},
		}
		if c.Slug != "" {
			slug := c.Slug
			wc.Slug = &slug
		}
		if wc.Variation.Modifications.Value == nil {
			wc.Variation.Modifications.Value = map[string]any{}
		}
		out.Campaigns = append(out.Campaigns, wc)
	}
	return out
}

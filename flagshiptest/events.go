package flagshiptest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Hit types the events route accepts (spec §7.2): Strict refuses
// CAMPAIGN hits, the server's own (activations go to the activation
// route), which Compatible accepts.
const (
	hitPageview    = "PAGEVIEW"
	hitScreenview  = "SCREENVIEW"
	hitTransaction = "TRANSACTION"
	hitItem        = "ITEM"
	hitEvent       = "EVENT"
	hitSegment     = "SEGMENT"
	hitCampaign    = "CAMPAIGN"
)

// Event categories (spec §7.3).
const (
	categoryActionTracking = "Action Tracking"
	categoryUserEngagement = "User Engagement"
)

// strictEnvelope checks a BATCH envelope (spec §7.1) as Strict does, and
// returns its cid and items: every field required, none unknown, no null.
func (h *Handler) strictEnvelope(ms []member) (string, []json.RawMessage, error) {
	var cid string
	var items json.RawMessage
	var err error
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.key] = true
		switch m.key {
		case "cid":
			if cid, err = nonEmpty("cid", m.value); err == nil && cid != h.envID {
				err = ferr("cid", "unknown environment id %s", quote(cid))
			}
		case "ds":
			err = equals("ds", m.value, "APP")
		case "t":
			err = equals("t", m.value, "BATCH")
		case "qt":
			_, err = nonNegInt("qt", m.value)
		case "h":
			items = m.value
			if items[0] != '[' {
				err = wantErr("h", "an array", items)
			}
		default:
			err = ferr(m.key, "unknown field of a BATCH envelope")
		}
		if err != nil {
			return "", nil, err
		}
	}
	for _, k := range [...]string{"cid", "ds", "t", "h"} {
		if !seen[k] {
			return "", nil, ferr(k, "required")
		}
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(items, &raws); err != nil {
		return "", nil, ferr("h", "%v", err)
	}
	if len(raws) == 0 {
		return "", nil, ferr("h", "must not be empty")
	}
	return cid, raws, nil
}

func equals(path string, raw []byte, want string) error {
	s, err := str(path, raw)
	if err == nil && s != want {
		err = ferr(path, "want %s, got %s", quote(want), quote(s))
	}
	return err
}

// parseHit validates one hit, an item of a batch whose cid is cid or a
// single hit (path "", cid the handler's), as Strict does.
func parseHit(path string, raw json.RawMessage, cid string) (Hit, error) {
	hit := Hit{EnvID: cid, Raw: raw}
	if raw[0] != '{' {
		return hit, wantErr(path, "an object", raw)
	}
	ms, err := members(raw)
	if err != nil {
		return hit, ferr(path, "%v", err)
	}
	for _, m := range ms {
		if m.key == "t" {
			hit.Type, err = str(joinPath(path, "t"), m.value)
			if err != nil {
				return hit, err
			}
		}
	}
	switch hit.Type {
	case hitPageview, hitScreenview, hitTransaction, hitItem, hitEvent, hitSegment:
	case "":
		return hit, ferr(joinPath(path, "t"), "required")
	default:
		return hit, ferr(joinPath(path, "t"), "unknown hit type %s", quote(hit.Type))
	}
	seen := map[string]bool{}
	for _, m := range ms {
		seen[m.key] = true
		p := joinPath(path, m.key)
		switch m.key {
		case "t":
		case "vid":
			hit.VisitorID, err = nonEmpty(p, m.value)
		case "cuid":
			if !isNull(m.value) {
				if hit.CustomerID, err = str(p, m.value); err == nil && hit.CustomerID == "" {
					err = ferr(p, "must not be empty (null when the visitor is not authenticated)")
				}
			}
		case "qt":
			var qt int64
			qt, err = nonNegInt(p, m.value)
			hit.QueueTime = time.Duration(qt) * time.Millisecond
		default:
			err = checkHitField(hit.Type, p, m.key, m.value, cid)
		}
		if err != nil {
			return hit, err
		}
	}
	required := []string{"vid"}
	switch hit.Type {
	case hitPageview, hitScreenview:
		required = append(required, "dl")
	case hitTransaction:
		required = append(required, "tid", "ta")
	case hitItem:
		required = append(required, "tid", "in", "ic")
	case hitEvent:
		required = append(required, "ec", "ea")
	case hitSegment:
		required = append(required, "s")
	}
	for _, k := range required {
		if !seen[k] {
			return hit, ferr(joinPath(path, k), "required")
		}
	}
	hit.Fields, _ = decodeAny(raw).(map[string]any)
	return hit, nil
}

// checkHitField checks a member of a hit of type typ other than t, vid,
// cuid and qt.
func checkHitField(typ, p, key string, raw []byte, cid string) error {
	var err error
	switch key {
	// Common fields (spec §7.2).
	case "cid":
		err = equals(p, raw, cid)
	case "ds":
		err = equals(p, raw, "APP")
	case "uip", "sr", "ul":
		_, err = str(p, raw)
	case "sn":
		if len(raw) == 0 || raw[0] != '"' {
			_, err = integer(p, raw)
		}
	case "cst":
		// Session start (legacy Go v2 field, which this SDK sends).
		_, err = integer(p, raw)
	case "qa":
		_, err = boolean(p, raw)
	case "dl":
		switch typ {
		case hitPageview:
			err = absoluteURL(p, raw)
		case hitScreenview:
			_, err = nonEmpty(p, raw)
		default:
			err = ferr(p, "not allowed on %s hits (only PAGEVIEW and SCREENVIEW)", typ)
		}
	default:
		if !typeHasField(typ, key) {
			return ferr(p, "unknown field of %s hits", typ)
		}
		err = checkTypeField(p, key, raw)
	}
	return err
}

func typeHasField(typ, key string) bool {
	switch key {
	case "tid":
		return typ == hitTransaction || typ == hitItem
	case "ta", "tr", "ts", "tt", "tc", "tcc", "pm", "sm", "icn":
		return typ == hitTransaction
	case "in", "ic", "ip", "iq", "iv":
		return typ == hitItem
	case "ec", "ea", "el", "ev":
		return typ == hitEvent
	case "s":
		return typ == hitSegment
	}
	return false
}

// checkTypeField checks a per-type field (spec §7.3).
func checkTypeField(p, key string, raw []byte) error {
	var err error
	switch key {
	case "tid", "ta", "in", "ic", "ea", "el":
		_, err = nonEmpty(p, raw)
	case "tcc", "pm", "sm", "iv":
		_, err = str(p, raw)
	case "tr", "ts", "tt", "ip":
		_, err = number(p, raw)
	case "icn", "ev":
		_, err = nonNegInt(p, raw)
	case "iq":
		_, err = integer(p, raw)
	case "tc":
		var s string
		if s, err = str(p, raw); err == nil && !isCurrency(s) {
			err = ferr(p, "want a 3-letter ISO 4217 currency code, got %s", quote(s))
		}
	case "ec":
		var s string
		if s, err = str(p, raw); err == nil && s != categoryActionTracking && s != categoryUserEngagement {
			err = ferr(p, "want %s or %s, got %s", quote(categoryActionTracking), quote(categoryUserEngagement), quote(s))
		}
	case "s":
		err = stringObject(p, raw)
	}
	return err
}

func isCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

// absoluteURL checks a PAGEVIEW dl: an absolute URL with a scheme and a
// host.
func absoluteURL(p string, raw []byte) error {
	s, err := nonEmpty(p, raw)
	if err != nil {
		return err
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ferr(p, "want an absolute URL, got %s", quote(s))
	}
	return nil
}

// stringObject checks a SEGMENT s: an object of string values.
func stringObject(p string, raw []byte) error {
	if raw[0] != '{' {
		return wantErr(p, "an object", raw)
	}
	ms, err := members(raw)
	if err != nil {
		return ferr(p, "%v", err)
	}
	for _, m := range ms {
		if _, err := str(p+"."+m.key, m.value); err != nil {
			return fmt.Errorf("%w (the context's values in their string form)", err)
		}
	}
	return nil
}

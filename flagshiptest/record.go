package flagshiptest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Hit is one hit the handler accepted: an item of a BATCH envelope or a
// single hit posted to the collector ([RouteEvents]), or the SEGMENT hit
// a Decision API call emits (spec §2.7).
type Hit struct {
	// EnvID is the batch's cid, or the hit's own.
	EnvID string
	// Type is the item's t: "PAGEVIEW", "SCREENVIEW", "TRANSACTION",
	// "ITEM", "EVENT" or "SEGMENT" ("CAMPAIGN" too with [Compatible]).
	Type string
	// VisitorID is the item's vid: the anonymous id of an authenticated
	// visitor, else the visitor id.
	VisitorID string
	// CustomerID is the item's cuid, "" when null, absent or not a
	// string.
	CustomerID string
	// QueueTime is the item's qt (milliseconds on the wire); 0 if absent
	// (or, with [Compatible], not a non-negative integer).
	QueueTime time.Duration
	// Fields holds every member of the item, t, vid, cuid and qt included,
	// as encoding/json decodes them (numbers are float64).
	Fields map[string]any
	// Raw is the item as received.
	Raw json.RawMessage
	// Received is when the handler accepted it.
	Received time.Time
	// FromDecision reports the SEGMENT hit of a Decision API call rather
	// than a hit posted to the collector.
	FromDecision bool
}

func (h Hit) clone() Hit {
	h.Fields = cloneObject(h.Fields)
	h.Raw = bytes.Clone(h.Raw)
	return h
}

// Activation is one activation the handler accepted: the single body or a
// batch item posted to the activation route, or a campaign a Decision API
// call activated because trigger_hit was not false.
type Activation struct {
	// EnvID is the cid.
	EnvID string
	// VisitorID is the vid: the visitor id, the authenticated one when the
	// visitor is authenticated.
	VisitorID string
	// AnonymousID is the aid, "" when null or absent.
	AnonymousID string
	// VariationGroupID is the caid (a variation group id, despite the
	// name).
	VariationGroupID string
	// VariationID is the vaid.
	VariationID string
	// QueueTime is the qt (milliseconds on the wire); 0 if absent.
	QueueTime time.Duration
	// QA is the qa flag.
	QA bool
	// Raw is the single body or batch item as received; nil when
	// FromDecision.
	Raw json.RawMessage
	// Received is when the handler accepted it.
	Received time.Time
	// FromDecision reports an activation made by a Decision API call
	// (trigger_hit not false) rather than posted to the activation route.
	FromDecision bool
}

func (a Activation) clone() Activation {
	a.Raw = bytes.Clone(a.Raw)
	return a
}

// DecisionRequest is one Decision API call the handler answered.
type DecisionRequest struct {
	// EnvID is the environment id of the request path.
	EnvID string
	// VisitorID is the visitorId field.
	VisitorID string
	// AnonymousID is the anonymousId field, "" if absent or null.
	AnonymousID string
	// DecisionGroup is the decision_group field, "" if absent.
	DecisionGroup string
	// Context is the context as encoding/json decodes it (numbers are
	// float64); nil if absent or null.
	Context map[string]any
	// TriggerHit is the trigger_hit field, nil if absent or null.
	TriggerHit *bool
	// Activate is the activate field (a synonym of trigger_hit), nil if
	// absent or null.
	Activate *bool
	// Consent is the visitor_consent field, nil if absent or null.
	Consent *bool
	// Query is the request's query (exposeAllKeys, sendContextEvent, ...).
	Query url.Values
	// Headers are the request headers without x-api-key: the key is never
	// recorded.
	Headers http.Header
	// HasAPIKey reports whether the request carried a non-empty x-api-key
	// header.
	HasAPIKey bool
	// Raw is the request body.
	Raw json.RawMessage
	// Received is when the handler answered it.
	Received time.Time
}

func (d DecisionRequest) clone() DecisionRequest {
	d.Context = cloneObject(d.Context)
	d.TriggerHit = cloneBool(d.TriggerHit)
	d.Activate = cloneBool(d.Activate)
	d.Consent = cloneBool(d.Consent)
	d.Query = url.Values(http.Header(d.Query).Clone())
	d.Headers = d.Headers.Clone()
	d.Raw = bytes.Clone(d.Raw)
	return d
}

func cloneBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

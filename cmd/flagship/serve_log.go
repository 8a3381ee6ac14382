package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// maxLoggedValue bounds a field value in a --verbose line.
const maxLoggedValue = 120

// hitLogFields returns the fields --verbose shows for a hit of type t,
// after vid and cuid.
func hitLogFields(t string) []string {
	switch t {
	case "PAGEVIEW", "SCREENVIEW":
		return []string{"dl"}
	case "EVENT":
		return []string{"ec", "ea", "el", "ev"}
	case "TRANSACTION":
		return []string{"tid", "ta", "tr", "tc", "icn"}
	case "ITEM":
		return []string{"tid", "in", "ic", "ip", "iq"}
	case "SEGMENT":
		return []string{"s"}
	}
	return nil
}

// logReceipt returns the flagshiptest.WithOnReceive function of
// --verbose: one line per hit, activation, usage or troubleshooting hit
// and context event recorded, and one per item (or request as a whole)
// refused, with the reason. It is safe for concurrent use, as logger is.
func logReceipt(logger *log.Logger) func(flagshiptest.Receipt) {
	return func(r flagshiptest.Receipt) { logger.Print(describeReceipt(r)) }
}

// describeReceipt returns the --verbose line of r, for example
//
//	hit PAGEVIEW accepted: vid="v1" dl="https://shop.example/"
//	activation accepted: vid="v1" caid="vg1" vaid="var1"
//	usage hit accepted: t="USAGE" vid="fs-1" label="SDK_CONFIG"
//	context event accepted: vid="v1" data={"plan":"gold"}
//	hit refused (207 Multi-Status): h[1].dl: want an absolute URL, got "home" [vid="v1"]
//	hits refused (400 Bad Request): cid: unknown environment id "x" [vid="v1"]
func describeReceipt(r flagshiptest.Receipt) string {
	var b strings.Builder
	switch {
	case r.Hit != nil:
		fmt.Fprintf(&b, "hit %s accepted: vid=%q", r.Hit.Type, r.Hit.VisitorID)
		if r.Hit.CustomerID != "" {
			fmt.Fprintf(&b, " cuid=%q", r.Hit.CustomerID)
		}
		for _, k := range hitLogFields(r.Hit.Type) {
			if v, ok := r.Hit.Fields[k]; ok {
				b.WriteString(" " + k + "=" + logValue(v))
			}
		}
		if r.Hit.FromDecision {
			b.WriteString(" (from a Decision API call)")
		}
	case r.Activation != nil:
		a := r.Activation
		fmt.Fprintf(&b, "activation accepted: vid=%q", a.VisitorID)
		if a.AnonymousID != "" {
			fmt.Fprintf(&b, " aid=%q", a.AnonymousID)
		}
		fmt.Fprintf(&b, " caid=%q vaid=%q", a.VariationGroupID, a.VariationID)
		if a.FromDecision {
			b.WriteString(" (from a Decision API call)")
		}
	case r.Telemetry != nil:
		t := r.Telemetry
		fmt.Fprintf(&b, "%s accepted: t=%q vid=%q", what(r.Route, false), t.Type, t.VisitorID)
		if cv, ok := t.Fields["cv"].(map[string]any); ok {
			if label, ok := cv["label"]; ok {
				b.WriteString(" label=" + logValue(label))
			}
		}
	case r.ContextEvent != nil:
		e := r.ContextEvent
		fmt.Fprintf(&b, "context event accepted: vid=%q data=%s", e.VisitorID, logValue(e.Data))
	default:
		whole := r.Refusal == nil || r.Refusal.Index < 0
		fmt.Fprintf(&b, "%s refused (%d %s): %s", what(r.Route, whole), r.Status, http.StatusText(r.Status), r.Reason)
		if r.Refusal != nil && r.Refusal.VisitorID != "" {
			fmt.Fprintf(&b, " [vid=%q]", r.Refusal.VisitorID)
		}
	}
	return b.String()
}

// what names what is received on route: one item, or a request of them
// (whole) when it is refused as a whole.
func what(route string, whole bool) string {
	one, many := "hit", "hits"
	switch route {
	case flagshiptest.RouteActivate:
		one, many = "activation", "activations"
	case flagshiptest.RouteAnalytics:
		one, many = "usage hit", "usage hits"
	case flagshiptest.RouteTroubleshooting:
		one, many = "troubleshooting hit", "troubleshooting hits"
	case flagshiptest.RouteContextEvents:
		one, many = "context event", "context event"
	}
	if whole {
		return many
	}
	return one
}

// logValue formats a hit field as decoded by encoding/json: strings
// quoted, numbers and booleans as is, objects and arrays as compact JSON,
// cut to maxLoggedValue bytes.
func logValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		return strconv.Quote(cut(x))
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return "?"
		}
		s = string(b)
	}
	return cut(s)
}

func cut(s string) string {
	if len(s) <= maxLoggedValue {
		return s
	}
	return strings.ToValidUTF8(s[:maxLoggedValue], "") + "…"
}

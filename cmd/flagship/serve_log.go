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
// --verbose: one line per hit or activation recorded, and one per request
// of hits or activations refused, with the reason. It is safe for
// concurrent use, as logger is.
func logReceipt(logger *log.Logger) func(flagshiptest.Receipt) {
	return func(r flagshiptest.Receipt) { logger.Print(describeReceipt(r)) }
}

// describeReceipt returns the --verbose line of r, for example
//
//	hit PAGEVIEW accepted: vid="v1" dl="https://shop.example/"
//	activation accepted: vid="v1" caid="vg1" vaid="var1"
//	hits refused (400 Bad Request): h[0].dl: want an absolute URL, got "home" [vid="v1"]
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
	default:
		what := "hits"
		if r.Route == flagshiptest.RouteActivate {
			what = "activation"
		}
		fmt.Fprintf(&b, "%s refused (%d %s): %s", what, r.Status, http.StatusText(r.Status), r.Reason)
		if vid := bodyVisitor(r.Body); vid != "" {
			fmt.Fprintf(&b, " [vid=%q]", vid)
		}
	}
	return b.String()
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

// bodyVisitor returns the visitor id of a refused request's body, best
// effort: the vid of a single activation, or of the first item of a hits
// batch or of an activation batch; "" if there is none.
func bodyVisitor(body []byte) string {
	var v struct {
		Vid any `json:"vid"`
		H   []struct {
			Vid any `json:"vid"`
		} `json:"h"`
		Batch []struct {
			Vid any `json:"vid"`
		} `json:"batch"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	vid := v.Vid
	switch {
	case vid != nil:
	case len(v.H) > 0:
		vid = v.H[0].Vid
	case len(v.Batch) > 0:
		vid = v.Batch[0].Vid
	}
	s, _ := vid.(string)
	return s
}

package bucketing_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// FuzzParse feeds arbitrary bytes to the parser: it must never panic, and
// whatever it accepts must compile and decide without panicking.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"bucketing.json", "bucketing_1v1t.json"} {
		if data, err := os.ReadFile(filepath.Join(vectorsDir, name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(file(`{"id":"v1","allocation":"5e1","modifications":{"type":"FLAG","value":{"a":[1,{"b":null}]}}}`)))
	f.Add([]byte(`{"campaigns":[{"id":"c","bucketRanges":[{"r":["NaN","Infinity"]}]}]}`))
	f.Add([]byte(`{"accountSettings":{"troubleshooting":{"startDate":"2025-05-01T00:00:00Z","traffic":"40"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := bucketing.Parse(data)
		if err != nil {
			return
		}
		cfg, err := bucketing.Compile(file)
		if err != nil {
			t.Fatalf("Parse accepted a file Compile rejects: %v", err)
		}
		e := bucketing.NewEngine(bucketing.Options{Assignments: assignment.NewMemory(0)})
		e.Update(cfg)
		ctx := map[string]any{"a": "x", "b": 1.0, "c": true, "d": []any{"x", 2.0}, "e": nil}
		if _, err := e.Decide(context.Background(), decision.Request{VisitorID: "v", AnonymousID: "a", DecisionGroup: "g", Context: ctx}); err != nil {
			t.Fatalf("decide: %v", err)
		}
		if _, err := e.Explain(context.Background(), decision.Request{VisitorID: "v", Context: ctx}); err != nil {
			t.Fatalf("explain: %v", err)
		}
	})
}

// FuzzTargeting evaluates one rule with an arbitrary operator, targeting
// value and context value (both as JSON): no panic, and Explain agrees with
// Decide.
func FuzzTargeting(f *testing.F) {
	f.Add(int32(4), `"FR"`, `"fr"`, "visitor")
	f.Add(int32(8), `["a",1,[true]]`, `["A",null]`, "v")
	f.Add(int32(13), `"1.2.3-beta"`, `"v1.2.3"`, "")
	f.Add(int32(15), `""`, `""`, "x")
	f.Add(int32(11), `true`, `[]`, "x")
	f.Add(int32(99), `{"a":1}`, `{"a":1}`, "x")
	f.Fuzz(func(t *testing.T, op int32, target, ctxValue, key string) {
		var tv, cv any
		if json.Unmarshal([]byte(target), &tv) != nil || json.Unmarshal([]byte(ctxValue), &cv) != nil {
			return
		}
		e := ruleEngine(t, []bucketing.Rule{{Key: key, Operator: bucketing.Operator(op), Value: tv}})
		r := decision.Request{VisitorID: "visitor", Context: map[string]any{key: cv}}
		d, err := e.Decide(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		x, err := e.Explain(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Campaigns) != 1 || len(x.Decision.Campaigns) != 1 ||
			d.Campaigns[0].VariationGroup.ID != x.Decision.Campaigns[0].VariationGroup.ID {
			t.Fatalf("Decide %v and Explain %v disagree", d.Campaigns, x.Decision.Campaigns)
		}
	})
}

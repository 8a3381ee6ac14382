package bench

import (
	"context"
	"strings"
	"testing"

	fsdecision "github.com/flagship-io/flagship-common"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// parseBase is a small valid file; the cases of TestDifferentialParse
// replace one marked fragment of it.
const parseBase = `{"generatedAt":"2025-05-01T10:00:00Z","panic":false,"accountSettings":{"enabledXPC":false,"enabled1V1T":false},
"campaigns":[{"id":"c1","name":"C","type":"ab","slug":"s1","bucketRanges":[{"r":[0,100]}],
"variationGroups":[{"id":"vg1","name":"G","targeting":{"targetingGroups":[{"targetings":[{"key":"plan","operator":"EQUALS","value":"gold"}]},{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
"variations":[{"id":"v1","name":"A","reference":true,"allocation":50,"modifications":{"type":"FLAG","value":{"color":"red"}}},
{"id":"v2","name":"B","allocation":50,"modifications":{"type":"FLAG","value":{"color":"blue","size":2}}}]}]}]}`

// TestDifferentialParse feeds both parsers (ours and protojson as
// Flagship's loader uses it) variants of a valid file and checks that they
// accept and reject the same inputs; accepted files are then decided for a
// few visitors by both engines.
func TestDifferentialParse(t *testing.T) {
	// A bucket range with fewer than two bounds is accepted by protojson
	// but crashes flagship-common at decision time (br[1] out of range);
	// our parser rejects the file instead (spec §5.4). These cases expect
	// exactly that divergence.
	divergent := map[string]bool{"ranges-one-bound": true, "ranges-no-bound": true}
	cases := []struct{ name, old, new string }{
		{"ranges-one-bound", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":[0]}]`},
		{"ranges-no-bound", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":[0,100]},{}]`},
		{"valid", "", ""},
		{"alloc-fraction", `"allocation":50,"mod`, `"allocation":33.5,"mod`},
		{"alloc-string", `"allocation":50,"mod`, `"allocation":"50","mod`},
		{"alloc-string-fraction", `"allocation":50,"mod`, `"allocation":"50.5","mod`},
		{"alloc-float-integral", `"allocation":50,"mod`, `"allocation":50.0,"mod`},
		{"alloc-exp", `"allocation":50,"mod`, `"allocation":5e1,"mod`},
		{"alloc-exp-neg", `"allocation":50,"mod`, `"allocation":500e-1,"mod`},
		{"alloc-overflow", `"allocation":50,"mod`, `"allocation":3000000000,"mod`},
		{"alloc-negative", `"allocation":50,"mod`, `"allocation":-50,"mod`},
		{"alloc-bool", `"allocation":50,"mod`, `"allocation":true,"mod`},
		{"alloc-null", `"allocation":50,"mod`, `"allocation":null,"mod`},
		{"alloc-string-spaces", `"allocation":50,"mod`, `"allocation":" 50","mod`},
		{"ranges-bare", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[[0,100]]`},
		{"ranges-strings", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":["0","100"]}]`},
		{"ranges-infinity", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":[0,"Infinity"]}]`},
		{"ranges-nan", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":["NaN",100]}]`},
		{"ranges-word", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":["x",100]}]`},
		{"ranges-three", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":[0,100,200]}]`},
		{"ranges-null", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":null`},
		{"ranges-snake", `"bucketRanges"`, `"bucket_ranges"`},
		{"ranges-both-spellings", `"bucketRanges":[{"r":[0,100]}]`, `"bucketRanges":[{"r":[0,100]}],"bucket_ranges":[{"r":[0,100]}]`},
		{"duplicate-key", `"id":"c1","name":"C"`, `"id":"c1","id":"c2","name":"C"`},
		{"operator-lowercase", `"operator":"EQUALS","value":"gold"`, `"operator":"equals","value":"gold"`},
		{"operator-number", `"operator":"EQUALS","value":"gold"`, `"operator":4,"value":"gold"`},
		{"operator-number-string", `"operator":"EQUALS","value":"gold"`, `"operator":"4","value":"gold"`},
		{"operator-fraction", `"operator":"EQUALS","value":"gold"`, `"operator":4.5,"value":"gold"`},
		{"operator-bool", `"operator":"EQUALS","value":"gold"`, `"operator":true,"value":"gold"`},
		{"operator-null", `"operator":"EQUALS","value":"gold"`, `"operator":null,"value":"gold"`},
		{"operator-out-of-range", `"operator":"EQUALS","value":"gold"`, `"operator":99,"value":"gold"`},
		{"key-number", `"key":"plan"`, `"key":5`},
		{"key-null", `"key":"plan"`, `"key":null`},
		{"value-null", `"value":"gold"`, `"value":null`},
		{"value-object", `"value":"gold"`, `"value":{"a":[1,{"b":null}]}`},
		{"provider", `"value":"gold"`, `"value":"gold","provider":"segment"`},
		{"provider-number", `"value":"gold"`, `"value":"gold","provider":1`},
		{"panic-string", `"panic":false`, `"panic":"true"`},
		{"panic-true", `"panic":false`, `"panic":true`},
		{"unknown-field", `"panic":false`, `"panic":false,"whatever":{"x":[1,2]}`},
		{"slug-null", `"slug":"s1"`, `"slug":null`},
		{"slug-number", `"slug":"s1"`, `"slug":5`},
		{"custom-id", `"slug":"s1"`, `"custom_id":"legacy"`},
		{"mods-value-list", `"value":{"color":"red"}`, `"value":["red"]`},
		{"mods-type-unknown", `"type":"FLAG","value":{"color":"red"}`, `"type":"XX","value":{"color":"red"}`},
		{"mods-type-number", `"type":"FLAG","value":{"color":"red"}`, `"type":2,"value":{"color":"red"}`},
		{"mods-null", `"modifications":{"type":"FLAG","value":{"color":"red"}}`, `"modifications":null`},
		{"mods-duplicate-flag", `"value":{"color":"red"}`, `"value":{"color":"red","color":"blue"}`},
		{"campaigns-null", `"campaigns":[`, `"campaigns":null,"x":[`},
		{"account-null", `"accountSettings":{"enabledXPC":false,"enabled1V1T":false}`, `"accountSettings":null`},
		{"account-1v1t", `"enabled1V1T":false`, `"enabled1V1T":true`},
		{"generated-number", `"generatedAt":"2025-05-01T10:00:00Z"`, `"generatedAt":5`},
		{"troubleshooting-ok", `"enabled1V1T":false`, `"enabled1V1T":false,"troubleshooting":{"startDate":"2025-05-01T00:00:00Z","endDate":"2025-05-02T00:00:00Z","timezone":"Europe/Paris","traffic":40}`},
		{"troubleshooting-bad-date", `"enabled1V1T":false`, `"enabled1V1T":false,"troubleshooting":{"startDate":"yesterday"}`},
		{"te-options", `"reference":true,`, `"reference":true,"teOptions":{"contextKeys":{"a":"b"}},`},
		{"te-options-bad", `"reference":true,`, `"reference":true,"teOptions":{"contextKeys":{"a":1}},`},
		{"reference-string", `"reference":true`, `"reference":"true"`},
		{"id-lone-surrogate", `"id":"v1"`, `"id":"\ud800"`},
		{"id-escaped", `"id":"v1"`, `"id":"v\u00e9\n"`},
		{"invalid-utf8", `"name":"A"`, "\"name\":\"\xff\""},
		{"trailing-garbage", "", ""},
		{"top-level-array", "", ""},
		{"empty-object", "", ""},
		{"targeting-null", `"targeting":{"targetingGroups"`, `"targeting":null,"x":{"targetingGroups"`},
		{"targetings-null", `"targetings":[{"key":"plan"`, `"targetings":null,"x":[{"key":"plan"`},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := parseBase
			switch tc.name {
			case "trailing-garbage":
				data += " x"
			case "top-level-array":
				data = "[" + data + "]"
			case "empty-object":
				data = "{}"
			default:
				if tc.old != "" {
					if !strings.Contains(data, tc.old) {
						t.Fatalf("fragment %q not in the base file", tc.old)
					}
					data = strings.Replace(data, tc.old, tc.new, 1)
				}
			}
			cfg, err := bucketing.ParseConfig([]byte(data))
			ref, rerr := parseRef([]byte(data))
			if divergent[tc.name] {
				if err == nil || rerr != nil {
					t.Fatalf("want ours to reject and protojson to accept: ours %v, theirs %v", err, rerr)
				}
				return
			}
			if (err == nil) != (rerr == nil) {
				t.Fatalf("MISMATCH accept/reject: ours %v, theirs %v\nfile: %s", err, rerr, data)
			}
			if err != nil {
				return
			}
			e := bucketing.NewEngine(bucketing.Options{})
			e.Update(cfg)
			env := ref.env(false)
			for _, vid := range []string{"visitor-1", "visitor-2", "用户", "a", "aG91c2Vob2xkLTQy", "v-9", "x"} {
				for _, plan := range []any{"gold", "GOLD", 1.0, nil} {
					req := decision.Request{VisitorID: vid, Context: map[string]any{"plan": plan}}
					rctx, err := refContext(req.Context)
					if err != nil {
						t.Fatal(err)
					}
					resp, p := refDecide(env, fsdecision.Visitor{ID: vid, Context: rctx}, fsdecision.DecisionOptions{ExposeAllKeys: true}, fsdecision.DecisionHandlers{})
					if p != nil {
						t.Fatalf("reference panic: %v", p)
					}
					d, err := e.Decide(ctx, req)
					if err != nil {
						t.Fatal(err)
					}
					if d.Panic != ref.msg.GetPanic() {
						t.Fatalf("panic flag: ours %v, file %v", d.Panic, ref.msg.GetPanic())
					}
					if d.Panic {
						continue // the decision API answers panic mode before GetDecision
					}
					if diff := compareDecisions(fromOurs(d), fromRef(resp)); diff != "" {
						t.Fatalf("MISMATCH visitor %q plan %v: %s\nfile: %s", vid, plan, diff, data)
					}
				}
			}
		})
	}
}

package bucketing

import (
	"context"
	"strconv"
	"testing"

	"github.com/seed27eed597/flagship-go/decision"
)

// TestValueCacheBounded decides for more distinct context values than the
// cache holds: the cache stops growing at its bound and decisions stay
// right before and after, for cached and uncached values alike.
func TestValueCacheBounded(t *testing.T) {
	f := &File{Campaigns: []Campaign{{
		ID: "c", Type: "perso", BucketRanges: []BucketRange{{R: []float64{0, 100}}},
		VariationGroups: []VariationGroup{
			{ID: "even", Targeting: Targeting{Groups: []TargetingGroup{{Rules: []Rule{{Key: "k", Operator: OperatorEndsWith, Value: "0"}}}}},
				Variations: []Variation{{ID: "v", Allocation: 100}}},
			{ID: "other", Targeting: Targeting{Groups: []TargetingGroup{{Rules: []Rule{{Key: "k", Operator: OperatorExists, Value: true}}}}},
				Variations: []Variation{{ID: "w", Allocation: 100}}},
		},
	}}}
	cfg, err := Compile(f)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(Options{})
	e.Update(cfg)
	for round := 0; round < 2; round++ {
		for i := 0; i < 2*maxCachedValues; i++ {
			v := "value-" + strconv.Itoa(i)
			d, err := e.Decide(context.Background(), decision.Request{VisitorID: "x", Context: map[string]any{"k": v}})
			if err != nil {
				t.Fatal(err)
			}
			want := "other"
			if i%10 == 0 {
				want = "even"
			}
			if got := d.Campaigns[0].VariationGroup.ID; got != want {
				t.Fatalf("round %d value %q: got %s, want %s", round, v, got, want)
			}
		}
	}
	if n := cfg.caches[0].t.Load().n; n != maxCachedValues {
		t.Fatalf("cache holds %d values, want the bound %d", n, maxCachedValues)
	}
}

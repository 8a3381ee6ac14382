package data

import (
	"testing"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// TestBucketing: the bundled file is one Flagship accepts, with the four
// campaigns the demo and README describe.
func TestBucketing(t *testing.T) {
	f, err := bucketing.Parse(Bucketing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bucketing.Compile(f); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, typ   string
		allocations []int32
		targeted    bool
	}{
		{"Checkout flow A/B test", "ab", []int32{50, 50}, false},
		{"Dark mode rollout", "toggle", []int32{30}, false},
		{"Product page multivariate test", "ab", []int32{40, 30, 20, 10}, false},
		{"Free shipping for loyalty members", "perso", []int32{50, 50}, true},
	}
	if len(f.Campaigns) != len(want) {
		t.Fatalf("%d campaigns, want %d", len(f.Campaigns), len(want))
	}
	for i, w := range want {
		c := f.Campaigns[i]
		if c.Name != w.name || c.Type != w.typ || len(c.VariationGroups) != 1 {
			t.Fatalf("campaign %d: %q (%s), %d groups", i, c.Name, c.Type, len(c.VariationGroups))
		}
		g := c.VariationGroups[0]
		var got []int32
		for _, v := range g.Variations {
			got = append(got, v.Allocation)
		}
		if len(got) != len(w.allocations) {
			t.Fatalf("%s: allocations %v, want %v", c.Name, got, w.allocations)
		}
		for j := range got {
			if got[j] != w.allocations[j] {
				t.Fatalf("%s: allocations %v, want %v", c.Name, got, w.allocations)
			}
		}
		rule := g.Targeting.Groups[0].Rules[0]
		if targeted := rule.Key != "fs_all_users"; targeted != w.targeted {
			t.Errorf("%s: targeted on %q", c.Name, rule.Key)
		}
	}
}

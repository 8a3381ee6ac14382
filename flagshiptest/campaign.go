package flagshiptest

import (
	"math"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// allUsers is the targeting Flagship's dashboard writes for "all users".
func allUsers() bucketing.Targeting {
	return bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "fs_all_users", Operator: bucketing.OperatorEquals, Value: ""},
	}}}}
}

// Campaign returns an A/B test (type "ab") with id id that targets every
// visitor (bucket range [0, 100], one variation group "vg_"+id targeting
// fs_all_users) and splits them between variations by their allocations.
// Visitors beyond the allocations' sum are untracked and get no campaign.
//
// The result is plain data: set Name, Slug, a Reference variation or a
// narrower targeting on it before giving it to [WithCampaigns].
func Campaign(id string, variations ...bucketing.Variation) bucketing.Campaign {
	return bucketing.Campaign{
		ID:           id,
		Type:         "ab",
		BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}},
		VariationGroups: []bucketing.VariationGroup{{
			ID:         "vg_" + id,
			Targeting:  allUsers(),
			Variations: variations,
		}},
	}
}

// Toggle returns a feature toggle (type "toggle") with id id that gives
// every visitor flags: one variation group "vg_"+id targeting every
// visitor, with one variation "var_"+id at 100%.
func Toggle(id string, flags map[string]any) bucketing.Campaign {
	c := Campaign(id, Variation("var_"+id, 100, flags))
	c.Type = "toggle"
	return c
}

// Variation returns a variation with id id, allocation percent of its
// group's visitors (allocations are cumulative in order and clamped to
// the int32 range) and flag values flags (modification type "FLAG").
// flags is not copied; the handler copies it when the campaign is set.
func Variation(id string, allocation int, flags map[string]any) bucketing.Variation {
	a := int32(max(min(allocation, math.MaxInt32), math.MinInt32))
	return bucketing.Variation{
		ID:            id,
		Allocation:    a,
		Modifications: decision.Modifications{Type: "FLAG", Value: flags},
	}
}

package peerbench

import (
	"encoding/json"
	"fmt"
)

// The subset of the bucketing file's schema (spec §4.2) the flags need.
type (
	bucketingFile struct {
		Panic           bool            `json:"panic"`
		AccountSettings accountSettings `json:"accountSettings"`
		Campaigns       []campaign      `json:"campaigns"`
	}
	accountSettings struct {
		Enabled1V1T bool `json:"enabled1V1T"`
		EnabledXPC  bool `json:"enabledXPC"`
	}
	campaign struct {
		ID              string           `json:"id"`
		Name            string           `json:"name"`
		Type            string           `json:"type"`
		Slug            string           `json:"slug"`
		BucketRanges    []bucketRange    `json:"bucketRanges"`
		VariationGroups []variationGroup `json:"variationGroups"`
	}
	bucketRange struct {
		R [2]float64 `json:"r"`
	}
	variationGroup struct {
		ID         string      `json:"id"`
		Name       string      `json:"name"`
		Targeting  targeting   `json:"targeting"`
		Variations []variation `json:"variations"`
	}
	targeting struct {
		TargetingGroups []targetingGroup `json:"targetingGroups"`
	}
	targetingGroup struct {
		Targetings []target `json:"targetings"`
	}
	target struct {
		Key      string `json:"key"`
		Operator string `json:"operator"`
		Value    any    `json:"value"`
	}
	variation struct {
		ID            string        `json:"id"`
		Name          string        `json:"name"`
		Reference     bool          `json:"reference"`
		Allocation    int           `json:"allocation"`
		Modifications modifications `json:"modifications"`
	}
	modifications struct {
		Type  string         `json:"type"`
		Value map[string]any `json:"value"`
	}
)

// BucketingJSON returns the Flagship bucketing file for flags: one "ab"
// campaign per flag, open to all traffic (bucket range 0-100), with one
// variation group whose targeting is the flag's clauses (one targeting
// group: AND) and two variations at 50% setting the flag to Control and
// Treatment.
func BucketingJSON(flags []Flag) []byte {
	f := bucketingFile{Campaigns: make([]campaign, 0, len(flags))}
	for i, fl := range flags {
		var ts []target
		for _, c := range fl.Clauses {
			ts = append(ts, flagshipTarget(c))
		}
		id := fmt.Sprintf("peerbench%03d", i)
		f.Campaigns = append(f.Campaigns, campaign{
			ID:           id,
			Name:         "A/B test " + fl.Key,
			Type:         "ab",
			Slug:         fl.Key,
			BucketRanges: []bucketRange{{R: [2]float64{0, 100}}},
			VariationGroups: []variationGroup{{
				ID:        id + "vg",
				Name:      "targeted users",
				Targeting: targeting{TargetingGroups: []targetingGroup{{Targetings: ts}}},
				Variations: []variation{
					{ID: id + "a", Name: "Control", Reference: true, Allocation: 50,
						Modifications: modifications{Type: "FLAG", Value: map[string]any{fl.Key: Control}}},
					{ID: id + "b", Name: "Treatment", Allocation: 50,
						Modifications: modifications{Type: "FLAG", Value: map[string]any{fl.Key: Treatment}}},
				},
			}},
		})
	}
	b, err := json.MarshalIndent(f, "", " ")
	if err != nil {
		panic(err) // only strings, numbers and bools: cannot happen
	}
	return b
}

func flagshipTarget(c Clause) target {
	switch c.Op {
	case OpIn:
		if len(c.Strings) == 1 {
			return target{Key: c.Attr, Operator: "EQUALS", Value: c.Strings[0]}
		}
		// EQUALS with a list: any element (spec §6.3 rule 3).
		return target{Key: c.Attr, Operator: "EQUALS", Value: c.Strings}
	case OpGTE:
		return target{Key: c.Attr, Operator: "GREATER_THAN_OR_EQUALS", Value: c.Number}
	case OpLT:
		return target{Key: c.Attr, Operator: "LOWER_THAN", Value: c.Number}
	default:
		return target{Key: c.Attr, Operator: "EQUALS", Value: c.Bool}
	}
}

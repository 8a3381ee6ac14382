package flagshiptest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// marshalFile encodes f as the protobuf-JSON (lowerCamelCase) bucketing
// file bucketing.Parse reads back as f: bucketing.File has no JSON tags
// matching the wire names. Nil and empty slices and maps are told apart
// (a nil one is omitted), a nil Slug is omitted, a rule with NoValue has
// no "value", and an operator without a name is written as its number.
// Values are encoded by encoding/json, so ints read back as float64, and
// values JSON can't hold (NaN, channels, ...) are an error.
func marshalFile(f *bucketing.File) ([]byte, error) {
	w := wireFile{
		GeneratedAt:          f.GeneratedAt,
		Panic:                f.Panic,
		VisitorConsolidation: f.VisitorConsolidation,
		AccountSettings:      wireAccountSettings(f.AccountSettings),
	}
	if f.Campaigns != nil {
		cs := make([]wireCampaign, len(f.Campaigns))
		for i := range f.Campaigns {
			cs[i] = toWireCampaign(&f.Campaigns[i])
		}
		w.Campaigns = &cs
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(w); err != nil {
		return nil, fmt.Errorf("encode bucketing file: %w", err)
	}
	return buf.Bytes(), nil
}

type wireFile struct {
	GeneratedAt          string              `json:"generatedAt,omitempty"`
	Panic                bool                `json:"panic"`
	VisitorConsolidation bool                `json:"visitorConsolidation"`
	AccountSettings      wireAccountSettings `json:"accountSettings"` // always: Flagship's loader needs it
	Campaigns            *[]wireCampaign     `json:"campaigns,omitempty"`
}

type wireAccountSettings struct {
	EnabledXPC  bool `json:"enabledXPC"`
	Enabled1V1T bool `json:"enabled1V1T"`
}

type wireCampaign struct {
	ID              string              `json:"id"`
	Name            string              `json:"name"`
	Type            string              `json:"type"`
	Slug            *string             `json:"slug,omitempty"`
	BucketRanges    *[]wireBucketRange  `json:"bucketRanges,omitempty"`
	VariationGroups *[]wireVariationGrp `json:"variationGroups,omitempty"`
}

type wireBucketRange struct {
	R *[]float64 `json:"r,omitempty"`
}

type wireVariationGrp struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Targeting  *wireTargeting   `json:"targeting,omitempty"`
	Variations *[]wireVariation `json:"variations,omitempty"`
}

type wireTargeting struct {
	Groups []wireTargetingGroup `json:"targetingGroups"`
}

type wireTargetingGroup struct {
	Rules *[]wireRule `json:"targetings,omitempty"`
}

type wireRule struct {
	Key      string `json:"key"`
	Operator any    `json:"operator"` // name, or number when it has none
	Value    *any   `json:"value,omitempty"`
	Provider string `json:"provider,omitempty"`
}

type wireVariation struct {
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Reference     bool              `json:"reference"`
	Allocation    int32             `json:"allocation"`
	Modifications wireModifications `json:"modifications"`
}

type wireModifications struct {
	Type  string          `json:"type,omitempty"`
	Value *map[string]any `json:"value,omitempty"`
}

func toWireCampaign(c *bucketing.Campaign) wireCampaign {
	w := wireCampaign{ID: c.ID, Name: c.Name, Type: c.Type, Slug: c.Slug}
	if c.BucketRanges != nil {
		rs := make([]wireBucketRange, len(c.BucketRanges))
		for i, r := range c.BucketRanges {
			if r.R != nil {
				rs[i].R = &r.R
			}
		}
		w.BucketRanges = &rs
	}
	if c.VariationGroups != nil {
		vgs := make([]wireVariationGrp, len(c.VariationGroups))
		for i := range c.VariationGroups {
			vgs[i] = toWireVariationGroup(&c.VariationGroups[i])
		}
		w.VariationGroups = &vgs
	}
	return w
}

func toWireVariationGroup(vg *bucketing.VariationGroup) wireVariationGrp {
	w := wireVariationGrp{ID: vg.ID, Name: vg.Name}
	if vg.Targeting.Groups != nil {
		t := &wireTargeting{Groups: make([]wireTargetingGroup, len(vg.Targeting.Groups))}
		for i, g := range vg.Targeting.Groups {
			if g.Rules == nil {
				continue
			}
			rules := make([]wireRule, len(g.Rules))
			for j := range g.Rules {
				rules[j] = toWireRule(&g.Rules[j])
			}
			t.Groups[i].Rules = &rules
		}
		w.Targeting = t
	}
	if vg.Variations != nil {
		vs := make([]wireVariation, len(vg.Variations))
		for i := range vg.Variations {
			v := &vg.Variations[i]
			vs[i] = wireVariation{ID: v.ID, Name: v.Name, Reference: v.Reference, Allocation: v.Allocation,
				Modifications: wireModifications{Type: v.Modifications.Type}}
			if v.Modifications.Value != nil {
				vs[i].Modifications.Value = &v.Modifications.Value
			}
		}
		w.Variations = &vs
	}
	return w
}

func toWireRule(r *bucketing.Rule) wireRule {
	w := wireRule{Key: r.Key, Provider: r.Provider}
	if _, named := bucketing.ParseOperator(r.Operator.String()); named {
		w.Operator = r.Operator.String()
	} else {
		w.Operator = int32(r.Operator)
	}
	if !r.NoValue {
		v := r.Value
		w.Value = &v
	}
	return w
}

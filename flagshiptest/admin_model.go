package flagshiptest

import (
	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// The management model and the bucketing file's (spec §8). A campaign set
// in code becomes an active management campaign with the same ids,
// names, targeting, allocations and flag values; a campaign of the API
// projects into the file with bucket ranges [0, 100] (or those it was set
// in code with), its targeting ("every visitor" when it has none) and its
// variations, modification type FLAG unless another is given.

// fromBucketing returns the management view of a campaign set in code,
// active, dated now. Its values are bc's, which must not change.
func fromBucketing(bc *bucketing.Campaign, now string) admin.Campaign {
	c := admin.Campaign{
		ID:              bc.ID,
		Name:            bc.Name,
		Type:            admin.CampaignType(bc.Type),
		Status:          admin.StatusActive,
		VariationGroups: make([]admin.VariationGroup, len(bc.VariationGroups)),
		CreatedAt:       now,
		UpdatedAt:       now,
	}
	if bc.Slug != nil {
		c.Slug = *bc.Slug
	}
	for i := range bc.VariationGroups {
		c.VariationGroups[i] = fromBucketingGroup(&bc.VariationGroups[i])
	}
	return c
}

func fromBucketingGroup(vg *bucketing.VariationGroup) admin.VariationGroup {
	g := admin.VariationGroup{ID: vg.ID, Name: vg.Name, Variations: make([]admin.Variation, len(vg.Variations))}
	if vg.Targeting.Groups != nil {
		t := &admin.Targeting{TargetingGroups: make([]admin.TargetingGroup, len(vg.Targeting.Groups))}
		for i, tg := range vg.Targeting.Groups {
			rules := make([]admin.TargetingRule, len(tg.Rules))
			for j, r := range tg.Rules {
				rules[j] = admin.TargetingRule{Key: r.Key, Operator: admin.Operator(r.Operator.String()), Value: r.Value}
			}
			t.TargetingGroups[i].Targetings = rules
		}
		g.Targeting = t
	}
	for i, v := range vg.Variations {
		g.Variations[i] = admin.Variation{
			ID:            v.ID,
			Name:          v.Name,
			Reference:     v.Reference,
			Allocation:    int(v.Allocation),
			Modifications: &admin.Modifications{Type: v.Modifications.Type, Value: v.Modifications.Value},
		}
	}
	return g
}

// projection returns what the bucketing file serves of c.
func (c *adminCampaign) projection() bucketing.Campaign {
	if c.proj != nil {
		return *c.proj
	}
	m := &c.c
	bc := bucketing.Campaign{
		ID:              m.ID,
		Name:            m.Name,
		Type:            string(m.Type),
		BucketRanges:    c.ranges,
		VariationGroups: make([]bucketing.VariationGroup, len(m.VariationGroups)),
	}
	if bc.BucketRanges == nil {
		bc.BucketRanges = []bucketing.BucketRange{{R: []float64{0, 100}}}
	}
	if m.Slug != "" {
		slug := m.Slug
		bc.Slug = &slug
	}
	for i := range m.VariationGroups {
		bc.VariationGroups[i] = projectGroup(&m.VariationGroups[i])
	}
	return bc
}

func projectGroup(g *admin.VariationGroup) bucketing.VariationGroup {
	vg := bucketing.VariationGroup{ID: g.ID, Name: g.Name, Variations: make([]bucketing.Variation, len(g.Variations))}
	if g.Targeting == nil || len(g.Targeting.TargetingGroups) == 0 {
		vg.Targeting = allUsers()
	} else {
		vg.Targeting.Groups = make([]bucketing.TargetingGroup, len(g.Targeting.TargetingGroups))
		for i, tg := range g.Targeting.TargetingGroups {
			rules := make([]bucketing.Rule, len(tg.Targetings))
			for j, r := range tg.Targetings {
				op, _ := bucketing.ParseOperator(string(r.Operator)) // validated
				rules[j] = bucketing.Rule{Key: r.Key, Operator: op, Value: r.Value, NoValue: r.Value == nil}
			}
			vg.Targeting.Groups[i].Rules = rules
		}
	}
	for i, v := range g.Variations {
		mods := decision.Modifications{Type: admin.ModificationsFlag, Value: map[string]any{}}
		if m := v.Modifications; m != nil {
			if m.Type != "" {
				mods.Type = m.Type
			}
			if m.Value != nil {
				mods.Value = m.Value
			}
		}
		vg.Variations[i] = bucketing.Variation{
			ID:            v.ID,
			Name:          v.Name,
			Allocation:    int32(v.Allocation), // validated: 0 to 100
			Reference:     v.Reference,
			Modifications: mods,
		}
	}
	return vg
}

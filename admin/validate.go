package admin

import (
	"fmt"
)

// Validate reports what the API would refuse in c before it is sent
// (spec §5, §9.3): a missing project_id, name or type, an unknown type, no
// variation group, and in each group no variation, an allocation outside
// 0–100, allocations not summing to 100, not exactly one reference, an
// unnamed variation, a modification type other than FLAG, a targeting
// rule without key or with an unknown operator. Every problem is a
// [*FieldError] naming its path; they are joined. The error matches
// [ErrValidation]. Read-only fields and goals are not checked.
func (c *Campaign) Validate() error {
	var fe fieldErrors
	if c.ProjectID == "" {
		fe.add("project_id", "required")
	}
	if c.Name == "" {
		fe.add("name", "required")
	}
	switch c.Type {
	case "":
		fe.add("type", "required")
	case TypeAB, TypePerso, TypeDeployment, TypeFlag, TypeCustom, TypeToggle:
	default:
		fe.add("type", "unknown campaign type %q", c.Type)
	}
	if len(c.VariationGroups) == 0 {
		fe.add("variation_groups", "at least one variation group is required")
	}
	for i := range c.VariationGroups {
		c.VariationGroups[i].validate(&fe, fmt.Sprintf("variation_groups[%d]", i))
	}
	return fe.err()
}

func (g *VariationGroup) validate(fe *fieldErrors, path string) {
	if len(g.Variations) == 0 {
		fe.add(path+".variations", "at least one variation is required")
		return
	}
	sum, refs := 0, 0
	for i, v := range g.Variations {
		vp := fmt.Sprintf("%s.variations[%d]", path, i)
		if v.Name == "" {
			fe.add(vp+".name", "required")
		}
		if v.Allocation < 0 || v.Allocation > 100 {
			fe.add(vp+".allocation", "%d is not between 0 and 100", v.Allocation)
		}
		sum += v.Allocation
		if v.Reference {
			refs++
		}
		if m := v.Modifications; m != nil {
			if m.Type != "" && m.Type != ModificationsFlag {
				fe.add(vp+".modifications.type", "%q: only %q is accepted", m.Type, ModificationsFlag)
			}
			for k := range m.Value {
				if k == "" {
					fe.add(vp+".modifications.value", "empty flag key")
				}
			}
		}
	}
	if sum != 100 {
		fe.add(path+".variations", "allocations sum to %d, want 100", sum)
	}
	if refs != 1 {
		fe.add(path+".variations", "%d reference variations, want exactly 1", refs)
	}
	if g.Targeting != nil {
		for i, tg := range g.Targeting.TargetingGroups {
			gp := fmt.Sprintf("%s.targeting.targeting_groups[%d]", path, i)
			if len(tg.Targetings) == 0 {
				fe.add(gp+".targetings", "at least one targeting is required")
			}
			for j, r := range tg.Targetings {
				rp := fmt.Sprintf("%s.targetings[%d]", gp, j)
				if r.Key == "" {
					fe.add(rp+".key", "required")
				}
				if !r.Operator.Known() {
					fe.add(rp+".operator", "unknown operator %q", r.Operator)
				}
			}
		}
	}
}

// Validate reports a project without a name.
func (p *Project) Validate() error {
	var fe fieldErrors
	if p.Name == "" {
		fe.add("name", "required")
	}
	return fe.err()
}

// Validate reports a flag without a name or with an unknown type.
func (f *Flag) Validate() error {
	var fe fieldErrors
	if f.Name == "" {
		fe.add("name", "required")
	}
	switch f.Type {
	case "":
		fe.add("type", "required")
	case FlagString, FlagBoolean, FlagNumber, FlagArray, FlagObject, FlagJSON:
	default:
		fe.add("type", "unknown flag type %q", f.Type)
	}
	return fe.err()
}

// Validate reports a targeting key without a name or with an unknown type.
func (k *TargetingKey) Validate() error {
	var fe fieldErrors
	if k.Name == "" {
		fe.add("name", "required")
	}
	switch k.Type {
	case "":
		fe.add("type", "required")
	case TargetingKeyString, TargetingKeyBoolean, TargetingKeyNumber:
	default:
		fe.add("type", "unknown targeting key type %q", k.Type)
	}
	return fe.err()
}

// Validate reports a goal without a label or a type.
func (g *Goal) Validate() error {
	var fe fieldErrors
	g.validate(&fe, "")
	return fe.err()
}

func (g *Goal) validate(fe *fieldErrors, prefix string) {
	if g.Label == "" {
		fe.add(prefix+"label", "required")
	}
	if g.Type == "" {
		fe.add(prefix+"type", "required")
	}
}

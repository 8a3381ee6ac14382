package bucketing

import (
	"fmt"

	"github.com/seed27eed597/flagship-go/decision"
)

// Config is a compiled bucketing file: immutable, safe for concurrent use,
// and shared by every decision made while it is current. Build one with
// [Compile] or [ParseConfig].
type Config struct {
	panic     bool
	xpc       bool
	singleAB  bool // enabled1V1T
	campaigns []ccampaign
	// duplicates are campaigns dropped because an earlier one had their id.
	duplicates []duplicate
	// keys are the distinct context keys rules read; rules refer to them by
	// slot index so each is looked up at most once per decision.
	keys        []string
	generatedAt string
}

type duplicate struct {
	index int
	id    string
}

type ccampaign struct {
	index  int // position in the file
	id     string
	typ    string
	isAB   bool
	ranges [][2]float32
	vgs    []cvg
}

type cvg struct {
	id         string
	groups     []cgroup
	variations []cvariation
	// cum holds the float32 running sums of the allocations, exactly as
	// flagship-common accumulates them.
	cum []float32
	// single is flagship-common's shortcut: one variation at 100%.
	single bool
}

type cgroup struct {
	rules []crule
}

type ruleKind uint8

const (
	ruleContext  ruleKind = iota // reads the context slot
	ruleUsers                    // fs_users: the visitor id
	ruleAllUsers                 // fs_all_users: neutral
	ruleProvider                 // third-party provider: never present
)

type crule struct {
	kind   ruleKind
	slot   int32
	op     Operator
	target cval
	// src is the rule as written, for explanations.
	src *Rule
}

type cvariation struct {
	id string
	// result is the prebuilt assignment returned for this variation.
	result decision.Campaign
}

// Panic reports whether the environment is in panic mode.
func (c *Config) Panic() bool { return c.panic }

// GeneratedAt returns the file's generatedAt field.
func (c *Config) GeneratedAt() string { return c.generatedAt }

// NumCampaigns returns the number of campaigns decisions consider
// (duplicates excluded).
func (c *Config) NumCampaigns() int { return len(c.campaigns) }

// ParseConfig parses and compiles a bucketing file.
func ParseConfig(data []byte) (*Config, error) {
	f, err := Parse(data)
	if err != nil {
		return nil, err
	}
	return Compile(f)
}

// Compile compiles f into an immutable [Config]: strings are lower-cased,
// semantic versions parsed, allocations accumulated and flag maps built once.
// The Config does not retain f's slices except the Rules it explains; f
// must not be modified afterwards.
func Compile(f *File) (*Config, error) {
	cfg := &Config{
		panic:       f.Panic,
		xpc:         f.VisitorConsolidation || f.AccountSettings.EnabledXPC,
		singleAB:    f.AccountSettings.Enabled1V1T,
		generatedAt: f.GeneratedAt,
		campaigns:   make([]ccampaign, 0, len(f.Campaigns)),
	}
	slots := map[string]int32{}
	seen := make(map[string]bool, len(f.Campaigns))
	for ci := range f.Campaigns {
		c := &f.Campaigns[ci]
		if seen[c.ID] {
			cfg.duplicates = append(cfg.duplicates, duplicate{index: ci, id: c.ID})
			continue
		}
		seen[c.ID] = true
		cc := ccampaign{index: ci, id: c.ID, typ: c.Type, isAB: c.Type == "ab"}
		for ri, r := range c.BucketRanges {
			if len(r.R) < 2 {
				return nil, &ParseError{Path: fmt.Sprintf("campaigns[%d].bucketRanges[%d].r", ci, ri), Msg: "a bucket range needs two bounds"}
			}
			cc.ranges = append(cc.ranges, [2]float32{float32(r.R[0]), float32(r.R[1])})
		}
		slug := ""
		if c.Slug != nil {
			slug = *c.Slug
		}
		cc.vgs = make([]cvg, len(c.VariationGroups))
		for vi := range c.VariationGroups {
			vg := &c.VariationGroups[vi]
			if err := compileVG(cfg, slots, c, slug, vg, &cc.vgs[vi]); err != nil {
				return nil, fmt.Errorf("bucketing: campaigns[%d].variationGroups[%d]: %w", ci, vi, err)
			}
		}
		cfg.campaigns = append(cfg.campaigns, cc)
	}
	return cfg, nil
}

func compileVG(cfg *Config, slots map[string]int32, c *Campaign, slug string, vg *VariationGroup, out *cvg) error {
	out.id = vg.ID
	out.groups = make([]cgroup, len(vg.Targeting.Groups))
	for gi := range vg.Targeting.Groups {
		g := &vg.Targeting.Groups[gi]
		out.groups[gi].rules = make([]crule, len(g.Rules))
		for ri := range g.Rules {
			r := &g.Rules[ri]
			t, err := compileTarget(r.Value, r.NoValue)
			if err != nil {
				return fmt.Errorf("targeting group %d rule %d: %w", gi, ri, err)
			}
			cr := crule{op: r.Operator, target: t, src: r}
			switch {
			case r.Key == "fs_all_users":
				cr.kind = ruleAllUsers
			case r.Key == "fs_users":
				cr.kind = ruleUsers
			case r.Provider != "":
				cr.kind = ruleProvider
			default:
				slot, ok := slots[r.Key]
				if !ok {
					slot = int32(len(cfg.keys))
					slots[r.Key] = slot
					cfg.keys = append(cfg.keys, r.Key)
				}
				cr.slot = slot
			}
			out.groups[gi].rules[ri] = cr
		}
	}

	// With exposeAllKeys, every variation lists every flag key of its
	// group, missing ones as null: build those maps once here.
	var keys []string
	seenKey := map[string]bool{}
	for i := range vg.Variations {
		for k := range vg.Variations[i].Modifications.Value {
			if !seenKey[k] {
				seenKey[k] = true
				keys = append(keys, k)
			}
		}
	}
	out.variations = make([]cvariation, len(vg.Variations))
	out.cum = make([]float32, len(vg.Variations))
	var sum float32
	for i := range vg.Variations {
		v := &vg.Variations[i]
		sum += float32(v.Allocation)
		out.cum[i] = sum
		value := make(map[string]any, len(keys))
		for _, k := range keys {
			value[k] = v.Modifications.Value[k] // nil when missing
		}
		mt := v.Modifications.Type
		if mt == "" {
			mt = "NULL"
		}
		out.variations[i] = cvariation{id: v.ID, result: decision.Campaign{
			ID:             c.ID,
			Name:           c.Name,
			Slug:           slug,
			Type:           c.Type,
			VariationGroup: decision.VariationGroup{ID: vg.ID, Name: vg.Name},
			Variation: decision.Variation{
				ID:            v.ID,
				Name:          v.Name,
				Reference:     v.Reference,
				Modifications: decision.Modifications{Type: mt, Value: value},
			},
		}}
	}
	out.single = len(vg.Variations) == 1 && vg.Variations[0].Allocation == 100
	return nil
}

package bucketing

import (
	"fmt"
	"math"
	"strconv"
	"sync"

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
	keys    []string
	numMemo int
	// slotRules are the distinct rules reading each key, and caches their
	// results per value (see valuecache.go).
	slotRules   [][]slotRule
	caches      []slotCache
	generatedAt string
	// file is the compiled file, whose flag fingerprints (see
	// flagPrints) are computed on first use, by ChangedFlags or HasFlag
	// (once per new file in the SDK's client), so that Compile's other
	// callers (flagshiptest's projection, decide, explain) do not pay for
	// them; it is released once they are.
	file      *File
	flagsOnce sync.Once
	flagMap   map[string]uint64
}

// compiler holds the state of one Compile call.
type compiler struct {
	cfg   *Config
	slots map[string]int32
	memo  map[string]int32
	// memoPos is the slotRules position of each memo index (-1 if none).
	memoPos []int32
	buf     []byte
	// samples holds a context value of each signature (see errorMask).
	samples [numSignatures]cval
}

func (cp *compiler) slot(key string) int32 {
	slot, ok := cp.slots[key]
	if !ok {
		slot = int32(len(cp.cfg.keys))
		cp.slots[key] = slot
		cp.cfg.keys = append(cp.cfg.keys, key)
	}
	return slot
}

// memoIndex returns the shared result slot of rules identical to r.
func (cp *compiler) memoIndex(cr *crule, r *Rule) int32 {
	b := cp.buf[:0]
	b = append(b, byte(cr.kind), byte(cr.op), byte(cr.op>>8), byte(cr.op>>16), byte(cr.op>>24))
	b = strconv.AppendInt(b, int64(cr.slot), 10)
	if r.NoValue {
		b = append(b, 'A')
	}
	b, ok := appendValueKey(b, &cr.target)
	cp.buf = b
	if !ok {
		return -1
	}
	i, ok := cp.memo[string(b)]
	if !ok {
		i = int32(len(cp.memo))
		cp.memo[string(b)] = i
		cp.cfg.numMemo = len(cp.memo)
		pos := int32(-1)
		if cr.kind == ruleContext {
			for int(cr.slot) >= len(cp.cfg.slotRules) {
				cp.cfg.slotRules = append(cp.cfg.slotRules, nil)
			}
			pos = int32(len(cp.cfg.slotRules[cr.slot]))
			cp.cfg.slotRules[cr.slot] = append(cp.cfg.slotRules[cr.slot], slotRule{op: cr.op, target: cr.target})
		}
		cp.memoPos = append(cp.memoPos, pos)
	}
	return i
}

// appendValueKey appends an unambiguous encoding of a compiled value.
// Objects never compare equal to anything, so any two share a key.
func appendValueKey(b []byte, v *cval) ([]byte, bool) {
	b = append(b, byte('0'+v.kind))
	switch v.kind {
	case kindBool:
		if v.b {
			b = append(b, 't')
		} else {
			b = append(b, 'f')
		}
	case kindNumber:
		b = strconv.AppendUint(b, math.Float64bits(v.n), 16)
	case kindString:
		b = strconv.AppendInt(b, int64(len(v.s)), 10)
		b = append(b, ':')
		b = append(b, v.s...)
	case kindList:
		b = strconv.AppendInt(b, int64(len(v.list)), 10)
		for i := range v.list {
			var ok bool
			if b, ok = appendValueKey(b, &v.list[i]); !ok {
				return b, false
			}
		}
	}
	return b, true
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
	// checks are the context slots whose kind can make a rule of the group
	// raise an error, with the signatures (see [signature]) that do.
	checks []errCheck
	// alwaysErr: an fs_users rule errors whatever the visitor (the id is
	// a string), so the group never matches.
	alwaysErr bool
}

type errCheck struct {
	slot int32
	mask uint16
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
	kind ruleKind
	slot int32
	// memo indexes the decision-wide cache of this rule's result: rules
	// with the same key, operator and value share it, so a rule repeated
	// across campaigns is evaluated once per decision. -1: not cached.
	memo int32
	// pos is the rule's index among its key's distinct rules (slotRules).
	pos    int32
	op     Operator
	target cval
	// src is the rule as written, for explanations.
	src *Rule
}

type cvariation struct {
	id string
	// result is the prebuilt, shared campaign returned for this variation.
	result *decision.Campaign
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
// The Config shares f's rules (for explanations) and complete flag maps,
// so f must not be modified afterwards.
func Compile(f *File) (*Config, error) {
	cfg := &Config{
		panic:       f.Panic,
		xpc:         f.VisitorConsolidation || f.AccountSettings.EnabledXPC,
		singleAB:    f.AccountSettings.Enabled1V1T,
		generatedAt: f.GeneratedAt,
		campaigns:   make([]ccampaign, 0, len(f.Campaigns)),
		file:        f,
	}
	cp := &compiler{cfg: cfg, slots: map[string]int32{}, memo: map[string]int32{}}
	for sig := range cp.samples {
		cp.samples[sig] = sampleOf(uint8(sig))
	}
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
			if err := cp.compileVG(c, slug, vg, &cc.vgs[vi]); err != nil {
				return nil, fmt.Errorf("bucketing: campaigns[%d].variationGroups[%d]: %w", ci, vi, err)
			}
		}
		cfg.campaigns = append(cfg.campaigns, cc)
	}
	for len(cfg.slotRules) < len(cfg.keys) {
		cfg.slotRules = append(cfg.slotRules, nil)
	}
	cfg.caches = make([]slotCache, len(cfg.keys))

	return cfg, nil
}

func (cp *compiler) compileVG(c *Campaign, slug string, vg *VariationGroup, out *cvg) error {
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
			cr := crule{op: r.Operator, target: t, src: r, memo: -1}
			switch {
			case r.Key == "fs_all_users":
				cr.kind = ruleAllUsers
			case r.Key == "fs_users":
				cr.kind = ruleUsers
				cr.memo = cp.memoIndex(&cr, r)
			case r.Provider != "":
				cr.kind = ruleProvider
			default:
				cr.slot = cp.slot(r.Key)
				cr.memo = cp.memoIndex(&cr, r)
				cr.pos = -1
				if cr.memo >= 0 {
					cr.pos = cp.memoPos[cr.memo]
				}
			}
			out.groups[gi].rules[ri] = cr
			switch cr.kind {
			case ruleContext:
				if m := cp.errorMask(cr.op, &cr.target); m != 0 {
					out.addCheck(cr.slot, m)
				}
			case ruleUsers:
				str := cval{kind: kindString}
				if errorOf(cr.op, &cr.target, &str) != errNone {
					out.alwaysErr = true
				}
			}
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
		value := v.Modifications.Value
		if len(value) != len(keys) || value == nil {
			// Some keys are missing: add them as null.
			value = make(map[string]any, len(keys))
			for _, k := range keys {
				value[k] = v.Modifications.Value[k]
			}
		}
		mt := v.Modifications.Type
		if mt == "" {
			mt = "NULL"
		}
		out.variations[i] = cvariation{id: v.ID, result: &decision.Campaign{
			ID:             c.ID,
			Name:           c.Name,
			Slug:           slug,
			Type:           c.Type,
			VariationGroup: decision.VariationGroup{ID: vg.ID, Name: vg.Name},
			Variation: decision.Variation{
				ID:            v.ID,
				Name:          v.Name,
				Reference:     v.Reference,
				Modifications: decision.NewModifications(mt, value),
			},
		}}
	}
	out.single = len(vg.Variations) == 1 && vg.Variations[0].Allocation == 100
	return nil
}

func (vg *cvg) addCheck(slot int32, mask uint16) {
	for i := range vg.checks {
		if vg.checks[i].slot == slot {
			vg.checks[i].mask |= mask
			return
		}
	}
	vg.checks = append(vg.checks, errCheck{slot: slot, mask: mask})
}

// errorMask returns the signatures of context values for which comparing
// with op and t raises an error.
func (cp *compiler) errorMask(op Operator, t *cval) uint16 {
	var mask uint16
	for sig := 1; sig < len(cp.samples); sig++ {
		if errorOf(op, t, &cp.samples[sig]) != errNone {
			mask |= 1 << sig
		}
	}
	return mask
}

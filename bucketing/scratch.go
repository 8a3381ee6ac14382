package bucketing

import (
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/murmur3"
)

// scratch is the per-decision working memory, pooled so that a decision
// allocates nothing but its result.
type scratch struct {
	cfg *Config
	req decision.Request
	gen uint32
	// slots hold converted context values, valid when slotGen == gen.
	slots   []cval
	slotGen []uint32
	present []bool
	// memoRes caches rule results (bit 0: match, the rest: evalErr),
	// valid when memoGen == gen.
	memoRes []uint8
	memoGen []uint32
	elems   []cval // storage of context lists
	exts    []cext // derived forms of context strings
	arena   []byte // lower-cased context strings
	visitor cval   // fs_users value
	hasVis  bool
	buck    int // bucket of the visitor id, -1 until computed
	vgs     []int32
	picks   []pick
}

func (s *scratch) reset(cfg *Config, r decision.Request) {
	s.cfg = cfg
	s.req = r
	s.gen++
	if s.gen == 0 { // wrapped: invalidate every slot explicitly
		clear(s.slotGen)
		clear(s.memoGen)
		s.gen = 1
	}
	if n := len(cfg.keys); len(s.slots) < n {
		s.slots = make([]cval, n)
		s.slotGen = make([]uint32, n)
		s.present = make([]bool, n)
	}
	if n := cfg.numMemo; len(s.memoRes) < n {
		s.memoRes = make([]uint8, n)
		s.memoGen = make([]uint32, n)
	}
	s.elems = s.elems[:0]
	s.exts = s.exts[:0]
	s.arena = s.arena[:0]
	s.hasVis = false
	s.buck = -1
	s.vgs = s.vgs[:0]
	clear(s.picks) // drop references into old configs
	s.picks = s.picks[:0]
}

// slot returns the context value of rule slot i, or nil when absent.
func (s *scratch) slot(i int32) *cval {
	if s.slotGen[i] != s.gen {
		s.slotGen[i] = s.gen
		v, ok := s.req.Context[s.cfg.keys[i]]
		s.present[i] = ok
		if ok {
			s.slots[i] = s.convertCtx(v)
		}
	}
	if !s.present[i] {
		return nil
	}
	return &s.slots[i]
}

// ext returns c's derived forms, attaching pooled storage on first use.
func (s *scratch) ext(c *cval) *cext {
	if c.x == nil {
		if len(s.exts) == cap(s.exts) {
			// Earlier pointers keep the old array alive; only this
			// decision's values refer to it.
			s.exts = make([]cext, 0, max(16, 2*cap(s.exts)))
		}
		s.exts = s.exts[:len(s.exts)+1]
		c.x = &s.exts[len(s.exts)-1]
		*c.x = cext{}
	}
	return c.x
}

func (s *scratch) visitorValue() *cval {
	if !s.hasVis {
		s.visitor = cval{kind: kindString, s: s.req.VisitorID}
		s.hasVis = true
	}
	return &s.visitor
}

// bucket returns murmur3(visitor id) mod 100, computed once per decision.
func (s *scratch) bucket() int {
	if s.buck < 0 {
		s.buck = int(murmur3.Sum32(s.req.VisitorID) % 100)
	}
	return s.buck
}

// matchVG evaluates a variation group's targeting like flagship-common's
// targetingMatch: OR of groups, AND inside a group, no short circuit, and
// any comparison error rejects the whole group.
func (s *scratch) matchVG(cfg *Config, vg *cvg, ct *CampaignExplanation) bool {
	var vt *VariationGroupExplanation
	if ct != nil {
		ct.VariationGroups = append(ct.VariationGroups, VariationGroupExplanation{ID: vg.id})
		vt = &ct.VariationGroups[len(ct.VariationGroups)-1]
	}
	match := false
	for gi := range vg.groups {
		g := &vg.groups[gi]
		gm := len(g.rules) > 0
		for ri := range g.rules {
			r := &g.rules[ri]
			var c *cval
			switch r.kind {
			case ruleAllUsers:
				if vt != nil {
					vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, nil, RuleAllUsers, errNone))
				}
				continue
			case ruleUsers:
				c = s.visitorValue()
			case ruleContext:
				c = s.slot(r.slot)
			}
			if c == nil && r.op != OperatorExists && r.op != OperatorNotExists {
				gm = false
				if vt != nil {
					vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, nil, RuleMissing, errNone))
				}
				continue
			}
			var m bool
			var err evalErr
			if i := r.memo; i >= 0 && s.memoGen[i] == s.gen {
				m, err = s.memoRes[i]&1 != 0, evalErr(s.memoRes[i]>>1)
			} else {
				m, err = s.compare(r.op, &r.target, c)
				if i >= 0 {
					s.memoGen[i] = s.gen
					s.memoRes[i] = uint8(err)<<1 | b2u(m)
				}
			}
			if vt != nil {
				res := RuleFalse
				switch {
				case err != errNone:
					res = RuleError
				case m:
					res = RuleTrue
				}
				vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, c, res, err))
			}
			if err != errNone {
				if vt != nil {
					vt.Rejected = true
				}
				return false
			}
			gm = gm && m
		}
		match = match || gm
	}
	if vt != nil {
		vt.Matched = match
	}
	return match
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

package bucketing

import (
	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/murmur3"
)

// scratch is the per-decision working memory, pooled so that a decision
// allocates nothing but its result.
type scratch struct {
	cfg      *Config
	req      decision.Request
	defaults map[string]any // values of keys the request lacks
	gen      uint32
	// slots hold converted context values, valid when slotGen == gen.
	slots   []cval
	slotGen []uint32
	sigs    []uint8    // signature of each slot's value, sigAbsent when absent
	bits    [][]uint64 // cached rule results of each slot's value, or nil
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
	// keys and into are the assignment store's arguments: a visitor id,
	// an anonymous id, a decision group.
	keys []string
	into [3]assignment.Assignments
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
		s.sigs = make([]uint8, n)
		s.bits = make([][]uint64, n)
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

// sig returns the signature of slot i's context value, looking the key up
// on first use in this decision.
func (s *scratch) sig(i int32) uint8 {
	if s.slotGen[i] != s.gen {
		s.fill(i)
	}
	return s.sigs[i]
}

func (s *scratch) fill(i int32) {
	s.slotGen[i] = s.gen
	v, ok := s.req.Context[s.cfg.keys[i]]
	if !ok && s.defaults != nil {
		v, ok = s.defaults[s.cfg.keys[i]]
	}
	if !ok {
		s.sigs[i], s.bits[i] = sigAbsent, nil
		return
	}
	c := &s.slots[i]
	s.convertCtxInto(c, v)
	s.sigs[i] = signature(c)
	s.bits[i] = s.ruleBits(i, c)
}

// slot returns the context value of rule slot i, or nil when absent.
func (s *scratch) slot(i int32) *cval {
	if s.sig(i) == sigAbsent {
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

// ruleValue returns the value a rule compares against, nil when absent.
func (s *scratch) ruleValue(r *crule) *cval {
	switch r.kind {
	case ruleUsers:
		return s.visitorValue()
	case ruleContext:
		return s.slot(r.slot)
	}
	return nil // provider rules never see the context
}

// eval returns the result of one rule, through the decision's memo.
func (s *scratch) eval(r *crule, c *cval) (bool, evalErr) {
	i := r.memo
	if i >= 0 && s.memoGen[i] == s.gen {
		return s.memoRes[i]&1 != 0, evalErr(s.memoRes[i] >> 1)
	}
	m, err := s.compare(r.op, &r.target, c)
	if i >= 0 {
		s.memoGen[i] = s.gen
		s.memoRes[i] = uint8(err)<<1 | b2u(m)
	}
	return m, err
}

func evaluated(r *crule, c *cval) bool {
	return c != nil || r.op == OperatorExists || r.op == OperatorNotExists
}

// matchVG decides a variation group's targeting exactly like
// flagship-common's targetingMatch (OR of groups, AND inside a group, and
// any rule raising an error rejects the whole group, wherever it sits) but
// cheaply: errors depend only on kinds, so every rule is first checked for
// one, then the booleans are evaluated with short circuits.
func (s *scratch) matchVG(vg *cvg, ct *CampaignExplanation) bool {
	if ct != nil {
		return s.traceVG(vg, ct)
	}
	if vg.alwaysErr {
		return false
	}
	for _, ck := range vg.checks {
		if ck.mask>>s.sig(ck.slot)&1 != 0 {
			return false
		}
	}
groups:
	for gi := range vg.groups {
		g := &vg.groups[gi]
		if len(g.rules) == 0 {
			continue
		}
		for ri := range g.rules {
			r := &g.rules[ri]
			if r.kind == ruleAllUsers {
				continue
			}
			var c *cval
			switch r.kind {
			case ruleContext:
				if s.sig(r.slot) != sigAbsent {
					if bits := s.bits[r.slot]; bits != nil && r.pos >= 0 {
						if bits[r.pos>>6]>>(r.pos&63)&1 == 0 {
							continue groups
						}
						continue
					}
					c = &s.slots[r.slot]
				}
			case ruleUsers:
				c = s.visitorValue()
			}
			if !evaluated(r, c) {
				continue groups
			}
			if i := r.memo; i >= 0 && s.memoGen[i] == s.gen {
				if s.memoRes[i]&1 == 0 {
					continue groups
				}
			} else if m, _ := s.eval(r, c); !m {
				continue groups
			}
		}
		return true
	}
	return false
}

// traceVG is matchVG in Flagship's own evaluation order, recording every
// rule for [Engine.Explain].
func (s *scratch) traceVG(vg *cvg, ct *CampaignExplanation) bool {
	ct.VariationGroups = append(ct.VariationGroups, VariationGroupExplanation{ID: vg.id})
	vt := &ct.VariationGroups[len(ct.VariationGroups)-1]
	match := false
	for gi := range vg.groups {
		g := &vg.groups[gi]
		gm := len(g.rules) > 0
		for ri := range g.rules {
			r := &g.rules[ri]
			if r.kind == ruleAllUsers {
				vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, nil, RuleAllUsers, errNone))
				continue
			}
			c := s.ruleValue(r)
			if !evaluated(r, c) {
				gm = false
				vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, nil, RuleMissing, errNone))
				continue
			}
			m, err := s.eval(r, c)
			res := RuleFalse
			switch {
			case err != errNone:
				res = RuleError
			case m:
				res = RuleTrue
			}
			vt.Rules = append(vt.Rules, ruleTrace(gi, ri, r, c, res, err))
			if err != errNone {
				vt.Rejected = true
				return false
			}
			gm = gm && m
		}
		match = match || gm
	}
	vt.Matched = match
	return match
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

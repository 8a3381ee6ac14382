package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	fsdecision "github.com/flagship-io/flagship-common"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// Seeds of the differential tests. Changing them changes every generated
// file and visitor.
const (
	diffSeed    = 0x5eed_27ee_d597
	historySeed = 0x5eed_0000_c0de
)

// scale returns a multiplier of the test sizes: FSBENCH_SCALE if set (for
// example 10 for a long soak, 0.1 for a quick look), else 1 (or 0.25 under
// -short).
func scale(t *testing.T) float64 {
	if s := os.Getenv("FSBENCH_SCALE"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 {
			t.Fatalf("FSBENCH_SCALE=%q: want a positive number", s)
		}
		return f
	}
	if testing.Short() {
		return 0.25
	}
	return 1
}

// seed returns base, or base mixed with FSBENCH_SEED when set (to explore
// other files and visitors in a soak run).
func seed(t *testing.T, base uint64) uint64 {
	if s := os.Getenv("FSBENCH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			t.Fatalf("FSBENCH_SEED=%q: want an unsigned integer", s)
		}
		return base ^ (n * 0x9e3779b97f4a7c15)
	}
	return base
}

func scaled(n int, f float64) int {
	m := int(float64(n) * f)
	if m < 1 {
		m = 1
	}
	return m
}

// mismatch is one decision where our engine and flagship-common disagree.
type mismatch struct {
	where   string
	file    []byte
	request decision.Request
	trigger bool
	ours    []outCampaign
	theirs  []outCampaign
	note    string
}

func (m *mismatch) report(t *testing.T) {
	t.Helper()
	dir := filepath.Join(os.TempDir(), "fsbench-mismatches")
	_ = os.MkdirAll(dir, 0o755)
	name := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(m.where)+".json")
	_ = os.WriteFile(name, m.file, 0o644)
	ctx, _ := json.Marshal(m.request.Context)
	t.Errorf("MISMATCH %s (file saved to %s)\n visitor=%q anonymous=%q decisionGroup=%q triggerHit=%v\n context=%s\n %s\n ours:   %s\n theirs: %s",
		m.where, name, m.request.VisitorID, m.request.AnonymousID, m.request.DecisionGroup, m.trigger, ctx, m.note,
		dump(m.ours), dump(m.theirs))
}

func dump(cs []outCampaign) string {
	b, _ := json.Marshal(cs)
	return string(b)
}

// compareDecisions returns a description of the first difference, or "".
func compareDecisions(ours, theirs []outCampaign) string {
	if len(ours) != len(theirs) {
		return fmt.Sprintf("campaign count differs: ours %d, theirs %d (ours %v, theirs %v)", len(ours), len(theirs), ours, theirs)
	}
	for i := range ours {
		o, r := ours[i], theirs[i]
		if o.CampaignID != r.CampaignID || o.VariationGroupID != r.VariationGroupID || o.VariationID != r.VariationID {
			return fmt.Sprintf("campaign %d differs: ours %v, theirs %v", i, o, r)
		}
		if !reflect.DeepEqual(o, r) {
			return fmt.Sprintf("campaign %d %v: metadata or modifications differ", i, o)
		}
	}
	return ""
}

// stats are the counters a differential run reports.
type stats struct {
	mu         sync.Mutex
	decisions  int // compared decisions
	nonEmpty   int // decisions with at least one campaign
	campaigns  int // campaigns returned in total
	skipped    map[string]int
	outcomes   map[string]int
	rules      map[string]int
	operators  map[string]int
	reasons    map[string]int
	mismatches []*mismatch
}

func newStats() *stats {
	return &stats{skipped: map[string]int{}, outcomes: map[string]int{}, rules: map[string]int{}, operators: map[string]int{}, reasons: map[string]int{}}
}

func (s *stats) merge(o *stats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decisions += o.decisions
	s.nonEmpty += o.nonEmpty
	s.campaigns += o.campaigns
	for k, v := range o.skipped {
		s.skipped[k] += v
	}
	for k, v := range o.outcomes {
		s.outcomes[k] += v
	}
	for k, v := range o.rules {
		s.rules[k] += v
	}
	for k, v := range o.operators {
		s.operators[k] += v
	}
	for k, v := range o.reasons {
		s.reasons[k] += v
	}
	if len(s.mismatches) < 20 {
		s.mismatches = append(s.mismatches, o.mismatches...)
	}
}

func (s *stats) log(t *testing.T, what string) {
	t.Helper()
	t.Logf("%s: %d decisions compared with flagship-common (%d with at least one campaign, %d campaigns returned), %d mismatches",
		what, s.decisions, s.nonEmpty, s.campaigns, len(s.mismatches))
	t.Logf("%s: reference panics skipped: %v", what, s.skipped)
	if len(s.outcomes) > 0 {
		t.Logf("%s: campaign outcomes (our Explain): %s", what, sortedCounts(s.outcomes))
		t.Logf("%s: rule results (our Explain): %s", what, sortedCounts(s.rules))
		t.Logf("%s: operator/result pairs evaluated (our Explain): %s", what, sortedCounts(s.operators))
	}
	if len(s.reasons) > 0 {
		t.Logf("%s: reasons of returned campaigns: %s", what, sortedCounts(s.reasons))
	}
}

func sortedCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d; ", k, m[k])
	}
	return b.String()
}

// parallel runs f(i) for i in [0, n) on GOMAXPROCS workers.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// TestDifferential decides random visitors on random files with our engine
// and with flagship-common (no assignment history) and compares every
// decision: the ordered (campaign, variation group, variation) list and
// each campaign's metadata and flag values (exposeAllKeys).
func TestDifferential(t *testing.T) {
	sc := scale(t)
	files, perFile := scaled(1700, sc), 60
	sd := seed(t, diffSeed)
	total := newStats()
	parallel(files, func(i int) {
		s := newStats()
		diffFile(t, sd, uint64(i), perFile, s)
		total.merge(s)
	})
	total.log(t, "TestDifferential")
	for _, m := range total.mismatches {
		m.report(t)
	}
	if total.decisions < scaled(100_000, sc) {
		t.Errorf("only %d decisions compared", total.decisions)
	}
	if total.skipped[panicOther] > 0 || total.skipped[panicDeletedNoVisitorEntry] > 0 {
		t.Errorf("unexpected reference panics: %v", total.skipped)
	}
}

func diffFile(t *testing.T, sd, idx uint64, visitors int, s *stats) {
	g := NewGen(sd, idx, GenOptions{EmptyStrings: true})
	f := g.File()
	data := f.JSON()
	where := fmt.Sprintf("TestDifferential/file-%d", idx)
	cfg, err := bucketing.ParseConfig(data)
	ref, rerr := parseRef(data)
	if err != nil || rerr != nil {
		s.mismatches = append(s.mismatches, &mismatch{where: where, file: data, note: fmt.Sprintf("parse: ours %v, theirs %v", err, rerr)})
		return
	}
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	env := ref.env(false)
	ctx := context.Background()
	for v := range visitors {
		req := decision.Request{VisitorID: g.VisitorID(), Context: g.Context()}
		if g.pct(20) {
			req.AnonymousID = g.VisitorID() // no effect without history
		}
		if g.pct(15) {
			req.DecisionGroup = pick(g, []string{"household-42", "g1", "É"})
		}
		trigger := g.pct(50)
		vwhere := fmt.Sprintf("%s/visitor-%d", where, v)

		rctx, err := refContext(req.Context)
		if err != nil {
			t.Errorf("%s: %v", vwhere, err)
			continue
		}
		resp, p := refDecide(env, fsdecision.Visitor{ID: req.VisitorID, AnonymousID: req.AnonymousID, DecisionGroup: req.DecisionGroup, Context: rctx},
			fsdecision.DecisionOptions{TriggerHit: trigger, ExposeAllKeys: true}, fsdecision.DecisionHandlers{})
		if p != nil {
			s.skipped[p.kind]++
			if p.kind == panicOther {
				t.Errorf("%s: %v\n%s", vwhere, p, p.stack)
			}
			continue
		}
		theirs := fromRef(resp)

		d, err := e.DecideWith(ctx, req, bucketing.DecideOptions{TriggerHit: trigger})
		if err != nil {
			t.Errorf("%s: our engine: %v", vwhere, err)
			continue
		}
		ours := fromOurs(d)
		s.decisions++
		if len(ours) > 0 {
			s.nonEmpty++
		}
		s.campaigns += len(ours)
		if diff := compareDecisions(ours, theirs); diff != "" {
			s.mismatches = append(s.mismatches, &mismatch{where: vwhere, file: data, request: req, trigger: trigger, ours: ours, theirs: theirs, note: diff})
			continue
		}

		// Explain must agree with Decide; its trace gives coverage counts.
		x, err := e.Explain(ctx, req)
		if err != nil {
			t.Errorf("%s: explain: %v", vwhere, err)
			continue
		}
		if diff := compareDecisions(fromOurs(x.Decision), ours); diff != "" {
			s.mismatches = append(s.mismatches, &mismatch{where: vwhere, file: data, request: req, ours: fromOurs(x.Decision), theirs: ours, note: "Explain vs Decide: " + diff})
		}
		for _, c := range x.Campaigns {
			s.outcomes[c.Outcome.String()]++
			for _, vg := range c.VariationGroups {
				for _, r := range vg.Rules {
					s.rules[r.Result.String()]++
					s.operators[r.Operator.String()+"/"+r.Result.String()]++
				}
			}
		}
	}
}

// TestDifferentialHistory compares decisions with assignment history:
// flagship-common with CacheEnabled and an in-memory merging cache, our
// engine with an assignment.Memory store. Each scenario decides a few
// visitors several times while the file changes between rounds (new
// allocations, deleted and added variations, 1V1T and XPC switched), with
// random anonymous ids, decision groups and TriggerHit. Every decision and
// the stored assignments after it are compared.
func TestDifferentialHistory(t *testing.T) {
	sc := scale(t)
	scenarios := scaled(450, sc)
	sd := seed(t, historySeed)
	total := newStats()
	parallel(scenarios, func(i int) {
		s := newStats()
		historyScenario(t, sd, uint64(i), s)
		total.merge(s)
	})
	total.log(t, "TestDifferentialHistory")
	for _, m := range total.mismatches {
		m.report(t)
	}
	if total.decisions < scaled(20_000, sc) {
		t.Errorf("only %d decisions compared", total.decisions)
	}
	if total.skipped[panicOther] > 0 || total.skipped[panicEmptySemver] > 0 {
		t.Errorf("unexpected reference panics: %v", total.skipped)
	}
}

const (
	historyRounds    = 5
	historyPerRound  = 12
	historyVisitors  = 5
	historyAnonymous = 3
)

func historyScenario(t *testing.T, sd, idx uint64, s *stats) {
	g := NewGen(sd, idx, GenOptions{History: true, MinCampaigns: 2, MaxCampaigns: 6})
	f := g.File()
	where := fmt.Sprintf("TestDifferentialHistory/scenario-%d", idx)

	var vids, anons []string
	contexts := map[string]map[string]any{}
	for range historyVisitors {
		id := g.VisitorID()
		vids = append(vids, id)
		contexts[id] = g.Context()
	}
	for range historyAnonymous {
		anons = append(anons, g.VisitorID())
	}
	anons = append(anons, vids[0]) // an anonymous id that is also a visitor id
	groups := []string{"household-42", "g1"}
	if g.pct(10) {
		vids = append(vids, DecisionGroupKey("household-42")) // a visitor id equal to a decision group key
		contexts[vids[len(vids)-1]] = g.Context()
	}
	keys := map[string]bool{}
	for _, k := range vids {
		keys[k] = true
	}
	for _, k := range anons {
		keys[k] = true
	}
	for _, k := range groups {
		keys[DecisionGroupKey(k)] = true
	}

	ours := assignment.NewMemory(0)
	theirs := newRefHistory()
	e := bucketing.NewEngine(bucketing.Options{Assignments: ours})
	ctx := context.Background()
	var history []string // what happened so far, for reports

	for round := range historyRounds {
		if round > 0 {
			g.Mutate(f)
		}
		data := f.JSON()
		rwhere := fmt.Sprintf("%s/round-%d", where, round)
		cfg, err := bucketing.ParseConfig(data)
		ref, rerr := parseRef(data)
		if err != nil || rerr != nil {
			s.mismatches = append(s.mismatches, &mismatch{where: rwhere, file: data, note: fmt.Sprintf("parse: ours %v, theirs %v", err, rerr)})
			return
		}
		e.Update(cfg)
		env := ref.env(true)
		for k := range historyPerRound {
			vid := pick(g, vids)
			if g.pct(15) {
				contexts[vid] = g.Context()
			}
			req := decision.Request{VisitorID: vid, Context: contexts[vid]}
			if g.pct(45) {
				req.AnonymousID = pick(g, anons)
			}
			if g.pct(25) {
				req.DecisionGroup = pick(g, groups)
			}
			trigger := g.pct(50)
			dwhere := fmt.Sprintf("%s/decision-%d", rwhere, k)

			rctx, err := refContext(req.Context)
			if err != nil {
				t.Errorf("%s: %v", dwhere, err)
				return
			}
			// The reference runs first: when it panics it has neither read
			// nor written anything that matters, and our engine is not
			// called, so both histories stay equal.
			resp, p := refDecide(env, fsdecision.Visitor{ID: req.VisitorID, AnonymousID: req.AnonymousID, DecisionGroup: req.DecisionGroup, Context: rctx},
				fsdecision.DecisionOptions{TriggerHit: trigger, ExposeAllKeys: true}, theirs.handlers())
			if p != nil {
				s.skipped[p.kind]++
				if p.kind == panicOther {
					t.Errorf("%s: %v\n%s", dwhere, p, p.stack)
				}
				continue
			}
			rd := fromRef(resp)
			d, err := e.DecideWith(ctx, req, bucketing.DecideOptions{TriggerHit: trigger})
			if err != nil {
				t.Errorf("%s: our engine: %v", dwhere, err)
				return
			}
			od := fromOurs(d)
			s.decisions++
			if len(od) > 0 {
				s.nonEmpty++
			}
			s.campaigns += len(od)
			for _, c := range d.Campaigns {
				s.reasons[c.Reason.Kind.String()]++
			}
			step := fmt.Sprintf("round %d: vid=%q anon=%q group=%q trigger=%v -> %v", round, req.VisitorID, req.AnonymousID, req.DecisionGroup, trigger, rd)
			history = append(history, step)
			if diff := compareDecisions(od, rd); diff != "" {
				s.mismatches = append(s.mismatches, &mismatch{where: dwhere, file: data, request: req, trigger: trigger, ours: od, theirs: rd,
					note: diff + "\n steps so far:\n  " + strings.Join(history, "\n  ")})
				return
			}
			for key := range keys {
				var got [1]assignment.Assignments
				_ = ours.Load(ctx, []string{key}, got[:])
				a, b := got[0], theirs.snapshot(key)
				if len(a) == 0 && len(b) == 0 {
					continue
				}
				if !reflect.DeepEqual(a, b) {
					s.mismatches = append(s.mismatches, &mismatch{where: dwhere, file: data, request: req, trigger: trigger, ours: od, theirs: rd,
						note: fmt.Sprintf("history under %q differs: ours %v, theirs %v\n steps so far:\n  %s", key, a, b, strings.Join(history, "\n  "))})
					return
				}
			}
		}
	}
}

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	fsdecision "github.com/flagship-io/flagship-common"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// TestDifferentialTargeting is the exhaustive complement of the random
// tests: every operator × every targeting value of a pool × every context
// value of the same pool (and a missing key), decided by both engines.
//
// Each (operator, targeting value) pair becomes two campaigns of one big
// file, so one decision evaluates every pair against one context value:
//
//   - "<n>/ok":    one group [fs_all_users] OR a group [rule]: served
//     unless the rule raises an error (an error rejects the whole
//     variation group);
//   - "<n>/true":  one group [rule]: served when the rule is true.
//
// A difference is reported as the exact (operator, target, context) triple.
func TestDifferentialTargeting(t *testing.T) {
	values := targetingValues()
	ops := append(append([]any{}, toAny(operatorNames)...), "NULL", "equals", 99.0)

	type pair struct {
		op     any
		target any
		absent bool
	}
	// Flagship's library panics on an empty string in a SEMVER_*
	// comparison, so "" (alone or in a list) is kept away from SEMVER
	// operators: file 0 has every operator and no empty strings and is
	// decided for every context value without empty strings; file 1 has
	// the non-SEMVER operators with every targeting value and is decided
	// for the context values holding an empty string; file 2 has the
	// non-SEMVER operators with the targeting values holding an empty
	// string and is decided for every other context value.
	type fileSpec struct {
		semver        bool
		targets, ctxs func(tv) bool
	}
	all := func(tv) bool { return true }
	empty := func(v tv) bool { return v.empty }
	nonEmpty := func(v tv) bool { return !v.empty }
	specs := []fileSpec{{true, nonEmpty, nonEmpty}, {false, all, empty}, {false, empty, nonEmpty}}
	build := func(withSemver bool, keep func(tv) bool) (*GenFile, []pair) {
		f := &GenFile{Spelling: 3}
		var pairs []pair
		for _, op := range ops {
			isSemver := strings.HasPrefix(fmt.Sprint(op), "SEMVER_")
			if isSemver && !withSemver {
				continue
			}
			targets := append([]tv{}, values...)
			targets = append(targets, tv{absent: true})
			for _, v := range targets {
				if !keep(v) {
					continue
				}
				pairs = append(pairs, pair{op: op, target: v.v, absent: v.absent})
			}
		}
		for i, p := range pairs {
			rule := GenRule{Key: "k", HasKey: true, Operator: p.op, Value: p.target, HasValue: !p.absent}
			all := GenRule{Key: "fs_all_users", HasKey: true, Operator: "EQUALS", Value: "", HasValue: true}
			for _, mode := range []string{"ok", "true"} {
				groups := [][]GenRule{{rule}}
				if mode == "ok" {
					groups = [][]GenRule{{all}, {rule}}
				}
				f.Campaigns = append(f.Campaigns, &GenCampaign{
					ID: fmt.Sprintf("%d/%s", i, mode), Type: "toggle", Ranges: [][]any{{0.0, 100.0}}, HasRanges: true,
					VGs: []*GenVG{{ID: fmt.Sprintf("vg%d/%s", i, mode), Targeting: &GenTargeting{Groups: groups},
						Variations: []*GenVariation{{ID: "v", Allocation: 100, AllocEnc: "int", ModType: "FLAG", HasValue: true, ModValue: map[string]any{}}}}},
				})
			}
		}
		return f, pairs
	}

	ctx := context.Background()
	decisions, evaluations, trues, errs := 0, 0, 0, 0
	for fi, spec := range specs {
		f, pairs := build(spec.semver, spec.targets)
		data := f.JSON()
		cfg, err := bucketing.ParseConfig(data)
		require.NoError(t, err)
		ref, err := parseRef(data)
		require.NoError(t, err)
		e := bucketing.NewEngine(bucketing.Options{})
		e.Update(cfg)

		// Context values, plus the missing key; fs_users-style visitor ids
		// are covered by the random tests.
		ctxs := append([]tv{}, values...)
		ctxs = append(ctxs, tv{absent: true})
		// Workers take every w-th context value, each with its own
		// reference environment (GetDecision writes into it).
		workers := runtime.GOMAXPROCS(0)
		var wg sync.WaitGroup
		var mu sync.Mutex
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				env := ref.env(false)
				nd, ne, nt, nerr := 0, 0, 0, 0
				defer func() {
					mu.Lock()
					decisions, evaluations, trues, errs = decisions+nd, evaluations+ne, trues+nt, errs+nerr
					mu.Unlock()
				}()
				for ci := w; ci < len(ctxs); ci += workers {
					c := ctxs[ci]
					if !spec.ctxs(c) {
						continue
					}
					req := decision.Request{VisitorID: "visitor-1", Context: map[string]any{}}
					if !c.absent {
						req.Context["k"] = c.v
					}
					rctx, err := refContext(req.Context)
					if err != nil {
						t.Error(err)
						return
					}
					resp, p := refDecide(env, fsdecision.Visitor{ID: req.VisitorID, Context: rctx}, fsdecision.DecisionOptions{ExposeAllKeys: true}, fsdecision.DecisionHandlers{})
					if p != nil {
						t.Errorf("file %d, context %s: %v\n%s", fi, c, p, p.stack)
						return
					}
					d, err := e.Decide(ctx, req)
					if err != nil {
						t.Error(err)
						return
					}
					nd++
					ne += len(pairs)
					ours, theirs := servedSet(fromOurs(d), len(pairs)), servedSet(fromRef(resp), len(pairs))
					for i, pr := range pairs {
						if theirs[2*i+1] {
							nt++
						}
						if !theirs[2*i] {
							nerr++
						}
						for m, mode := range []string{"ok", "true"} {
							if o, r := ours[2*i+m], theirs[2*i+m]; o != r {
								target := "(absent)"
								if !pr.absent {
									target = jsonString(pr.target)
								}
								t.Errorf("MISMATCH operator %v, targeting value %s, context value %s: %s ours=%s theirs=%s",
									jsonString(pr.op), target, c, mode, outcome(mode, o), outcome(mode, r))
							}
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	t.Logf("TestDifferentialTargeting: %d decisions, %d (operator, targeting value, context value) triples compared (%d true, %d errors, the rest false); 0 panics",
		decisions, evaluations, trues, errs)
}

func outcome(mode string, served bool) string {
	switch {
	case mode == "ok" && served:
		return "no error"
	case mode == "ok":
		return "error"
	case served:
		return "true"
	default:
		return "false or error"
	}
}

// servedSet maps the campaigns "<i>/ok" and "<i>/true" of a decision to
// the indices 2i and 2i+1.
func servedSet(cs []outCampaign, pairs int) []bool {
	out := make([]bool, 2*pairs)
	for _, c := range cs {
		n, mode, _ := strings.Cut(c.CampaignID, "/")
		i, err := strconv.Atoi(n)
		if err != nil {
			panic(c.CampaignID)
		}
		if mode == "true" {
			out[2*i+1] = true
		} else {
			out[2*i] = true
		}
	}
	return out
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func toAny(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// tv is a value of the exhaustive pool; empty marks values holding an
// empty string.
type tv struct {
	v      any
	absent bool
	empty  bool
}

func (v tv) String() string {
	if v.absent {
		return "(missing)"
	}
	return jsonString(v.v)
}

// targetingValues is the pool of the exhaustive test: every string of the
// generator's pools, numbers, bools, null, lists (empty, homogeneous,
// mixed, nested) and objects.
func targetingValues() []tv {
	seen := map[string]bool{}
	var out []tv
	add := func(v any, empty bool) {
		k := jsonString(v)
		if seen[k] {
			return
		}
		seen[k] = true
		out = append(out, tv{v: v, empty: empty})
	}
	strs := append(append([]string{}, plainStrings...), semverStrings...)
	sort.Strings(strs)
	for _, s := range strs {
		add(s, false)
	}
	add("", true)
	for _, n := range append(append([]float64{}, numbers...), 17, 1.5, -100, math.Copysign(0, -1)) {
		add(n, false)
	}
	add(true, false)
	add(false, false)
	add(nil, false)
	for _, l := range [][]any{
		{}, {"fr", "gb"}, {"FR"}, {"é", "\u212a"}, {"1.2.3", "2.0.0"}, {18.0, 42.0}, {1.0}, {true}, {false, true},
		{nil}, {"fr", 1.0}, {1.0, "fr"}, {[]any{"fr"}}, {[]any{}}, {map[string]any{"a": 1.0}}, {"paris", "PAR"},
	} {
		add(l, false)
	}
	add([]any{"", "fr"}, true)
	add([]any{"fr", ""}, true)
	add(map[string]any{}, false)
	add(map[string]any{"a": 1.0}, false)
	return out
}

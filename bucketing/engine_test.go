package bucketing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

func request(id string, ctx map[string]any) decision.Request {
	return decision.Request{VisitorID: id, Context: ctx}
}

// ruleEngine compiles one campaign whose single variation group has the
// given targeting groups (each a list of rules).
func ruleEngine(t testing.TB, groups ...[]bucketing.Rule) *bucketing.Engine {
	t.Helper()
	tg := bucketing.Targeting{}
	for _, g := range groups {
		tg.Groups = append(tg.Groups, bucketing.TargetingGroup{Rules: g})
	}
	f := &bucketing.File{Campaigns: []bucketing.Campaign{{
		ID: "c", Type: "perso", BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}},
		VariationGroups: []bucketing.VariationGroup{
			{ID: "vg", Targeting: tg, Variations: []bucketing.Variation{{ID: "v", Allocation: 100}}},
			{ID: "fallback", Targeting: allUsers(), Variations: []bucketing.Variation{{ID: "f", Allocation: 100}}},
		},
	}}}
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	return e
}

func allUsers() bucketing.Targeting {
	return bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{{Key: "fs_all_users", Operator: bucketing.OperatorEquals, Value: ""}}}}}
}

func rule(key string, op bucketing.Operator, v any) bucketing.Rule {
	return bucketing.Rule{Key: key, Operator: op, Value: v}
}

// TestTargetingRules pins the rules of spec §6 that the vectors exercise
// only indirectly. "vg" means the targeted group matched, "fallback" that
// it did not (or was rejected by an error).
func TestTargetingRules(t *testing.T) {
	const (
		eq, ne     = bucketing.OperatorEquals, bucketing.OperatorNotEquals
		ct, nct    = bucketing.OperatorContains, bucketing.OperatorNotContains
		lt, gte    = bucketing.OperatorLowerThan, bucketing.OperatorGreaterThanOrEquals
		ex, nex    = bucketing.OperatorExists, bucketing.OperatorNotExists
		sw, ew     = bucketing.OperatorStartsWith, bucketing.OperatorEndsWith
		svgt, sveq = bucketing.OperatorSemverGreaterThan, bucketing.OperatorSemverEquals
		svne       = bucketing.OperatorSemverNotEquals
	)
	tests := []struct {
		name   string
		groups [][]bucketing.Rule
		ctx    map[string]any
		id     string
		want   string
	}{
		{name: "string equals ignores case", groups: [][]bucketing.Rule{{rule("c", eq, "FR")}}, ctx: map[string]any{"c": "fr"}, want: "vg"},
		{name: "equality uses simple folding", groups: [][]bucketing.Rule{{rule("c", eq, "s")}}, ctx: map[string]any{"c": "ſ"}, want: "vg"},
		{name: "ordering is byte-wise on lower case", groups: [][]bucketing.Rule{{rule("p", lt, "M")}}, ctx: map[string]any{"p": "GOLD"}, want: "vg"},
		{name: "10 < 9 as strings", groups: [][]bucketing.Rule{{rule("p", lt, "9")}}, ctx: map[string]any{"p": "10"}, want: "vg"},
		{name: "starts with lower-cases both", groups: [][]bucketing.Rule{{rule("e", sw, "ADMIN")}}, ctx: map[string]any{"e": "Admin.root"}, want: "vg"},
		{name: "ends with non-ASCII", groups: [][]bucketing.Rule{{rule("e", ew, "É")}}, ctx: map[string]any{"e": "CAFÉ"}, want: "vg"},
		{name: "number vs numeric string is an error", groups: [][]bucketing.Rule{{rule("a", eq, 31.0)}}, ctx: map[string]any{"a": "31"}, want: "fallback"},
		{name: "int context equals float target", groups: [][]bucketing.Rule{{rule("a", gte, 18.0)}}, ctx: map[string]any{"a": 18}, want: "vg"},
		{name: "contains on numbers is an error", groups: [][]bucketing.Rule{{rule("a", ct, 5.0)}}, ctx: map[string]any{"a": 5.0}, want: "fallback"},
		{name: "bool supports only equality", groups: [][]bucketing.Rule{{rule("b", lt, true)}}, ctx: map[string]any{"b": true}, want: "fallback"},
		{name: "unknown operator on string is an error", groups: [][]bucketing.Rule{{rule("c", bucketing.OperatorNull, "x")}}, ctx: map[string]any{"c": "x"}, want: "fallback"},
		{name: "missing key is false, not an error", groups: [][]bucketing.Rule{{rule("zz", eq, 1.0)}, {rule("fs_all_users", eq, "")}}, ctx: nil, want: "vg"},
		{name: "error in a later false group still rejects", groups: [][]bucketing.Rule{{rule("fs_all_users", eq, "")}, {rule("a", eq, "x")}}, ctx: map[string]any{"a": 1.0}, want: "fallback"},
		{name: "no short circuit inside a group", groups: [][]bucketing.Rule{{rule("zz", eq, "x"), rule("a", eq, "x")}}, ctx: map[string]any{"a": 1.0}, want: "fallback"},
		{name: "empty group never matches", groups: [][]bucketing.Rule{{}}, ctx: nil, want: "fallback"},
		{name: "no groups never matches", groups: nil, ctx: nil, want: "fallback"},
		{name: "exists true on present null", groups: [][]bucketing.Rule{{rule("n", ex, true)}}, ctx: map[string]any{"n": nil}, want: "vg"},
		{name: "exists false on absent", groups: [][]bucketing.Rule{{rule("n", ex, false)}}, ctx: nil, want: "vg"},
		{name: "not exists true on absent", groups: [][]bucketing.Rule{{rule("n", nex, true)}}, ctx: nil, want: "vg"},
		{name: "exists with non-bool value reads false", groups: [][]bucketing.Rule{{rule("n", ex, "yes")}}, ctx: map[string]any{"n": 1.0}, want: "fallback"},
		{name: "exists on empty list is false", groups: [][]bucketing.Rule{{rule("l", ex, true)}}, ctx: map[string]any{"l": []any{}}, want: "fallback"},
		{name: "target list: any equals", groups: [][]bucketing.Rule{{rule("c", eq, []any{"fr", "de"})}}, ctx: map[string]any{"c": "DE"}, want: "vg"},
		{name: "target list: not equals needs all", groups: [][]bucketing.Rule{{rule("c", ne, []any{"fr", "de"})}}, ctx: map[string]any{"c": "de"}, want: "fallback"},
		{name: "target list: mixed kinds never error", groups: [][]bucketing.Rule{{rule("c", eq, []any{1.0, "gold"})}}, ctx: map[string]any{"c": "gold"}, want: "vg"},
		{name: "target list: element error fails not-equals", groups: [][]bucketing.Rule{{rule("a", ne, []any{17.0, "18"})}}, ctx: map[string]any{"a": 18.0}, want: "fallback"},
		{name: "target list: ordering is false", groups: [][]bucketing.Rule{{rule("a", lt, []any{100.0})}}, ctx: map[string]any{"a": 1.0}, want: "fallback"},
		{name: "context list: contains any", groups: [][]bucketing.Rule{{rule("t", ct, "be")}}, ctx: map[string]any{"t": []any{"alpha", "beta"}}, want: "vg"},
		{name: "context list: kind mismatch with first element errors", groups: [][]bucketing.Rule{{rule("t", eq, 5.0)}}, ctx: map[string]any{"t": []any{"5"}}, want: "fallback"},
		{name: "context list: later element error gives false", groups: [][]bucketing.Rule{{rule("t", eq, "a")}, {rule("fs_all_users", eq, "")}}, ctx: map[string]any{"t": []any{"a", 1.0}}, want: "vg"},
		{name: "context list vs list target errors", groups: [][]bucketing.Rule{{rule("t", eq, []any{"a"})}}, ctx: map[string]any{"t": []any{"a"}}, want: "fallback"},
		{name: "context []string works like []any", groups: [][]bucketing.Rule{{rule("t", nct, "x")}}, ctx: map[string]any{"t": []string{"a", "b"}}, want: "vg"},
		{name: "empty context list with not equals", groups: [][]bucketing.Rule{{rule("t", ne, "x")}}, ctx: map[string]any{"t": []any{}}, want: "vg"},
		{name: "fs_users compares the visitor id", groups: [][]bucketing.Rule{{rule("fs_users", eq, "VIP-1")}}, id: "vip-1", want: "vg"},
		{name: "fs_users with a number is an error", groups: [][]bucketing.Rule{{rule("fs_users", eq, 1.0)}}, id: "1", want: "fallback"},
		{name: "provider rules never see the context", groups: [][]bucketing.Rule{{{Key: "a", Operator: eq, Value: "x", Provider: "p"}}}, ctx: map[string]any{"a": "x"}, want: "fallback"},
		{name: "provider rule matches not exists", groups: [][]bucketing.Rule{{{Key: "a", Operator: nex, Value: true, Provider: "p"}}}, ctx: map[string]any{"a": "x"}, want: "vg"},
		{name: "semver shorthand", groups: [][]bucketing.Rule{{rule("v", sveq, "1.2")}}, ctx: map[string]any{"v": "v1.2.0"}, want: "vg"},
		{name: "semver prerelease is lower", groups: [][]bucketing.Rule{{rule("v", svgt, "2.0.0-beta.2")}}, ctx: map[string]any{"v": "2.0.0"}, want: "vg"},
		{name: "semver invalid context is false even for not equals", groups: [][]bucketing.Rule{{rule("v", svne, "1.0.0")}}, ctx: map[string]any{"v": "1.2.3.4"}, want: "fallback"},
		{name: "semver empty string is false, no panic", groups: [][]bucketing.Rule{{rule("v", svne, "")}}, ctx: map[string]any{"v": ""}, want: "fallback"},
		{name: "semver capital V is invalid", groups: [][]bucketing.Rule{{rule("v", sveq, "V2.0.0")}}, ctx: map[string]any{"v": "V2.0.0"}, want: "fallback"},
		{name: "absent target value vs null context errors", groups: [][]bucketing.Rule{{{Key: "n", Operator: eq, NoValue: true}}, {rule("fs_all_users", eq, "")}}, ctx: map[string]any{"n": nil}, want: "fallback"},
		{name: "null target vs null context is false without error", groups: [][]bucketing.Rule{{rule("n", eq, nil)}, {rule("fs_all_users", eq, "")}}, ctx: map[string]any{"n": nil}, want: "vg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id
			if id == "" {
				id = "visitor"
			}
			d, err := ruleEngine(t, tt.groups...).Decide(t.Context(), request(id, tt.ctx))
			require.NoError(t, err)
			require.Len(t, d.Campaigns, 1)
			assert.Equal(t, tt.want, d.Campaigns[0].VariationGroup.ID)
		})
	}
}

func TestDecideErrors(t *testing.T) {
	e := bucketing.NewEngine(bucketing.Options{})
	_, err := e.Decide(t.Context(), request("v", nil))
	require.ErrorIs(t, err, bucketing.ErrNoConfig)

	e = ruleEngine(t)
	_, err = e.Decide(t.Context(), request("", nil))
	require.ErrorIs(t, err, bucketing.ErrEmptyVisitorID)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = e.Decide(ctx, request("v", nil))
	require.ErrorIs(t, err, context.Canceled)
}

func TestPanicMode(t *testing.T) {
	cfg, err := bucketing.ParseConfig([]byte(`{"panic":true,"campaigns":[{"id":"c","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg","targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},"variations":[{"id":"v","allocation":100}]}]}]}`))
	require.NoError(t, err)
	assert.True(t, cfg.Panic())
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	d, err := e.Decide(t.Context(), request("v", nil))
	require.NoError(t, err)
	assert.True(t, d.Panic)
	assert.Empty(t, d.Campaigns)
}

// TestConcurrentUpdate runs decisions while the configuration is swapped;
// under -race it proves decisions and swaps share nothing mutable.
func TestConcurrentUpdate(t *testing.T) {
	e := loadEngine(t, "bucketing.json", bucketing.Options{})
	other := loadEngine(t, "bucketing_1v1t.json", bucketing.Options{}).Config()
	first := e.Config()
	lines := loadVectors(t, "vectors.jsonl.gz")[:200]
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				e.Update(other)
			} else {
				e.Update(first)
			}
		}
	}()
	var deciders sync.WaitGroup
	for w := 0; w < 4; w++ {
		deciders.Add(1)
		go func() {
			defer deciders.Done()
			for round := 0; round < 5; round++ {
				for _, l := range lines {
					d, err := e.Decide(context.Background(), request(l.VisitorID, l.Context))
					if err != nil {
						t.Error(err)
						return
					}
					if len(d.Campaigns) > 0 && d.Campaigns[0].ID == "" {
						t.Error("empty campaign id")
					}
				}
			}
		}()
	}
	deciders.Wait()
	close(stop)
	wg.Wait()
	// After the swaps settle on the first config, decisions are exact again.
	e.Update(first)
	for _, l := range lines {
		d, err := e.Decide(t.Context(), request(l.VisitorID, l.Context))
		require.NoError(t, err)
		require.Equal(t, l.Expected, nilIfEmpty(summarize(d)))
	}
}

func nilIfEmpty(c []vectorCampaign) []vectorCampaign {
	if len(c) == 0 {
		return nil
	}
	return c
}

func TestExplain(t *testing.T) {
	e := loadEngine(t, "bucketing.json", bucketing.Options{})
	l := loadVectors(t, "vectors.jsonl.gz")[1] // pub-000014
	x, err := e.Explain(t.Context(), request(l.VisitorID, l.Context))
	require.NoError(t, err)
	require.Equal(t, l.Expected, nilIfEmpty(summarize(x.Decision)), "Explain decides like Decide")

	outcomes := map[bucketing.Outcome]int{}
	for _, c := range x.Campaigns {
		outcomes[c.Outcome]++
		if c.Outcome == bucketing.OutcomeAssigned {
			assert.NotEmpty(t, c.VariationID)
			assert.GreaterOrEqual(t, c.VisitorBucket, 0)
		}
	}
	assert.Positive(t, outcomes[bucketing.OutcomeAssigned])
	assert.Positive(t, outcomes[bucketing.OutcomeNoTargetingMatch])
	assert.Positive(t, outcomes[bucketing.OutcomeOutOfBucket])
	assert.NotEmpty(t, x.Duplicates, "the vectors file has a duplicated campaign id")

	var buf bytes.Buffer
	_, err = x.WriteTo(&buf)
	require.NoError(t, err)
	out := buf.String()
	for _, want := range []string{`visitor "pub-000014"`, "ignored duplicate campaign", "out of the campaign's bucket ranges", "matched", "-> variation group", "error: operator not valid for this kind", "against absent key", "bucket ranges [10,20) [60,75.5)"} {
		assert.Contains(t, out, want)
	}
}

func TestExplainUntrackedAndBlocked(t *testing.T) {
	f := &bucketing.File{AccountSettings: bucketing.AccountSettings{Enabled1V1T: true}, Campaigns: []bucketing.Campaign{
		{ID: "a", Type: "ab", BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}}, VariationGroups: []bucketing.VariationGroup{
			{ID: "vga", Targeting: allUsers(), Variations: []bucketing.Variation{{ID: "va", Allocation: 100}}}}},
		{ID: "b", Type: "ab", BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}}, VariationGroups: []bucketing.VariationGroup{
			{ID: "vgb", Targeting: allUsers(), Variations: []bucketing.Variation{{ID: "vb", Allocation: 100}}}}},
		{ID: "c", Type: "toggle", BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}}, VariationGroups: []bucketing.VariationGroup{
			{ID: "vgc", Targeting: allUsers(), Variations: []bucketing.Variation{{ID: "vc", Allocation: 0}, {ID: "vc2", Allocation: 0}}}}},
	}}
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	x, err := e.Explain(t.Context(), request("v", nil))
	require.NoError(t, err)
	require.Len(t, x.Campaigns, 3)
	assert.Equal(t, bucketing.OutcomeAssigned, x.Campaigns[0].Outcome)
	assert.Equal(t, bucketing.OutcomeBlocked1V1T, x.Campaigns[1].Outcome)
	assert.Equal(t, bucketing.OutcomeUntracked, x.Campaigns[2].Outcome)
	assert.GreaterOrEqual(t, x.Campaigns[2].AllocationBucket, 0)
}

func TestCompileRejectsBadCodeBuiltFiles(t *testing.T) {
	_, err := bucketing.Compile(&bucketing.File{Campaigns: []bucketing.Campaign{{ID: "c", BucketRanges: []bucketing.BucketRange{{R: []float64{1}}}}}})
	require.ErrorIs(t, err, bucketing.ErrInvalidFile)
	_, err = bucketing.Compile(&bucketing.File{Campaigns: []bucketing.Campaign{{ID: "c", VariationGroups: []bucketing.VariationGroup{{
		Targeting: bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{{Key: "k", Value: struct{}{}}}}}},
	}}}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unsupported value type")
}

type failingStore struct{ *assignment.Memory }

func (failingStore) Load(context.Context, []string, []assignment.Assignments) error {
	return errors.New("disk on fire")
}

func TestHistoryReadErrorGivesNoCampaigns(t *testing.T) {
	e := loadEngine(t, "bucketing.json", bucketing.Options{Assignments: failingStore{assignment.NewMemory(0)}})
	d, err := e.Decide(t.Context(), request("pub-000003", map[string]any{"plan": "pro"}))
	require.ErrorIs(t, err, bucketing.ErrHistory)
	assert.Empty(t, d.Campaigns)
	assert.Contains(t, fmt.Sprint(err), "disk on fire")
}

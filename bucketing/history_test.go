package bucketing_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// abFile builds ab campaigns with one variation group each ("vg"+id) whose
// variations get the given allocations.
func abFile(settings bucketing.AccountSettings, campaigns map[string][]int32, order ...string) *bucketing.File {
	f := &bucketing.File{AccountSettings: settings}
	for _, id := range order {
		var vs []bucketing.Variation
		for i, a := range campaigns[id] {
			vs = append(vs, bucketing.Variation{ID: id + "-v" + string(rune('0'+i)), Allocation: a})
		}
		f.Campaigns = append(f.Campaigns, bucketing.Campaign{ID: id, Type: "ab",
			BucketRanges:    []bucketing.BucketRange{{R: []float64{0, 100}}},
			VariationGroups: []bucketing.VariationGroup{{ID: "vg" + id, Targeting: allUsers(), Variations: vs}}})
	}
	return f
}

func engineWith(t *testing.T, h assignment.Store, f *bucketing.File) *bucketing.Engine {
	t.Helper()
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e := bucketing.NewEngine(bucketing.Options{Assignments: h})
	e.Update(cfg)
	return e
}

func update(t *testing.T, e *bucketing.Engine, f *bucketing.File) {
	t.Helper()
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e.Update(cfg)
}

func variations(d decision.Decision) map[string]string {
	out := map[string]string{}
	for _, c := range d.Campaigns {
		out[c.ID] = c.Variation.ID
	}
	return out
}

func TestHistoryKeepsVariationWhenAllocationsChange(t *testing.T) {
	h := assignment.NewMemory(0)
	e := engineWith(t, h, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {100, 0}}, "a"))
	d, err := e.Decide(t.Context(), request("visitor-1", nil))
	require.NoError(t, err)
	require.Equal(t, "a-v0", variations(d)["a"])
	assert.Equal(t, decision.ReasonAllocated, d.Campaigns[0].Reason.Kind)

	update(t, e, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {0, 100}}, "a"))
	d, err = e.Decide(t.Context(), request("visitor-1", nil))
	require.NoError(t, err)
	assert.Equal(t, "a-v0", variations(d)["a"], "sticky")
	assert.Equal(t, decision.ReasonHistory, d.Campaigns[0].Reason.Kind)

	// Without history the new allocation applies.
	e2 := engineWith(t, nil, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {0, 100}}, "a"))
	d, err = e2.Decide(t.Context(), request("visitor-1", nil))
	require.NoError(t, err)
	assert.Equal(t, "a-v1", variations(d)["a"])
}

func TestHistoryDeletedVariationDropsCampaign(t *testing.T) {
	h := assignment.NewMemory(0)
	saveAssignments(t, h, "visitor-1", assignment.Assignments{"vga": {VariationID: "gone"}})
	e := engineWith(t, h, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {50, 50}}, "a"))
	d, err := e.Decide(t.Context(), request("visitor-1", nil))
	require.NoError(t, err)
	assert.Empty(t, d.Campaigns, "no re-allocation when the remembered variation was deleted")
}

func TestHistoryExperienceContinuity(t *testing.T) {
	h := assignment.NewMemory(0)
	f := abFile(bucketing.AccountSettings{EnabledXPC: true}, map[string][]int32{"a": {50, 50}}, "a")
	saveAssignments(t, h, "anon-1", assignment.Assignments{"vga": {VariationID: "a-v1"}})
	saveAssignments(t, h, "anon-2", assignment.Assignments{"vga": {VariationID: "a-v0"}})
	e := engineWith(t, h, f)

	d, err := e.Decide(t.Context(), decision.Request{VisitorID: "user-1", AnonymousID: "anon-1"})
	require.NoError(t, err)
	assert.Equal(t, "a-v1", variations(d)["a"])
	assert.Equal(t, decision.ReasonAnonymousHistory, d.Campaigns[0].Reason.Kind)
	got := loadAssignments(t, h, "user-1")
	assert.Equal(t, "a-v1", got["vga"].VariationID, "inherited assignment copied to the visitor id")

	// The visitor's own assignment wins over another anonymous id's.
	d, err = e.Decide(t.Context(), decision.Request{VisitorID: "user-1", AnonymousID: "anon-2"})
	require.NoError(t, err)
	assert.Equal(t, "a-v1", variations(d)["a"])
	assert.Equal(t, decision.ReasonHistory, d.Campaigns[0].Reason.Kind)

	// Without XPC the anonymous history is not read.
	h2 := assignment.NewMemory(0)
	saveAssignments(t, h2, "anon-1", assignment.Assignments{"vga": {VariationID: "a-v1"}})
	e2 := engineWith(t, h2, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {100, 0}}, "a"))
	d, err = e2.Decide(t.Context(), decision.Request{VisitorID: "user-1", AnonymousID: "anon-1"})
	require.NoError(t, err)
	assert.Equal(t, "a-v0", variations(d)["a"])
}

func TestHistoryDecisionGroup(t *testing.T) {
	h := assignment.NewMemory(0)
	e := engineWith(t, h, abFile(bucketing.AccountSettings{}, map[string][]int32{"a": {50, 50}}, "a"))
	first, err := e.Decide(t.Context(), decision.Request{VisitorID: "member-1", DecisionGroup: "household-42"})
	require.NoError(t, err)
	// Every member of the group shares the allocation (hash of the group).
	for _, id := range []string{"member-2", "member-3", "member-4"} {
		d, err := e.Decide(t.Context(), decision.Request{VisitorID: id, DecisionGroup: "household-42"})
		require.NoError(t, err)
		assert.Equal(t, variations(first), variations(d))
	}
	got := loadAssignments(t, h, "aG91c2Vob2xkLTQy") // base64("household-42")
	assert.Equal(t, variations(first)["a"], got["vga"].VariationID)
}

func TestHistoryOneVisitorOneTest(t *testing.T) {
	settings := bucketing.AccountSettings{Enabled1V1T: true}
	f := abFile(settings, map[string][]int32{"a": {100}, "b": {100}, "c": {100}}, "a", "b", "c")
	h := assignment.NewMemory(0)
	e := engineWith(t, h, f)

	d, err := e.Decide(t.Context(), request("v", nil))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "a-v0"}, variations(d), "first assigned ab campaign wins")

	// Once b was activated, only activated ab groups stay eligible.
	require.NoError(t, e.RecordActivation(t.Context(), "v", "vgb", "b-v0"))
	d, err = e.Decide(t.Context(), request("v", nil))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"b": "b-v0"}, variations(d))

	// DecideWith TriggerHit marks what it returns as activated.
	h2 := assignment.NewMemory(0)
	e2 := engineWith(t, h2, f)
	_, err = e2.DecideWith(t.Context(), request("w", nil), bucketing.DecideOptions{TriggerHit: true})
	require.NoError(t, err)
	got := loadAssignments(t, h2, "w")
	assert.Equal(t, assignment.Assignment{VariationID: "a-v0", Activated: true}, got["vga"])
}

func saveAssignments(t *testing.T, s assignment.Store, key string, a assignment.Assignments) {
	t.Helper()
	require.NoError(t, s.Save(t.Context(), []assignment.Entry{{Key: key, Assignments: a}}))
}

func loadAssignments(t *testing.T, s assignment.Store, key string) assignment.Assignments {
	t.Helper()
	var into [1]assignment.Assignments
	require.NoError(t, s.Load(t.Context(), []string{key}, into[:]))
	return into[0]
}

package assignment_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
)

// loadMemory returns what s holds under keys.
func loadMemory(tb testing.TB, s *assignment.Memory, keys ...string) []assignment.Assignments {
	tb.Helper()
	into := make([]assignment.Assignments, len(keys))
	require.NoError(tb, s.Load(context.Background(), keys, into))
	return into
}

func saveMemory(tb testing.TB, s *assignment.Memory, entries ...assignment.Entry) {
	tb.Helper()
	require.NoError(tb, s.Save(context.Background(), entries))
}

func TestMemoryRoundTrip(t *testing.T) {
	s := assignment.NewMemory(0)
	v1 := assignment.Assignments{"vg1": varAAct, "vg2": varB}
	anon := assignment.Assignments{"vg3": varA}
	saveMemory(t, s,
		assignment.Entry{Key: "v1", Assignments: v1},
		assignment.Entry{Key: "anon", Assignments: anon},
		assignment.Entry{Key: "empty", Assignments: assignment.Assignments{}}, // nothing to store
		assignment.Entry{Key: "nil"},
	)

	got := loadMemory(t, s, "v1", "missing", "anon", "empty", "nil", "")

	assert.Equal(t, []assignment.Assignments{v1, nil, anon, nil, nil, nil}, got)
	assert.Equal(t, 2, s.Len())
}

func TestMemoryLoadOverwritesInto(t *testing.T) {
	s := assignment.NewMemory(0)
	into := []assignment.Assignments{{"stale": varA}, {"stale": varB}, {"extra": varA}}

	require.NoError(t, s.Load(context.Background(), []string{"a", "b"}, into))

	assert.Equal(t, []assignment.Assignments{nil, nil, {"extra": varA}}, into, "into[i] set for each key, nothing past len(keys)")
}

func TestMemoryMerge(t *testing.T) {
	tests := []struct {
		name string
		give []assignment.Assignment // saved in order for vg1
		want assignment.Assignment
	}{
		{name: "activated stays for the same variation", give: []assignment.Assignment{varAAct, varA}, want: varAAct},
		{name: "activated later", give: []assignment.Assignment{varA, varAAct}, want: varAAct},
		{name: "another variation replaces an activated one", give: []assignment.Assignment{varAAct, varB}, want: varB},
		{name: "another variation replaces", give: []assignment.Assignment{varA, varB}, want: varB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := assignment.NewMemory(0)
			saveMemory(t, s, assignment.Entry{Key: "v", Assignments: assignment.Assignments{"other": varB}})
			for _, a := range tt.give {
				saveMemory(t, s, assignment.Entry{Key: "v", Assignments: assignment.Assignments{"vg1": a}})
			}
			assert.Equal(t, []assignment.Assignments{{"other": varB, "vg1": tt.want}}, loadMemory(t, s, "v"))
		})
	}
}

func TestMemorySaveDoesNotModifyMapsLoaded(t *testing.T) {
	s := assignment.NewMemory(0)
	given := assignment.Assignments{"vg1": varA}
	saveMemory(t, s, assignment.Entry{Key: "v", Assignments: given})
	before := loadMemory(t, s, "v")[0]

	saveMemory(t, s, assignment.Entry{Key: "v", Assignments: assignment.Assignments{"vg1": varB, "vg2": varAAct}})

	assert.Equal(t, assignment.Assignments{"vg1": varA}, before, "a map loaded earlier is not modified")
	assert.Equal(t, assignment.Assignments{"vg1": varA}, given, "the caller's map is not kept")
	assert.Equal(t, []assignment.Assignments{{"vg1": varB, "vg2": varAAct}}, loadMemory(t, s, "v"))
}

func TestMemoryDelete(t *testing.T) {
	s := assignment.NewMemory(0)
	saveMemory(t, s,
		assignment.Entry{Key: "a", Assignments: assignment.Assignments{"vg": varA}},
		assignment.Entry{Key: "b", Assignments: assignment.Assignments{"vg": varB}},
	)

	require.NoError(t, s.Delete(context.Background(), []string{"a", "missing"}))

	assert.Equal(t, []assignment.Assignments{nil, {"vg": varB}}, loadMemory(t, s, "a", "b"))
	assert.Equal(t, 1, s.Len())
}

func TestMemoryIsBounded(t *testing.T) {
	const max = 64
	s := assignment.NewMemory(max)
	for i := range 10_000 {
		saveMemory(t, s, assignment.Entry{Key: fmt.Sprintf("v%d", i), Assignments: assignment.Assignments{"vg": varA}})
	}

	assert.LessOrEqual(t, s.Len(), max)
	assert.Equal(t, []assignment.Assignments{{"vg": varA}, nil}, loadMemory(t, s, "v9999", "v0"), "the least recently used go first")
}

func TestMemoryDefaultSize(t *testing.T) {
	s := assignment.NewMemory(0)
	const n = 10_000 // far below DefaultMemoryMaxEntries, far above one shard's minimum
	for i := range n {
		saveMemory(t, s, assignment.Entry{Key: fmt.Sprintf("v%d", i), Assignments: assignment.Assignments{"vg": varA}})
	}
	assert.Equal(t, n, s.Len())
}

func TestMemoryHitDoesNotAllocate(t *testing.T) {
	s := assignment.NewMemory(0)
	saveMemory(t, s,
		assignment.Entry{Key: "v1", Assignments: assignment.Assignments{"vg1": varA}},
		assignment.Entry{Key: "anon", Assignments: assignment.Assignments{"vg2": varB}},
	)
	keys := []string{"v1", "anon", "missing"}
	into := make([]assignment.Assignments, len(keys))
	ctx := context.Background()

	allocs := testing.AllocsPerRun(100, func() {
		_ = s.Load(ctx, keys, into)
	})

	assert.Zero(t, allocs)
	assert.Equal(t, assignment.Assignments{"vg1": varA}, into[0])
}

func TestMemoryConcurrentUse(t *testing.T) {
	s := assignment.NewMemory(128)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			into := make([]assignment.Assignments, 2)
			for i := range 500 {
				k := fmt.Sprintf("v%d", i%50)
				assert.NoError(t, s.Save(ctx, []assignment.Entry{{Key: k, Assignments: assignment.Assignments{fmt.Sprint(g): varAAct}}}))
				assert.NoError(t, s.Load(ctx, []string{k, "other"}, into))
				for range into[0] { // read the map while others save
				}
				if i%97 == 0 {
					assert.NoError(t, s.Delete(ctx, []string{k}))
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, s.Len(), 128)
}

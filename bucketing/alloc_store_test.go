//go:build !race

// Like alloc_test.go, this file runs only without the race detector,
// which makes sync.Pool drop items at random.

package bucketing_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
)

// TestDecideAllocationsWithStore checks that, for returning visitors
// (nothing to save), a decision reading an assignment store allocates no
// more than one without a store: only its result. It covers the stores
// the SDK reads on the request path: a Memory as is, and the Cache in
// front of a Memory or of the default File.
func TestDecideAllocationsWithStore(t *testing.T) {
	lines := loadVectors(t, "vectors.jsonl.gz")[:64]
	ctx := context.Background()
	// A fixed clock: cached keys never expire during the test.
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	allocs := func(t *testing.T, s assignment.Store) float64 {
		t.Helper()
		e := loadEngine(t, "bucketing.json", bucketing.Options{Assignments: s})
		// The first pass assigns and saves; a Cache may need another
		// one if a read came back after its decision went on.
		for range 3 {
			for _, l := range lines {
				_, err := e.Decide(ctx, request(l.VisitorID, l.Context))
				require.NoError(t, err)
			}
		}
		i := 0
		return testing.AllocsPerRun(500, func() {
			l := lines[i%len(lines)]
			i++
			_, _ = e.Decide(ctx, request(l.VisitorID, l.Context))
		})
	}
	want := allocs(t, nil)
	require.LessOrEqual(t, want, 1.0)

	newCache := func(t *testing.T, s assignment.Store) *assignment.Cache {
		c := assignment.NewCache(s, assignment.CacheOptions{Now: now})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	openFile := func(t *testing.T) *assignment.File {
		f, err := assignment.OpenFile(filepath.Join(t.TempDir(), "assignments.db"), assignment.FileOptions{Now: now})
		require.NoError(t, err)
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	tests := []struct {
		name string
		give func(t *testing.T) (assignment.Store, func() int)
	}{
		{name: "memory", give: func(*testing.T) (assignment.Store, func() int) {
			m := assignment.NewMemory(0)
			return m, m.Len
		}},
		{name: "cache in front of a memory", give: func(t *testing.T) (assignment.Store, func() int) {
			c := newCache(t, assignment.NewMemory(0))
			return c, func() int { return c.Stats().Entries }
		}},
		{name: "cache in front of a file", give: func(t *testing.T) (assignment.Store, func() int) {
			c := newCache(t, openFile(t))
			return c, func() int { return c.Stats().Entries }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, held := tt.give(t)
			got := allocs(t, s)
			assert.Positive(t, held(), "the decisions used the store")
			assert.Equal(t, want, got, "allocations per decision with the store, for returning visitors")
		})
	}
}

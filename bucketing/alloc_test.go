//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it; `make test` runs this file in a
// separate pass without -race.

package bucketing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// TestDecideAllocations checks that a decision allocates only its result,
// whatever the number of campaigns evaluated.
func TestDecideAllocations(t *testing.T) {
	e := loadEngine(t, "bucketing.json", bucketing.Options{})
	lines := loadVectors(t, "vectors.jsonl.gz")[:64]
	ctx := context.Background()
	for _, l := range lines { // warm the pool
		_, _ = e.Decide(ctx, request(l.VisitorID, l.Context))
	}
	i := 0
	allocs := testing.AllocsPerRun(500, func() {
		l := lines[i%len(lines)]
		i++
		_, _ = e.Decide(ctx, request(l.VisitorID, l.Context))
	})
	assert.LessOrEqual(t, allocs, 1.0, "a decision allocates only its result slice")
}

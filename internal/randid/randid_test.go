package randid

import (
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewIsVersion4AndUnique(t *testing.T) {
	var s Source
	seen := map[uuid.UUID]bool{}
	// More than one refill of the buffer.
	for range 3 * len(s.buf) / 16 {
		u := s.New()
		require.Equal(t, uuid.Version(4), u.Version())
		require.Equal(t, uuid.RFC4122, u.Variant())
		require.False(t, seen[u], "duplicate %v", u)
		seen[u] = true
	}
}

func TestNewConcurrent(t *testing.T) {
	var s Source
	var mu sync.Mutex
	seen := map[uuid.UUID]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				u := s.New()
				mu.Lock()
				assert.False(t, seen[u])
				seen[u] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Len(t, seen, 8000)
}

func TestNewAllocatesNothing(t *testing.T) {
	var s Source
	s.New()
	assert.Zero(t, testing.AllocsPerRun(1000, func() { s.New() }))
}

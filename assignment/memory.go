package assignment

import (
	"context"

	"github.com/seed27eed597/flagship-go/internal/lru"
)

// DefaultMemoryMaxEntries is the number of keys a [Memory] store holds
// when NewMemory is given 0.
const DefaultMemoryMaxEntries = 100_000

// Memory is a [Store] in the process's memory, bounded: beyond its size
// it forgets the least recently used keys, whose visitors then get fresh
// allocations. Assignments do not survive a restart and are not shared
// between replicas: use it for tests, for short-lived processes, and
// where stickiness may be best effort.
//
// A Memory is safe for concurrent use. The SDK does not put a [Cache] in
// front of it.
type Memory struct {
	m *lru.Map[string, Assignments]
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty store of at most about maxEntries keys; 0
// means [DefaultMemoryMaxEntries].
func NewMemory(maxEntries int) *Memory {
	if maxEntries <= 0 {
		maxEntries = DefaultMemoryMaxEntries
	}
	return &Memory{m: lru.New[string, Assignments](maxEntries)}
}

// Load implements [Store]. It does not allocate.
func (s *Memory) Load(_ context.Context, keys []string, into []Assignments) error {
	for i, k := range keys {
		into[i], _ = s.m.Get(k, 0)
	}
	return nil
}

// Save implements [Store]. Stored maps are replaced, never modified, so
// maps returned by Load stay valid.
func (s *Memory) Save(_ context.Context, entries []Entry) error {
	for _, e := range entries {
		if len(e.Assignments) == 0 {
			continue
		}
		s.m.Update(e.Key, 0, 0, true, func(cur Assignments, _ bool) Assignments {
			return Merge(cur, e.Assignments)
		})
	}
	return nil
}

// Delete implements [Store].
func (s *Memory) Delete(_ context.Context, keys []string) error {
	for _, k := range keys {
		s.m.Delete(k)
	}
	return nil
}

// Len returns the number of keys stored.
func (s *Memory) Len() int { return s.m.Len() }

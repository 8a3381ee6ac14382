package bucketing

import (
	"context"
	"maps"
	"sync"
)

// Assignment is a remembered variation of one variation group.
type Assignment struct {
	VariationID string
	// Activated tells that the assignment was activated (exposed); only
	// activated ab assignments restrict later decisions under 1V1T.
	Activated bool
}

// History stores visitors' assignments so a visitor keeps its variation
// when allocations change (Flagship's assignment cache). Keys are visitor
// ids, anonymous ids and base64-encoded decision groups; values map
// variation group ids to assignments.
//
// Implementations must be safe for concurrent use.
type History interface {
	// Load returns the assignments stored under key, or nil if none.
	// The engine does not modify the returned map.
	Load(ctx context.Context, key string) (map[string]Assignment, error)
	// Save merges assignments into those stored under key.
	Save(ctx context.Context, key string, assignments map[string]Assignment) error
}

// MemoryHistory is an in-memory [History]. The zero value is ready to use
// and safe for concurrent use. It grows without bound: use it for tests
// and short-lived processes.
type MemoryHistory struct {
	mu sync.RWMutex
	m  map[string]map[string]Assignment
}

var _ History = (*MemoryHistory)(nil)

// Load implements [History].
func (h *MemoryHistory) Load(_ context.Context, key string) (map[string]Assignment, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.m[key], nil
}

// Save implements [History]. Stored maps are replaced, never modified in
// place, so maps returned by Load stay valid.
func (h *MemoryHistory) Save(_ context.Context, key string, a map[string]Assignment) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = make(map[string]map[string]Assignment)
	}
	merged := maps.Clone(h.m[key])
	if merged == nil {
		merged = make(map[string]Assignment, len(a))
	}
	maps.Copy(merged, a)
	h.m[key] = merged
	return nil
}

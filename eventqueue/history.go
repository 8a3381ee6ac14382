package eventqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sync"

	"github.com/seed27eed597/flagship-go/bucketing"
	bolt "go.etcd.io/bbolt"
)

// History is the durable [bucketing.History] kept in the queue's file, so
// that visitors keep their variations across restarts. Save returns at
// once: the queue's writer commits saved assignments with its next
// transaction (at once when idle, within Options.BufferDelay in Buffered
// mode), and Close commits what is left; a
// crash can lose only the assignments of that last moment. Load sees every
// Save at once.
//
// Values follow Flagship's common model (spec §8.2):
// {"Timestamp":<ms>,"Assignments":{<variation group id>:{"VariationID":..,"Activated":..}}}.
//
// A History is safe for concurrent use. It is valid until its Queue is
// closed.
type History struct {
	q *Queue

	mu       sync.Mutex
	dirty    map[string]map[string]bucketing.Assignment // saved, not yet handed to the writer
	inflight map[string]map[string]bucketing.Assignment // being committed
}

var _ bucketing.History = (*History)(nil)

// History returns the queue's assignment history.
func (q *Queue) History() *History { return q.hist }

type storedAssignments struct {
	Timestamp   int64
	Assignments map[string]bucketing.Assignment
}

// Load implements [bucketing.History].
func (h *History) Load(ctx context.Context, key string) (map[string]bucketing.Assignment, error) {
	if h.q.closed.Load() {
		return nil, ErrClosed
	}
	// Copy the saves not yet committed before reading the file: a commit
	// that ends in between is then in the file. (Read after the file, they
	// could be gone from both; read without copying, they race with Save.)
	var pending map[string]bucketing.Assignment
	h.mu.Lock()
	if inflight, dirty := h.inflight[key], h.dirty[key]; inflight != nil || dirty != nil {
		pending = make(map[string]bucketing.Assignment, len(inflight)+len(dirty))
		maps.Copy(pending, inflight)
		maps.Copy(pending, dirty)
	}
	h.mu.Unlock()
	var out map[string]bucketing.Assignment
	err := h.q.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(historyBucket).Get([]byte(key))
		if v == nil {
			return nil
		}
		var s storedAssignments
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("%w: history %q: %w", ErrCorrupt, key, err)
		}
		out = s.Assignments
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("eventqueue: load history: %w", err)
	}
	if out == nil {
		return pending, nil
	}
	maps.Copy(out, pending)
	return out, nil
}

// Save implements [bucketing.History]: it merges a into what key holds.
func (h *History) Save(ctx context.Context, key string, a map[string]bucketing.Assignment) error {
	if h.q.closed.Load() {
		return ErrClosed
	}
	if len(a) == 0 {
		return nil
	}
	h.mu.Lock()
	if h.dirty == nil {
		h.dirty = make(map[string]map[string]bucketing.Assignment)
	}
	m := h.dirty[key]
	if m == nil {
		m = make(map[string]bucketing.Assignment, len(a))
		h.dirty[key] = m
	}
	maps.Copy(m, a)
	h.mu.Unlock()
	select {
	case h.q.wake <- struct{}{}:
	default:
	}
	return nil
}

// takeDirty hands the saved assignments to the writer.
func (h *History) takeDirty() map[string]map[string]bucketing.Assignment {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := h.dirty
	h.dirty = nil
	h.inflight = d
	return d
}

// committed ends the writer's transaction: on failure the assignments go
// back to dirty (newer saves win) for the next one.
func (h *History) committed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil && h.inflight != nil {
		if h.dirty == nil {
			h.dirty = h.inflight
		} else {
			for k, m := range h.inflight {
				if d := h.dirty[k]; d != nil {
					maps.Copy(m, d)
				}
				h.dirty[k] = m
			}
		}
	}
	h.inflight = nil
}

// write merges the saved assignments into the file, inside the writer's
// transaction.
func (h *History) write(tx *bolt.Tx, saved map[string]map[string]bucketing.Assignment) (corrupt int, err error) {
	if len(saved) == 0 {
		return 0, nil
	}
	b := tx.Bucket(historyBucket)
	now := h.q.opts.Now().UnixMilli()
	for key, a := range saved {
		var s storedAssignments
		if v := b.Get([]byte(key)); v != nil {
			if err := json.Unmarshal(v, &s); err != nil {
				corrupt++ // logged after the commit, outside its lock
				s = storedAssignments{}
			}
		}
		if s.Assignments == nil {
			s.Assignments = make(map[string]bucketing.Assignment, len(a))
		}
		maps.Copy(s.Assignments, a)
		s.Timestamp = now
		v, err := json.Marshal(s)
		if err != nil {
			return corrupt, err
		}
		if err := b.Put([]byte(key), v); err != nil {
			return corrupt, err
		}
	}
	return corrupt, nil
}

package lru

import (
	"hash/maphash"
	"sync"
)

// shards is the number of independently locked parts of a Map: enough
// that goroutines on different keys rarely contend.
const shards = 16

// Map is a bounded map from K to V that evicts the least recently used
// entry of a shard when the shard is full. Entries may carry an expiry
// (unix nanoseconds, 0 for none) checked by [Map.Get].
//
// A Map is safe for concurrent use. The zero value is not usable: use
// [New].
type Map[K comparable, V any] struct {
	seed   maphash.Seed
	shards [shards]shard[K, V]
}

type shard[K comparable, V any] struct {
	mu   sync.Mutex
	m    map[K]*node[K, V]
	head node[K, V] // sentinel: head.next is the most recently used
	max  int
}

type node[K comparable, V any] struct {
	key        K
	val        V
	expires    int64
	prev, next *node[K, V]
}

// New returns a Map holding at most about max entries (at least one per
// shard).
func New[K comparable, V any](max int) *Map[K, V] {
	m := &Map[K, V]{seed: maphash.MakeSeed()}
	per := max / shards
	if per < 1 {
		per = 1
	}
	for i := range m.shards {
		s := &m.shards[i]
		s.m = make(map[K]*node[K, V])
		s.head.next, s.head.prev = &s.head, &s.head
		s.max = per
	}
	return m
}

func (m *Map[K, V]) shard(k K) *shard[K, V] {
	return &m.shards[maphash.Comparable(m.seed, k)&(shards-1)]
}

// Get returns the value of k if it is present and not expired at now
// (unix nanoseconds), and marks it recently used. An expired entry is
// removed.
func (m *Map[K, V]) Get(k K, now int64) (V, bool) {
	s := m.shard(k)
	s.mu.Lock()
	n, ok := s.m[k]
	if !ok {
		s.mu.Unlock()
		var zero V
		return zero, false
	}
	if n.expires != 0 && now >= n.expires {
		s.remove(n)
		s.mu.Unlock()
		var zero V
		return zero, false
	}
	if s.head.next != n {
		s.unlink(n)
		s.pushFront(n)
	}
	v := n.val
	s.mu.Unlock()
	return v, true
}

// Put sets k to v with the given expiry (unix nanoseconds, 0 for none),
// evicting the shard's least recently used entry if it is full.
func (m *Map[K, V]) Put(k K, v V, expires int64) {
	s := m.shard(k)
	s.mu.Lock()
	if n, ok := s.m[k]; ok {
		n.val, n.expires = v, expires
		if s.head.next != n {
			s.unlink(n)
			s.pushFront(n)
		}
		s.mu.Unlock()
		return
	}
	var n *node[K, V]
	if len(s.m) >= s.max {
		n = s.head.prev // reuse the evicted node
		s.unlink(n)
		delete(s.m, n.key)
	} else {
		n = new(node[K, V])
	}
	n.key, n.val, n.expires = k, v, expires
	s.m[k] = n
	s.pushFront(n)
	s.mu.Unlock()
}

// Update sets k to f(old, ok) under the shard's lock, keeping its expiry
// if it was present and not expired at now, else giving it expires. If
// create is false, an absent entry is not created (f is not called).
func (m *Map[K, V]) Update(k K, now, expires int64, create bool, f func(old V, ok bool) V) {
	s := m.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	n, ok := s.m[k]
	if ok && n.expires != 0 && now >= n.expires {
		s.remove(n)
		ok = false
	}
	if ok {
		n.val = f(n.val, true)
		return
	}
	if !create {
		return
	}
	var zero V
	v := f(zero, false)
	if len(s.m) >= s.max {
		s.remove(s.head.prev)
	}
	n = &node[K, V]{key: k, val: v, expires: expires}
	s.m[k] = n
	s.pushFront(n)
}

// Delete removes k.
func (m *Map[K, V]) Delete(k K) {
	s := m.shard(k)
	s.mu.Lock()
	if n, ok := s.m[k]; ok {
		s.remove(n)
	}
	s.mu.Unlock()
}

// Len returns the number of entries, expired ones included until they
// are read or evicted.
func (m *Map[K, V]) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (s *shard[K, V]) remove(n *node[K, V]) {
	s.unlink(n)
	delete(s.m, n.key)
}

func (s *shard[K, V]) unlink(n *node[K, V]) {
	n.prev.next = n.next
	n.next.prev = n.prev
	n.prev, n.next = nil, nil
}

func (s *shard[K, V]) pushFront(n *node[K, V]) {
	n.prev = &s.head
	n.next = s.head.next
	s.head.next.prev = n
	s.head.next = n
}

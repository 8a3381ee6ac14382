package fsopenfeature

import (
	"context"
	"sync"
	"time"

	"github.com/seed27eed597/flagship-go/visitor"
)

// decisionCache keeps synchronized visitors by evaluation context (see
// contextKey) for a TTL, at most size of them, least recently used first
// out. Concurrent misses of one key share one load (single flight).
// Failed loads are not kept. A decisionCache is safe for concurrent use.
type decisionCache struct {
	size int // 0: no cache, every get loads
	ttl  time.Duration
	now  func() time.Time

	mu   sync.Mutex
	m    map[string]*cacheEntry
	lru  cacheEntry // sentinel of the LRU ring: lru.next is the most recent
	gen  uint64     // bumped by invalidate
	hits uint64
}

// cacheEntry is one context's visitor, or its load in flight. done is
// closed once v and err are set; they do not change afterwards.
type cacheEntry struct {
	key        string
	prev, next *cacheEntry
	done       chan struct{}
	v          *visitor.Visitor
	err        error
	leaderGone bool // the loading caller's ctx ended: waiters try again
	loaded     bool
	expires    time.Time
	gen        uint64
}

func newDecisionCache(size int, ttl time.Duration) *decisionCache {
	c := &decisionCache{size: size, ttl: ttl, now: time.Now}
	c.m = make(map[string]*cacheEntry)
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// get returns the visitor cached for key, or loads it with load, which
// concurrent callers of the same key then wait for. key is not kept: it
// is copied when an entry is made. A caller waits for another's load
// only while its own ctx is live; if the loading caller's ctx ends, the
// load's error is not shared: a waiter still live loads again.
func (c *decisionCache) get(ctx context.Context, key []byte, load func() (*visitor.Visitor, error)) (*visitor.Visitor, error) {
	if c.size <= 0 {
		return load()
	}
	for {
		c.mu.Lock()
		e := c.m[string(key)]
		if e != nil && e.loaded {
			if c.now().Before(e.expires) {
				c.moveToFront(e)
				c.hits++
				c.mu.Unlock()
				return e.v, nil
			}
			c.remove(e)
			e = nil
		}
		if e != nil { // in flight
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err != nil && e.leaderGone && ctx.Err() == nil {
				continue
			}
			return e.v, e.err
		}
		e = &cacheEntry{key: string(key), done: make(chan struct{}), gen: c.gen}
		c.m[e.key] = e
		c.pushFront(e)
		for len(c.m) > c.size {
			c.remove(c.lru.prev)
		}
		c.mu.Unlock()

		v, err := load()

		c.mu.Lock()
		e.v, e.err = v, err
		if err == nil && e.gen == c.gen && c.m[e.key] == e {
			e.loaded = true
			e.expires = c.now().Add(c.ttl)
		} else {
			e.leaderGone = ctx.Err() != nil
			if c.m[e.key] == e {
				c.remove(e)
			}
		}
		close(e.done)
		c.mu.Unlock()
		return v, err
	}
}

// invalidate forgets every entry: the next get of any key loads. Loads in
// flight finish for their callers but are not kept.
func (c *decisionCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.m)
	c.lru.next, c.lru.prev = &c.lru, &c.lru
}

// stats returns the number of entries and of hits so far, for tests.
func (c *decisionCache) stats() (entries int, hits uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.hits
}

// The LRU ring; c.mu must be held.

func (c *decisionCache) pushFront(e *cacheEntry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}

func (c *decisionCache) moveToFront(e *cacheEntry) {
	if c.lru.next == e {
		return
	}
	e.prev.next, e.next.prev = e.next, e.prev
	c.pushFront(e)
}

func (c *decisionCache) remove(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
	delete(c.m, e.key)
}

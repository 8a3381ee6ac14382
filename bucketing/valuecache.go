package bucketing

import (
	"sync/atomic"
)

// Context values repeat across visitors (countries, plans, devices, app
// versions, flags), and so do the answers of the rules that read them. Each
// Config keeps, per context key, a bounded cache from a scalar value to the
// results of every distinct rule reading that key: a decision then pays one
// map lookup per key instead of one comparison per rule. Caches belong to
// the Config, so a reload starts afresh, and they are copy-on-write behind
// atomic pointers, so concurrent decisions never contend on them.

// maxCachedValues bounds the values cached per context key. Once reached,
// misses are evaluated rule by rule as if there were no cache.
const maxCachedValues = 512

// slotRule is a distinct rule reading one context key.
type slotRule struct {
	op     Operator
	target cval
}

// valueTable maps scalar context values to result bits: bit k is the
// match of the key's k-th distinct rule. Tables are immutable.
type valueTable struct {
	strs  map[string][]uint64
	nums  map[float64][]uint64
	bools [2][]uint64
	null  []uint64
	n     int
}

type slotCache struct {
	t atomic.Pointer[valueTable]
}

func (t *valueTable) get(c *cval) ([]uint64, bool) {
	if t == nil {
		return nil, false
	}
	switch c.kind {
	case kindString:
		b, ok := t.strs[c.s]
		return b, ok
	case kindNumber:
		b, ok := t.nums[c.n]
		return b, ok
	case kindBool:
		b := t.bools[b2u(c.b)]
		return b, b != nil
	case kindNull:
		return t.null, t.null != nil
	}
	return nil, false
}

// cacheable reports whether c's results can be cached: scalars, except
// NaN, which equals nothing (not even itself as a map key).
func cacheable(c *cval) bool {
	switch c.kind {
	case kindString, kindBool, kindNull:
		return true
	case kindNumber:
		return c.n == c.n
	}
	return false
}

// store adds c's bits, copying the table; a concurrent store may win, which
// only costs a later recomputation.
func (sc *slotCache) store(c *cval, bits []uint64) {
	old := sc.t.Load()
	if old != nil && old.n >= maxCachedValues {
		return
	}
	t := &valueTable{}
	if old != nil {
		*t = *old
	}
	switch c.kind {
	case kindString:
		t.strs = copyMap(t.strs, len(t.strs)+1)
		t.strs[c.s] = bits
	case kindNumber:
		t.nums = copyMap(t.nums, len(t.nums)+1)
		t.nums[c.n] = bits
	case kindBool:
		t.bools[b2u(c.b)] = bits
	case kindNull:
		t.null = bits
	}
	t.n++
	sc.t.CompareAndSwap(old, t)
}

func copyMap[K comparable](m map[K][]uint64, size int) map[K][]uint64 {
	out := make(map[K][]uint64, size)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// ruleBits returns the cached results of slot i's rules for its present,
// scalar value c, computing and caching them on a miss while there is room.
// It returns nil when the rules must be evaluated one by one.
func (s *scratch) ruleBits(i int32, c *cval) []uint64 {
	rules := s.cfg.slotRules[i]
	if len(rules) == 0 || !cacheable(c) {
		return nil
	}
	sc := &s.cfg.caches[i]
	t := sc.t.Load()
	if bits, ok := t.get(c); ok {
		return bits
	}
	if t != nil && t.n >= maxCachedValues {
		return nil
	}
	bits := make([]uint64, (len(rules)+63)/64)
	for k := range rules {
		if m, _ := s.compare(rules[k].op, &rules[k].target, c); m {
			bits[k>>6] |= 1 << (k & 63)
		}
	}
	sc.store(c, bits)
	return bits
}

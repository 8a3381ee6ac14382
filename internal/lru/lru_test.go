package lru

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGetPut(t *testing.T) {
	m := New[string, int](64)
	_, ok := m.Get("a", 0)
	assert.False(t, ok)
	m.Put("a", 1, 0)
	v, ok := m.Get("a", 0)
	require.True(t, ok)
	assert.Equal(t, 1, v)
	m.Put("a", 2, 0)
	v, _ = m.Get("a", 0)
	assert.Equal(t, 2, v)
	m.Delete("a")
	_, ok = m.Get("a", 0)
	assert.False(t, ok)
	assert.Equal(t, 0, m.Len())
}

func TestExpiry(t *testing.T) {
	m := New[string, int](64)
	m.Put("a", 1, 100)
	_, ok := m.Get("a", 99)
	assert.True(t, ok)
	_, ok = m.Get("a", 100)
	assert.False(t, ok, "expired at its expiry")
	assert.Equal(t, 0, m.Len(), "an expired entry read is removed")
}

func TestBoundEvictsLeastRecentlyUsed(t *testing.T) {
	m := New[int, int](shards * 4) // 4 per shard
	for i := range 10_000 {
		m.Put(i, i, 0)
	}
	assert.LessOrEqual(t, m.Len(), shards*4)
	// The most recent keys survive.
	_, ok := m.Get(9_999, 0)
	assert.True(t, ok)
	_, ok = m.Get(0, 0)
	assert.False(t, ok)
}

func TestRecentlyReadSurvives(t *testing.T) {
	m := New[int, int](shards)
	s := m.shard(1)
	var same []int
	for i := 0; len(same) < 3; i++ {
		if m.shard(i) == s {
			same = append(same, i)
		}
	}
	s.max = 2
	m.Put(same[0], 0, 0)
	m.Put(same[1], 1, 0)
	m.Get(same[0], 0) // same[1] is now the least recently used
	m.Put(same[2], 2, 0)
	_, ok := m.Get(same[0], 0)
	assert.True(t, ok)
	_, ok = m.Get(same[1], 0)
	assert.False(t, ok)
}

func TestUpdate(t *testing.T) {
	m := New[string, int](64)
	m.Update("a", 0, 50, false, func(int, bool) int { t.Fatal("called without create"); return 0 })
	_, ok := m.Get("a", 0)
	assert.False(t, ok)
	m.Update("a", 0, 50, true, func(old int, ok bool) int { assert.False(t, ok); return 7 })
	m.Update("a", 10, 99, true, func(old int, ok bool) int { assert.True(t, ok); return old + 1 })
	v, ok := m.Get("a", 49)
	require.True(t, ok)
	assert.Equal(t, 8, v)
	_, ok = m.Get("a", 50)
	assert.False(t, ok, "Update keeps the first expiry")
}

func TestConcurrent(t *testing.T) {
	m := New[string, int](128)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprint(i % 300)
				m.Put(k, g, 0)
				m.Get(k, 0)
				m.Update(k, 0, 0, true, func(old int, _ bool) int { return old })
				if i%7 == 0 {
					m.Delete(k)
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, m.Len(), 128)
}

func BenchmarkGetHit(b *testing.B) {
	m := New[string, int](1 << 16)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("visitor-%d", i)
		m.Put(keys[i], i, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Get(keys[i&1023], 0)
	}
}

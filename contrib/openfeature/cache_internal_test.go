package fsopenfeature

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/visitor"
)

// newTestVisitor returns a visitor that decides nothing.
func newTestVisitor(t *testing.T, id string) *visitor.Visitor {
	t.Helper()
	v, err := visitor.New(id, nil, visitor.Config{Decider: decision.DeciderFunc(func(context.Context, decision.Request) (decision.Decision, error) {
		return decision.Decision{}, nil
	})})
	require.NoError(t, err)
	return v
}

// counting returns a load function making a new visitor per call, and
// the number of calls.
func counting(t *testing.T) (func() (*visitor.Visitor, error), func() int) {
	var mu sync.Mutex
	n := 0
	return func() (*visitor.Visitor, error) {
			mu.Lock()
			n++
			mu.Unlock()
			return newTestVisitor(t, "v"), nil
		}, func() int {
			mu.Lock()
			defer mu.Unlock()
			return n
		}
}

func TestCacheLRU(t *testing.T) {
	c := newDecisionCache(2, time.Hour)
	load, loads := counting(t)
	get := func(key string) *visitor.Visitor {
		v, err := c.get(t.Context(), []byte(key), load)
		require.NoError(t, err)
		return v
	}
	a := get("a")
	get("b")
	assert.Same(t, a, get("a")) // a is now the most recent
	get("c")                    // evicts b
	assert.Equal(t, 3, loads())
	assert.Same(t, a, get("a"))
	get("b")
	assert.Equal(t, 4, loads())
	entries, hits := c.stats()
	assert.Equal(t, 2, entries)
	assert.Equal(t, uint64(2), hits)
}

func TestCacheTTL(t *testing.T) {
	c := newDecisionCache(10, time.Second)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	load, loads := counting(t)
	_, err := c.get(t.Context(), []byte("a"), load)
	require.NoError(t, err)
	now = now.Add(999 * time.Millisecond)
	_, err = c.get(t.Context(), []byte("a"), load)
	require.NoError(t, err)
	assert.Equal(t, 1, loads())
	now = now.Add(time.Millisecond)
	_, err = c.get(t.Context(), []byte("a"), load)
	require.NoError(t, err)
	assert.Equal(t, 2, loads())
}

func TestCacheFailuresNotKept(t *testing.T) {
	c := newDecisionCache(10, time.Hour)
	boom := errors.New("boom")
	_, err := c.get(t.Context(), []byte("a"), func() (*visitor.Visitor, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	entries, _ := c.stats()
	assert.Zero(t, entries)
	load, loads := counting(t)
	_, err = c.get(t.Context(), []byte("a"), load)
	require.NoError(t, err)
	assert.Equal(t, 1, loads())
}

// TestCacheInvalidateDuringLoad checks that a load in flight when the
// cache is invalidated serves its callers but is not kept.
func TestCacheInvalidateDuringLoad(t *testing.T) {
	c := newDecisionCache(10, time.Hour)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan *visitor.Visitor)
	go func() {
		v, _ := c.get(context.Background(), []byte("a"), func() (*visitor.Visitor, error) {
			close(started)
			<-release
			return newTestVisitor(t, "old"), nil
		})
		done <- v
	}()
	<-started
	c.invalidate()
	close(release)
	assert.Equal(t, "old", (<-done).ID())
	load, loads := counting(t)
	_, err := c.get(t.Context(), []byte("a"), load)
	require.NoError(t, err)
	assert.Equal(t, 1, loads())
}

func TestCacheDisabled(t *testing.T) {
	c := newDecisionCache(0, time.Hour)
	load, loads := counting(t)
	for range 3 {
		_, err := c.get(t.Context(), []byte("a"), load)
		require.NoError(t, err)
	}
	assert.Equal(t, 3, loads())
}

func TestContextKey(t *testing.T) {
	key := func(id string, kv ...any) string {
		flat := map[string]any{"targetingKey": id}
		for i := 0; i+1 < len(kv); i += 2 {
			flat[kv[i].(string)] = kv[i+1]
		}
		b, ok := appendContextKey(nil, id, flat)
		require.True(t, ok)
		return string(b)
	}
	type plan string
	tests := []struct {
		name      string
		give      [2]string
		wantEqual bool
	}{
		{name: "order", give: [2]string{key("u", "a", 1, "b", "x"), key("u", "b", "x", "a", 1)}, wantEqual: true},
		{name: "int and float", give: [2]string{key("u", "a", 1), key("u", "a", 1.0)}, wantEqual: true},
		{name: "uint and int", give: [2]string{key("u", "a", uint16(7)), key("u", "a", int8(7))}, wantEqual: true},
		{name: "named string", give: [2]string{key("u", "a", plan("gold")), key("u", "a", "gold")}, wantEqual: true},
		{name: "time and its string", give: [2]string{key("u", "t", time.Date(2024, 5, 1, 14, 0, 0, 0, time.FixedZone("", 7200))), key("u", "t", "2024-05-01T12:00:00Z")}, wantEqual: true},
		{name: "string and number", give: [2]string{key("u", "a", "1"), key("u", "a", 1)}},
		{name: "bool and number", give: [2]string{key("u", "a", true), key("u", "a", 1)}},
		{name: "fraction", give: [2]string{key("u", "a", 1.5), key("u", "a", 1)}},
		{name: "integers a float64 rounds", give: [2]string{key("u", "a", int64(1<<53+1)), key("u", "a", float64(1<<53))}},
		{name: "targeting key", give: [2]string{key("u1"), key("u2")}},
		{name: "extra attribute", give: [2]string{key("u", "a", 1), key("u", "a", 1, "b", 2)}},
		{name: "key and value boundaries", give: [2]string{key("u", "ab", "c"), key("u", "a", "bc")}},
		{name: "id and attribute boundaries", give: [2]string{key("ua"), key("u", "a", "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantEqual, tt.give[0] == tt.give[1], "%q vs %q", tt.give[0], tt.give[1])
		})
	}
	_, ok := appendContextKey(nil, "u", map[string]any{"s": []string{"x"}})
	assert.False(t, ok, "a slice is not encoded")
}

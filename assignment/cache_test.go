package assignment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
)

// waitFor is how long a test waits for something that happens at once
// unless the code is broken: generous, so a loaded machine does not
// fail the test.
const waitFor = 5 * time.Second

// fakeStore is a [assignment.Store] a test controls: it counts calls and
// the keys of each, records saves, and can block (until released or ctx
// ends), delay or fail each kind of call. Load reads what the store
// holds when it is called, before blocking, like a remote store whose
// answer is slow to come back.
type fakeStore struct {
	mu        sync.Mutex
	data      map[string]assignment.Assignments
	loads     [][]string
	saves     [][]assignment.Entry
	deletes   [][]string
	loadErr   error
	saveErr   error
	deleteErr error
	loadDelay time.Duration
	loadGate  chan struct{} // non-nil: calls block until it is closed
	saveGate  chan struct{}
	delGate   chan struct{}
	onLoad    func() // called at the start of each Load, outside mu
}

var _ assignment.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{data: make(map[string]assignment.Assignments)}
}

// pause blocks until gate is closed or ctx ends, then sleeps delay.
func pause(ctx context.Context, gate chan struct{}, delay time.Duration) error {
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *fakeStore) Load(ctx context.Context, keys []string, into []assignment.Assignments) error {
	s.mu.Lock()
	s.loads = append(s.loads, slices.Clone(keys))
	snap := make([]assignment.Assignments, len(keys))
	for i, k := range keys {
		snap[i] = s.data[k]
	}
	gate, delay, err, hook := s.loadGate, s.loadDelay, s.loadErr, s.onLoad
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err := pause(ctx, gate, delay); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	copy(into, snap)
	return nil
}

func (s *fakeStore) Save(ctx context.Context, entries []assignment.Entry) error {
	s.mu.Lock()
	rec := make([]assignment.Entry, len(entries))
	for i, e := range entries {
		rec[i] = assignment.Entry{Key: e.Key, Assignments: copyAssignments(e.Assignments)}
	}
	s.saves = append(s.saves, rec)
	gate, err := s.saveGate, s.saveErr
	s.mu.Unlock()
	if err := pause(ctx, gate, 0); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range rec {
		s.data[e.Key] = assignment.Merge(s.data[e.Key], e.Assignments)
	}
	return nil
}

func (s *fakeStore) Delete(ctx context.Context, keys []string) error {
	s.mu.Lock()
	s.deletes = append(s.deletes, slices.Clone(keys))
	gate, err := s.delGate, s.deleteErr
	s.mu.Unlock()
	if err := pause(ctx, gate, 0); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		delete(s.data, k)
	}
	return nil
}

func copyAssignments(a assignment.Assignments) assignment.Assignments {
	if a == nil {
		return nil
	}
	out := make(assignment.Assignments, len(a))
	for k, v := range a {
		out[k] = v
	}
	return out
}

// block makes the calls that gate points to block from now on, until
// the returned release is called (at the latest, at the end of the
// test).
func (s *fakeStore) block(tb testing.TB, gate *chan struct{}) (release func()) {
	tb.Helper()
	ch := make(chan struct{})
	s.mu.Lock()
	*gate = ch
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			if *gate == ch {
				*gate = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
	tb.Cleanup(release)
	return release
}

func (s *fakeStore) blockLoads(tb testing.TB) func()   { tb.Helper(); return s.block(tb, &s.loadGate) }
func (s *fakeStore) blockSaves(tb testing.TB) func()   { tb.Helper(); return s.block(tb, &s.saveGate) }
func (s *fakeStore) blockDeletes(tb testing.TB) func() { tb.Helper(); return s.block(tb, &s.delGate) }

func (s *fakeStore) set(f func(s *fakeStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *fakeStore) put(key string, a assignment.Assignments) {
	s.set(func(s *fakeStore) { s.data[key] = a })
}

func (s *fakeStore) get(key string) assignment.Assignments {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[key]
}

func (s *fakeStore) loadCalls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.loads)
}

func (s *fakeStore) saveCalls() [][]assignment.Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saves)
}

func (s *fakeStore) deleteCalls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deletes)
}

func (s *fakeStore) numLoads() int   { return len(s.loadCalls()) }
func (s *fakeStore) numSaves() int   { return len(s.saveCalls()) }
func (s *fakeStore) numDeletes() int { return len(s.deleteCalls()) }

// savedKeys returns the keys of every entry handed to Save, in order.
func (s *fakeStore) savedKeys() []string {
	var keys []string
	for _, call := range s.saveCalls() {
		for _, e := range call {
			keys = append(keys, e.Key)
		}
	}
	return keys
}

// eventLog records a Cache's events.
type eventLog struct {
	mu  sync.Mutex
	evs []assignment.Event
}

func (l *eventLog) record(_ context.Context, e assignment.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) all() []assignment.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.evs)
}

func (l *eventLog) ofKind(k assignment.EventKind) []assignment.Event {
	var out []assignment.Event
	for _, e := range l.all() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// breakerStates returns the states of the EventBreakerChanged events, in
// order.
func (l *eventLog) breakerStates() []assignment.BreakerState {
	var out []assignment.BreakerState
	for _, e := range l.ofKind(assignment.EventBreakerChanged) {
		out = append(out, e.State)
	}
	return out
}

// testCache is a Cache in front of a fakeStore, with an injected clock.
type testCache struct {
	*assignment.Cache
	store  *fakeStore
	clock  *fakeClock
	events *eventLog
}

// newCache returns a Cache in front of a new fakeStore, closed at the
// end of the test. Unless o says otherwise, the read budget is long (a
// store that is not blocked always answers within it, whatever the
// scheduler does) and the clock is a fakeClock, so that no read counts
// as slow unless the test moves the clock.
func newCache(tb testing.TB, o assignment.CacheOptions) *testCache {
	tb.Helper()
	tc := &testCache{store: newFakeStore(), clock: newFakeClock(), events: &eventLog{}}
	if o.ReadBudget == 0 {
		o.ReadBudget = time.Minute
	}
	if o.Now == nil {
		o.Now = tc.clock.Now
	}
	o.Logger = slog.New(slog.DiscardHandler)
	then := o.OnEvent
	o.OnEvent = func(ctx context.Context, e assignment.Event) {
		tc.events.record(ctx, e)
		if then != nil {
			then(ctx, e)
		}
	}
	tc.Cache = assignment.NewCache(tc.store, o)
	tb.Cleanup(func() { assert.NoError(tb, tc.Close()) })
	return tc
}

// load loads keys, requiring no error.
func (tc *testCache) load(tb testing.TB, keys ...string) []assignment.Assignments {
	tb.Helper()
	into := make([]assignment.Assignments, len(keys))
	require.NoError(tb, tc.Load(context.Background(), keys, into))
	return into
}

// loadAsync starts a Load of keys and returns a channel that gets its
// result.
func (tc *testCache) loadAsync(ctx context.Context, keys ...string) <-chan loadResult {
	ch := make(chan loadResult, 1) // the goroutine never waits for the test
	go func() {
		into := make([]assignment.Assignments, len(keys))
		err := tc.Load(ctx, keys, into)
		ch <- loadResult{into: into, err: err}
	}()
	return ch
}

type loadResult struct {
	into []assignment.Assignments
	err  error
}

// fill reads keys into memory, whether or not the read comes within
// the budget.
func (tc *testCache) fill(keys ...string) {
	_ = tc.Load(context.Background(), keys, make([]assignment.Assignments, len(keys)))
	assignment.WaitReads(tc.Cache)
}

// await returns what ch gets, failing the test if nothing comes.
func await[T any](tb testing.TB, ch <-chan T) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		tb.Fatalf("no result after %v", waitFor)
		panic("unreachable")
	}
}

// save saves one entry, requiring no error.
func (tc *testCache) save(tb testing.TB, key string, a assignment.Assignments) {
	tb.Helper()
	require.NoError(tb, tc.Save(context.Background(), []assignment.Entry{{Key: key, Assignments: a}}))
}

// run runs tc.Run until the end of the test, and waits for it to
// return.
func (tc *testCache) run(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tc.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		assert.NoError(tb, await(tb, done))
	})
}

func eventually(tb testing.TB, cond func() bool, msg string) {
	tb.Helper()
	require.Eventually(tb, cond, waitFor, time.Millisecond, msg)
}

var (
	varA    = assignment.Assignment{VariationID: "a"}
	varAAct = assignment.Assignment{VariationID: "a", Activated: true}
	varB    = assignment.Assignment{VariationID: "b"}
	varBAct = assignment.Assignment{VariationID: "b", Activated: true}
	errDown = errors.New("store down")
)

func TestCacheHitDoesNotCallStore(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	want := assignment.Assignments{"vg1": varAAct}
	tc.store.put("v1", want)

	assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"))
	assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"))
	assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"))

	assert.Equal(t, [][]string{{"v1"}}, tc.store.loadCalls())
	st := tc.Stats()
	assert.Equal(t, uint64(2), st.Hits)
	assert.Equal(t, uint64(1), st.Misses)
	assert.Equal(t, 1, st.Entries)
	assert.Equal(t, assignment.BreakerClosed, st.State)
	assert.Zero(t, st.Degraded)
}

func TestCacheRemembersKeysTheStoreDoesNotHold(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})

	got := tc.load(t, "new-visitor")
	assert.Empty(t, got[0])
	assert.NotNil(t, got[0], "read and empty is not a miss")
	got = tc.load(t, "new-visitor")
	assert.Empty(t, got[0])
	assert.Equal(t, 1, tc.store.numLoads())
}

func TestCacheHitDoesNotAllocate(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varA})
	tc.store.put("anon", assignment.Assignments{"vg2": varB})
	keys := []string{"v1", "anon"}
	into := make([]assignment.Assignments, len(keys))
	ctx := context.Background()
	require.NoError(t, tc.Load(ctx, keys, into))

	allocs := testing.AllocsPerRun(100, func() {
		_ = tc.Load(ctx, keys, into)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 1, tc.store.numLoads())
}

func TestCacheTTL(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{TTL: time.Minute})
	tc.store.put("v1", assignment.Assignments{"vg1": varA})
	tc.load(t, "v1")

	// Another replica writes.
	tc.store.put("v1", assignment.Assignments{"vg1": varBAct})
	tc.clock.Add(time.Minute - time.Millisecond)
	assert.Equal(t, assignment.Assignments{"vg1": varA}, tc.load(t, "v1")[0], "trusted until the TTL")
	assert.Equal(t, 1, tc.store.numLoads())

	tc.clock.Add(time.Millisecond)
	assert.Equal(t, assignment.Assignments{"vg1": varBAct}, tc.load(t, "v1")[0], "read again after the TTL")
	assert.Equal(t, 2, tc.store.numLoads())
}

func TestCacheReadsMissedKeysInOneCall(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varA})
	tc.store.put("v3", assignment.Assignments{"vg3": varBAct})
	tc.load(t, "v2")

	got := tc.load(t, "v1", "v2", "v3", "v4")

	assert.Equal(t, []assignment.Assignments{{"vg1": varA}, {}, {"vg3": varBAct}, {}}, got)
	assert.Equal(t, [][]string{{"v2"}, {"v1", "v3", "v4"}}, tc.store.loadCalls(), "v2 was in memory")
	assert.Equal(t, uint64(1), tc.Stats().Hits)
	assert.Equal(t, uint64(4), tc.Stats().Misses)
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	const n = 50
	tc := newCache(t, assignment.CacheOptions{})
	want := assignment.Assignments{"vg1": varAAct}
	tc.store.put("v1", want)
	release := tc.store.blockLoads(t)

	results := make([]<-chan loadResult, n)
	for i := range results {
		results[i] = tc.loadAsync(context.Background(), "v1")
	}
	eventually(t, func() bool { return inCacheWait() == n }, "every Load waits")
	release()

	for _, ch := range results {
		r := await(t, ch)
		require.NoError(t, r.err)
		assert.Equal(t, []assignment.Assignments{want}, r.into)
	}
	assert.Equal(t, [][]string{{"v1"}}, tc.store.loadCalls())
	assert.Zero(t, tc.Stats().Degraded)
}

// inCacheWait returns how many goroutines are in Cache.wait: past the
// point where a Load joins a read in flight or starts one. Nothing else
// shows that a Load that missed memory has joined the read.
func inCacheWait() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Count(buf[:n], []byte("assignment.(*Cache).wait("))
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestCacheCoalescesOverlappingMisses(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("b", assignment.Assignments{"vg": varB})
	release := tc.store.blockLoads(t)

	first := tc.loadAsync(context.Background(), "a", "b")
	eventually(t, func() bool { return tc.store.numLoads() == 1 }, "first read started")
	second := tc.loadAsync(context.Background(), "b", "c")
	eventually(t, func() bool { return tc.store.numLoads() == 2 }, "second read started")
	release()

	r1, r2 := await(t, first), await(t, second)
	require.NoError(t, r1.err)
	require.NoError(t, r2.err)
	assert.Equal(t, []assignment.Assignments{{}, {"vg": varB}}, r1.into)
	assert.Equal(t, []assignment.Assignments{{"vg": varB}, {}}, r2.into)
	assert.Equal(t, [][]string{{"a", "b"}, {"c"}}, tc.store.loadCalls(), "b is read once")
}

func TestCacheWaitsForAReadWithinBudget(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	want := assignment.Assignments{"vg1": varAAct}
	tc.store.put("v1", want)
	tc.store.set(func(s *fakeStore) { s.loadDelay = 10 * time.Millisecond })

	assert.Equal(t, []assignment.Assignments{want, {}}, tc.load(t, "v1", "v2"))
	assert.Zero(t, tc.Stats().Degraded)
}

func TestCacheReadBudget(t *testing.T) {
	tests := []struct {
		name            string
		giveFailClosed  bool
		giveBudget      time.Duration
		giveStarted     func(cancel context.CancelFunc) // called once the read started
		wantUnavailable bool
		wantCanceled    bool
	}{
		{name: "fail-open past the budget", giveBudget: 2 * time.Millisecond, giveStarted: func(context.CancelFunc) {}},
		{name: "fail-closed past the budget", giveFailClosed: true, giveBudget: 2 * time.Millisecond, giveStarted: func(context.CancelFunc) {}, wantUnavailable: true},
		{name: "fail-open when ctx ends first", giveBudget: time.Hour, giveStarted: func(cancel context.CancelFunc) { cancel() }},
		{name: "fail-closed when ctx ends first", giveFailClosed: true, giveBudget: time.Hour, giveStarted: func(cancel context.CancelFunc) { cancel() }, wantUnavailable: true, wantCanceled: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newCache(t, assignment.CacheOptions{ReadBudget: tt.giveBudget, FailClosed: tt.giveFailClosed})
			want := assignment.Assignments{"vg1": varAAct}
			tc.store.put("v1", want)
			tc.fill("cached")
			degraded := tc.Stats().Degraded
			release := tc.store.blockLoads(t)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch := tc.loadAsync(ctx, "cached", "v1")
			eventually(t, func() bool { return tc.store.numLoads() == 2 }, "read started")
			tt.giveStarted(cancel)
			r := await(t, ch) // a Load that waited for the store would never return

			assert.Equal(t, tt.wantUnavailable, errors.Is(r.err, assignment.ErrUnavailable), "err: %v", r.err)
			assert.Equal(t, tt.wantCanceled, errors.Is(r.err, context.Canceled), "err: %v", r.err)
			assert.Equal(t, []assignment.Assignments{{}, nil}, r.into, "cached keys are answered, missed ones are nil")
			assert.Equal(t, degraded+1, tc.Stats().Degraded)

			// The read goes on and fills the cache.
			release()
			eventually(t, func() bool { return tc.Stats().Entries == 2 }, "background read filled the cache")
			assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"))
			assert.Equal(t, 2, tc.store.numLoads())
			assert.Equal(t, assignment.BreakerClosed, tc.Stats().State)
		})
	}
}

func TestCacheFailedReadFailsOpenOrClosed(t *testing.T) {
	tests := []struct {
		name            string
		giveFailClosed  bool
		wantUnavailable bool
	}{
		{name: "fail-open"},
		{name: "fail-closed", giveFailClosed: true, wantUnavailable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newCache(t, assignment.CacheOptions{FailClosed: tt.giveFailClosed})
			tc.store.set(func(s *fakeStore) { s.loadErr = errDown })

			into := make([]assignment.Assignments, 1)
			err := tc.Load(context.Background(), []string{"v1"}, into)
			assignment.WaitReads(tc.Cache) // the read reports its failure after it answered

			assert.Equal(t, tt.wantUnavailable, errors.Is(err, assignment.ErrUnavailable), "err: %v", err)
			assert.Equal(t, tt.wantUnavailable, errors.Is(err, errDown), "err: %v", err)
			assert.Nil(t, into[0])
			st := tc.Stats()
			assert.Equal(t, uint64(1), st.LoadFailures)
			assert.Equal(t, uint64(1), st.Degraded)
			assert.Zero(t, st.Entries, "a failed read is not remembered")
			failed := tc.events.ofKind(assignment.EventStoreFailed)
			require.Len(t, failed, 1)
			assert.Equal(t, "load", failed[0].Op)
			assert.Equal(t, 1, failed[0].N)
			assert.ErrorIs(t, failed[0].Err, errDown)
		})
	}
}

func TestCacheDecisionWithoutHistoryDoesNotSaveOver(t *testing.T) {
	stored := assignment.Assignments{"vg1": varA, "vg2": varBAct}
	fresh := assignment.Assignments{"vg1": varB, "vg3": varAAct} // allocated without the history
	tests := []struct {
		name       string
		giveFail   func(tb testing.TB, s *fakeStore) (restore func())
		wantSaved  []assignment.Entry
		wantStored assignment.Assignments
	}{
		{
			name: "read failed",
			giveFail: func(_ testing.TB, s *fakeStore) func() {
				s.set(func(s *fakeStore) { s.loadErr = errDown })
				return func() { s.set(func(s *fakeStore) { s.loadErr = nil }) }
			},
			wantSaved:  []assignment.Entry{{Key: "v1", Assignments: assignment.Assignments{"vg3": varAAct}}},
			wantStored: assignment.Assignments{"vg1": varA, "vg2": varBAct, "vg3": varAAct},
		},
		{
			name:       "read over budget",
			giveFail:   func(tb testing.TB, s *fakeStore) func() { return s.blockLoads(tb) },
			wantSaved:  []assignment.Entry{{Key: "v1", Assignments: assignment.Assignments{"vg3": varAAct}}},
			wantStored: assignment.Assignments{"vg1": varA, "vg2": varBAct, "vg3": varAAct},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newCache(t, assignment.CacheOptions{ReadBudget: 2 * time.Millisecond})
			tc.store.put("v1", stored)
			restore := tt.giveFail(t, tc.store)

			assert.Nil(t, tc.load(t, "v1")[0])
			eventually(t, func() bool { return tc.store.numLoads() == 1 }, "read started")
			tc.save(t, "v1", fresh)
			restore()
			assignment.WaitReads(tc.Cache)
			require.NoError(t, tc.Flush(context.Background()))

			assert.Equal(t, [][]assignment.Entry{tt.wantSaved}, tc.store.saveCalls())
			assert.Equal(t, tt.wantStored, tc.store.get("v1"))
		})
	}
}

func TestCacheSaveIsWrittenBehind(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.load(t, "v1")

	tc.save(t, "v1", assignment.Assignments{"vg1": varA})
	tc.save(t, "v2", assignment.Assignments{"vg2": varBAct}) // not in memory

	assert.Zero(t, tc.store.numSaves(), "Save does not call the store")
	assert.Equal(t, 2, tc.Stats().PendingWrites)
	assert.Equal(t, []assignment.Assignments{{"vg1": varA}}, tc.load(t, "v1"), "seen at once")
	assert.Equal(t, []assignment.Assignments{{"vg2": varBAct}}, tc.load(t, "v2"), "a read that fills after a save sees it")
	assert.Zero(t, tc.store.numSaves())

	require.NoError(t, tc.Flush(context.Background()))
	assert.Equal(t, assignment.Assignments{"vg1": varA}, tc.store.get("v1"))
	assert.Equal(t, assignment.Assignments{"vg2": varBAct}, tc.store.get("v2"))
	st := tc.Stats()
	assert.Zero(t, st.PendingWrites)
	assert.Equal(t, uint64(2), st.Saved)
}

func TestCacheReadFillingAfterSaveKeepsIt(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{ReadBudget: 2 * time.Millisecond})
	tc.store.put("v1", assignment.Assignments{"vg1": varAAct})
	release := tc.store.blockLoads(t)
	assert.Nil(t, tc.load(t, "v1")[0], "over budget")
	eventually(t, func() bool { return tc.store.numLoads() == 1 }, "read started")

	tc.save(t, "v1", assignment.Assignments{"vg2": varBAct})
	release()
	assignment.WaitReads(tc.Cache)

	assert.Equal(t, []assignment.Assignments{{"vg1": varAAct, "vg2": varBAct}}, tc.load(t, "v1"))
	assert.Equal(t, 1, tc.store.numLoads())
}

func TestCacheReadFillingDuringWriteKeepsIt(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varA})
	tc.save(t, "v1", assignment.Assignments{"vg2": varBAct}) // not in memory: activated only
	releaseSave := tc.store.blockSaves(t)
	flushed := make(chan error, 1)
	go func() { flushed <- tc.Flush(context.Background()) }()
	eventually(t, func() bool { return tc.store.numSaves() == 1 }, "write started")

	got := tc.load(t, "v1")
	releaseSave()
	require.NoError(t, await(t, flushed))

	want := assignment.Assignments{"vg1": varA, "vg2": varBAct}
	assert.Equal(t, []assignment.Assignments{want}, got, "the write in flight is part of what the key holds")
	assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"))
	assert.Equal(t, want, tc.store.get("v1"))
}

func TestCacheReadFromBeforeALandedWriteKeepsIt(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{ReadBudget: 2 * time.Millisecond})
	tc.store.put("v1", assignment.Assignments{"vg1": varA})
	releaseLoad := tc.store.blockLoads(t)
	assert.Nil(t, tc.load(t, "v1")[0], "over budget; the read goes on with what the store held")
	eventually(t, func() bool { return tc.store.numLoads() == 1 }, "read started")

	tc.save(t, "v1", assignment.Assignments{"vg2": varBAct})
	require.NoError(t, tc.Flush(context.Background()), "the write lands while the read is out")
	releaseLoad()
	assignment.WaitReads(tc.Cache)

	want := assignment.Assignments{"vg1": varA, "vg2": varBAct}
	assert.Equal(t, want, tc.store.get("v1"))
	assert.Equal(t, []assignment.Assignments{want}, tc.load(t, "v1"), "the read must not hide the activation written meanwhile")
}

func TestCacheRunWritesInBatches(t *testing.T) {
	const n, batch = 25, 10
	tc := newCache(t, assignment.CacheOptions{WriteBatch: batch})
	want := make(map[string]assignment.Assignments)
	for i := range n {
		k := fmt.Sprintf("v%02d", i)
		a := assignment.Assignments{"vg": varAAct}
		want[k] = a
		tc.save(t, k, a)
	}
	assert.Zero(t, tc.store.numSaves())

	tc.run(t)
	eventually(t, func() bool { return tc.Stats().Saved == n }, "Run wrote everything")

	for _, call := range tc.store.saveCalls() {
		assert.LessOrEqual(t, len(call), batch)
	}
	assert.Len(t, tc.store.saveCalls(), 3)
	assert.ElementsMatch(t, slices.Collect(maps.Keys(want)), tc.store.savedKeys(), "each key written once")
	for k, a := range want {
		assert.Equal(t, a, tc.store.get(k))
	}
	assert.Zero(t, tc.Stats().PendingWrites)
}

func TestCacheSaveDoesNotWaitForASlowStore(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.run(t)
	tc.store.blockSaves(t) // released before Run is stopped: Run lets a write finish
	tc.save(t, "v1", assignment.Assignments{"vg1": varAAct})
	eventually(t, func() bool { return tc.store.numSaves() == 1 }, "Run is writing")

	// Run is stuck in the store; Saves still return at once.
	tc.save(t, "v2", assignment.Assignments{"vg2": varBAct})
	tc.save(t, "v1", assignment.Assignments{"vg3": varAAct})

	assert.Equal(t, 3, tc.Stats().PendingWrites, "two keys waiting, one being written")
	assert.Equal(t, []assignment.Assignments{{"vg1": varAAct, "vg3": varAAct}, {"vg2": varBAct}}, tc.load(t, "v1", "v2"))
}

func TestCacheActivationIsNeverLost(t *testing.T) {
	tests := []struct {
		name string
		give [][]assignment.Assignment // saved in order for vg1, flushed after each group
		want assignment.Assignment
	}{
		{name: "merged while waiting", give: [][]assignment.Assignment{{varAAct, varA}}, want: varAAct},
		{name: "merged by the store", give: [][]assignment.Assignment{{varAAct}, {varA}}, want: varAAct},
		{name: "activated later", give: [][]assignment.Assignment{{varA, varAAct}, {varA}}, want: varAAct},
		{name: "another variation replaces it", give: [][]assignment.Assignment{{varAAct}, {varB}}, want: varB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := newCache(t, assignment.CacheOptions{})
			tc.load(t, "v1")
			for _, group := range tt.give {
				for _, a := range group {
					tc.save(t, "v1", assignment.Assignments{"vg1": a})
				}
				require.NoError(t, tc.Flush(context.Background()))
			}
			assert.Equal(t, []assignment.Assignments{{"vg1": tt.want}}, tc.load(t, "v1"), "memory")
			assert.Equal(t, assignment.Assignments{"vg1": tt.want}, tc.store.get("v1"), "store")
		})
	}
}

// breakerOptions opens the breaker after three failures, for ten
// seconds of the fake clock.
func breakerOptions() assignment.CacheOptions {
	return assignment.CacheOptions{BreakerThreshold: 3, BreakerCooldown: 10 * time.Second, TTL: time.Hour}
}

// loadWait loads keys and waits for the background read to be over, so
// that the breaker has heard of it.
func (tc *testCache) loadWait(tb testing.TB, keys ...string) []assignment.Assignments {
	tb.Helper()
	got := tc.load(tb, keys...)
	assignment.WaitReads(tc.Cache)
	return got
}

func TestCacheBreakerOpensAndRecovers(t *testing.T) {
	tc := newCache(t, breakerOptions())
	tc.store.put("v9", assignment.Assignments{"vg": varA})
	tc.store.set(func(s *fakeStore) { s.loadErr = errDown })

	for _, k := range []string{"v1", "v2"} {
		assert.Nil(t, tc.loadWait(t, k)[0])
	}
	assert.Equal(t, assignment.BreakerClosed, tc.Stats().State, "two failures")
	assert.Nil(t, tc.loadWait(t, "v3")[0])
	assert.Equal(t, assignment.BreakerOpen, tc.Stats().State)
	assert.Equal(t, []assignment.BreakerState{assignment.BreakerOpen}, tc.events.breakerStates())
	assert.Len(t, tc.events.ofKind(assignment.EventStoreFailed), 3)
	assert.Equal(t, uint64(3), tc.Stats().LoadFailures)

	// Open: misses are not read.
	assert.Nil(t, tc.loadWait(t, "v4")[0])
	tc.clock.Add(10*time.Second - time.Millisecond)
	assert.Nil(t, tc.loadWait(t, "v4")[0])
	assert.Equal(t, 3, tc.store.numLoads())
	assert.Equal(t, uint64(5), tc.Stats().Degraded)

	// After the cooldown one probe goes; it fails and the breaker opens again.
	tc.clock.Add(time.Millisecond)
	assert.Nil(t, tc.loadWait(t, "v5")[0])
	assert.Equal(t, 4, tc.store.numLoads())
	assert.Equal(t, assignment.BreakerOpen, tc.Stats().State)
	assert.Equal(t, []assignment.BreakerState{assignment.BreakerOpen, assignment.BreakerHalfOpen, assignment.BreakerOpen}, tc.events.breakerStates())
	assert.Nil(t, tc.loadWait(t, "v6")[0])
	assert.Equal(t, 4, tc.store.numLoads(), "open again for a cooldown")

	// The store recovers: the next probe closes the breaker.
	tc.store.set(func(s *fakeStore) { s.loadErr = nil })
	tc.clock.Add(10 * time.Second)
	assert.Equal(t, []assignment.Assignments{{"vg": varA}}, tc.loadWait(t, "v9"))
	assert.Equal(t, assignment.BreakerClosed, tc.Stats().State)
	assert.Equal(t, []assignment.BreakerState{
		assignment.BreakerOpen, assignment.BreakerHalfOpen, assignment.BreakerOpen,
		assignment.BreakerHalfOpen, assignment.BreakerClosed,
	}, tc.events.breakerStates())
	assert.Empty(t, tc.loadWait(t, "v6")[0])
	assert.Equal(t, 6, tc.store.numLoads(), "closed: misses are read")
}

func TestCacheBreakerOpenFailsClosed(t *testing.T) {
	o := breakerOptions()
	o.BreakerThreshold = 1
	o.FailClosed = true
	tc := newCache(t, o)
	tc.store.set(func(s *fakeStore) { s.loadErr = errDown })
	into := make([]assignment.Assignments, 1)
	err := tc.Load(context.Background(), []string{"v1"}, into)
	require.ErrorIs(t, err, assignment.ErrUnavailable)
	assignment.WaitReads(tc.Cache)
	require.Equal(t, assignment.BreakerOpen, tc.Stats().State)

	err = tc.Load(context.Background(), []string{"v2"}, into)

	assert.ErrorIs(t, err, assignment.ErrUnavailable)
	assert.Nil(t, into[0])
	assert.Equal(t, 1, tc.store.numLoads())
}

func TestCacheHalfOpenLetsOneProbe(t *testing.T) {
	o := breakerOptions()
	o.BreakerThreshold = 1
	o.ReadBudget = 2 * time.Millisecond
	tc := newCache(t, o)
	tc.store.set(func(s *fakeStore) { s.loadErr = errDown })
	tc.loadWait(t, "v1")
	require.Equal(t, assignment.BreakerOpen, tc.Stats().State)
	tc.store.set(func(s *fakeStore) { s.loadErr = nil })
	release := tc.store.blockLoads(t)
	tc.clock.Add(10 * time.Second)

	assert.Nil(t, tc.load(t, "v2")[0], "the probe is slow")
	eventually(t, func() bool { return tc.store.numLoads() == 2 }, "the probe reached the store")
	assert.Equal(t, assignment.BreakerHalfOpen, tc.Stats().State)
	assert.Nil(t, tc.load(t, "v3")[0], "not a second probe")
	assert.Nil(t, tc.load(t, "v2")[0], "waits for the probe again")
	assert.Equal(t, [][]string{{"v1"}, {"v2"}}, tc.store.loadCalls())

	release()
	assignment.WaitReads(tc.Cache)
	assert.Equal(t, assignment.BreakerClosed, tc.Stats().State)
	tc.fill("v3")
	assert.Equal(t, [][]string{{"v1"}, {"v2"}, {"v3"}}, tc.store.loadCalls(), "closed: misses are read")
}

func TestCacheSlowReadsOpenBreaker(t *testing.T) {
	o := breakerOptions()
	o.BreakerThreshold = 2
	tc := newCache(t, o)
	tc.store.put("v1", assignment.Assignments{"vg": varA})
	// Each read takes two minutes of the clock, past the one-minute budget.
	tc.store.set(func(s *fakeStore) { s.onLoad = func() { tc.clock.Add(2 * time.Minute) } })

	assert.Equal(t, []assignment.Assignments{{"vg": varA}}, tc.loadWait(t, "v1"), "the answer is used")
	failed := tc.events.ofKind(assignment.EventStoreFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "load", failed[0].Op)
	assert.ErrorContains(t, failed[0].Err, "took 2m0s")
	assert.Equal(t, assignment.BreakerClosed, tc.Stats().State)

	tc.loadWait(t, "v2")

	assert.Equal(t, assignment.BreakerOpen, tc.Stats().State)
	assert.Equal(t, []assignment.BreakerState{assignment.BreakerOpen}, tc.events.breakerStates())
	assert.Zero(t, tc.Stats().LoadFailures, "slow reads are not failed reads")
	assert.Nil(t, tc.loadWait(t, "v3")[0])
	assert.Equal(t, 2, tc.store.numLoads())
}

func TestCacheFailedWriteIsKeptAndRetried(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.load(t, "v1")
	tc.save(t, "v1", assignment.Assignments{"vg1": varA, "vg2": varAAct})
	tc.store.set(func(s *fakeStore) { s.saveErr = errDown })
	release := tc.store.blockSaves(t)
	flushed := make(chan error, 1)
	go func() { flushed <- tc.Flush(context.Background()) }()
	eventually(t, func() bool { return tc.store.numSaves() == 1 }, "write started")
	tc.save(t, "v1", assignment.Assignments{"vg1": varB}) // while the write is out
	release()

	err := await(t, flushed)

	require.ErrorIs(t, err, errDown)
	st := tc.Stats()
	assert.Equal(t, 1, st.PendingWrites)
	assert.Equal(t, uint64(1), st.SaveFailures)
	assert.Zero(t, st.Saved)
	failed := tc.events.ofKind(assignment.EventStoreFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "save", failed[0].Op)
	assert.Equal(t, 1, failed[0].N)
	assert.Nil(t, tc.store.get("v1"))

	tc.store.set(func(s *fakeStore) { s.saveErr = nil })
	require.NoError(t, tc.Flush(context.Background()))

	want := assignment.Assignments{"vg1": varB, "vg2": varAAct}
	assert.Equal(t, want, tc.store.get("v1"), "the later save wins over the failed one")
	assert.Equal(t, []assignment.Entry{{Key: "v1", Assignments: want}}, tc.store.saveCalls()[1])
	assert.Zero(t, tc.Stats().PendingWrites)
	assert.Equal(t, uint64(1), tc.Stats().Saved)
}

func TestCacheRunRetriesFailedWrites(t *testing.T) {
	// The fake clock stands still, so Run waits the whole (real) cooldown
	// before each retry: keep it short.
	tc := newCache(t, assignment.CacheOptions{BreakerThreshold: 1, BreakerCooldown: 2 * time.Millisecond})
	tc.store.set(func(s *fakeStore) { s.saveErr = errDown })
	tc.save(t, "v1", assignment.Assignments{"vg1": varAAct})
	tc.run(t)
	eventually(t, func() bool { return tc.Stats().SaveFailures >= 2 }, "Run retried")
	assert.Equal(t, assignment.BreakerOpen, tc.Stats().State)

	tc.store.set(func(s *fakeStore) { s.saveErr = nil })

	// The breaker closes, and says so, just after the write is counted.
	eventually(t, func() bool { return len(tc.events.breakerStates()) == 2 }, "Run wrote once the store recovered")
	assert.Equal(t, []assignment.BreakerState{assignment.BreakerOpen, assignment.BreakerClosed}, tc.events.breakerStates())
	assert.Equal(t, assignment.BreakerClosed, tc.Stats().State)
	assert.Equal(t, uint64(1), tc.Stats().Saved)
	assert.Equal(t, assignment.Assignments{"vg1": varAAct}, tc.store.get("v1"))
	assert.Zero(t, tc.Stats().PendingWrites)
}

func TestCacheDropsWritesOverMaxPending(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{MaxPendingWrites: 2})
	act := assignment.Assignments{"vg": varAAct}
	tc.save(t, "v1", act)
	tc.save(t, "v2", act)
	assert.Empty(t, tc.events.all())

	tc.save(t, "v3", act)
	tc.save(t, "v4", act)
	tc.save(t, "v1", assignment.Assignments{"vg2": varBAct}) // waiting already: merged

	dropped := tc.events.ofKind(assignment.EventWritesDropped)
	require.Len(t, dropped, 1, "once per episode")
	assert.Equal(t, 2, dropped[0].N)
	st := tc.Stats()
	assert.Equal(t, uint64(2), st.DroppedWrites)
	assert.Equal(t, 2, st.PendingWrites)

	require.NoError(t, tc.Flush(context.Background()))
	assert.ElementsMatch(t, []string{"v1", "v2"}, tc.store.savedKeys())
	assert.Equal(t, assignment.Assignments{"vg": varAAct, "vg2": varBAct}, tc.store.get("v1"))

	// The queue drained: a new episode is reported again.
	tc.save(t, "v5", act)
	tc.save(t, "v6", act)
	tc.save(t, "v7", act)
	assert.Len(t, tc.events.ofKind(assignment.EventWritesDropped), 2)
	assert.Equal(t, uint64(3), tc.Stats().DroppedWrites)
}

func TestCacheDelete(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varAAct})
	tc.store.put("v2", assignment.Assignments{"vg2": varB})
	tc.load(t, "v1", "v2")
	tc.save(t, "v1", assignment.Assignments{"vg3": varBAct})

	require.NoError(t, tc.Delete(context.Background(), []string{"v1"}))

	assert.Equal(t, [][]string{{"v1"}}, tc.store.deleteCalls())
	assert.Nil(t, tc.store.get("v1"))
	assert.Zero(t, tc.Stats().PendingWrites)
	require.NoError(t, tc.Flush(context.Background()))
	assert.Zero(t, tc.store.numSaves(), "the waiting write was forgotten")
	assert.Equal(t, []assignment.Assignments{{}, {"vg2": varB}}, tc.load(t, "v1", "v2"))
	assert.Equal(t, [][]string{{"v1", "v2"}, {"v1"}}, tc.store.loadCalls(), "v1 is read again, v2 is kept")
}

func TestCacheDeleteFailure(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varAAct})
	tc.load(t, "v1")
	tc.store.set(func(s *fakeStore) { s.deleteErr = errDown })

	err := tc.Delete(context.Background(), []string{"v1"})

	require.ErrorIs(t, err, errDown)
	failed := tc.events.ofKind(assignment.EventStoreFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "delete", failed[0].Op)
	assert.Equal(t, []assignment.Assignments{{"vg1": varAAct}}, tc.load(t, "v1"), "read again from the store")
	assert.Equal(t, 2, tc.store.numLoads())
}

func TestCacheReadStartedBeforeDeleteDoesNotRefill(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{ReadBudget: 2 * time.Millisecond})
	tc.store.put("v1", assignment.Assignments{"vg1": varAAct})
	release := tc.store.blockLoads(t)
	assert.Nil(t, tc.load(t, "v1")[0], "over budget; the read goes on with what the store held")
	eventually(t, func() bool { return tc.store.numLoads() == 1 }, "read started")

	require.NoError(t, tc.Delete(context.Background(), []string{"v1"}))
	release()
	assignment.WaitReads(tc.Cache)

	assert.Zero(t, tc.Stats().Entries)
	tc.fill("v1") // read again
	assert.Equal(t, []assignment.Assignments{{}}, tc.load(t, "v1"))
	assert.Equal(t, 2, tc.store.numLoads())
}

func TestCacheReadDuringStoreDeleteDoesNotRefill(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.store.put("v1", assignment.Assignments{"vg1": varAAct})
	tc.load(t, "v1")
	release := tc.store.blockDeletes(t)
	deleted := make(chan error, 1)
	go func() { deleted <- tc.Delete(context.Background(), []string{"v1"}) }()
	eventually(t, func() bool { return tc.store.numDeletes() == 1 }, "store delete started")

	tc.load(t, "v1") // reads the store before the delete lands: may see the old value
	release()
	require.NoError(t, await(t, deleted))
	assignment.WaitReads(tc.Cache)

	assert.Equal(t, []assignment.Assignments{{}}, tc.load(t, "v1"), "nothing deleted comes back from memory")
	assert.Equal(t, 3, tc.store.numLoads())
}

func TestCacheClose(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{})
	tc.load(t, "v1")
	tc.save(t, "v1", assignment.Assignments{"vg1": varA})

	require.NoError(t, tc.Close())
	require.NoError(t, tc.Close(), "idempotent")

	into := make([]assignment.Assignments, 1)
	ctx := context.Background()
	assert.ErrorIs(t, tc.Load(ctx, []string{"v1"}, into), assignment.ErrClosed)
	assert.ErrorIs(t, tc.Save(ctx, []assignment.Entry{{Key: "v1", Assignments: assignment.Assignments{"vg": varAAct}}}), assignment.ErrClosed)
	assert.ErrorIs(t, tc.Delete(ctx, []string{"v1"}), assignment.ErrClosed)
	assert.Zero(t, tc.store.numDeletes())

	// What waited can still be written.
	require.NoError(t, tc.Flush(ctx))
	assert.Equal(t, assignment.Assignments{"vg1": varA}, tc.store.get("v1"))
}

func TestCacheCloseStopsBlockedRead(t *testing.T) {
	tc := newCache(t, assignment.CacheOptions{ReadBudget: 2 * time.Millisecond})
	tc.store.blockLoads(t) // released only by ctx
	assert.Nil(t, tc.load(t, "v1")[0])

	closed := make(chan error, 1)
	go func() { closed <- tc.Close() }()

	require.NoError(t, await(t, closed), "Close cancels the read and waits for it")
	// TestMain's goleak check fails the package if the read's goroutine
	// outlived Close.
}

func TestCacheCloseDuringLoads(t *testing.T) {
	// Loads racing with Close either fail with ErrClosed or start a read
	// that Close waits for: none outlives it (goleak, and -race on the
	// WaitGroup).
	for range 10 {
		tc := newCache(t, assignment.CacheOptions{ReadBudget: time.Nanosecond, MaxConcurrentLoads: 1 << 20})
		tc.store.blockLoads(t) // released only by ctx
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				into := make([]assignment.Assignments, 1)
				for i := 0; ; i++ {
					err := tc.Load(context.Background(), []string{fmt.Sprintf("%d-%d", g, i)}, into)
					if errors.Is(err, assignment.ErrClosed) {
						return
					}
				}
			}()
		}
		eventually(t, func() bool { return tc.store.numLoads() >= 100 }, "reads started")

		require.NoError(t, tc.Close())
		wg.Wait()
	}
}

// localStore is a fakeStore whose reads are local: the Cache reads it on
// the caller's goroutine.
type localStore struct{ *fakeStore }

func (localStore) LocalReads() bool { return true }

func TestCacheReadsLocalStoreOnCallersGoroutine(t *testing.T) {
	s := localStore{newFakeStore()}
	s.put("v1", assignment.Assignments{"vg": varAAct})
	var events eventLog
	c := assignment.NewCache(s, assignment.CacheOptions{
		ReadBudget: time.Nanosecond, // a read handed to a goroutine would miss it
		Logger:     slog.New(slog.DiscardHandler),
		OnEvent:    events.record,
		Now:        newFakeClock().Now,
	})
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	into := make([]assignment.Assignments, 2)

	require.NoError(t, c.Load(context.Background(), []string{"v1", "v2"}, into))

	assert.Equal(t, []assignment.Assignments{{"vg": varAAct}, {}}, into, "answered, not degraded")
	st := c.Stats()
	assert.Zero(t, st.Degraded)
	assert.Equal(t, 2, st.Entries, "filled before Load returned")
	require.NoError(t, c.Load(context.Background(), []string{"v1", "v2"}, into))
	assert.Equal(t, 1, s.numLoads())
	assert.Empty(t, events.all())
}

func TestCacheEventHandlerMayReadStats(t *testing.T) {
	var tc *testCache
	stats := make(chan assignment.CacheStats, 10) // more than the events below
	o := breakerOptions()
	o.BreakerThreshold = 1
	o.MaxPendingWrites = 1
	o.OnEvent = func(context.Context, assignment.Event) {
		stats <- tc.Stats() // deadlocks if an event is emitted under the Cache's lock
	}
	tc = newCache(t, o)
	act := assignment.Assignments{"vg": varAAct}
	done := make(chan struct{})
	go func() {
		defer close(done)
		into := make([]assignment.Assignments, 1)
		ctx := context.Background()
		tc.store.set(func(s *fakeStore) { s.loadErr = errDown })
		_ = tc.Load(ctx, []string{"v1"}, into) // failed, open
		assignment.WaitReads(tc.Cache)
		tc.store.set(func(s *fakeStore) { s.loadErr = nil })
		tc.clock.Add(10 * time.Second)
		_ = tc.Load(ctx, []string{"v2"}, into) // half-open, closed
		assignment.WaitReads(tc.Cache)
		_ = tc.Save(ctx, []assignment.Entry{{Key: "v3", Assignments: act}, {Key: "v4", Assignments: act}}) // dropped
		tc.store.set(func(s *fakeStore) { s.deleteErr = errDown })
		_ = tc.Delete(ctx, []string{"v3"}) // failed
	}()

	await(t, done)

	assert.Equal(t, []assignment.BreakerState{
		assignment.BreakerOpen, assignment.BreakerHalfOpen, assignment.BreakerClosed,
		assignment.BreakerOpen, // the failed delete
	}, tc.events.breakerStates())
	assert.Len(t, tc.events.ofKind(assignment.EventWritesDropped), 1)
	assert.Len(t, tc.events.ofKind(assignment.EventStoreFailed), 2)
	assert.Len(t, stats, len(tc.events.all()))
}

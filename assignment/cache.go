package assignment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
	"github.com/seed27eed597/flagship-go/internal/lru"
)

// Defaults of [CacheOptions].
const (
	DefaultCacheMaxEntries    = 100_000
	DefaultCacheTTL           = 30 * time.Second
	DefaultReadBudget         = 20 * time.Millisecond
	DefaultLoadTimeout        = time.Second
	DefaultWriteTimeout       = 5 * time.Second
	DefaultWriteBatch         = 500
	DefaultMaxPendingWrites   = 100_000
	DefaultMaxConcurrentLoads = 64
	DefaultBreakerThreshold   = 5
	DefaultBreakerCooldown    = 5 * time.Second
)

// CacheOptions configures a [Cache]. The zero value is valid: every zero
// field takes its default.
type CacheOptions struct {
	// MaxEntries bounds the keys held in memory (least recently used
	// first out). Default [DefaultCacheMaxEntries].
	MaxEntries int
	// TTL is how long a key read from the store is trusted before it is
	// read again, so that assignments written by other replicas are seen.
	// This process's own writes are seen at once. Default
	// [DefaultCacheTTL].
	TTL time.Duration
	// ReadBudget is the longest a decision waits for the store on a
	// cache miss (never longer than its ctx allows). Past it the decision
	// goes on as the store had failed, and the read goes on in the
	// background to fill the cache. Default [DefaultReadBudget].
	ReadBudget time.Duration
	// LoadTimeout bounds one read of the store in the background. Default
	// [DefaultLoadTimeout].
	LoadTimeout time.Duration
	// WriteTimeout bounds one batched write. Default [DefaultWriteTimeout].
	WriteTimeout time.Duration
	// WriteBatch is the most entries one Save to the store carries.
	// Default [DefaultWriteBatch].
	WriteBatch int
	// MaxPendingWrites bounds the keys waiting to be written while the
	// store is slow or down; beyond it, new writes are dropped and
	// counted. Default [DefaultMaxPendingWrites].
	MaxPendingWrites int
	// MaxConcurrentLoads bounds the reads of the store in flight; a miss
	// beyond it is served as if the store had failed. Default
	// [DefaultMaxConcurrentLoads].
	MaxConcurrentLoads int
	// FailClosed makes a failed read fail the decision (an error wrapping
	// [ErrUnavailable]: no campaigns, as Flagship's decision API does).
	// By default a failed read is fail-open: the decision goes on without
	// the visitor's past assignments, and its fresh allocations are not
	// written over what the store holds (activations still are).
	FailClosed bool
	// BreakerThreshold is the number of consecutive failures (errors, or
	// reads slower than ReadBudget) that open the breaker. Default
	// [DefaultBreakerThreshold].
	BreakerThreshold int
	// BreakerCooldown is how long the breaker stays open before one call
	// probes the store. Default [DefaultBreakerCooldown].
	BreakerCooldown time.Duration
	// Logger receives failures and breaker changes (Warn) and recoveries
	// (Info). nil means slog.Default().
	Logger *slog.Logger
	// OnEvent, when set, receives every failure and breaker change. It is
	// called synchronously from the goroutine that saw it (a decision's,
	// a background read's, or Run's), possibly concurrently; it must
	// return quickly.
	OnEvent func(ctx context.Context, e Event)
	// Now is the clock. nil means time.Now, read on a hit only once a
	// second while Run runs (an entry may outlive its TTL by that much).
	Now func() time.Time
}

// clockTick is how often Run refreshes the clock hits read, when
// CacheOptions.Now is nil.
const clockTick = time.Second

// EventKind says what an [Event] reports.
type EventKind uint8

const (
	// EventStoreFailed: a read or write of the store failed or was slower
	// than the read budget. Event.Op says which ("load", "save",
	// "delete"), Event.N how many keys, Event.Err why.
	EventStoreFailed EventKind = iota + 1
	// EventBreakerChanged: the breaker changed to Event.State.
	EventBreakerChanged
	// EventWritesDropped: writes were dropped because MaxPendingWrites
	// keys were waiting (once per episode; Event.N is the bound).
	EventWritesDropped
)

// Event is a failure or state change of a [Cache].
type Event struct {
	Kind  EventKind
	Op    string
	N     int
	State BreakerState
	Err   error
}

// CacheStats are a [Cache]'s counters.
type CacheStats struct {
	// State is the breaker's state.
	State BreakerState
	// Entries is the number of keys held in memory.
	Entries int
	// Hits and Misses count keys read from memory and from the store.
	Hits, Misses uint64
	// Degraded counts reads answered without the store: fail-open
	// decisions made without assignments, or fail-closed refusals.
	Degraded uint64
	// LoadFailures and SaveFailures count failed store calls.
	LoadFailures, SaveFailures uint64
	// Saved counts entries written to the store.
	Saved uint64
	// PendingWrites is the number of keys waiting to be written.
	PendingWrites int
	// DroppedWrites counts writes dropped over MaxPendingWrites.
	DroppedWrites uint64
}

// Cache is a [Store] in front of another one: the read path of every
// decision. Keys read are kept in memory (bounded, least recently used
// first out, for TTL); concurrent misses of one key share one read of
// the store, and the keys a decision misses are read in one call; a
// decision waits for a read at most ReadBudget; writes are merged into
// memory at once and written to the store behind the request, in batches,
// by [Cache.Run]; a circuit breaker stops calling a failing store.
//
// A Cache is safe for concurrent use. Run must be running for writes to
// reach the store; [Cache.Flush] writes what waits. Close stops the
// background reads. The store stays the caller's: the Cache never closes
// it.
type Cache struct {
	store Store
	local bool // the store's reads are local: read on the caller's goroutine
	opts  CacheOptions
	// coarse is time.Now in unix nanoseconds, refreshed by Run every
	// clockTick when the clock is the real one (realClock); 0 when Run
	// is not running. It spares a hit the 25-50 ns of reading the clock.
	coarse    atomic.Int64
	realClock bool
	log       *slog.Logger
	m         *lru.Map[string, Assignments]
	br        breaker
	empty     Assignments // what a key read with no assignments holds

	base     context.Context // background reads run under it
	stop     context.CancelFunc
	wg       sync.WaitGroup // background reads
	loads    atomic.Int32
	wake     chan struct{} // size 1: writes wait
	closed   atomic.Bool
	stopOnce sync.Once

	// mu guards the fields below; it is taken before a shard lock of m.
	mu       sync.Mutex
	inflight map[string]*loadCall
	pending  map[string]Assignments // saved, not yet handed to the store
	writing  map[string]Assignments // being written
	epoch    uint64                 // bumped by Delete: older reads do not fill
	full     bool                   // writes are being dropped

	// writeMu serializes writes and deletes to the store.
	writeMu sync.Mutex

	hits, misses, degraded, loadFailures, saveFailures, saved, dropped atomic.Uint64
}

var _ Store = (*Cache)(nil)

// loadCall is one read of the store, shared by the decisions waiting for
// its keys.
type loadCall struct {
	keys  []string
	res   []Assignments
	err   error
	done  chan struct{}
	epoch uint64
	// landed holds the writes to its keys that reached the store while
	// it read, which the read may not have seen; guarded by Cache.mu.
	landed map[string]Assignments
}

// NewCache returns a Cache in front of s.
func NewCache(s Store, o CacheOptions) *Cache {
	realClock := o.Now == nil
	o.normalize()
	c := &Cache{
		store:    s,
		opts:     o,
		log:      o.Logger,
		m:        lru.New[string, Assignments](o.MaxEntries),
		br:       breaker{threshold: o.BreakerThreshold, cooldown: o.BreakerCooldown},
		wake:     make(chan struct{}, 1),
		inflight: make(map[string]*loadCall),
		pending:  make(map[string]Assignments),
		empty:    Assignments{},
	}
	c.realClock = realClock
	if l, ok := s.(LocalStore); ok {
		c.local = l.LocalReads()
	}
	c.base, c.stop = context.WithCancel(context.Background())
	return c
}

func (o *CacheOptions) normalize() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxEntries, DefaultCacheMaxEntries)
	def(&o.WriteBatch, DefaultWriteBatch)
	def(&o.MaxPendingWrites, DefaultMaxPendingWrites)
	def(&o.MaxConcurrentLoads, DefaultMaxConcurrentLoads)
	def(&o.BreakerThreshold, DefaultBreakerThreshold)
	defDur(&o.TTL, DefaultCacheTTL)
	defDur(&o.ReadBudget, DefaultReadBudget)
	defDur(&o.LoadTimeout, DefaultLoadTimeout)
	defDur(&o.WriteTimeout, DefaultWriteTimeout)
	defDur(&o.BreakerCooldown, DefaultBreakerCooldown)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Load implements [Store]. Keys in memory are answered without
// allocating; the others are read from the store in one call, waited
// for at most ReadBudget (and never past ctx). If that read fails, the
// missed keys read as nil (fail-open), or Load fails with an error
// wrapping [ErrUnavailable] (FailClosed).
func (c *Cache) Load(ctx context.Context, keys []string, into []Assignments) error {
	if c.closed.Load() {
		return ErrClosed
	}
	now := c.nowNano()
	missed := 0
	for i, k := range keys {
		v, ok := c.m.Get(k, now)
		if !ok {
			missed++
			into[i] = nil
			continue
		}
		into[i] = v
	}
	c.hits.Add(uint64(len(keys) - missed))
	if missed == 0 {
		return nil
	}
	c.misses.Add(uint64(missed))
	return c.loadMissed(ctx, keys, into)
}

// nowNano is the time a hit checks its entry's expiry against.
func (c *Cache) nowNano() int64 {
	if t := c.coarse.Load(); t != 0 {
		return t
	}
	return c.opts.Now().UnixNano()
}

// loadMissed reads the keys of into that are nil and not in memory.
func (c *Cache) loadMissed(ctx context.Context, keys []string, into []Assignments) error {
	var calls []*loadCall // reads this Load waits for
	var fresh *loadCall   // the read it starts, if any
	now := c.opts.Now()
	c.mu.Lock()
	if c.closed.Load() { // checked under mu: Close waits for every read started
		c.mu.Unlock()
		return ErrClosed
	}
	for i, k := range keys {
		if into[i] != nil {
			continue
		}
		if call := c.inflight[k]; call != nil {
			if !slices.Contains(calls, call) {
				calls = append(calls, call)
			}
			continue
		}
		if v, ok := c.m.Get(k, now.UnixNano()); ok { // filled since the first look
			into[i] = v
			continue
		}
		if fresh == nil {
			fresh = &loadCall{done: make(chan struct{}), epoch: c.epoch}
		}
		fresh.keys = append(fresh.keys, k)
	}
	if fresh == nil {
		c.mu.Unlock()
		return c.wait(ctx, keys, into, calls)
	}
	ok, probe, changed := c.br.allow(now)
	unlock := func() {
		c.mu.Unlock()
		if changed { // outside c.mu: an event handler may read Stats
			c.breakerChanged(ctx, BreakerHalfOpen, nil)
		}
	}
	switch {
	case !ok:
		unlock()
		return c.degrade(ctx, keys, into, calls, errBreakerOpen)
	case !probe && int(c.loads.Load()) >= c.opts.MaxConcurrentLoads:
		unlock()
		return c.degrade(ctx, keys, into, calls, errTooManyLoads)
	}
	for _, k := range fresh.keys {
		c.inflight[k] = fresh
	}
	fresh.res = make([]Assignments, len(fresh.keys))
	calls = append(calls, fresh)
	c.loads.Add(1)
	c.wg.Add(1)
	if c.local {
		unlock()
		c.runLoad(fresh)
		return c.wait(ctx, keys, into, calls)
	}
	unlock() // first: the probe's outcome is reported after half-open
	go c.runLoad(fresh)
	return c.wait(ctx, keys, into, calls)
}

var (
	errBreakerOpen  = errors.New("breaker open")
	errTooManyLoads = errors.New("too many reads in flight")
	errOverBudget   = errors.New("read budget exceeded")
)

// wait waits for calls within the read budget and copies their results.
func (c *Cache) wait(ctx context.Context, keys []string, into []Assignments, calls []*loadCall) error {
	done := true
	for _, call := range calls {
		select {
		case <-call.done:
		default:
			done = false
		}
	}
	if done { // no timer needed
		return c.degrade(ctx, keys, into, calls, nil)
	}
	t := time.NewTimer(c.opts.ReadBudget)
	defer t.Stop()
	for _, call := range calls {
		select {
		case <-call.done:
		case <-t.C:
			return c.degrade(ctx, keys, into, calls, errOverBudget)
		case <-ctx.Done():
			return c.degrade(ctx, keys, into, calls, ctx.Err())
		}
	}
	return c.degrade(ctx, keys, into, calls, nil)
}

// degrade copies into into the results of the calls that are done, and
// answers the keys left, if any, per the failure policy; cause is why
// they are left (nil: the calls ended).
func (c *Cache) degrade(ctx context.Context, keys []string, into []Assignments, calls []*loadCall, cause error) error {
	left := false
	for i, k := range keys {
		if into[i] != nil {
			continue
		}
		for _, call := range calls {
			select {
			case <-call.done:
			default:
				continue
			}
			j := slices.Index(call.keys, k)
			if j < 0 {
				continue
			}
			if call.err != nil {
				if cause == nil {
					cause = call.err
				}
				continue
			}
			into[i] = call.res[j]
			break
		}
		if into[i] == nil {
			left = true
		}
	}
	if !left {
		return nil
	}
	if cause == nil {
		cause = errBreakerOpen
	}
	c.degraded.Add(1)
	if c.opts.FailClosed {
		return errfmt.Errorf("assignment: load: %w: %w", ErrUnavailable, cause)
	}
	return nil // fail-open: the keys left read as nil
}

// runLoad reads call's keys from the store and fills the cache.
func (c *Cache) runLoad(call *loadCall) {
	defer c.wg.Done()
	defer c.loads.Add(-1)
	start := c.opts.Now()
	var err error
	if c.local {
		err = c.store.Load(c.base, call.keys, call.res) // no network to time out
	} else {
		ctx, cancel := context.WithTimeout(c.base, c.opts.LoadTimeout)
		err = c.store.Load(ctx, call.keys, call.res)
		cancel()
	}
	took := c.opts.Now().Sub(start)
	if err != nil {
		err = errfmt.Errorf("assignment: load %d keys: %w", len(call.keys), err)
	}
	c.mu.Lock()
	for i, k := range call.keys {
		if c.inflight[k] == call {
			delete(c.inflight, k)
		}
		if err != nil {
			continue
		}
		if call.res[i] == nil {
			call.res[i] = c.empty // loaded, none: distinct from a miss
		}
		if call.epoch != c.epoch {
			continue // a Delete ran meanwhile: do not keep what was read
		}
		// Saves not yet in the store are part of what the key holds.
		v := Merge(Merge(Merge(call.res[i], call.landed[k]), c.writing[k]), c.pending[k])
		call.res[i] = v
		c.m.Put(k, v, start.Add(c.opts.TTL).UnixNano())
	}
	call.err = err
	c.mu.Unlock()
	close(call.done)
	switch {
	case err != nil:
		c.loadFailures.Add(1)
		c.failed(c.base, "load", len(call.keys), err)
	case took > c.opts.ReadBudget:
		c.failed(c.base, "load", len(call.keys), fmt.Errorf("assignment: load %d keys took %v: %w", len(call.keys), took, errOverBudget))
	default:
		c.succeeded(c.base)
	}
}

// failed reports a failed store call to the breaker, the log and OnEvent.
func (c *Cache) failed(ctx context.Context, op string, n int, err error) {
	c.log.LogAttrs(ctx, slog.LevelWarn, "assignment store call failed", slog.String("op", op), slog.Int("keys", n), slog.Any("err", err))
	c.emit(ctx, Event{Kind: EventStoreFailed, Op: op, N: n, Err: err})
	if c.br.failure(c.opts.Now()) {
		c.breakerChanged(ctx, BreakerOpen, err)
	}
}

func (c *Cache) succeeded(ctx context.Context) {
	if c.br.success() {
		c.breakerChanged(ctx, BreakerClosed, nil)
	}
}

func (c *Cache) breakerChanged(ctx context.Context, s BreakerState, err error) {
	level := slog.LevelInfo
	if s == BreakerOpen {
		level = slog.LevelWarn
	}
	c.log.LogAttrs(ctx, level, "assignment store breaker "+s.String(), slog.String("state", s.String()), slog.Any("err", err))
	c.emit(ctx, Event{Kind: EventBreakerChanged, State: s, Err: err})
}

func (c *Cache) emit(ctx context.Context, e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(ctx, e)
	}
}

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	pending := len(c.pending) + len(c.writing)
	c.mu.Unlock()
	return CacheStats{
		State:         c.br.current(),
		Entries:       c.m.Len(),
		Hits:          c.hits.Load(),
		Misses:        c.misses.Load(),
		Degraded:      c.degraded.Load(),
		LoadFailures:  c.loadFailures.Load(),
		SaveFailures:  c.saveFailures.Load(),
		Saved:         c.saved.Load(),
		PendingWrites: pending,
		DroppedWrites: c.dropped.Load(),
	}
}

// Close stops the background reads and waits for them; it does not
// write what waits (see [Cache.Flush]) nor close the store. Later calls
// fail with ErrClosed. Close is idempotent.
func (c *Cache) Close() error {
	c.stopOnce.Do(func() {
		c.mu.Lock() // no read starts after this (see loadMissed)
		c.closed.Store(true)
		c.mu.Unlock()
		c.stop()
	})
	c.wg.Wait()
	return nil
}

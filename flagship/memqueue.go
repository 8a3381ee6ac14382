package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// memQueue is the delivery queue of DeliveryOptions.InMemory: the
// durable queue's behaviour (one backlog per sink, batching, retries with
// jittered backoff, bounds, Flush, Purge, Stats) on records kept in
// memory, for hosts without a writable disk. Nothing survives the
// process: what Close finds undelivered is lost (and logged at Error),
// and there are no dead letters: records refused for good or expired are
// counted and logged at Error, then dropped.
//
// A memQueue is safe for concurrent use. Run delivers, with one goroutine
// per sink that it waits for.
type memQueue struct {
	log        *slog.Logger
	now        func() time.Time
	emit       func(context.Context, eventqueue.Event)
	startSend  func(context.Context, string, int) (context.Context, func(error))
	maxRecords int
	maxBytes   int64
	sinks      []*memSink

	enqueued, rejectedFull, dead atomic.Uint64
	closed                       atomic.Bool
	quit                         chan struct{} // closed by Close

	// mu guards the fields below and every sink's backlog.
	mu       sync.Mutex
	bytes    int64         // of every backlog
	full     bool          // refusing records; reported once per episode
	progress chan struct{} // closed, and replaced, whenever a backlog shrinks
}

// memSink is one sink's backlog and delivery state.
type memSink struct {
	cfg    eventqueue.SinkConfig // with the defaults applied
	kinds  uint8                 // a bit per hits.Kind taken
	notify chan struct{}         // size 1: one pending wake-up is enough
	urgent atomic.Int32          // Flush calls waiting

	// Guarded by memQueue.mu.
	recs    []memRecord // oldest first
	sending int         // recs[:sending] are being sent: Purge leaves them
	nextSeq uint64
	bytes   int64

	// Used by the sink's dispatcher only.
	failing     bool   // the current run of failures was logged at Warn
	refusing    bool   // the current systemic refusal was reported
	lastRefusal string // the last refusal of every record alike, "" after a delivery

	sent, batches, retried, deadLettered, expired atomic.Uint64
	lastLatency                                   atomic.Int64
}

// memRecord is a record in a sink's backlog.
type memRecord struct {
	rec      hits.Record
	seq      uint64
	attempts uint32
	size     int64
}

// memQueueOptions configures newMemQueue.
type memQueueOptions struct {
	maxRecords int
	maxBytes   int64
	logger     *slog.Logger // gets component=memqueue
	onEvent    func(context.Context, eventqueue.Event)
	startSend  func(context.Context, string, int) (context.Context, func(error))
	now        func() time.Time
}

// maxMemBatchSize is the largest SinkConfig.BatchSize, as in eventqueue.
const maxMemBatchSize = 10_000

// newMemQueue returns an in-memory queue delivering to sinks, whose zero
// fields take eventqueue's defaults. It fails on a sink that is unusable.
func newMemQueue(sinks []eventqueue.SinkConfig, o memQueueOptions) (*memQueue, error) {
	q := &memQueue{
		log:        o.logger.With("component", "memqueue"),
		now:        o.now,
		emit:       o.onEvent,
		startSend:  o.startSend,
		maxRecords: o.maxRecords,
		maxBytes:   o.maxBytes,
		quit:       make(chan struct{}),
		progress:   make(chan struct{}),
	}
	var errs []error
	seen := map[string]bool{}
	for i, c := range sinks {
		switch {
		case c.Sink == nil:
			errs = append(errs, fmt.Errorf("sink %d %q: nil Sink", i, c.Name))
		case c.Name == "" || seen[c.Name]:
			errs = append(errs, fmt.Errorf("sink %d: name %q: want a unique, non-empty name", i, c.Name))
		case c.BatchSize < 0 || c.BatchSize > maxMemBatchSize:
			errs = append(errs, fmt.Errorf("sink %q: BatchSize %d: want 1 to %d", c.Name, c.BatchSize, maxMemBatchSize))
		case c.FlushInterval < 0 || c.SendTimeout < 0 || c.RetryInitial < 0 || c.RetryMax < 0 || c.MaxRetryAfter < 0 || c.MaxAge < 0:
			errs = append(errs, fmt.Errorf("sink %q: a negative duration", c.Name))
		}
		seen[c.Name] = true
		c.BatchSize = orDefault(c.BatchSize, eventqueue.DefaultBatchSize)
		c.FlushInterval = orDefault(c.FlushInterval, eventqueue.DefaultFlushInterval)
		c.SendTimeout = orDefault(c.SendTimeout, eventqueue.DefaultSendTimeout)
		c.RetryInitial = orDefault(c.RetryInitial, eventqueue.DefaultRetryInitial)
		c.RetryMax = max(orDefault(c.RetryMax, eventqueue.DefaultRetryMax), c.RetryInitial)
		c.MaxRetryAfter = orDefault(c.MaxRetryAfter, eventqueue.DefaultMaxRetryAfter)
		s := &memSink{cfg: c, notify: make(chan struct{}, 1)}
		if len(c.Kinds) == 0 {
			s.kinds = 1<<hits.KindHit | 1<<hits.KindActivation | 1<<hits.KindConsent
		}
		for _, k := range c.Kinds {
			if k < hits.KindHit || k > hits.KindConsent {
				errs = append(errs, fmt.Errorf("sink %q: unknown kind %d", c.Name, k))
				continue
			}
			s.kinds |= 1 << k
		}
		q.sinks = append(q.sinks, s)
	}
	if len(q.sinks) > 64 {
		errs = append(errs, fmt.Errorf("%d sinks: at most 64", len(q.sinks)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return q, nil
}

func (s *memSink) takes(k hits.Kind) bool { return k < 8 && s.kinds&(1<<k) != 0 }

// wake tells the sink's dispatcher that something changed.
func (s *memSink) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Enqueue adds r to the backlog of every sink that takes its kind. It
// fails, storing nothing, with eventqueue.ErrQueueFull when a backlog
// holds MaxRecords records or the backlogs MaxBytes bytes, an error
// wrapping eventqueue.ErrInvalidRecord for an invalid record, one no sink
// takes or one too large for a sink that takes it, eventqueue.ErrClosed
// after Close, and ctx's error.
func (q *memQueue) Enqueue(ctx context.Context, r hits.Record) error {
	if q.closed.Load() {
		return eventqueue.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.IsZero() {
		return fmt.Errorf("%w: %w", eventqueue.ErrInvalidRecord, r.Validate())
	}
	var targets uint64
	kind := r.Kind()
	for i, s := range q.sinks {
		if !s.takes(kind) {
			continue
		}
		if rs, ok := s.cfg.Sink.(eventqueue.RecordSizer); ok {
			if size, limit := rs.RecordSize(r), rs.MaxRecordSize(); size > limit {
				return &eventqueue.RecordTooLargeError{Sink: s.cfg.Name, RecordID: r.ID().String(), Size: size, Limit: limit}
			}
		}
		targets |= 1 << i
	}
	if targets == 0 {
		return fmt.Errorf("%w: no sink takes %s records", eventqueue.ErrInvalidRecord, kind)
	}
	size := int64(r.BinarySize())
	total := size * int64(bits.OnesCount64(targets))

	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return eventqueue.ErrClosed
	}
	if err := q.roomLocked(targets, total); err != nil {
		wasFull := q.full
		q.full = true
		q.mu.Unlock()
		q.rejectedFull.Add(1)
		if !wasFull {
			q.log.LogAttrs(ctx, slog.LevelWarn, "queue full: refusing records until it drains", slog.Any("err", err))
			q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventQueueFull, N: 1, Err: err})
		}
		return err
	}
	q.full = false
	for t := targets; t != 0; t &= t - 1 {
		s := q.sinks[bits.TrailingZeros64(t)]
		s.nextSeq++
		s.recs = append(s.recs, memRecord{rec: r, seq: s.nextSeq, size: size})
		s.bytes += size
	}
	q.bytes += total
	q.mu.Unlock()
	q.enqueued.Add(1)
	for t := targets; t != 0; t &= t - 1 {
		q.sinks[bits.TrailingZeros64(t)].wake()
	}
	return nil
}

// EnqueueAsync is Enqueue: there is no disk to wait for.
func (q *memQueue) EnqueueAsync(ctx context.Context, r hits.Record) error { return q.Enqueue(ctx, r) }

// roomLocked returns an error wrapping eventqueue.ErrQueueFull if a
// record of total bytes in all does not fit in the targets' backlogs.
func (q *memQueue) roomLocked(targets uint64, total int64) error {
	for t := targets; t != 0; t &= t - 1 {
		if s := q.sinks[bits.TrailingZeros64(t)]; len(s.recs) >= q.maxRecords {
			return fmt.Errorf("%w: sink %q holds %d records in memory (DeliveryOptions.MaxRecords)", eventqueue.ErrQueueFull, s.cfg.Name, len(s.recs))
		}
	}
	if q.bytes+total > q.maxBytes {
		return fmt.Errorf("%w: %d bytes in memory (DeliveryOptions.MaxBytes %d)", eventqueue.ErrQueueFull, q.bytes, q.maxBytes)
	}
	return nil
}

// shrunkLocked records that n records of size bytes left s's backlog.
func (q *memQueue) shrunkLocked(s *memSink, n int, size int64) {
	if n == 0 {
		return
	}
	s.bytes -= size
	q.bytes -= size
	close(q.progress)
	q.progress = make(chan struct{})
}

// Purge drops the records of envID's visitors whose visitor id or
// anonymous id is in visitorIDs, but consent records, from every
// backlog; a batch being sent is not recalled. It implements
// visitor.Purger.
func (q *memQueue) Purge(_ context.Context, envID string, visitorIDs ...string) error {
	if q.closed.Load() {
		return eventqueue.ErrClosed
	}
	ids := make(map[string]bool, len(visitorIDs))
	for _, id := range visitorIDs {
		if id != "" {
			ids[id] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, s := range q.sinks {
		keep := s.sending
		var n int
		var size int64
		for i := s.sending; i < len(s.recs); i++ {
			r := s.recs[i]
			if r.rec.Kind() != hits.KindConsent && r.rec.EnvID() == envID && (ids[r.rec.VisitorID()] || ids[r.rec.AnonymousID()]) {
				n++
				size += r.size
				continue
			}
			s.recs[keep] = r
			keep++
		}
		clear(s.recs[keep:])
		s.recs = s.recs[:keep]
		q.shrunkLocked(s, n, size)
	}
	return nil
}

// Flush asks every sink to send its backlog now, without waiting for full
// batches, and waits until the backlogs are empty. It returns ctx's
// error if ctx ends first, and eventqueue.ErrClosed once closed.
func (q *memQueue) Flush(ctx context.Context) error {
	if q.closed.Load() {
		return eventqueue.ErrClosed
	}
	for _, s := range q.sinks {
		s.urgent.Add(1)
		defer s.urgent.Add(-1)
		s.wake()
	}
	for {
		q.mu.Lock()
		pending, progress := q.pendingLocked(), q.progress
		q.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-progress:
		case <-q.quit:
			return eventqueue.ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("%d records left in memory: %w", pending, ctx.Err())
		}
	}
}

func (q *memQueue) pendingLocked() int {
	n := 0
	for _, s := range q.sinks {
		n += len(s.recs)
	}
	return n
}

// Stats returns the queue's counters in the durable queue's form; the
// dead letters are the records dropped, since memory keeps none.
func (q *memQueue) Stats() eventqueue.Stats {
	now := q.now()
	q.mu.Lock()
	defer q.mu.Unlock()
	st := eventqueue.Stats{Enqueued: q.enqueued.Load(), RejectedFull: q.rejectedFull.Load(), Bytes: q.bytes, DeadLetters: int64(q.dead.Load())}
	for _, s := range q.sinks {
		ss := eventqueue.SinkStats{
			Name:            s.cfg.Name,
			Configured:      true,
			Depth:           int64(len(s.recs)),
			Bytes:           s.bytes,
			Sent:            s.sent.Load(),
			Batches:         s.batches.Load(),
			Retried:         s.retried.Load(),
			DeadLettered:    s.deadLettered.Load(),
			Expired:         s.expired.Load(),
			LastSendLatency: time.Duration(s.lastLatency.Load()),
		}
		if len(s.recs) > 0 {
			ss.OldestAge = max(0, now.Sub(s.recs[0].rec.Created()))
		}
		st.Sinks = append(st.Sinks, ss)
	}
	return st
}

// Close stops intake and drops what the backlogs hold, logging at Error
// how many records are lost. Call it once Run has returned. Calling it
// again does nothing.
func (q *memQueue) Close() error {
	q.mu.Lock()
	if q.closed.Swap(true) {
		q.mu.Unlock()
		return nil
	}
	close(q.quit)
	lost := q.pendingLocked()
	for _, s := range q.sinks {
		clear(s.recs)
		s.recs, s.bytes = nil, 0
	}
	q.bytes = 0
	q.mu.Unlock()
	if lost > 0 {
		q.log.LogAttrs(context.Background(), slog.LevelError, "closing with records never delivered: kept in memory only (DeliveryOptions.InMemory), they are lost",
			slog.Int("records", lost))
	}
	return nil
}

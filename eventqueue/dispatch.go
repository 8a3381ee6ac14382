package eventqueue

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/seed27eed597/flagship-go/hits"
	bolt "go.etcd.io/bbolt"
)

// Run delivers every sink's backlog, one goroutine per sink, until ctx
// ends or the queue is closed; then it waits for them and returns nil
// (ErrClosed if the queue was already closed). A sink's batch goes out
// when it holds BatchSize records or FlushInterval after its first
// record; a backlog found at start goes out at once. Failed sends are
// retried with jittered exponential backoff, forever, unless the sink
// marks the error [Permanent] (then the batch is split to isolate the
// records at fault, which go to the dead letters, unless every record is
// refused alike) or the records reach their sink's MaxAge (dead letters,
// reason "expired"). A [Systemic] refusal is retried and reported, never
// dead-lettered.
//
// Run may be called once at a time.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return ErrClosed
	}
	q.runWG.Add(1) // under mu: Close waits for it
	q.mu.Unlock()
	defer q.runWG.Done()
	if !q.running.CompareAndSwap(0, 1) {
		return errors.New("eventqueue: Run is already running")
	}
	defer q.running.Store(0)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	n := 0
	for _, s := range q.sinks {
		if s.kinds == 0 {
			continue // a leftover backlog without a sink
		}
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			q.dispatch(ctx, s)
		}()
	}
	select {
	case <-ctx.Done():
	case <-q.quit:
	}
	cancel()
	for ; n > 0; n-- {
		<-done
	}
	return nil
}

// Flush asks every sink to send its backlog now, without waiting for full
// batches, and waits until its sink confirmed every record (their deletes
// are committed with the next write, or by Close: a crash before that
// sends them again, as delivery is at least once). It returns ctx's error
// if ctx ends first (a sink down, or whose destination refuses delivery
// ([Systemic]), keeps its backlog). A Buffered queue
// first commits the records it holds, so they are durable in any case.
// Delivery is Run's work: without Run, Flush returns nil only if the
// backlogs are empty.
func (q *Queue) Flush(ctx context.Context) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if q.opts.Durability == Buffered {
		// Commit what waits for BufferDelay now: the records are then
		// durable even if ctx ends before they are delivered.
		q.gc.commitNow()
	}
	for _, s := range q.sinks {
		s.urgent.Add(1)
		defer s.urgent.Add(-1)
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	for {
		q.mu.Lock()
		pending, progress := int64(0), q.progress
		for _, s := range q.sinks {
			if s.kinds != 0 {
				pending += max(0, s.depth-s.deleting.Load())
			}
		}
		q.mu.Unlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-progress:
		case <-q.quit:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("eventqueue: flush: %d records left: %w", pending, ctx.Err())
		}
	}
}

// dispatch is one sink's delivery loop.
func (q *Queue) dispatch(ctx context.Context, s *sinkState) {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(s.cfg.RetryInitial),
		backoff.WithMaxInterval(s.cfg.RetryMax),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0), // forever: records leave by delivery or expiry
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	timerOn := false
	due := true        // a backlog found at start goes out at once
	s.refusing = false // a new Run reports a refusal again
	for ctx.Err() == nil {
		n := s.committed.Load() - s.deleting.Load()
		switch {
		case n <= 0:
			due = false
			if timerOn {
				timer.Stop()
				timerOn = false
			}
			select {
			case <-s.notify:
			case <-ctx.Done():
			}
			continue
		case n < int64(s.cfg.BatchSize) && !due && s.urgent.Load() == 0:
			if !timerOn {
				timer.Reset(s.cfg.FlushInterval)
				timerOn = true
			}
			select {
			case <-s.notify:
			case <-timer.C:
				timerOn, due = false, true
			case <-ctx.Done():
			}
			continue
		}
		// A running timer keeps running through a full batch's send: it
		// times the records left behind, which have waited since it started.
		read, err := q.deliver(ctx, s)
		if err == nil {
			bo.Reset()
			due = false
			if read == 0 { // n counted records the writer is deleting: wait for it
				select {
				case <-s.notify:
				case <-ctx.Done():
				}
			}
			continue
		}
		if ctx.Err() != nil {
			return
		}
		delay := min(bo.NextBackOff(), s.cfg.RetryMax) // jitter must not exceed RetryMax
		if d, ok := RetryAfterOf(err); ok {
			delay = max(delay, min(d, s.cfg.MaxRetryAfter))
		}
		switch {
		case !IsSystemic(err):
			q.log.LogAttrs(ctx, slog.LevelWarn, "send failed, will retry", slog.String("sink", s.cfg.Name), slog.Duration("in", delay), slog.Any("err", err))
		case s.refusing:
			q.log.LogAttrs(ctx, slog.LevelDebug, "destination still refuses, will retry", slog.String("sink", s.cfg.Name), slog.Duration("in", delay), slog.Any("err", err))
		default:
			// Once per episode: send ends it when the sink delivers again.
			s.refusing = true
			q.log.LogAttrs(ctx, slog.LevelWarn, "destination refuses delivery; nothing is dead-lettered, will retry until it delivers again",
				slog.String("sink", s.cfg.Name), slog.Duration("in", delay), slog.Any("err", err))
			q.emit(ctx, Event{Kind: EventDestinationRefused, Sink: s.cfg.Name, N: batchLen(err), Delay: delay, Err: err})
		}
		q.emit(ctx, Event{Kind: EventBatchFailed, Sink: s.cfg.Name, N: batchLen(err), Delay: delay, Err: err})
		if !sleep(ctx, delay) {
			return
		}
		due = true // retry without waiting for the interval
	}
}

// sendError is a retryable failure of a batch of n records.
type sendError struct {
	n   int
	err error
}

func (e *sendError) Error() string { return e.err.Error() }
func (e *sendError) Unwrap() error { return e.err }

func batchLen(err error) int {
	var se *sendError
	if errors.As(err, &se) {
		return se.n
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// item is a record read from a backlog with its stored size.
type item struct {
	key  [8]byte
	size int
}

// badRecord is a stored record that goes to the dead letters (deadLetter
// reads its bytes from the backlog).
type badRecord struct {
	key    []byte // as stored: a corrupt one need not have 8 bytes
	reason string
}

// deliver reads one batch from s's backlog and sends it, and returns how
// many records it read. It returns a *sendError for a retryable failure.
func (q *Queue) deliver(ctx context.Context, s *sinkState) (int, error) {
	recs, items, bad, err := q.read(s)
	if err != nil {
		return 0, &sendError{err: err}
	}
	if len(bad) > 0 {
		if err := q.deadLetter(ctx, s, bad); err != nil {
			return len(bad), &sendError{err: err}
		}
	}
	if len(recs) == 0 {
		return len(bad), nil
	}
	return len(recs) + len(bad), q.send(ctx, s, recs, items)
}

// errDeleteFailed makes a dispatcher back off after the commit deleting
// its delivered records failed.
var errDeleteFailed = errors.New("eventqueue: deleting delivered records failed; they will be sent again")

// read copies the first BatchSize records of s's backlog that are not
// delivered yet; corrupt and expired ones come back in bad.
func (q *Queue) read(s *sinkState) (recs []Record, items []item, bad []badRecord, err error) {
	now := q.opts.Now()
	if s.rewind.Swap(false) {
		// Back off before sending them again: a disk that refuses commits
		// must not turn into a flood of duplicates.
		s.from = 0
		return nil, nil, nil, errDeleteFailed
	}
	s.purges = q.purgesFinished.Load()
	// The batch's stored forms are copied into one buffer, which its
	// records keep (hits.DecodeRecord): one allocation per batch.
	var arena []byte
	type span struct {
		key      [8]byte
		from, to int
		odd      []byte // a key that is not 8 bytes (a corrupt record)
	}
	var spans []span
	if n := min(s.committed.Load()-s.deleting.Load(), int64(s.cfg.BatchSize)); n > 0 {
		spans = make([]span, 0, n)
		if c := s.committed.Load(); c > 0 {
			arena = make([]byte, 0, n*(s.bytes.Load()/c+16))
		}
	}
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(s.bucket).Cursor()
		k, v := c.First()
		if s.from > 0 {
			k, v = c.Seek(binary.BigEndian.AppendUint64(nil, s.from))
		}
		for ; k != nil && len(spans)+len(bad) < s.cfg.BatchSize; k, v = c.Next() {
			sp := span{from: len(arena)}
			if len(k) != 8 {
				sp.odd = bytes.Clone(k)
			}
			copy(sp.key[:], k)
			arena = append(arena, v...)
			sp.to = len(arena)
			spans = append(spans, sp)
		}
		return nil
	})
	if err != nil || len(spans) == 0 {
		return nil, nil, nil, err
	}
	recs, items = make([]Record, 0, len(spans)), make([]item, 0, len(spans))
	for _, sp := range spans {
		v := arena[sp.from:sp.to:sp.to]
		if sp.odd != nil {
			bad = append(bad, badRecord{key: sp.odd, reason: fmt.Sprintf("corrupt: key of %d bytes", len(sp.odd))})
			continue
		}
		var attempts uint32
		if len(v) >= headerLen {
			attempts = binary.BigEndian.Uint32(v[attemptsOffset:])
		}
		r, err := hits.DecodeRecord(v)
		switch {
		case err != nil:
			bad = append(bad, badRecord{key: sp.key[:], reason: fmt.Errorf("%w: %w", ErrCorrupt, err).Error()})
		case s.cfg.MaxAge > 0 && now.Sub(r.Created()) > s.cfg.MaxAge:
			bad = append(bad, badRecord{key: sp.key[:], reason: ReasonExpired})
		default:
			recs = append(recs, Record{Record: r, Seq: binary.BigEndian.Uint64(sp.key[:]), Attempts: attempts})
			items = append(items, item{key: sp.key, size: sp.to - sp.from})
		}
	}
	return recs, items, bad, err
}

// ReasonExpired is the dead-letter reason of records older than their
// sink's MaxAge.
const ReasonExpired = "expired"

package eventqueue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	bolt "go.etcd.io/bbolt"
)

// Run delivers every sink's backlog, one goroutine per sink, until ctx
// ends or the queue is closed; then it waits for them and returns nil
// (ErrClosed if the queue was already closed). A sink's batch goes out
// when it holds BatchSize records or FlushInterval after its first
// record; a backlog found at start goes out at once. Failed sends are
// retried with jittered exponential backoff, forever, unless the sink
// marks the error [Permanent] (then the batch is split to isolate the
// records at fault, which go to the dead letters) or the records reach
// their sink's MaxAge (dead letters, reason "expired").
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
// batches, and waits until the backlogs are empty. It returns ctx's error
// if ctx ends first (a sink down keeps its backlog), and an error at once
// if Run is not running.
func (q *Queue) Flush(ctx context.Context) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if q.running.Load() == 0 {
		return errors.New("eventqueue: Flush needs Run")
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
				pending += s.depth
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
	due := true // a backlog found at start goes out at once
	for ctx.Err() == nil {
		n := s.committed.Load()
		switch {
		case n == 0:
			due = false
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
		if timerOn {
			timer.Stop()
			timerOn = false
		}
		err := q.deliver(ctx, s)
		if err == nil {
			bo.Reset()
			due = false
			continue
		}
		if ctx.Err() != nil {
			return
		}
		delay := bo.NextBackOff()
		if d, ok := RetryAfterOf(err); ok {
			delay = max(delay, min(d, s.cfg.MaxRetryAfter))
		}
		q.log.LogAttrs(ctx, slog.LevelWarn, "send failed, will retry", slog.String("sink", s.cfg.Name), slog.Duration("in", delay), slog.Any("err", err))
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

// badRecord is a stored record that goes to the dead letters.
type badRecord struct {
	key    [8]byte
	raw    []byte
	reason string
}

// deliver reads one batch from s's backlog and sends it. It returns a
// *sendError for a retryable failure.
func (q *Queue) deliver(ctx context.Context, s *sinkState) error {
	recs, items, bad, err := q.read(s)
	if err != nil {
		return &sendError{err: err}
	}
	if len(bad) > 0 {
		if err := q.deadLetter(ctx, s, bad); err != nil {
			return &sendError{err: err}
		}
	}
	if len(recs) == 0 {
		return nil
	}
	return q.send(ctx, s, recs, items)
}

// read copies the first BatchSize records of s's backlog; corrupt and
// expired ones come back in bad.
func (q *Queue) read(s *sinkState) (recs []Record, items []item, bad []badRecord, err error) {
	now := q.opts.Now()
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(s.bucket).Cursor()
		for k, v := c.First(); k != nil && len(recs)+len(bad) < s.cfg.BatchSize; k, v = c.Next() {
			var key [8]byte
			copy(key[:], k)
			r, attempts, err := decodeEnvelope(v)
			switch {
			case len(k) != 8:
				bad = append(bad, badRecord{key: key, raw: append([]byte(nil), v...), reason: fmt.Sprintf("corrupt: key of %d bytes", len(k))})
			case err != nil:
				bad = append(bad, badRecord{key: key, raw: append([]byte(nil), v...), reason: err.Error()})
			case s.cfg.MaxAge > 0 && now.Sub(r.Created) > s.cfg.MaxAge:
				bad = append(bad, badRecord{key: key, raw: append([]byte(nil), v...), reason: ReasonExpired})
			default:
				recs = append(recs, Record{Record: r, Seq: binary.BigEndian.Uint64(key[:]), Attempts: attempts})
				items = append(items, item{key: key, size: len(v)})
			}
		}
		return nil
	})
	return recs, items, bad, err
}

// ReasonExpired is the dead-letter reason of records older than their
// sink's MaxAge.
const ReasonExpired = "expired"

// send sends recs; on a permanent rejection it splits them to isolate the
// records at fault.
func (q *Queue) send(ctx context.Context, s *sinkState, recs []Record, items []item) error {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	start := time.Now()
	err := s.cfg.Sink.Send(sctx, recs)
	latency := time.Since(start)
	cancel()
	switch {
	case err == nil:
		if err := q.remove(s, items); err != nil {
			return &sendError{n: len(recs), err: err}
		}
		s.sent.Add(uint64(len(recs)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(recs), Latency: latency})
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case IsPermanent(err):
		if len(recs) == 1 {
			return q.deadLetter(ctx, s, []badRecord{{key: items[0].key, reason: err.Error()}})
		}
		mid := len(recs) / 2
		if err := q.send(ctx, s, recs[:mid], items[:mid]); err != nil {
			return err
		}
		return q.send(ctx, s, recs[mid:], items[mid:])
	}
	s.retried.Add(uint64(len(recs)))
	if e := q.bumpAttempts(s, items); e != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "counting attempts failed", slog.String("sink", s.cfg.Name), slog.Any("err", e))
	}
	return &sendError{n: len(recs), err: err}
}

// remove deletes delivered records.
func (q *Queue) remove(s *sinkState, items []item) error {
	var size int64
	err := q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		for i := range items {
			if err := b.Delete(items[i].key[:]); err != nil {
				return err
			}
			size += int64(items[i].size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("eventqueue: delete delivered records: %w", err)
	}
	q.shrunk(s, int64(len(items)), size)
	return nil
}

// shrunk records that n records of size bytes left s's backlog.
func (q *Queue) shrunk(s *sinkState, n, size int64) {
	s.committed.Add(-n)
	s.bytes.Add(-size)
	q.release(s, n, size)
}

// bumpAttempts counts a failed attempt in each stored record.
func (q *Queue) bumpAttempts(s *sinkState, items []item) error {
	return q.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(s.bucket)
		for i := range items {
			v := b.Get(items[i].key[:])
			if len(v) < headerLen {
				continue // purged meanwhile, or corrupt: the next read handles it
			}
			nv := append([]byte(nil), v...)
			binary.BigEndian.PutUint32(nv[attemptsOffset:], binary.BigEndian.Uint32(v[attemptsOffset:])+1)
			if err := b.Put(items[i].key[:], nv); err != nil {
				return err
			}
		}
		return nil
	})
}

// deadLetterValue is the stored form of a dead letter.
type deadLetterValue struct {
	Sink   string    `json:"sink"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Seq    uint64    `json:"seq"`
	Record []byte    `json:"record"` // the stored record, as it was
}

// deadLetter moves records of s's backlog to the dead letters. A record
// without raw bytes is read from the backlog in the same transaction.
func (q *Queue) deadLetter(ctx context.Context, s *sinkState, bad []badRecord) error {
	now := q.opts.Now()
	var n, size, count int64
	var dropped int
	byReason := map[string]int{}
	err := q.db.Update(func(tx *bolt.Tx) error {
		n, size, dropped = 0, 0, 0
		clear(byReason)
		b, dead := tx.Bucket(s.bucket), tx.Bucket(deadBucket)
		count = q.deadCount.Load()
		for _, r := range bad {
			v := b.Get(r.key[:])
			if v == nil {
				continue // purged meanwhile
			}
			val, err := json.Marshal(deadLetterValue{Sink: s.cfg.Name, Reason: r.reason, At: now, Seq: binary.BigEndian.Uint64(r.key[:]), Record: v})
			if err != nil {
				return err
			}
			seq, err := dead.NextSequence()
			if err != nil {
				return err
			}
			if err := dead.Put(binary.BigEndian.AppendUint64(nil, seq), val); err != nil {
				return err
			}
			if err := b.Delete(r.key[:]); err != nil {
				return err
			}
			n++
			count++
			size += int64(len(v))
			byReason[r.reason]++
		}
		// Keep the newest MaxDeadLetters.
		c := dead.Cursor()
		for k, _ := c.First(); k != nil && count > int64(q.opts.MaxDeadLetters); k, _ = c.First() {
			if err := dead.Delete(k); err != nil {
				return err
			}
			count--
			dropped++
		}
		return nil
	})
	if err == nil {
		q.deadCount.Store(count)
	}
	if err != nil {
		return fmt.Errorf("eventqueue: dead-letter records: %w", err)
	}
	if n == 0 {
		return nil
	}
	q.shrunk(s, n, size)
	s.dead.Add(uint64(n))
	s.expired.Add(uint64(byReason[ReasonExpired]))
	for reason, k := range byReason {
		q.log.LogAttrs(ctx, slog.LevelWarn, "records moved to dead letters", slog.String("sink", s.cfg.Name), slog.Int("records", k), slog.String("reason", reason))
		q.emit(ctx, Event{Kind: EventDeadLettered, Sink: s.cfg.Name, N: k, Reason: reason})
	}
	if dropped > 0 {
		q.log.LogAttrs(ctx, slog.LevelWarn, "oldest dead letters deleted (MaxDeadLetters)", slog.Int("records", dropped))
	}
	return nil
}

package eventqueue

import (
	"bytes"
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
// batches, and waits until its sink confirmed every record (their deletes
// are committed with the next write, or by Close: a crash before that
// sends them again, as delivery is at least once). It returns ctx's error
// if ctx ends first (a sink down keeps its backlog). A Buffered queue
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
		q.commitNow()
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
	due := true // a backlog found at start goes out at once
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
	key    []byte // as stored: a corrupt one need not have 8 bytes
	raw    []byte
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
	if n := min(s.committed.Load()-s.deleting.Load(), int64(s.cfg.BatchSize)); n > 0 {
		recs, items = make([]Record, 0, n), make([]item, 0, n)
	}
	err = q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(s.bucket).Cursor()
		k, v := c.First()
		if s.from > 0 {
			k, v = c.Seek(binary.BigEndian.AppendUint64(nil, s.from))
		}
		for ; k != nil && len(recs)+len(bad) < s.cfg.BatchSize; k, v = c.Next() {
			var key [8]byte
			copy(key[:], k)
			r, attempts, err := decodeEnvelope(v)
			switch {
			case len(k) != 8:
				bad = append(bad, badRecord{key: bytes.Clone(k), raw: append([]byte(nil), v...), reason: fmt.Sprintf("corrupt: key of %d bytes", len(k))})
			case err != nil:
				bad = append(bad, badRecord{key: bytes.Clone(k), raw: append([]byte(nil), v...), reason: err.Error()})
			case s.cfg.MaxAge > 0 && now.Sub(r.Created) > s.cfg.MaxAge:
				bad = append(bad, badRecord{key: bytes.Clone(k), raw: append([]byte(nil), v...), reason: ReasonExpired})
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
		// Counters first: Flush returns once the backlog shrinks.
		s.sent.Add(uint64(len(recs)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(recs), Latency: latency})
		q.forget(s, items)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case isPartial(err, len(recs)):
		return q.sendPartial(ctx, s, recs, items, err, latency)
	case IsPermanent(err) && !errors.As(err, new(*partialError)):
		// (A Partial of the wrong length tells nothing of the records at
		// fault: the whole batch is retried, below.)
		if len(recs) == 1 {
			return q.deadLetter(ctx, s, []badRecord{{key: items[0].key[:], reason: err.Error()}})
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

func isPartial(err error, n int) bool {
	var pe *partialError
	return errors.As(err, &pe) && len(pe.errs) == n
}

// sendPartial handles a batch its sink delivered in part: the delivered
// records are deleted now (not by the writer: the read position must not
// move past the failed ones), and the failed ones are retried, or, when
// all their errors are permanent, isolated and dead-lettered.
func (q *Queue) sendPartial(ctx context.Context, s *sinkState, recs []Record, items []item, err error, latency time.Duration) error {
	var pe *partialError
	errors.As(err, &pe)
	var okItems, failItems []item
	var failRecs []Record
	var retry, last error
	for i, e := range pe.errs {
		if e == nil {
			okItems = append(okItems, items[i])
			continue
		}
		failRecs, failItems, last = append(failRecs, recs[i]), append(failItems, items[i]), e
		if retry == nil && !IsPermanent(e) {
			retry = e
		}
	}
	if err := q.deleteNow(s, okItems); err != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "deleting delivered records failed; they will be sent again", slog.String("sink", s.cfg.Name), slog.Any("err", err))
		return &sendError{n: len(recs), err: errors.Join(err, pe)}
	}
	if len(okItems) > 0 {
		s.sent.Add(uint64(len(okItems)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(okItems), Latency: latency})
	}
	switch {
	case retry != nil:
		s.retried.Add(uint64(len(failRecs)))
		if e := q.bumpAttempts(s, failItems); e != nil {
			q.log.LogAttrs(ctx, slog.LevelWarn, "counting attempts failed", slog.String("sink", s.cfg.Name), slog.Any("err", e))
		}
		return &sendError{n: len(failRecs), err: retry}
	case len(failRecs) == 1:
		return q.deadLetter(ctx, s, []badRecord{{key: failItems[0].key[:], reason: last.Error()}})
	}
	// Several permanent failures: a destination may reject a group of
	// records for one of them (a Kafka partition's batch for one message
	// too large), so send them again in halves to find the culprits.
	mid := len(failRecs) / 2
	if err := q.send(ctx, s, failRecs[:mid], failItems[:mid]); err != nil {
		return err
	}
	return q.send(ctx, s, failRecs[mid:], failItems[mid:])
}

// deleteNow deletes delivered records of s in a transaction of its own.
func (q *Queue) deleteNow(s *sinkState, items []item) error {
	if len(items) == 0 {
		return nil
	}
	var removed []removal
	err := q.db.Update(func(tx *bolt.Tx) error {
		var err error
		removed, err = q.remove(tx, []delivered{{s: s, items: items}})
		return err
	})
	if err != nil {
		return fmt.Errorf("eventqueue: delete delivered records: %w", err)
	}
	if r := removed[s.index]; r.n > 0 {
		q.shrunk(s, r.n, r.size)
	}
	return nil
}

// forget hands delivered records to the writer, which deletes them in its
// next commit: the deletes of the batches delivered meanwhile and the new
// records share its transaction and fsync, while the dispatcher reads and
// sends the records after them. A crash before that commit sends them
// again (delivery is at least once).
func (q *Queue) forget(s *sinkState, items []item) {
	q.mu.Lock()
	if q.purgesStarted.Load() != s.purges {
		// A Purge ran, or runs, since the batch was read: it may have
		// deleted some of its records, which deleting must not count
		// (Flush and the dispatcher would take the backlog for smaller
		// than it is until the next commit). A Purge that starts after
		// this check commits the deletes handed over here first.
		q.mu.Unlock()
		if q.deleteNow(s, items) == nil {
			return
		}
		q.mu.Lock()
	}
	s.from = binary.BigEndian.Uint64(items[len(items)-1].key[:]) + 1
	s.deleting.Add(int64(len(items)))
	q.group.deletes = append(q.group.deletes, delivered{s: s, items: items})
	close(q.progress) // delivered: Flush need not wait for the commit
	q.progress = make(chan struct{})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// removal is the records a commit deleted from a backlog.
type removal struct{ n, size int64 }

// remove deletes delivered records in the writer's transaction and
// returns, by sink index, what it deleted.
func (q *Queue) remove(tx *bolt.Tx, deletes []delivered) ([]removal, error) {
	if len(deletes) == 0 {
		return nil, nil
	}
	removed := make([]removal, len(q.sinks))
	for _, d := range deletes {
		c := tx.Bucket(d.s.bucket).Cursor()
		r := &removed[d.s.index]
		for i := range d.items {
			if k, v := c.Seek(d.items[i].key[:]); !bytes.Equal(k, d.items[i].key[:]) || v == nil {
				continue // purged while it was being sent (already counted), or not a record
			}
			if err := c.Delete(); err != nil {
				return nil, fmt.Errorf("eventqueue: delete delivered records: %w", err)
			}
			r.n++
			r.size += int64(d.items[i].size)
		}
	}
	return removed, nil
}

// removed accounts for the outcome of the writer's commit of deletes: the
// backlogs shrink, or, if the commit failed, the dispatchers read from
// the start again and send the records once more.
func (q *Queue) removed(deletes []delivered, removed []removal, err error) {
	if len(deletes) == 0 {
		return
	}
	// deleting first: depth-deleting (what Flush waits for) may overcount
	// for a moment, never undercount.
	for _, d := range deletes {
		d.s.deleting.Add(-int64(len(d.items)))
		if err != nil {
			d.s.rewind.Store(true)
		}
	}
	if err == nil {
		for _, s := range q.sinks {
			if r := removed[s.index]; r.n > 0 {
				q.shrunk(s, r.n, r.size)
			}
		}
	}
	for _, d := range deletes {
		select {
		case d.s.notify <- struct{}{}:
		default:
		}
	}
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
	q.deadMu.Lock() // deadCount must match the file: no other dead-letter transaction in between
	err := q.db.Update(func(tx *bolt.Tx) error {
		n, size, dropped = 0, 0, 0
		clear(byReason)
		b, dead := tx.Bucket(s.bucket), tx.Bucket(deadBucket)
		count = q.deadCount.Load()
		for _, r := range bad {
			v := b.Get(r.key)
			if v == nil {
				if b.Bucket(r.key) == nil {
					continue // purged meanwhile
				}
				if err := b.DeleteBucket(r.key); err != nil { // a bucket where a record belongs
					return err
				}
			}
			var sinkSeq uint64
			if len(r.key) == 8 {
				sinkSeq = binary.BigEndian.Uint64(r.key)
			}
			val, err := json.Marshal(deadLetterValue{Sink: s.cfg.Name, Reason: r.reason, At: now, Seq: sinkSeq, Record: v})
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
			if err := b.Delete(r.key); err != nil {
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
	q.deadMu.Unlock()
	if err != nil {
		return fmt.Errorf("eventqueue: dead-letter records: %w", err)
	}
	if n == 0 {
		return nil
	}
	s.dead.Add(uint64(n))
	s.expired.Add(uint64(byReason[ReasonExpired]))
	for reason, k := range byReason {
		q.log.LogAttrs(ctx, slog.LevelWarn, "records moved to dead letters", slog.String("sink", s.cfg.Name), slog.Int("records", k), slog.String("reason", reason))
		q.emit(ctx, Event{Kind: EventDeadLettered, Sink: s.cfg.Name, N: k, Reason: reason})
	}
	if dropped > 0 {
		q.log.LogAttrs(ctx, slog.LevelWarn, "oldest dead letters deleted (MaxDeadLetters)", slog.Int("records", dropped))
	}
	q.shrunk(s, n, size) // last: Flush returns once the backlog shrinks
	return nil
}

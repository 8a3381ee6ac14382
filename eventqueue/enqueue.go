package eventqueue

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/bits"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
	bolt "go.etcd.io/bbolt"
)

// Enqueue stores r for every sink that takes its kind. In Durable mode it
// returns nil only once r is committed and fsynced; concurrent callers
// share one commit, which one of them may run. It fails, storing nothing,
// with ErrQueueFull when a backlog or the bytes are at their bound,
// ErrInvalidRecord for an invalid record or one no sink takes, a
// [*RecordTooLargeError] (which wraps ErrInvalidRecord) for a record
// larger than a sink that takes it can carry ([RecordSizer]), ErrClosed
// after Close, and ctx's error if ctx ends first (the record may then
// still be committed).
func (q *Queue) Enqueue(ctx context.Context, r hits.Record) error {
	return q.enqueue(ctx, r, q.opts.Durability == Durable)
}

// EnqueueAsync is Enqueue without the wait for the disk: it returns once
// r has room in the queue and joins the next commit, which the queue's
// writer runs at once (or within Options.BufferDelay in Buffered mode).
// A crash before that commit loses r, and so does a failed commit, which
// is reported as an [EventCommitFailed] and logged at Error. It fails as
// Enqueue does when r is refused. The SDK uses it for the records it
// sends on its own on a visitor's request path.
func (q *Queue) EnqueueAsync(ctx context.Context, r hits.Record) error {
	return q.enqueue(ctx, r, false)
}

func (q *Queue) enqueue(ctx context.Context, r hits.Record, wait bool) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if r.IsZero() {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, r.Validate())
	}
	var targets uint64
	n := 0
	kind := r.Kind()
	for _, s := range q.sinks {
		if s.takes(kind) {
			if err := s.checkSize(r); err != nil {
				return err
			}
			targets |= 1 << s.index
			n++
		}
	}
	if targets == 0 {
		return fmt.Errorf("%w: no sink takes %s records", ErrInvalidRecord, kind)
	}
	size := int64(r.BinarySize()) * int64(n)

	q.mu.Lock()
	if q.closed.Load() {
		q.mu.Unlock()
		return ErrClosed
	}
	if err := q.reserveLocked(targets, size); err != nil {
		wasFull := q.full
		q.full = true
		q.mu.Unlock()
		q.rejectedFull.Add(1)
		if !wasFull {
			q.log.LogAttrs(ctx, slog.LevelWarn, "queue full: refusing records until it drains", slog.Any("err", err))
			q.emit(ctx, Event{Kind: EventQueueFull, N: 1, Err: err})
		}
		return err
	}
	q.full = false
	g := q.gc.join(&r, targets, !wait)
	q.mu.Unlock()
	q.enqueued.Add(1)
	if !wait {
		q.gc.poke()
		return nil
	}
	q.gc.tryCommit(ctx)
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return fmt.Errorf("eventqueue: enqueue: %w (the record may still be stored)", ctx.Err())
	}
}

// reserveLocked takes room for one record of size bytes in the targets'
// backlogs.
func (q *Queue) reserveLocked(targets uint64, size int64) error {
	for _, s := range q.sinks {
		if targets&(1<<s.index) != 0 && s.depth >= int64(q.opts.MaxRecords) {
			return fmt.Errorf("%w: sink %q holds %d records (MaxRecords)", ErrQueueFull, s.cfg.Name, s.depth)
		}
	}
	if q.bytes+size > q.opts.MaxBytes {
		return fmt.Errorf("%w: %d bytes stored (MaxBytes %d)", ErrQueueFull, q.bytes, q.opts.MaxBytes)
	}
	for _, s := range q.sinks {
		if targets&(1<<s.index) != 0 {
			s.depth++
		}
	}
	q.bytes += size
	return nil
}

// release gives back room: n records of sink s totalling size bytes.
func (q *Queue) release(s *sinkState, n, size int64) {
	q.mu.Lock()
	s.depth -= n
	q.bytes -= size
	close(q.progress)
	q.progress = make(chan struct{})
	q.mu.Unlock()
}

// logCommit logs and reports what went wrong in a commit.
func (q *Queue) logCommit(ctx context.Context, p commitProblems) {
	if p.err == nil {
		return
	}
	q.log.LogAttrs(ctx, slog.LevelError, "commit failed", slog.Int("records", p.records), slog.Int("lost", p.async), slog.Any("err", p.err))
	if p.async > 0 {
		q.emit(ctx, Event{Kind: EventCommitFailed, N: p.async, Err: p.err})
	}
}

// commitGroup commits g (new records and the deletes of delivered ones)
// in one transaction, and accounts for it: the groupCommit's commit.
func (q *Queue) commitGroup(g *commitGroup) (problems commitProblems) {
	var removed []removal
	err := q.db.Update(func(tx *bolt.Tx) error {
		if len(g.recs) > 0 {
			buckets := make([]*bolt.Bucket, len(q.sinks))
			for _, s := range q.sinks {
				b := tx.Bucket(s.bucket)
				b.FillPercent = 1 // keys only ever grow: pack pages full
				buckets[s.index] = b
			}
			var key [8]byte
			for i, p := range g.recs {
				data := g.data(i)
				for t := p.targets; t != 0; t &= t - 1 {
					b := buckets[trailingZeros(t)]
					seq, err := b.NextSequence()
					if err != nil {
						return err
					}
					binary.BigEndian.PutUint64(key[:], seq)
					if err := b.Put(key[:], data); err != nil {
						return err
					}
				}
			}
		}
		var err error
		removed, err = q.remove(tx, g.deletes)
		return err
	})
	q.removed(g.deletes, removed, err)
	if err != nil {
		err = errfmt.Errorf("eventqueue: commit: %w", err)
		problems.err, problems.records, problems.async = err, len(g.recs), g.async
		for _, p := range g.recs {
			for t := p.targets; t != 0; t &= t - 1 {
				q.release(q.sinks[trailingZeros(t)], 1, int64(p.to-p.from))
			}
		}
	} else {
		counts := make([]int64, len(q.sinks))
		sizes := make([]int64, len(q.sinks))
		for _, p := range g.recs {
			for t := p.targets; t != 0; t &= t - 1 {
				j := trailingZeros(t)
				counts[j]++
				sizes[j] += int64(p.to - p.from)
			}
		}
		for _, s := range q.sinks {
			if counts[s.index] == 0 {
				continue
			}
			s.bytes.Add(sizes[s.index])
			s.committed.Add(counts[s.index])
			select {
			case s.notify <- struct{}{}:
			default:
			}
		}
	}
	return problems
}

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }

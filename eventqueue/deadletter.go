package eventqueue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

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
		return errfmt.Errorf("eventqueue: dead-letter records: %w", err)
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

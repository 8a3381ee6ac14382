package eventqueue

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
	bolt "go.etcd.io/bbolt"
)

// Stats is a snapshot of the queue's counters. Counters count since Open;
// depths and bytes describe the file.
type Stats struct {
	// Enqueued counts the records accepted by Enqueue.
	Enqueued uint64
	// RejectedFull counts the records refused with ErrQueueFull.
	RejectedFull uint64
	// Bytes is the stored size of all backlogs.
	Bytes int64
	// DeadLetters is the number of records in the dead letters.
	DeadLetters int64
	// Sinks has one entry per backlog, configured sinks first.
	Sinks []SinkStats
}

// SinkStats describes one sink's backlog and delivery.
type SinkStats struct {
	Name string
	// Configured is false for a backlog left in the file by a sink that
	// is no longer configured.
	Configured bool
	// Depth is the records waiting for this sink; Bytes is what its
	// backlog holds in the file, including delivered records until the
	// commit that deletes them.
	Depth int64
	Bytes int64
	// OldestAge is the age of the oldest waiting record (0 if none).
	OldestAge time.Duration
	// Sent counts confirmed records, Batches the Sends that confirmed
	// them, Retried the records of failed Sends, DeadLettered the records
	// moved to the dead letters, of which Expired for their age.
	Sent, Batches, Retried, DeadLettered, Expired uint64
	// LastSendLatency is how long the last confirmed Send took.
	LastSendLatency time.Duration
}

// Stats returns the queue's counters. It reads the oldest record of each
// backlog from the file.
func (q *Queue) Stats() Stats {
	st := Stats{Enqueued: q.enqueued.Load(), RejectedFull: q.rejectedFull.Load(), DeadLetters: q.deadCount.Load()}
	now := q.opts.Now()
	for _, s := range q.sinks {
		ss := SinkStats{
			Name:            s.cfg.Name,
			Configured:      s.kinds != 0,
			Depth:           max(0, s.committed.Load()-s.deleting.Load()),
			Bytes:           s.bytes.Load(),
			Sent:            s.sent.Load(),
			Batches:         s.batches.Load(),
			Retried:         s.retried.Load(),
			DeadLettered:    s.dead.Load(),
			Expired:         s.expired.Load(),
			LastSendLatency: time.Duration(s.lastLatency.Load()),
		}
		st.Bytes += ss.Bytes
		if ss.Depth > 0 && !q.closed.Load() {
			_ = q.db.View(func(tx *bolt.Tx) error {
				if _, v := tx.Bucket(s.bucket).Cursor().First(); v != nil {
					if _, _, _, _, created, ok := peekHeader(v); ok && now.After(created) {
						ss.OldestAge = now.Sub(created)
					}
				}
				return nil
			})
		}
		st.Sinks = append(st.Sinks, ss)
	}
	return st
}

// Entry is a stored record as Peek shows it.
type Entry struct {
	Sink     string
	Seq      uint64
	Attempts uint32
	Record   hits.Record // zero if Err != nil
	Size     int         // stored bytes
	Err      error       // why the record cannot be decoded (it will be dead-lettered)
}

// Peek returns up to n records at the head of sink's backlog, without
// removing them. With sink "", it returns up to n records in all, taken
// from the backlogs in the order of Stats().Sinks.
func (q *Queue) Peek(sink string, n int) ([]Entry, error) {
	if q.closed.Load() {
		return nil, ErrClosed
	}
	var out []Entry
	err := q.db.View(func(tx *bolt.Tx) error {
		found := false
		for _, s := range q.sinks {
			if sink != "" && s.cfg.Name != sink {
				continue
			}
			found = true
			c := tx.Bucket(s.bucket).Cursor()
			for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
				e := Entry{Sink: s.cfg.Name, Size: len(v)}
				if len(k) == 8 {
					e.Seq = binary.BigEndian.Uint64(k)
				}
				e.Record, e.Attempts, e.Err = decodeEnvelope(v)
				out = append(out, e)
			}
		}
		if !found && sink != "" {
			return fmt.Errorf("%w: %q", ErrUnknownSink, sink)
		}
		return nil
	})
	return out, err
}

// DeadLetter is a record the queue gave up on.
type DeadLetter struct {
	Seq  uint64 // position in the dead letters
	Sink string
	// SinkSeq and Attempts are the record's position in its sink's
	// backlog and its failed attempts when it was moved.
	SinkSeq  uint64
	Attempts uint32
	Reason   string
	At       time.Time
	Record   hits.Record // zero if Err != nil
	Err      error       // why the stored record cannot be decoded
	Raw      []byte      // the stored record
}

// DeadLetters returns up to n dead letters, oldest first.
func (q *Queue) DeadLetters(n int) ([]DeadLetter, error) {
	if q.closed.Load() {
		return nil, ErrClosed
	}
	var out []DeadLetter
	err := q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(deadBucket).Cursor()
		for k, v := c.First(); k != nil && len(out) < n; k, v = c.Next() {
			d := DeadLetter{}
			if len(k) == 8 {
				d.Seq = binary.BigEndian.Uint64(k)
			}
			var dv deadLetterValue
			if err := json.Unmarshal(v, &dv); err != nil {
				d.Err = fmt.Errorf("%w: dead letter: %w", ErrCorrupt, err)
				d.Raw = append([]byte(nil), v...)
			} else {
				d.Sink, d.Reason, d.At, d.Raw, d.SinkSeq = dv.Sink, dv.Reason, dv.At, dv.Record, dv.Seq
				d.Record, d.Attempts, d.Err = decodeEnvelope(dv.Record)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Replay moves every dead letter back to the end of its sink's backlog,
// with its attempts reset, and returns how many moved. A dead letter
// whose sink's backlog is unknown to the file gets one. Dead letters that
// are still bad return to the dead letters on their next delivery.
func (q *Queue) Replay(ctx context.Context) (int, error) {
	if q.closed.Load() {
		return 0, ErrClosed
	}
	q.deadMu.Lock() // until deadCount is updated
	defer q.deadMu.Unlock()
	moved := map[*sinkState][2]int64{}
	var created []string
	err := q.db.Update(func(tx *bolt.Tx) error {
		clear(moved)
		created = created[:0]
		dead := tx.Bucket(deadBucket)
		var keys [][]byte
		c := dead.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			keys = append(keys, append([]byte(nil), k...))
			var dv deadLetterValue
			if err := json.Unmarshal(v, &dv); err != nil || !validSinkName(dv.Sink) {
				keys = keys[:len(keys)-1] // unreadable: leave it for inspection
				continue
			}
			b, err := tx.CreateBucketIfNotExists([]byte(sinkPrefix + dv.Sink))
			if err != nil {
				return err
			}
			rec := dv.Record
			if len(rec) >= headerLen {
				rec = append([]byte(nil), rec...)
				binary.BigEndian.PutUint32(rec[attemptsOffset:], 0)
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), rec); err != nil {
				return err
			}
			s := q.sink(dv.Sink)
			if s == nil {
				created = append(created, dv.Sink)
				continue
			}
			m := moved[s]
			moved[s] = [2]int64{m[0] + 1, m[1] + int64(len(rec))}
		}
		for _, k := range keys {
			if err := dead.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, errfmt.Errorf("eventqueue: replay: %w", err)
	}
	total := len(created)
	for s, m := range moved {
		total += int(m[0])
		q.mu.Lock()
		s.depth += m[0]
		q.bytes += m[1]
		q.mu.Unlock()
		s.bytes.Add(m[1])
		s.committed.Add(m[0])
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	q.deadCount.Add(-int64(total))
	return total, nil
}

// Purge deletes from every backlog the records of envID's visitors whose
// visitor id or anonymous id is in visitorIDs, except consent records
// ([hits.KindConsent]): what a visitor withdrawing consent requires. A
// batch already being sent is not recalled. It implements
// [github.com/seed27eed597/flagship-go/visitor.Purger].
func (q *Queue) Purge(ctx context.Context, envID string, visitorIDs ...string) error {
	if q.closed.Load() {
		return ErrClosed
	}
	if len(visitorIDs) == 0 {
		return nil
	}
	// Before commitNow, which takes q.mu: see forget.
	q.purgesStarted.Add(1)
	defer q.purgesFinished.Add(1)
	ids := make(map[string]bool, len(visitorIDs))
	for _, id := range visitorIDs {
		if id != "" {
			ids[id] = true
		}
	}
	// Records handed to the writer but not yet committed (a Buffered
	// queue's, or those of concurrent Enqueues) are committed first, so
	// that the purge sees them.
	q.gc.commitNow()
	type removed struct{ n, size int64 }
	gone := make([]removed, len(q.sinks))
	err := q.db.Update(func(tx *bolt.Tx) error {
		clear(gone)
		for _, s := range q.sinks {
			b := tx.Bucket(s.bucket)
			var keys [][]byte
			var size int64
			err := b.ForEach(func(k, v []byte) error {
				kind, env, vid, aid, _, ok := peekHeader(v)
				if ok && kind != hits.KindConsent && env == envID && (ids[vid] || ids[aid]) {
					keys = append(keys, append([]byte(nil), k...))
					size += int64(len(v))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			gone[s.index] = removed{int64(len(keys)), size}
		}
		return nil
	})
	if err != nil {
		return errfmt.Errorf("eventqueue: purge: %w", err)
	}
	for _, s := range q.sinks {
		if g := gone[s.index]; g.n > 0 {
			q.shrunk(s, g.n, g.size)
		}
	}
	return nil
}

// Compact rewrites the queue file at path with bbolt's compaction,
// returning the space of deleted records to the file system. The queue
// must not be open (Compact takes the file lock, waiting at most
// lockTimeout). The file is replaced atomically.
func Compact(path string, lockTimeout time.Duration) (before, after int64, err error) {
	if lockTimeout <= 0 {
		lockTimeout = DefaultLockTimeout
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	// The exclusive lock keeps SDKs and other compactions out until the
	// new file is in place (Open checks it opened the file at path).
	src, err := openDB(path, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	defer src.Close()
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	if err := bolt.Compact(dst, src, 64<<20); err != nil {
		_ = dst.Close()
		_ = os.Remove(tmp)
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	if err := dst.Close(); err != nil {
		_ = os.Remove(tmp)
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	nfi, err := os.Stat(tmp)
	if err != nil {
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return 0, 0, errfmt.Errorf("eventqueue: compact: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync() // make the rename durable
		_ = d.Close()
	}
	return fi.Size(), nfi.Size(), nil
}

package eventqueue

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

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
		return errfmt.Errorf("eventqueue: delete delivered records: %w", err)
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
	q.gc.addDeletes(delivered{s: s, items: items})
	close(q.progress) // delivered: Flush need not wait for the commit
	q.progress = make(chan struct{})
	q.mu.Unlock()
	q.gc.poke()
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
				return nil, errfmt.Errorf("eventqueue: delete delivered records: %w", err)
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

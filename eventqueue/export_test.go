package eventqueue

import (
	bolt "go.etcd.io/bbolt"
)

// Hooks for the external tests (package eventqueue_test).

// CommitCount returns the id of the queue file's last committed write
// transaction: it grows by one with each commit.
func CommitCount(q *Queue) uint64 {
	var id int
	_ = q.db.View(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	})
	return uint64(id)
}

// IsRunning reports whether Run is running.
func IsRunning(q *Queue) bool { return q.running.Load() != 0 }

// LeafFill returns how full the leaf pages of sink's backlog are, from 0
// to 1.
func LeafFill(q *Queue, sink string) float64 {
	var fill float64
	_ = q.db.View(func(tx *bolt.Tx) error {
		st := tx.Bucket([]byte(sinkPrefix + sink)).Stats()
		if st.LeafPageN > 0 {
			fill = float64(st.LeafInuse) / float64(st.LeafPageN*q.db.Info().PageSize)
		}
		return nil
	})
	return fill
}

// Fsyncs reports whether commits are fsynced (bbolt's NoSync is off).
func Fsyncs(q *Queue) bool { return !q.db.NoSync }

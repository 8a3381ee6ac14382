package eventqueue

import "sync"

// Hooks for the EnqueueAsync tests (package eventqueue_test).

// HoldCommits blocks every commit of q, the writer's and a Durable
// Enqueue's, until the returned release is called (release is
// idempotent).
func HoldCommits(q *Queue) (release func()) {
	q.gc.commitMu.Lock()
	var once sync.Once
	return func() { once.Do(q.gc.commitMu.Unlock) }
}

// CloseFile closes q's bbolt file under it, so that its next commit
// fails; q.Close still works (bbolt's Close is idempotent).
func CloseFile(q *Queue) error { return q.db.Close() }

package eventqueue

import (
	"context"
	"sync"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
)

// groupCommit gathers what is to be written (new records and the deletes
// of delivered ones) into groups and commits each group in one
// transaction, in the manner of bbolt's DB.Batch, but without a fixed
// delay: a group is committed as soon as the previous commit ends, so
// concurrent callers share one fsync and a lone caller waits for nobody.
//
// Contract:
//   - join and addDeletes put work in the pending group and return it;
//     the group's done channel is closed once its commit ended, and its
//     err is then the commit's error. Every group handed out is
//     committed: by the writer goroutine, by commitNow, by a caller
//     that won tryCommit, or by stop's last commit.
//   - At most one group commits at a time (commitMu), and groups commit
//     in the order they were formed.
//   - commit, set before start, runs one group's transaction and its
//     accounting; it is called with commitMu held and must not call back
//     into the groupCommit. What it reports is logged by report, after
//     commitMu is released (a log handler may enqueue).
//   - After stop returns, the writer has exited and the last group is
//     committed; nobody may join afterwards (the Queue refuses records
//     once closed, under its own mutex, before it calls stop).
//
// Buffered queues set delay: the writer then gathers work for delay
// after it is woken before committing.
type groupCommit struct {
	commit func(*commitGroup) commitProblems
	report func(context.Context, commitProblems)
	delay  time.Duration

	// mu guards pending. Callers may hold Queue.mu when they take it,
	// never the reverse.
	mu      sync.Mutex
	pending *commitGroup
	spare   *commitGroup // a committed group whose buffers the next one reuses

	// commitMu is held while a group commits: by the writer, by
	// commitNow, or by a Durable Enqueue that found nobody committing and
	// commits the group itself, which saves the two goroutine handoffs of
	// a commit.
	commitMu sync.Mutex

	wake chan struct{} // size 1: work for the writer
	quit chan struct{} // closed by stop
	done chan struct{} // closed when the writer exits
}

// commitGroup is the work committed in one transaction.
type commitGroup struct {
	buf     []byte          // the stored forms of the new records, back to back
	recs    []pendingRecord // where each is in buf
	deletes []delivered
	async   int // records whose Enqueue did not wait (EnqueueAsync)
	done    chan struct{}
	err     error
}

// pendingRecord is a new record of a commit group.
type pendingRecord struct {
	from, to int    // its stored form is buf[from:to]
	targets  uint64 // bit i: sink i
}

// data returns the stored form of the group's i-th record.
func (g *commitGroup) data(i int) []byte { return g.buf[g.recs[i].from:g.recs[i].to] }

// maxSpareBuf bounds the buffer a group keeps for the next ones.
const maxSpareBuf = 1 << 20

// commitProblems is what a commit has to report.
type commitProblems struct {
	err     error // the commit failed
	records int   // records it carried
	async   int   // of which no Enqueue waited for: they are lost
}

// start starts the writer goroutine; stop ends it.
func (c *groupCommit) start() {
	c.pending = &commitGroup{done: make(chan struct{})}
	c.wake = make(chan struct{}, 1)
	c.quit = make(chan struct{})
	c.done = make(chan struct{})
	go c.writer()
}

// join adds r for the sinks in targets to the pending group and returns
// the group. async says nobody waits for it. The group keeps a copy of
// r's binary form, in one buffer for all its records.
func (c *groupCommit) join(r *hits.Record, targets uint64, async bool) *commitGroup {
	c.mu.Lock()
	g := c.pending
	from := len(g.buf)
	g.buf, _ = r.AppendBinary(g.buf) // r is not the zero Record: Enqueue checked
	g.recs = append(g.recs, pendingRecord{from: from, to: len(g.buf), targets: targets})
	if async {
		g.async++
	}
	c.mu.Unlock()
	return g
}

// addDeletes adds the deletes of delivered records to the pending group.
func (c *groupCommit) addDeletes(d delivered) {
	c.mu.Lock()
	c.pending.deletes = append(c.pending.deletes, d)
	c.mu.Unlock()
}

// poke wakes the writer.
func (c *groupCommit) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// tryCommit commits the pending group on the caller's goroutine if no
// commit is running, and reports whether it did. The group committed is
// the caller's, or a later one that includes it if the writer took the
// caller's meanwhile. Otherwise it wakes the writer.
func (c *groupCommit) tryCommit(ctx context.Context) bool {
	if !c.commitMu.TryLock() {
		c.poke()
		return false
	}
	p := c.commitPending()
	c.commitMu.Unlock()
	c.report(ctx, p)
	return true
}

// commitNow commits the pending group and waits for it.
func (c *groupCommit) commitNow() {
	c.commitMu.Lock()
	p := c.commitPending()
	c.commitMu.Unlock()
	c.report(context.Background(), p)
}

// commitPending takes the pending group and commits it; commitMu is held.
func (c *groupCommit) commitPending() commitProblems {
	c.mu.Lock()
	g := c.pending
	if len(g.recs) == 0 && len(g.deletes) == 0 {
		c.mu.Unlock()
		return commitProblems{}
	}
	next := &commitGroup{done: make(chan struct{})}
	if c.spare != nil {
		next.buf, next.recs = c.spare.buf[:0], c.spare.recs[:0]
		c.spare = nil
	}
	c.pending = next
	c.mu.Unlock()
	p := c.commit(g)
	g.err = p.err
	close(g.done)
	// Nobody reads g's buffers after its commit (waiters read err): the
	// next group after this one may write over them.
	if cap(g.buf) <= maxSpareBuf {
		c.mu.Lock()
		c.spare = &commitGroup{buf: g.buf, recs: g.recs}
		c.mu.Unlock()
	}
	return p
}

// writer commits the pending group whenever it is woken, until stop.
func (c *groupCommit) writer() {
	defer close(c.done)
	var delay *time.Timer
	if c.delay > 0 {
		delay = time.NewTimer(time.Hour)
		delay.Stop()
		defer delay.Stop()
	}
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			c.commitNow()
			return
		}
		if delay != nil {
			delay.Reset(c.delay)
			select {
			case <-delay.C:
			case <-c.quit:
			}
		}
		c.commitNow()
	}
}

// stop commits what is pending and ends the writer.
func (c *groupCommit) stop() {
	close(c.quit)
	<-c.done
}

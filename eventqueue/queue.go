package eventqueue

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. Each sink's backlog is the bucket sinkPrefix+name.
var (
	metaBucket = []byte("meta")
	deadBucket = []byte("dead")
)

const (
	sinkPrefix  = "sink:"
	fileVersion = "1"
)

// Queue is a durable, bounded queue of hit records on one bbolt file,
// with one backlog per sink. [Queue.Enqueue] stores a record for every
// sink that takes its kind; [Queue.Run] delivers each backlog through its
// sink, in order, deleting records only once the sink confirmed them.
// Delivery is at least once: after a crash or a failed confirmation a
// record may be sent again, with the same ID.
//
// A Queue is safe for concurrent use. One process at a time may open a
// file.
type Queue struct {
	db    *bolt.DB
	path  string
	opts  Options
	log   *slog.Logger
	sinks []*sinkState // configured sinks first, then leftover backlogs without a sink

	// mu guards the capacity accounting and the pending commit group.
	mu       sync.Mutex
	bytes    int64 // stored plus reserved bytes of all backlogs
	full     bool  // the last Enqueue found the queue full
	group    *commitGroup
	progress chan struct{} // closed and replaced when a backlog shrinks

	wake       chan struct{} // size 1: work for the writer
	quit       chan struct{} // closed by Close
	writerDone chan struct{}
	runWG      sync.WaitGroup
	running    atomic.Int32
	closed     atomic.Bool
	closeOnce  sync.Once
	closeErr   error

	// commitMu is held while a group commits: by the writer, or by a
	// Durable Enqueue that found nobody committing and commits the group
	// itself, which saves the two goroutine handoffs of a commit.
	commitMu sync.Mutex

	enqueued     atomic.Uint64
	rejectedFull atomic.Uint64
	// Purges started and finished: a dispatcher whose batch was out
	// while a Purge ran deletes the delivered records itself (see send).
	purgesStarted, purgesFinished atomic.Uint64
	// deadMu serializes the transactions that change the dead letters,
	// each with its update of deadCount.
	deadMu    sync.Mutex
	deadCount atomic.Int64
}

// sinkState is a sink's backlog and counters.
type sinkState struct {
	cfg    SinkConfig
	bucket []byte
	index  int
	kinds  uint8         // bit k set: takes hits.Kind k; 0 for a leftover backlog
	notify chan struct{} // size 1: the backlog grew
	urgent atomic.Int32  // > 0 while a Flush waits: send partial batches now

	depth     int64 // guarded by Queue.mu: stored plus reserved records
	committed atomic.Int64
	bytes     atomic.Int64 // stored bytes

	// Delivered records are deleted by the writer's next commit; until
	// then they stay in committed and reads start after them.
	deleting atomic.Int64 // delivered records not yet deleted
	from     uint64       // owned by the dispatcher: the next sequence number to read
	// purges is Queue.purgesFinished when the dispatcher read its batch
	// (owned by the dispatcher).
	purges uint64
	rewind atomic.Bool // a delete failed: read from the start again

	sent, retried, dead, expired, batches atomic.Uint64
	lastLatency                           atomic.Int64
}

func (s *sinkState) takes(k hits.Kind) bool { return k < 8 && s.kinds&(1<<k) != 0 }

// commitGroup is the records the writer commits in one transaction.
type commitGroup struct {
	data    [][]byte
	targets []uint64 // bit i: sink i
	deletes []delivered
	async   int // records whose Enqueue did not wait (EnqueueAsync)
	done    chan struct{}
	err     error
}

// delivered is records of a sink that its Sink confirmed.
type delivered struct {
	s     *sinkState
	items []item
}

// Open opens (creating it and its directory if needed, with mode 0600)
// the queue file at path, and counts the backlogs it holds: records left
// by a previous run are delivered by the next Run. It fails with
// ErrQueueLocked if another process holds the file past
// Options.LockTimeout, and with ErrInvalidOptions for bad options.
//
// Close the Queue when done.
func Open(path string, opts Options) (*Queue, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrInvalidOptions)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("eventqueue: open %s: %w", path, err)
	}
	db, err := openDB(path, &bolt.Options{Timeout: opts.LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return nil, err
	}
	q := &Queue{
		db:         db,
		path:       path,
		opts:       opts,
		log:        opts.Logger.With("component", "eventqueue"),
		group:      &commitGroup{done: make(chan struct{})},
		progress:   make(chan struct{}),
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	if err := q.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	go q.writer()
	return q, nil
}

// load creates the buckets and counts what the file holds.
func (q *Queue) load() error {
	err := q.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(metaBucket) == nil && tx.ForEach(func([]byte, *bolt.Bucket) error { return errStop }) != nil {
			return fmt.Errorf("%w: a bbolt file without the queue's meta bucket", ErrNotQueueFile)
		}
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if v := meta.Get([]byte("version")); v == nil {
			if err := meta.Put([]byte("version"), []byte(fileVersion)); err != nil {
				return err
			}
		} else if string(v) != fileVersion {
			return fmt.Errorf("%w: file format %q, this version reads %q", ErrNotQueueFile, v, fileVersion)
		}
		if _, err := tx.CreateBucketIfNotExists(deadBucket); err != nil {
			return err
		}
		for i, sc := range q.opts.Sinks {
			s := &sinkState{cfg: sc, bucket: []byte(sinkPrefix + sc.Name), index: i, notify: make(chan struct{}, 1)}
			if len(sc.Kinds) == 0 {
				s.kinds = 1<<hits.KindHit | 1<<hits.KindActivation | 1<<hits.KindConsent
			}
			for _, k := range sc.Kinds {
				s.kinds |= 1 << k
			}
			if _, err := tx.CreateBucketIfNotExists(s.bucket); err != nil {
				return err
			}
			q.sinks = append(q.sinks, s)
		}
		// Backlogs of sinks no longer configured stay readable.
		err = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			n, ok := strings.CutPrefix(string(name), sinkPrefix)
			if !ok || q.sink(n) != nil {
				return nil
			}
			// A copy: name points into the file's memory map, valid only
			// during the transaction.
			q.sinks = append(q.sinks, &sinkState{cfg: SinkConfig{Name: n}, bucket: []byte(sinkPrefix + n), index: len(q.sinks), notify: make(chan struct{}, 1)})
			return nil
		})
		if err != nil {
			return err
		}
		for _, s := range q.sinks {
			var n, size int64
			_ = tx.Bucket(s.bucket).ForEach(func(_, v []byte) error {
				n++
				size += int64(len(v))
				return nil
			})
			s.depth = n
			s.committed.Store(n)
			s.bytes.Store(size)
			q.bytes += size
			if n > 0 && s.kinds == 0 {
				q.log.Warn("backlog without a configured sink kept", slog.String("sink", s.cfg.Name), slog.Int64("records", n))
			}
		}
		q.deadCount.Store(int64(tx.Bucket(deadBucket).Stats().KeyN))
		return nil
	})
	if err != nil {
		return fmt.Errorf("eventqueue: open %s: %w", q.path, err)
	}
	if len(q.sinks) > 64 {
		return fmt.Errorf("%w: %d sinks, at most 64", ErrInvalidOptions, len(q.sinks))
	}
	return nil
}

// sink returns the sink named name, or nil.
func (q *Queue) sink(name string) *sinkState {
	for _, s := range q.sinks {
		if s.cfg.Name == name {
			return s
		}
	}
	return nil
}

// Path returns the queue file's path.
func (q *Queue) Path() string { return q.path }

// Enqueue stores r for every sink that takes its kind. In Durable mode it
// returns nil only once r is committed and fsynced; concurrent callers
// share one commit, which one of them may run. It fails, storing nothing,
// with ErrQueueFull when a backlog or the bytes are at their bound,
// ErrInvalidRecord for an invalid record or one no sink takes, ErrClosed
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
	if err := r.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRecord, err)
	}
	if y := r.Created.Year(); y < 1970 || y > 2200 {
		return fmt.Errorf("%w: creation time %v out of range", ErrInvalidRecord, r.Created)
	}
	var targets uint64
	n := 0
	for _, s := range q.sinks {
		if s.takes(r.Kind) {
			targets |= 1 << s.index
			n++
		}
	}
	if targets == 0 {
		return fmt.Errorf("%w: no sink takes %s records", ErrInvalidRecord, r.Kind)
	}
	data := appendEnvelope(make([]byte, 0, envelopeSize(&r)), &r, 0)
	size := int64(len(data)) * int64(n)

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
	g := q.group
	g.data = append(g.data, data)
	g.targets = append(g.targets, targets)
	if !wait {
		g.async++
	}
	q.mu.Unlock()
	q.enqueued.Add(1)
	if wait && q.commitMu.TryLock() {
		problems := q.commitPending() // g, or the later group if the writer took g meanwhile
		q.commitMu.Unlock()
		q.logCommit(ctx, problems)
	} else {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	if !wait {
		return nil
	}
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

// writer commits the pending group whenever there is one, until Close.
func (q *Queue) writer() {
	defer close(q.writerDone)
	var delay *time.Timer
	if q.opts.Durability == Buffered {
		delay = time.NewTimer(time.Hour)
		delay.Stop()
		defer delay.Stop()
	}
	for {
		select {
		case <-q.wake:
		case <-q.quit:
			q.runWG.Wait() // the dispatchers' last deletes join the last commit
			q.commitNow()
			return
		}
		if delay != nil {
			delay.Reset(q.opts.BufferDelay)
			select {
			case <-delay.C:
			case <-q.quit:
			}
		}
		q.commitNow()
	}
}

// commitNow commits the pending group, and then logs what went wrong:
// outside commitMu, since a log handler may Enqueue.
func (q *Queue) commitNow() {
	q.commitMu.Lock()
	problems := q.commitPending()
	q.commitMu.Unlock()
	q.logCommit(context.Background(), problems)
}

// commitProblems is what a commit has to report.
type commitProblems struct {
	err     error // the commit failed
	records int   // records it carried
	async   int   // of which no Enqueue waited for: they are lost
}

func (q *Queue) logCommit(ctx context.Context, p commitProblems) {
	if p.err == nil {
		return
	}
	q.log.LogAttrs(ctx, slog.LevelError, "commit failed", slog.Int("records", p.records), slog.Int("lost", p.async), slog.Any("err", p.err))
	if p.async > 0 {
		q.emit(ctx, Event{Kind: EventCommitFailed, N: p.async, Err: p.err})
	}
}

// commitPending commits the pending group (new records and the deletes of
// delivered ones) in one transaction.
func (q *Queue) commitPending() (problems commitProblems) {
	q.mu.Lock()
	g := q.group
	q.group = &commitGroup{done: make(chan struct{})}
	q.mu.Unlock()
	if len(g.data) == 0 && len(g.deletes) == 0 {
		close(g.done)
		return
	}
	var removed []removal
	err := q.db.Update(func(tx *bolt.Tx) error {
		if len(g.data) > 0 {
			buckets := make([]*bolt.Bucket, len(q.sinks))
			for _, s := range q.sinks {
				b := tx.Bucket(s.bucket)
				b.FillPercent = 1 // keys only ever grow: pack pages full
				buckets[s.index] = b
			}
			var key [8]byte
			for i, data := range g.data {
				for t := g.targets[i]; t != 0; t &= t - 1 {
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
		err = fmt.Errorf("eventqueue: commit: %w", err)
		problems.err, problems.records, problems.async = err, len(g.data), g.async
		for i, data := range g.data {
			for t := g.targets[i]; t != 0; t &= t - 1 {
				q.release(q.sinks[trailingZeros(t)], 1, int64(len(data)))
			}
		}
	} else {
		counts := make([]int64, len(q.sinks))
		sizes := make([]int64, len(q.sinks))
		for i, data := range g.data {
			for t := g.targets[i]; t != 0; t &= t - 1 {
				j := trailingZeros(t)
				counts[j]++
				sizes[j] += int64(len(data))
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
	g.err = err
	close(g.done)
	return problems
}

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }

// Close stops Run (waiting for it to return), commits what a Buffered
// queue still holds, and closes the file. Records not yet delivered stay
// in the file for the next Open. Use [Queue.Flush] first to deliver them.
// Close is idempotent.
func (q *Queue) Close() error {
	q.closeOnce.Do(func() {
		q.mu.Lock() // Enqueue checks closed under mu: nothing joins a group after this
		q.closed.Store(true)
		q.mu.Unlock()
		close(q.quit)
		q.runWG.Wait()
		<-q.writerDone
		q.closeErr = q.db.Close()
	})
	return q.closeErr
}

// emit sends e to Options.OnEvent.
func (q *Queue) emit(ctx context.Context, e Event) {
	if q.opts.OnEvent != nil {
		q.opts.OnEvent(ctx, e)
	}
}

func isTimeout(err error) bool { return errors.Is(err, berrors.ErrTimeout) }

// openDB opens the bbolt file at path. [Compact] replaces the file while
// holding its lock: a process that waited for that lock holds it on a
// file no longer at path, so openDB checks that path still names the file
// it opened, and opens again if not.
func openDB(path string, o *bolt.Options) (*bolt.DB, error) {
	for try := 0; ; try++ {
		before, statErr := os.Stat(path)
		db, err := bolt.Open(path, 0o600, o)
		if err != nil {
			if isTimeout(err) {
				return nil, fmt.Errorf("%w: %s (waited %v)", ErrQueueLocked, path, o.Timeout)
			}
			if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrVersionMismatch) || errors.Is(err, berrors.ErrChecksum) {
				return nil, fmt.Errorf("%w: %s: %w", ErrNotQueueFile, path, err)
			}
			return nil, fmt.Errorf("eventqueue: open %s: %w", path, err)
		}
		after, err := os.Stat(path)
		if err == nil && (statErr != nil || os.SameFile(before, after)) || try == 3 {
			return db, nil
		}
		_ = db.Close()
	}
}

var errStop = errors.New("stop")

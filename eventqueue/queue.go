package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
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
	sinks []*sinkState // configured sinks first, then leftover backlogs without a sink; fixed after Open

	// mu guards the capacity accounting (bytes, full, each sinkState's
	// depth) and progress, and makes closed final: Enqueue checks closed
	// and joins a commit group under mu, so nothing joins after Close.
	mu       sync.Mutex
	bytes    int64         // stored plus reserved bytes of all backlogs
	full     bool          // the last Enqueue found the queue full
	progress chan struct{} // closed and replaced when a backlog shrinks

	gc groupCommit // the writer: commits new records and deletes (groupcommit.go)

	quit      chan struct{} // closed by Close: stops Run and Flush
	runWG     sync.WaitGroup
	running   atomic.Int32
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	enqueued     atomic.Uint64
	rejectedFull atomic.Uint64
	// Purges started and finished: a dispatcher whose batch was out
	// while a Purge ran deletes the delivered records itself (see forget).
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

	// Owned by the dispatcher (split.go): the last batch whose records
	// were all refused alike, none delivered, since the last delivery;
	// and whether a systemic refusal is being reported (an episode).
	alike    refusal
	refusing bool

	sent, retried, dead, expired, batches atomic.Uint64
	lastLatency                           atomic.Int64
}

func (s *sinkState) takes(k hits.Kind) bool { return k < 8 && s.kinds&(1<<k) != 0 }

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
		db:       db,
		path:     path,
		opts:     opts,
		log:      opts.Logger.With("component", "eventqueue"),
		progress: make(chan struct{}),
		quit:     make(chan struct{}),
	}
	if err := q.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	q.gc.commit = q.commitGroup
	q.gc.report = q.logCommit
	if opts.Durability == Buffered {
		q.gc.delay = opts.BufferDelay
	}
	q.gc.start()
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
		return errfmt.Errorf("eventqueue: open %s: %w", q.path, err)
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
		q.runWG.Wait() // the dispatchers' last deletes join the last commit
		q.gc.stop()
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

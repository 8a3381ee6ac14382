package assignment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

const (
	// DefaultFileTTL is how long a [File] keeps a key after its last
	// Save when FileOptions.TTL is 0: 90 days, as Flagship's self-hosted
	// Decision API keeps its visitor cache.
	DefaultFileTTL = 90 * 24 * time.Hour
	// DefaultFileMaxEntries is how many keys a [File] holds when
	// FileOptions.MaxEntries is 0. With visitor ids of 36 bytes (UUIDs)
	// and 2-3 variation groups of 20-byte ids each, the file stays under
	// 64 MiB: 49.4 MiB measured after one million new visitors saved in
	// batches of 500 ([Cache]'s default), the pages of 100,000 keys plus
	// the free pages a Save needs for its new copies of the pages it
	// changes.
	DefaultFileMaxEntries = 100_000
	// DefaultFileLockTimeout is how long [OpenFile] waits for another
	// process to release the file when FileOptions.LockTimeout is 0.
	DefaultFileLockTimeout = time.Second
)

// fileMaxWarned bounds the corrupt keys a File remembers having warned
// about; later ones are logged at Debug.
const fileMaxWarned = 1024

// FileOptions configures a [File]. The zero value is valid: every zero
// field means its default.
type FileOptions struct {
	// TTL is how long a key is kept after its last Save; older keys read
	// as nil and are removed. 0 means DefaultFileTTL.
	TTL time.Duration
	// MaxEntries bounds the keys in the file, and so its size: beyond
	// it, Save removes the keys saved longest ago. 0 means
	// DefaultFileMaxEntries.
	MaxEntries int
	// LockTimeout is how long OpenFile waits for another process to
	// release the file before failing with ErrLocked. 0 means
	// DefaultFileLockTimeout.
	LockTimeout time.Duration
	// Now is the clock that dates saves and expiries. nil means
	// time.Now.
	Now func() time.Time
	// Logger receives warnings about corrupt values. nil means
	// slog.Default(). The File does not close or reconfigure it.
	Logger *slog.Logger
}

// File is a [Store] in a local bbolt file: sticky assignments survive
// restarts of a single process. Keys are kept for FileOptions.TTL after
// their last Save, and at most FileOptions.MaxEntries of them, the ones
// saved longest ago leaving first. Values use a compact binary encoding
// (not JSON).
//
// A File is safe for concurrent use. Every Load is one read transaction
// and does not wait for writes (except while bbolt grows the file); every Save and Delete is one write
// transaction, fsynced before it returns, so a crash loses nothing that
// a returned Save or Delete wrote, and a call cut short by a crash
// leaves nothing of itself. Writes are serialized and each costs an
// fsync (milliseconds), so the request path should reach a File through
// a [Cache], which batches writes behind requests.
//
// # Caveats
//
// One process may open a file at a time: [OpenFile] fails with
// [ErrLocked] after FileOptions.LockTimeout.
//
// OpenFile reads the whole file (it counts the keys and rebuilds the
// list of free pages, which is not written at each Save): about 50 ms
// for a full file in the page cache, a second or so from a cold disk.
//
// Like every bbolt file, it never shrinks: removed keys free pages that
// later Saves reuse, so its size follows the most keys it ever held.
type File struct {
	path       string
	ttl        time.Duration
	maxEntries int64
	now        func() time.Time
	log        *slog.Logger

	// mu guards db against Close: operations hold it for reading, Close
	// for writing.
	mu sync.RWMutex
	db *bolt.DB // nil once closed

	// wmu serializes Save and Delete, so that n is exact inside their
	// transactions.
	wmu sync.Mutex
	n   atomic.Int64 // keys in the assignments bucket

	warnMu sync.Mutex
	warned map[string]struct{} // corrupt keys already warned about
}

var _ Store = (*File)(nil)

// OpenFile opens the file at path, creating it (mode 0600) and its
// directory (mode 0700) if needed, and removes the keys that expired
// while it was closed, and any beyond FileOptions.MaxEntries.
//
// It fails with an error wrapping [ErrLocked] if another process holds
// the file past FileOptions.LockTimeout. Close the File when done.
func OpenFile(path string, o FileOptions) (*File, error) {
	if path == "" {
		return nil, errors.New("assignment: open: empty path")
	}
	f := &File{
		path:       path,
		ttl:        positiveOr(o.TTL, DefaultFileTTL),
		maxEntries: int64(positiveOr(o.MaxEntries, DefaultFileMaxEntries)),
		now:        o.Now,
		log:        o.Logger,
		warned:     make(map[string]struct{}),
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.Default()
	}
	f.log = f.log.With("component", "assignment")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, errfmt.Errorf("assignment: open %s: %w", path, err)
	}
	timeout := positiveOr(o.LockTimeout, DefaultFileLockTimeout)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v)", ErrLocked, path, timeout)
	}
	if err != nil {
		return nil, errfmt.Errorf("assignment: open %s: %w", path, err)
	}
	var n int64
	err = db.Update(func(tx *bolt.Tx) error {
		as, err := tx.CreateBucketIfNotExists([]byte(fileAssignments))
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucketIfNotExists([]byte(fileExpiry)); err != nil {
			return err
		}
		n = int64(as.Stats().KeyN)
		return f.prune(tx, f.nowMs(), -1, &n)
	})
	if err != nil {
		_ = db.Close()
		return nil, errfmt.Errorf("assignment: open %s: %w", path, err)
	}
	f.db = db
	f.n.Store(n)
	return f, nil
}

// positiveOr returns v if it is positive, else def.
func positiveOr[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// Path returns the path the File was opened with.
func (f *File) Path() string { return f.path }

// Len returns the number of keys stored, expired ones not yet removed
// included. After Close it returns the number at Close.
func (f *File) Len() int { return int(f.n.Load()) }

// Close closes the file, waiting for the calls in progress to finish.
// Later calls return [ErrClosed]. Close is idempotent: calls after the
// first return nil.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.db == nil {
		return nil
	}
	err := f.db.Close()
	f.db = nil
	if err != nil {
		return errfmt.Errorf("assignment: close %s: %w", f.path, err)
	}
	return nil
}

// Load implements [Store] in one read transaction. Each map it sets is
// decoded for this call: the caller may keep it. A key saved longer ago
// than FileOptions.TTL reads as nil. So does a value that cannot be
// decoded: it is logged at Warn (once per key) and replaced by the next
// Save of its key.
func (f *File) Load(ctx context.Context, keys []string, into []Assignments) error {
	if err := ctx.Err(); err != nil {
		return errfmt.Errorf("assignment: load: %w", err)
	}
	if len(into) < len(keys) {
		return fmt.Errorf("assignment: load: %d keys into %d elements", len(keys), len(into))
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return ErrClosed
	}
	cutoff := f.cutoff(f.nowMs())
	var corrupt []fileCorrupt
	err := f.db.View(func(tx *bolt.Tx) error {
		as := tx.Bucket([]byte(fileAssignments))
		for i, k := range keys {
			into[i] = nil
			v := as.Get([]byte(k))
			if v == nil {
				continue
			}
			savedAt, a, err := decodeFileValue(v)
			if err != nil {
				corrupt = append(corrupt, fileCorrupt{key: k, err: err})
				continue
			}
			if savedAt >= cutoff {
				into[i] = a
			}
		}
		return nil
	})
	if err != nil {
		return errfmt.Errorf("assignment: load: %w", err)
	}
	f.warnCorrupt(ctx, corrupt)
	return nil
}

// Save implements [Store] in one write transaction, fsynced before it
// returns. Each entry is merged with [Merge] into what its key holds (an
// expired or corrupt value counts as nothing) and its key's expiry is
// refreshed. An entry with no assignments only refreshes an existing
// key. The same transaction removes up to 10,000 expired keys and, if
// the file holds more than FileOptions.MaxEntries keys, the ones saved
// longest ago. Keys must be non-empty and at most 32,760 bytes.
func (f *File) Save(ctx context.Context, entries []Entry) error {
	if err := ctx.Err(); err != nil {
		return errfmt.Errorf("assignment: save: %w", err)
	}
	for _, e := range entries {
		if err := checkFileKey(e.Key); err != nil {
			return errfmt.Errorf("assignment: save: %w", err)
		}
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return ErrClosed
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	now := f.nowMs()
	cutoff := f.cutoff(now)
	n := f.n.Load()
	var replaced []string
	err := f.db.Update(func(tx *bolt.Tx) error {
		as, ex := tx.Bucket([]byte(fileAssignments)), tx.Bucket([]byte(fileExpiry))
		ex.FillPercent = 1 // keys are appended in time order
		// bbolt needs keys and values until the commit: they are cut
		// from arena, whose old arrays stay alive when it grows.
		arena := make([]byte, 0, 128*len(entries))
		expiry := make([][]byte, 0, len(entries))
		for _, e := range entries {
			start := len(arena)
			arena = append(arena, e.Key...)
			k := arena[start:len(arena):len(arena)]
			old := as.Get(k)
			var cur Assignments
			if old != nil {
				savedAt, a, err := decodeFileValue(old)
				if err != nil {
					replaced = append(replaced, e.Key)
					savedAt, _, err = decodeFileSavedAt(old)
				}
				if err == nil {
					start = len(arena)
					arena = appendFileExpiryKey(arena, savedAt, e.Key)
					if err := ex.Delete(arena[start:]); err != nil {
						return err
					}
				}
				if savedAt >= cutoff {
					cur = a
				}
			}
			if old == nil && len(e.Assignments) == 0 {
				continue
			}
			start = len(arena)
			arena = appendFileValue(arena, now, Merge(cur, e.Assignments))
			v := arena[start:len(arena):len(arena)]
			if err := as.Put(k, v); err != nil {
				return err
			}
			start = len(arena)
			arena = appendFileExpiryKey(arena, now, e.Key)
			expiry = append(expiry, arena[start:len(arena):len(arena)])
			if old == nil {
				n++
			}
		}
		// The new index keys share their time prefix: put in order, they
		// append to the last page instead of each moving half of a page
		// that holds the whole batch (quadratic in the batch size).
		slices.SortFunc(expiry, bytes.Compare)
		for _, xk := range expiry {
			if err := ex.Put(xk, nil); err != nil {
				return err
			}
		}
		return f.prune(tx, now, filePruneLimit, &n)
	})
	if err != nil {
		return errfmt.Errorf("assignment: save: %w", err)
	}
	f.n.Store(n)
	f.forgetWarned(replaced)
	return nil
}

// Delete implements [Store] in one write transaction, fsynced before it
// returns.
func (f *File) Delete(ctx context.Context, keys []string) error {
	if err := ctx.Err(); err != nil {
		return errfmt.Errorf("assignment: delete: %w", err)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.db == nil {
		return ErrClosed
	}
	f.wmu.Lock()
	defer f.wmu.Unlock()
	n := f.n.Load()
	err := f.db.Update(func(tx *bolt.Tx) error {
		as, ex := tx.Bucket([]byte(fileAssignments)), tx.Bucket([]byte(fileExpiry))
		for _, key := range keys {
			if checkFileKey(key) != nil {
				continue // never stored
			}
			k := []byte(key)
			v := as.Get(k)
			if v == nil {
				continue
			}
			if savedAt, _, err := decodeFileSavedAt(v); err == nil {
				if err := ex.Delete(appendFileExpiryKey(nil, savedAt, key)); err != nil {
					return err
				}
			}
			if err := as.Delete(k); err != nil {
				return err
			}
			n--
		}
		return nil
	})
	if err != nil {
		return errfmt.Errorf("assignment: delete: %w", err)
	}
	f.n.Store(n)
	f.forgetWarned(keys)
	return nil
}

// nowMs returns the time in unix milliseconds, never negative.
func (f *File) nowMs() int64 { return max(f.now().UnixMilli(), 0) }

// cutoff returns the saved-at time (unix ms) before which a key has
// expired at now.
func (f *File) cutoff(now int64) int64 { return now - f.ttl.Milliseconds() }

// fileCorrupt is a key whose value did not decode.
type fileCorrupt struct {
	key string
	err error
}

// warnCorrupt logs the corrupt values of c, at Warn the first time a key
// is seen (up to fileMaxWarned keys) and at Debug after that.
func (f *File) warnCorrupt(ctx context.Context, c []fileCorrupt) {
	for _, x := range c {
		f.warnMu.Lock()
		_, seen := f.warned[x.key]
		warn := !seen && len(f.warned) < fileMaxWarned
		if warn {
			f.warned[x.key] = struct{}{}
		}
		f.warnMu.Unlock()
		level := slog.LevelDebug
		if warn {
			level = slog.LevelWarn
		}
		f.log.LogAttrs(ctx, level, "corrupt assignments read as none until the next save",
			slog.String("path", f.path), slog.String("key", x.key), slog.Any("err", x.err))
	}
}

// forgetWarned forgets keys whose corrupt value was replaced or deleted.
func (f *File) forgetWarned(keys []string) {
	f.warnMu.Lock()
	defer f.warnMu.Unlock()
	if len(f.warned) == 0 {
		return
	}
	for _, k := range keys {
		delete(f.warned, k)
	}
}

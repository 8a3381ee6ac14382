package assignment

import "errors"

var (
	// ErrUnavailable is wrapped by [Cache.Load] when the store could not
	// be read (it failed, it took longer than the read budget, or the
	// breaker is open) and the cache is fail-closed: the decision must
	// not go on without the visitor's assignments.
	ErrUnavailable = errors.New("assignment: store unavailable")
	// ErrClosed is returned by a [File] or [Cache] after Close.
	ErrClosed = errors.New("assignment: store closed")
	// ErrLocked is wrapped by [OpenFile] when another process holds the
	// file past FileOptions.LockTimeout.
	ErrLocked = errors.New("assignment: file locked by another process")
	// ErrCorrupt wraps, in the log line a [File] writes, a stored value
	// that cannot be decoded; such a value reads as absent and the next
	// Save of its key replaces it.
	ErrCorrupt = errors.New("assignment: corrupt entry")
)

package eventqueue

import "errors"

// Errors callers can branch on with errors.Is.
var (
	// ErrQueueFull is returned by Enqueue when a sink's backlog has
	// reached Options.MaxRecords or the queued bytes Options.MaxBytes.
	// Nothing was stored.
	ErrQueueFull = errors.New("eventqueue: queue full")
	// ErrQueueLocked is returned by Open when another process holds the
	// file for longer than Options.LockTimeout.
	ErrQueueLocked = errors.New("eventqueue: queue file locked by another process")
	// ErrClosed is returned by calls on a closed Queue.
	ErrClosed = errors.New("eventqueue: queue closed")
	// ErrInvalidOptions wraps every problem with Options.
	ErrInvalidOptions = errors.New("eventqueue: invalid options")
	// ErrInvalidRecord is returned by Enqueue for a record that fails
	// [hits.Record.Validate].
	ErrInvalidRecord = errors.New("eventqueue: invalid record")
	// ErrCorrupt reports a stored record that cannot be decoded; the
	// queue moves such records to the dead letters.
	ErrCorrupt = errors.New("eventqueue: corrupt record")
	// ErrNotQueueFile is returned by Open for a file that is not a queue
	// file of a format this version reads (another bbolt file, or a
	// newer format). The file is left untouched.
	ErrNotQueueFile = errors.New("eventqueue: not a queue file")
	// ErrUnknownSink is returned for a sink name the file does not hold.
	ErrUnknownSink = errors.New("eventqueue: unknown sink")
)

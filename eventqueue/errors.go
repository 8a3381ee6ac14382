package eventqueue

import (
	"errors"
	"fmt"

	"github.com/seed27eed597/flagship-go/hits"
)

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
	// ErrInvalidRecord is returned by Enqueue for the zero [hits.Record]
	// (the only invalid one), a record no sink takes, or one too large
	// for a sink that takes it (a [*RecordTooLargeError]).
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

// RecordTooLargeError reports a record that a sink taking its kind could
// never carry: its size in the sink's encoding is over the sink's limit
// (see [RecordSizer]). Enqueue returns it and stores nothing. It wraps
// [ErrInvalidRecord] and [hits.ErrInvalidRecord].
type RecordTooLargeError struct {
	// Sink is the name of the sink (SinkConfig.Name).
	Sink string
	// RecordID is the record's id ([hits.Record.ID]).
	RecordID string
	// Size is the record's size in bytes in the sink's encoding.
	Size int
	// Limit is the largest size the sink carries.
	Limit int
}

// Error returns "eventqueue: invalid record: record <id> is <size> bytes
// for sink "<name>", over its limit of <limit> bytes".
func (e *RecordTooLargeError) Error() string {
	return fmt.Sprintf("%v: record %s is %d bytes for sink %q, over its limit of %d bytes", ErrInvalidRecord, e.RecordID, e.Size, e.Sink, e.Limit)
}

// Unwrap returns [ErrInvalidRecord] and [hits.ErrInvalidRecord].
func (e *RecordTooLargeError) Unwrap() []error {
	return []error{ErrInvalidRecord, hits.ErrInvalidRecord}
}

package flagship

import (
	"errors"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
)

// Sentinel errors returned by this package. Test for them with [errors.Is].
var (
	// ErrInvalidConfig reports a bad argument to [New]: an empty or
	// malformed environment id, an empty API key, an invalid option.
	ErrInvalidConfig = errors.New("flagship: invalid config")
	// ErrClosed is returned by every call that does I/O after
	// [Client.Close], the client's and its visitors' (Synchronize,
	// SendHit, Activate, SetConsent...), and by NewVisitor.
	ErrClosed = errors.New("flagship: client closed")
	// ErrNotReady reports a client without decision data: BUCKETING mode
	// before its first bucketing file. [New] returns it, with a working
	// client, when its ctx ends first: the client keeps downloading in
	// the background and becomes READY when the file arrives, and must
	// still be closed. Synchronize returns it until then. Either error
	// also wraps the last download's error, a [*bucketing.FetchError]
	// naming the URL, the status and the environment (never the key).
	ErrNotReady = errors.New("flagship: not ready")
	// ErrStorage reports that [New] could not use the disk: no cache
	// directory (no $HOME, see [WithCacheDir]), a directory or file that
	// cannot be created or opened (a read-only or full file system). The
	// error names the option to set: [WithCacheDir],
	// [DeliveryOptions].QueueFile, or [DeliveryOptions].InMemory to run
	// without a disk.
	ErrStorage = errors.New("flagship: storage unavailable")
	// ErrUnauthorized reports that Flagship refused the environment id or
	// API key (HTTP 401 or 403). It matches [decision.ErrUnauthorized] too.
	ErrUnauthorized = decision.ErrUnauthorized
	// ErrQueueFull is returned by SendHit and Activate when the queue is
	// at its limits ([DeliveryOptions].MaxRecords and MaxBytes): the
	// record was not stored. It is [eventqueue.ErrQueueFull].
	ErrQueueFull = eventqueue.ErrQueueFull
	// ErrQueueLocked is returned by [New] when another process holds the
	// queue file ([DeliveryOptions].QueueFile). It is
	// [eventqueue.ErrQueueLocked].
	ErrQueueLocked = eventqueue.ErrQueueLocked
)

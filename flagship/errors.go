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
	// ErrClosed is returned by calls made after [Client.Close].
	ErrClosed = errors.New("flagship: client closed")
	// ErrUnauthorized reports that Flagship refused the environment id or
	// API key (HTTP 401 or 403). It matches [decision.ErrUnauthorized] too.
	ErrUnauthorized = decision.ErrUnauthorized
	// ErrQueueFull is returned by SendHit and Activate when the queue is
	// at its limits ([WithQueueLimits]): the record was not stored. It is
	// [eventqueue.ErrQueueFull].
	ErrQueueFull = eventqueue.ErrQueueFull
	// ErrQueueLocked is returned by [New] when another process holds the
	// queue file ([WithQueueFile]). It is [eventqueue.ErrQueueLocked].
	ErrQueueLocked = eventqueue.ErrQueueLocked
)

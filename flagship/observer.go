package flagship

import (
	"context"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
)

// An Observer measures what a client does, for metrics and tracing
// (github.com/seed27eed597/flagship-go/contrib/otel implements it with
// OpenTelemetry); the core imports no metrics library. Install one with
// [WithObserver].
//
// The client calls StartOp as each operation that takes time begins, on
// the goroutine running it, and the function StartOp returned once as it
// ends, with its outcome; the context StartOp returns is the one the
// operation runs under, so that a tracer can put its span there (and an
// instrumented HTTP client give its request span that parent). It gives
// every notification to OnNotification, as to a [NotificationHandler],
// and calls Attach once, from New, before anything else.
//
// The methods are called from the client's goroutines and from callers'
// goroutines, concurrently: they must be safe for concurrent use and
// return quickly (StartOp is on the request path: [OpDecide] is called
// for every Synchronize). Panics in them are not recovered, and they must
// not call Close.
type Observer interface {
	// Attach is called once by New with the client being built, before
	// it does anything. From then on the observer may read the client's
	// state when it likes, from any goroutine: Status, QueueStats,
	// AssignmentStats, BucketingStatus (zero values until New has wired
	// the queue, the bucketing file and the assignment cache). New or Close calls the function
	// Attach returns (nil: nothing to do) once, last, when the client is
	// released.
	Attach(c *Client) (detach func())
	// StartOp is called as op begins. It returns the context op runs
	// under and the function called once when op ends; it may return ctx
	// itself and a function that is not a closure, which allocates
	// nothing, or a nil function when it does not want the outcome (the
	// client then reads no clock for op: an observer sampling decisions
	// pays for the ones it samples only).
	StartOp(ctx context.Context, op Op) (context.Context, func(OpResult))
	// OnNotification receives every notification of the client.
	OnNotification(ctx context.Context, n Notification)
}

// WithObserver installs an [Observer], for metrics and tracing. It is
// called in addition to the notification handler of [WithNotifications].
func WithObserver(o Observer) Option {
	return optionFunc(func(c *config) {
		if o == nil {
			c.fail("nil Observer")
			return
		}
		c.observer = o
	})
}

// OpKind says what an [Op] is.
type OpKind uint8

const (
	// OpDecide: a visitor's decision (Synchronize). Op.Mode says how:
	// in DecisionAPI mode it is one call of the Decision API.
	OpDecide OpKind = iota + 1
	// OpFetchBucketing: one download of the bucketing file (BUCKETING
	// mode). Op.URL is the file's URL.
	OpFetchBucketing
	// OpSendBatch: one send of Op.N records to the destination Op.Sink.
	OpSendBatch
	// OpEnqueue: a record handed to the queue (Op.Record is its kind).
	// Op.Async reports that the call does not wait for the disk (the
	// records the SDK sends on its own on the request path).
	OpEnqueue
)

var opNames = [...]string{
	OpDecide:         "decide",
	OpFetchBucketing: "fetch bucketing",
	OpSendBatch:      "send batch",
	OpEnqueue:        "enqueue",
}

// String returns the operation's name, e.g. "send batch".
func (k OpKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return "OpKind(?)"
}

// Op describes an operation the client starts. Fields that do not apply
// to the Kind are zero. It holds no secret and no visitor data.
type Op struct {
	Kind OpKind
	// EnvID is the client's environment id.
	EnvID string
	// Mode is the client's decision mode.
	Mode Mode
	// URL is the address the operation calls, without credentials or
	// query: the Decision API's campaigns URL (OpDecide in DecisionAPI
	// mode) or the bucketing file's (OpFetchBucketing).
	URL string
	// Sink names the destination (OpSendBatch).
	Sink string
	// N is the number of records (OpSendBatch).
	N int
	// Record is the kind of the record (OpEnqueue).
	Record hits.Kind
	// Async is set for records queued without waiting for the disk
	// (OpEnqueue).
	Async bool
}

// OpResult is the outcome of an [Op].
type OpResult struct {
	Op Op
	// Start is when the operation began and Duration how long it took,
	// from the monotonic clock.
	Start    time.Time
	Duration time.Duration
	// Err is nil on success. For OpEnqueue it is the refusal: see
	// [RefusalReason].
	Err error
	// StatusCode is the HTTP status of a refusal (OpDecide in
	// DecisionAPI mode, OpSendBatch to an HTTP destination) and of every
	// answer to OpFetchBucketing (200 or 304 on success); 0 when no
	// answer came or the call succeeded.
	StatusCode int
	// Campaigns is the number of campaigns the visitor is assigned to
	// (OpDecide).
	Campaigns int
	// Panic reports a decision in panic mode (OpDecide).
	Panic bool
	// Changed reports that a download installed a new bucketing file
	// (OpFetchBucketing); false for a file not modified.
	Changed bool
}

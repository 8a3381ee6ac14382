package flagship

import (
	"errors"
	"fmt"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/visitor"
)

// DeliveryOptions configures how hits and activations leave the client:
// through a durable queue (one bbolt file) to Flagship's events and
// activation endpoints, to the sinks of Sinks, or to a Tracker instead.
// The zero value is valid: every field at its default. Negative numbers
// and durations are refused.
type DeliveryOptions struct {
	// QueueFile is the path of the queue file, which holds the hits and
	// activations not yet delivered and the dead letters. One process at
	// a time may use a file: New fails with an error wrapping
	// [ErrQueueLocked] when another holds it. "" means {cache
	// directory}/[QueueFileName].
	QueueFile string
	// InMemory keeps hits and activations in a bounded queue in memory
	// instead of the queue file: for read-only containers and hosts
	// without a cache directory. Delivery works as with the file
	// (batching, retries, MaxRecords and MaxBytes with [ErrQueueFull],
	// Sinks, [Client.Flush], [Client.QueueStats]), but nothing survives
	// the process: a crash, or a Close whose ctx ends first, loses what
	// was not delivered, and there are no dead letters (records refused
	// for good or expired are counted in QueueStats and logged at Error,
	// then dropped). New logs this once at Warn. BufferDelay has no
	// effect, and QueueFile may not be set.
	//
	// In [Bucketing] mode the client then also runs without files when
	// the cache directory cannot be used: the bucketing file is not
	// cached (a restart needs the network) and assignments are kept in
	// an [assignment.Memory] unless [AssignmentOptions].Store is given;
	// when the cache directory works, those files go in it as usual.
	// false, the default, means the queue file, and a New that cannot
	// use the disk fails with an error wrapping [ErrStorage].
	InMemory bool

	// BatchSize and FlushInterval set how the HTTP delivery batches: a
	// request leaves when it holds BatchSize records (1 to 1000) or
	// FlushInterval after its first record, whichever is first. 0 means
	// [eventqueue.DefaultBatchSize] (100) and
	// [eventqueue.DefaultFlushInterval] (5 s).
	BatchSize     int
	FlushInterval time.Duration
	// HitTimeout bounds each request delivering hits or activations. 0
	// means [DefaultHitTimeout].
	HitTimeout time.Duration
	// MaxAge is how long a record may wait for delivery to Flagship
	// before it is moved to the dead letters as expired. 0 means
	// [DefaultHitMaxAge].
	MaxAge time.Duration
	// RetryInitial and RetryMax set the waits between attempts to
	// deliver a batch that failed: exponential from RetryInitial,
	// jittered by ±50%, capped at RetryMax (which may not be below
	// RetryInitial), and never shorter than a Retry-After the server
	// asked for. Attempts go on until delivery or expiry (MaxAge). 0
	// means [eventqueue.DefaultRetryInitial] (1 s) and
	// [eventqueue.DefaultRetryMax] (1 min).
	RetryInitial, RetryMax time.Duration

	// MaxRecords and MaxBytes bound the queue: at most MaxRecords records
	// waiting per destination and MaxBytes stored bytes in all. Beyond
	// them, SendHit and Activate fail at once with an error wrapping
	// [ErrQueueFull]. 0 means [eventqueue.DefaultMaxRecords] and
	// [eventqueue.DefaultMaxBytes].
	MaxRecords int
	MaxBytes   int64
	// BufferDelay, when positive, trades durability for latency: SendHit
	// and Activate return before the record is on disk, and the queue
	// commits within BufferDelay. A crash loses what was not yet
	// committed; Close commits it. 0 means durable: each call returns
	// once its record is fsynced (calls made at the same time share one
	// fsync).
	BufferDelay time.Duration

	// ContextHitWindow is how long an unchanged context is not sent again
	// in a context hit for the same visitor id, whatever Visitor value
	// synchronizes (a service that makes a Visitor per request would
	// otherwise send one per request). A changed context is always sent.
	// 0 means [visitor.DefaultContextHitWindow] (30 minutes).
	ContextHitWindow time.Duration

	// Sinks are destinations added beside Flagship's: every record of the
	// kinds a sink takes is also delivered through its Sink, with its own
	// backlog and progress (in the queue file, or in memory with
	// InMemory), so that a slow destination
	// never holds back another. A sink gets what its SinkConfig says (the
	// batching, MaxAge and retry fields above are for Flagship's HTTP
	// delivery only). Each Name must be stable across restarts and differ
	// from [SinkHTTPHits] and [SinkHTTPActivations]. Default: none.
	Sinks []eventqueue.SinkConfig
	// NoHTTP stops delivering hits and activations to Flagship's events
	// and activation endpoints: records go only to Sinks, which must take
	// every kind between them (hits, activations, consents), or to
	// Tracker; for example to Kafka alone (see package
	// [github.com/seed27eed597/flagship-go/eventqueue/kafkasink]).
	// Flagship's reports then see none of this client's traffic. Backlogs
	// the HTTP sinks left in the queue file are kept and counted, not
	// sent. false, the default, runs the HTTP delivery beside any sink.
	NoHTTP bool
	// Tracker, when not nil, replaces the SDK's delivery: every record a
	// visitor emits goes to Tracker.Enqueue instead of the durable queue.
	// It stays the caller's; if it is a [visitor.AsyncTracker], the
	// records the SDK sends on its own go to its EnqueueAsync. The queue
	// file is still opened for Sinks. nil, the default, means the durable
	// queue.
	Tracker visitor.Tracker
}

func (o DeliveryOptions) batchSize() int { return orDefault(o.BatchSize, eventqueue.DefaultBatchSize) }

func (o DeliveryOptions) flushInterval() time.Duration {
	return orDefault(o.FlushInterval, eventqueue.DefaultFlushInterval)
}

func (o DeliveryOptions) hitTimeout() time.Duration {
	return orDefault(o.HitTimeout, DefaultHitTimeout)
}

func (o DeliveryOptions) maxAge() time.Duration { return orDefault(o.MaxAge, DefaultHitMaxAge) }

func (o DeliveryOptions) retryInitial() time.Duration {
	return orDefault(o.RetryInitial, eventqueue.DefaultRetryInitial)
}

func (o DeliveryOptions) retryMax() time.Duration {
	return orDefault(o.RetryMax, eventqueue.DefaultRetryMax)
}

func (o DeliveryOptions) maxRecords() int {
	return orDefault(o.MaxRecords, eventqueue.DefaultMaxRecords)
}

func (o DeliveryOptions) maxBytes() int64 { return orDefault(o.MaxBytes, eventqueue.DefaultMaxBytes) }

func (o DeliveryOptions) contextHitWindow() time.Duration {
	return orDefault(o.ContextHitWindow, visitor.DefaultContextHitWindow)
}

// durability returns Buffered when BufferDelay is positive.
func (o DeliveryOptions) durability() eventqueue.Durability {
	if o.BufferDelay > 0 {
		return eventqueue.Buffered
	}
	return eventqueue.Durable
}

// check returns every problem of o, each naming its field.
func (o DeliveryOptions) check() []error {
	var errs []error
	if o.BatchSize < 0 || o.BatchSize > 1000 {
		errs = append(errs, fmt.Errorf("DeliveryOptions.BatchSize %d: want 1 to 1000, or 0 for the default", o.BatchSize))
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"FlushInterval", o.FlushInterval},
		{"HitTimeout", o.HitTimeout},
		{"MaxAge", o.MaxAge},
		{"RetryInitial", o.RetryInitial},
		{"RetryMax", o.RetryMax},
		{"BufferDelay", o.BufferDelay},
		{"ContextHitWindow", o.ContextHitWindow},
	} {
		errs = nonNegative(errs, "DeliveryOptions."+f.name, f.d)
	}
	if o.RetryInitial >= 0 && o.RetryMax >= 0 && o.retryMax() < o.retryInitial() {
		errs = append(errs, fmt.Errorf("DeliveryOptions.RetryMax %v is below RetryInitial %v", o.retryMax(), o.retryInitial()))
	}
	if o.InMemory && o.QueueFile != "" {
		errs = append(errs, errors.New("DeliveryOptions.QueueFile with InMemory: the queue is either a file or in memory"))
	}
	if o.MaxRecords < 0 {
		errs = append(errs, fmt.Errorf("DeliveryOptions.MaxRecords %d: want a positive limit, or 0 for the default", o.MaxRecords))
	}
	if o.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("DeliveryOptions.MaxBytes %d: want a positive limit, or 0 for the default", o.MaxBytes))
	}
	for i, s := range o.Sinks {
		switch {
		case s.Sink == nil:
			errs = append(errs, fmt.Errorf("DeliveryOptions.Sinks[%d] %q: nil Sink", i, s.Name))
		case s.Name == SinkHTTPHits || s.Name == SinkHTTPActivations:
			errs = append(errs, fmt.Errorf("DeliveryOptions.Sinks[%d]: name %q is reserved", i, s.Name))
		}
	}
	return errs
}

// orDefault returns v, or def if v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
)

// Record is a queued [hits.Record] together with the queue's bookkeeping
// for one sink. Sinks receive Records and must not modify them.
type Record struct {
	hits.Record
	// Seq is the record's position in its sink's backlog: strictly
	// increasing in enqueue order.
	Seq uint64
	// Attempts counts the failed deliveries of this record to this sink
	// so far (0 on the first try).
	Attempts uint32
}

// A Sink delivers a batch of queued records somewhere: Flagship's HTTP
// endpoints ([github.com/seed27eed597/flagship-go/eventqueue/httpsink]),
// Kafka, a test recorder.
//
// The queue calls Send from one goroutine per sink, with batches in
// enqueue order, and deletes the records only after Send returns nil.
// Send must honour ctx. An error is retried with backoff unless it is
// marked with [Permanent]; wrap it with [RetryAfter] to ask for a delay;
// return [Partial] when some records were delivered and others not.
// Send must not keep batch after it returns.
type Sink interface {
	Send(ctx context.Context, batch []Record) error
}

// SinkFunc adapts a function to a [Sink].
type SinkFunc func(ctx context.Context, batch []Record) error

// Send calls f(ctx, batch).
func (f SinkFunc) Send(ctx context.Context, batch []Record) error { return f(ctx, batch) }

// permanentError marks an error that retrying will not fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as final: the sink will never accept the batch as
// it is (an HTTP 400, a schema error, a message too large). The queue then
// splits the batch to find the records at fault and moves only those to
// the dead letters, with err's message as the reason. Permanent(nil) is
// nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// [Permanent].
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// retryAfterError asks for a minimum delay before the next attempt.
type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// RetryAfter wraps a retryable err with the delay the receiver asked for
// (an HTTP Retry-After header): the queue waits at least d, and at most
// its sink's MaxRetryAfter, before the next attempt. RetryAfter(nil, d) is
// nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, d: d}
}

// RetryAfterOf returns the delay attached to err by [RetryAfter].
func RetryAfterOf(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.d, true
	}
	return 0, false
}

// partialError reports a batch delivered in part.
type partialError struct{ errs []error }

func (e *partialError) Error() string {
	n, first := 0, error(nil)
	for _, err := range e.errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if first == nil {
		return "eventqueue: batch delivered"
	}
	return fmt.Sprintf("%d of %d records not delivered: %v", n, len(e.errs), first)
}

// Unwrap returns the records' errors, so that [errors.Is] and
// [errors.As] look into them.
func (e *partialError) Unwrap() []error { return e.errs }

// Partial reports a batch the sink delivered in part, as destinations
// that confirm each record (or each partition of records) do: errs has
// one entry per record of the batch, nil for the records delivered.
//
// The queue deletes the delivered records at once and handles the others
// as if Send had failed for them alone: when every one of their errors
// is [Permanent], it isolates the records at fault (splitting as for a
// permanent batch error) and moves them to the dead letters; otherwise it
// retries them all with backoff. Partial returns nil when every entry is
// nil. If errs does not have one entry per record, the queue retries the
// whole batch.
func Partial(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return &partialError{errs: errs}
		}
	}
	return nil
}

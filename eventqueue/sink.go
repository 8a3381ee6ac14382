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
// marked with [Permanent] (the records' content is refused); mark a
// refusal of the destination itself with [Systemic]; wrap an error with
// [RetryAfter] to ask for a delay; return [Partial] when some records
// were delivered and others not. An error about one record's content
// should name the record (its ID), so that it never looks like its
// neighbours' (see "Refusals" in the package documentation). Send must
// not keep batch after it returns.
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

// Permanent marks err as final: the destination will never accept the
// batch as it is, because of its content (an HTTP 400 about an item, a
// schema error, a message too large). The queue then splits the batch to
// find the records at fault and moves only those to the dead letters,
// with err's message as the reason; but when every record of the batch
// is refused alike, and none is delivered, the refusal is taken for a
// [Systemic] one and nothing is dead-lettered. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// [Permanent] and not by [Systemic] (a systemic refusal is never final).
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p) && !IsSystemic(err)
}

// systemicError marks a refusal of the destination itself.
type systemicError struct{ err error }

func (e *systemicError) Error() string { return e.err.Error() }
func (e *systemicError) Unwrap() error { return e.err }

// Systemic marks err as a refusal of the destination itself, not of the
// records: a revoked or missing key (HTTP 401, 403, 407), a redirect, a
// wrong URL (404, 405), a Kafka ACL or SASL failure. No record is at
// fault, so none goes to the dead letters: the queue retries the batch
// with jittered backoff (at most the sink's RetryMax apart, or the
// [RetryAfter] delay), as long as the records live, and reports the
// refusal once per episode ([EventDestinationRefused] and a Warn log),
// until the sink delivers again (an Info log). An error marked both
// Systemic and [Permanent] is systemic. Systemic(nil) is nil.
func Systemic(err error) error {
	if err == nil {
		return nil
	}
	return &systemicError{err: err}
}

// IsSystemic reports whether err, or an error it wraps, was marked by
// [Systemic].
func IsSystemic(err error) bool {
	var s *systemicError
	return errors.As(err, &s)
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
// retries them all with backoff, reporting a [Systemic] entry as the
// refusal of the destination. Partial returns nil when every entry is
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

// PartialErrors returns the per-record errors of a [Partial] error that
// err is or wraps, and whether there is one: what a delivery loop other
// than the Queue's needs to honour Partial.
func PartialErrors(err error) ([]error, bool) {
	var pe *partialError
	if !errors.As(err, &pe) {
		return nil, false
	}
	return pe.errs, true
}

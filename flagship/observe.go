package flagship

import (
	"context"
	"errors"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// Refusal reasons of [RefusalReason].
const (
	RefusedFull     = "full"
	RefusedTooLarge = "too large"
	RefusedInvalid  = "invalid"
	RefusedClosed   = "closed"
	RefusedStorage  = "storage"
	RefusedOther    = "other"
)

// RefusalReason names, in a few fixed words fit for a metric label, why
// the queue refused a record: err is the OpResult.Err of an [OpEnqueue]
// (or the error of SendHit or Activate). It returns "" for nil.
func RefusalReason(err error) string {
	var tooLarge *eventqueue.RecordTooLargeError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, eventqueue.ErrQueueFull):
		return RefusedFull
	case errors.As(err, &tooLarge):
		return RefusedTooLarge
	case errors.Is(err, eventqueue.ErrInvalidRecord):
		return RefusedInvalid
	case errors.Is(err, ErrClosed), errors.Is(err, eventqueue.ErrClosed):
		return RefusedClosed
	case errors.Is(err, ErrStorage):
		return RefusedStorage
	}
	return RefusedOther
}

// startOp starts op with the observer, if any. end must be called with
// the outcome; it does nothing without an observer.
func (c *Client) startOp(ctx context.Context, op Op) (context.Context, opSpan) {
	if c.observer == nil {
		return ctx, opSpan{}
	}
	op.EnvID, op.Mode = c.envID, c.cfg.mode
	ctx, done := c.observer.StartOp(ctx, op)
	if done == nil {
		return ctx, opSpan{} // not measured: no clock read
	}
	return ctx, opSpan{op: op, start: time.Now(), done: done}
}

// opSpan is an operation started with the observer.
type opSpan struct {
	op    Op
	start time.Time
	done  func(OpResult)
}

// end reports the outcome r (its Op, Start and Duration are filled in).
func (s opSpan) end(r OpResult) {
	if s.done == nil {
		return
	}
	r.Op, r.Start, r.Duration = s.op, s.start, time.Since(s.start)
	s.done(r)
}

// decisionResult fills in what a decision's outcome tells.
func decisionResult(d decision.Decision, err error) OpResult {
	r := OpResult{Err: err, Campaigns: len(d.Campaigns), Panic: d.Panic}
	if err == nil {
		return r
	}
	if apiErr := (*decision.APIError)(nil); errors.As(err, &apiErr) {
		r.StatusCode = apiErr.StatusCode
	}
	return r
}

// opURL returns u as an Op shows it: without user information, query or
// fragment, which may hold secrets.
func opURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return httpx.PublicURL(p)
}

// bucketingWatch follows the downloads of the bucketing file: it reports
// them to the observer and notifies the end of a run of failures.
type bucketingWatch struct {
	c        *Client
	failures atomic.Int64
}

// startFetch is the poller's StartFetch.
func (w *bucketingWatch) startFetch(ctx context.Context) (context.Context, func(bucketing.FetchResult)) {
	c := w.c
	octx, span := c.startOp(ctx, Op{Kind: OpFetchBucketing, URL: c.fileURL})
	return octx, func(r bucketing.FetchResult) {
		span.end(OpResult{Err: r.Err, StatusCode: r.StatusCode, Changed: r.Changed})
		switch {
		case r.Err != nil && ctx.Err() == nil:
			w.failures.Add(1)
		case r.Err == nil:
			if n := w.failures.Swap(0); n > 0 {
				c.emit(ctx, Notification{Kind: NotifyBucketingRecovered, N: int(n)})
			}
		}
	}
}

// sendHook returns the queue's StartSend: nil without an observer.
func (c *Client) sendHook() func(context.Context, string, int) (context.Context, func(error)) {
	if c.observer == nil {
		return nil
	}
	return func(ctx context.Context, sink string, n int) (context.Context, func(error)) {
		ctx, span := c.startOp(ctx, Op{Kind: OpSendBatch, Sink: sink, N: n})
		return ctx, func(err error) {
			r := OpResult{Err: err}
			if se := (*httpsink.StatusError)(nil); errors.As(err, &se) {
				r.StatusCode = se.StatusCode
			}
			span.end(r)
		}
	}
}

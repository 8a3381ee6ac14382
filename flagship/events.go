package flagship

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind uint8

const (
	// EventStatusChanged: the client's status changed; Event.Status is the
	// new one and Event.Previous the old one.
	EventStatusChanged EventKind = iota + 1
	// EventBucketingUpdated: a new bucketing file is in use; Event.Source
	// says whether it came from "disk" or "network", Event.N is its number
	// of campaigns.
	EventBucketingUpdated
	// EventBucketingFailed: a download or cache write of the bucketing
	// file failed; the previous file stays in use. Event.Err says why.
	EventBucketingFailed
	// EventSynchronizeFailed: a visitor's Synchronize failed; it keeps its
	// previous flags. Event.VisitorID and Event.Err are set.
	EventSynchronizeFailed
	// EventActivationFailed: an activation on read could not be queued.
	// Event.VisitorID, Event.Key and Event.Err are set.
	EventActivationFailed
	// EventDeliveryFailed: records the SDK sends on its own (the consent
	// and context hits Synchronize owes, activations by activating reads)
	// could not be queued, and are retried by the next Synchronize
	// (Event.VisitorID set); or their commit to the queue file failed
	// after they were accepted, and they are lost (Event.VisitorID
	// empty). Event.N (the number of records) and Event.Err are set.
	// Failures of SendHit and Activate are returned to their caller
	// instead.
	EventDeliveryFailed
	// EventBatchSent: a destination confirmed Event.N records;
	// Event.Sink names it and Event.Duration is the send's latency.
	EventBatchSent
	// EventBatchFailed: a send of Event.N records to Event.Sink failed
	// with Event.Err; it is retried after Event.Duration.
	EventBatchFailed
	// EventDeadLettered: Event.N records for Event.Sink were moved to the
	// queue file's dead letters for Event.Reason ("expired", or the
	// destination's refusal). See the flagship queue command.
	EventDeadLettered
	// EventQueueFull: the queue reached its limits and refuses records
	// (Event.Err says which); reported once per episode.
	EventQueueFull
	// EventAssignmentStoreFailed: a read or write of the assignment store
	// failed or was slower than the read budget (Event.Reason: "load",
	// "save", "delete" or "writes dropped"; Event.N: keys; Event.Err).
	// Decisions go on without the visitor's assignments unless the cache
	// is fail-closed (see [WithAssignmentCache]).
	EventAssignmentStoreFailed
	// EventAssignmentStoreState: the assignment store's breaker changed
	// to Event.Reason ("open", "half-open" or "closed").
	EventAssignmentStoreState
)

var eventNames = [...]string{
	EventStatusChanged:     "status changed",
	EventBucketingUpdated:  "bucketing updated",
	EventBucketingFailed:   "bucketing failed",
	EventSynchronizeFailed: "synchronize failed",
	EventActivationFailed:  "activation failed",
	EventDeliveryFailed:    "delivery failed",
	EventBatchSent:         "batch sent",
	EventBatchFailed:       "batch failed",
	EventDeadLettered:      "dead lettered",
	EventQueueFull:         "queue full",

	EventAssignmentStoreFailed: "assignment store failed",
	EventAssignmentStoreState:  "assignment store state",
}

// String returns the kind in words, e.g. "status changed".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is something the SDK did or suffered, for metrics and alerts.
// Fields that do not apply to the Kind are zero.
type Event struct {
	Kind      EventKind
	Time      time.Time
	Status    Status // EventStatusChanged: the new status
	Previous  Status // EventStatusChanged: the old status
	Source    string // EventBucketingUpdated: "disk" or "network"
	VisitorID string
	Key       string // EventActivationFailed: the flag key
	Sink      string // pipeline events: the destination's name
	Reason    string // EventDeadLettered: why
	// Duration is the send's latency (EventBatchSent) or the wait before
	// the next attempt (EventBatchFailed).
	Duration time.Duration
	N        int
	Err      error
}

// EventHandler receives the SDK's events, mirroring the FlagshipEventHandler
// of Flagship's SDKs (on_log, on_exception_raised) with typed events.
//
// Its methods are called synchronously from the SDK's goroutines and from
// callers' goroutines, possibly concurrently: they must be safe for
// concurrent use and return quickly. Panics in them are not recovered.
// They may read the client (Status) but must not call Close, which waits
// for the goroutine running them. Status events of concurrent changes may
// arrive out of order; Client.Status is authoritative.
// Embed [NopEventHandler] to implement only some methods.
type EventHandler interface {
	// OnLog receives every record the SDK logs, at the levels its logger
	// enables (Flagship's on_log).
	OnLog(ctx context.Context, r slog.Record)
	// OnError receives every failure reported as an event (Flagship's
	// on_exception_raised): background failures no caller sees, and
	// Synchronize failures, which are also returned. Failures of calls
	// such as SendHit are only returned.
	OnError(ctx context.Context, err error)
	// OnEvent receives typed events. Failures are reported here and to
	// OnError.
	OnEvent(ctx context.Context, e Event)
}

// NopEventHandler does nothing. Embed it in an EventHandler to implement
// only the methods you need, and to keep compiling when methods are added.
type NopEventHandler struct{}

// OnLog does nothing.
func (NopEventHandler) OnLog(context.Context, slog.Record) {}

// OnError does nothing.
func (NopEventHandler) OnError(context.Context, error) {}

// OnEvent does nothing.
func (NopEventHandler) OnEvent(context.Context, Event) {}

// EventFunc adapts a function to an EventHandler that receives only
// typed events.
type EventFunc func(ctx context.Context, e Event)

// OnLog does nothing.
func (EventFunc) OnLog(context.Context, slog.Record) {}

// OnError does nothing: failures also arrive as events.
func (EventFunc) OnError(context.Context, error) {}

// OnEvent calls f.
func (f EventFunc) OnEvent(ctx context.Context, e Event) { f(ctx, e) }

// LogEvents returns an EventHandler that writes typed events to l: status
// changes and updates at Info, failures at Warn. nil means slog.Default().
// It ignores OnLog and OnError, which the logger already sees.
func LogEvents(l *slog.Logger) EventHandler {
	if l == nil {
		l = slog.Default()
	}
	return logEvents{l: l}
}

type logEvents struct {
	NopEventHandler
	l *slog.Logger
}

func (h logEvents) OnEvent(ctx context.Context, e Event) {
	level := slog.LevelInfo
	attrs := make([]slog.Attr, 0, 5)
	switch e.Kind {
	case EventStatusChanged:
		attrs = append(attrs, slog.String("status", e.Status.String()), slog.String("previous", e.Previous.String()))
	case EventBucketingUpdated:
		attrs = append(attrs, slog.String("source", e.Source), slog.Int("campaigns", e.N))
	}
	if e.VisitorID != "" {
		attrs = append(attrs, slog.String("visitor", e.VisitorID))
	}
	if e.Key != "" {
		attrs = append(attrs, slog.String("key", e.Key))
	}
	if e.Err != nil {
		level = slog.LevelWarn
		if e.N > 0 {
			attrs = append(attrs, slog.Int("records", e.N))
		}
		attrs = append(attrs, slog.Any("err", e.Err))
	}
	h.l.LogAttrs(ctx, level, "flagship: "+e.Kind.String(), attrs...)
}

// teeHandler sends log records to the logger's handler and to
// EventHandler.OnLog, with the attributes added by WithAttrs (group names
// are not applied to them).
type teeHandler struct {
	slog.Handler
	h     EventHandler
	attrs []slog.Attr
}

func (t teeHandler) Handle(ctx context.Context, r slog.Record) error {
	c := r.Clone()
	c.AddAttrs(t.attrs...)
	t.h.OnLog(ctx, c)
	return t.Handler.Handle(ctx, r)
}

func (t teeHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return teeHandler{t.Handler.WithAttrs(as), t.h, append(t.attrs[:len(t.attrs):len(t.attrs)], as...)}
}

func (t teeHandler) WithGroup(name string) slog.Handler {
	return teeHandler{t.Handler.WithGroup(name), t.h, t.attrs}
}

package flagship

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// NotificationKind says what a [Notification] reports.
type NotificationKind uint8

const (
	// NotifyStatusChanged: the client's status changed; Notification.Status
	// is the new one and Notification.Previous the old one.
	NotifyStatusChanged NotificationKind = iota + 1
	// NotifyBucketingUpdated: a new bucketing file is in use;
	// Notification.Source says whether it came from "disk" or "network",
	// Notification.N is its number of campaigns, Notification.Keys the
	// flag keys it changed.
	NotifyBucketingUpdated
	// NotifyBucketingFailed: a download or cache write of the bucketing
	// file failed; the previous file stays in use. Notification.Err says
	// why.
	NotifyBucketingFailed
	// NotifySynchronizeFailed: a visitor's Synchronize failed (the error
	// is also returned to its caller); it keeps its previous flags.
	// Notification.VisitorID and Notification.Err are set.
	NotifySynchronizeFailed
	// NotifyActivationFailed: an activation on read could not be queued.
	// Notification.VisitorID, Notification.Key and Notification.Err are
	// set.
	NotifyActivationFailed
	// NotifyDeliveryFailed: records the SDK sends on its own (the consent
	// and context hits Synchronize owes, activations by activating reads)
	// could not be queued, and are retried by the next Synchronize
	// (Notification.VisitorID set); or their commit to the queue file
	// failed after they were accepted, and they are lost
	// (Notification.VisitorID empty). Notification.N (the number of
	// records) and Notification.Err are set. Failures of SendHit and
	// Activate are returned to their caller instead.
	NotifyDeliveryFailed
	// NotifyBatchSent: a destination confirmed Notification.N records;
	// Notification.Sink names it and Notification.Duration is the send's
	// latency.
	NotifyBatchSent
	// NotifyBatchFailed: a send of Notification.N records to
	// Notification.Sink failed with Notification.Err; it is retried after
	// Notification.Duration.
	NotifyBatchFailed
	// NotifyDeadLettered: Notification.N records for Notification.Sink
	// were moved to the queue file's dead letters for Notification.Reason
	// ("expired", or the destination's refusal); see the flagship queue
	// command. With DeliveryOptions.InMemory, which keeps no dead
	// letters, they were dropped.
	NotifyDeadLettered
	// NotifyQueueFull: the queue reached its limits and refuses records
	// (Notification.Err says which); reported once per episode.
	NotifyQueueFull
	// NotifyAssignmentStoreFailed: a read or write of the assignment
	// store failed or was slower than the read budget
	// (Notification.Reason: "load", "save", "delete" or "writes dropped";
	// Notification.N: keys; Notification.Err). Decisions go on without the
	// visitor's assignments unless the cache is fail-closed (see
	// [AssignmentOptions]).
	NotifyAssignmentStoreFailed
	// NotifyAssignmentStoreState: the assignment store's breaker changed
	// to Notification.Reason ("open", "half-open" or "closed").
	NotifyAssignmentStoreState
	// NotifyDestinationRefused: Notification.Sink refuses delivery itself
	// (Notification.Err: a revoked key, a redirect, every record refused
	// alike; see eventqueue.Systemic). Nothing is dead-lettered: its
	// Notification.N records are retried after Notification.Duration
	// until it takes them. Reported once per episode; the sink's next
	// NotifyBatchSent ends it.
	NotifyDestinationRefused
	// NotifyBucketingRecovered: a download of the bucketing file
	// succeeded after Notification.N failed ones (each reported by
	// NotifyBucketingFailed); the file in use is current again.
	NotifyBucketingRecovered
)

var notificationNames = [...]string{
	NotifyStatusChanged:     "status changed",
	NotifyBucketingUpdated:  "bucketing updated",
	NotifyBucketingFailed:   "bucketing failed",
	NotifySynchronizeFailed: "synchronize failed",
	NotifyActivationFailed:  "activation failed",
	NotifyDeliveryFailed:    "delivery failed",
	NotifyBatchSent:         "batch sent",
	NotifyBatchFailed:       "batch failed",
	NotifyDeadLettered:      "dead lettered",
	NotifyQueueFull:         "queue full",

	NotifyAssignmentStoreFailed: "assignment store failed",
	NotifyAssignmentStoreState:  "assignment store state",
	NotifyDestinationRefused:    "destination refused",
	NotifyBucketingRecovered:    "bucketing recovered",
}

// String returns the kind in words, e.g. "status changed".
func (k NotificationKind) String() string {
	if int(k) < len(notificationNames) && notificationNames[k] != "" {
		return notificationNames[k]
	}
	return fmt.Sprintf("NotificationKind(%d)", uint8(k))
}

// Notification is something the SDK did or suffered, for metrics and
// alerts. Failures are notifications whose Err is set (Flagship's
// on_exception_raised). Fields that do not apply to the Kind are zero.
type Notification struct {
	Kind NotificationKind
	Time time.Time // from the client's clock (WithClock)
	// EnvID is the client's environment id, for handlers serving
	// several clients.
	EnvID    string
	Status   Status // NotifyStatusChanged: the new status
	Previous Status // NotifyStatusChanged: the old status
	Source   string // NotifyBucketingUpdated: "disk" or "network"
	// Keys are, for NotifyBucketingUpdated, the flag keys whose
	// definition (the campaigns setting them, their targeting,
	// allocations or values) differs from the previous file's: every key
	// of the first file loaded. Sorted; shared, do not modify.
	Keys      []string
	VisitorID string
	Key       string // NotifyActivationFailed: the flag key
	Sink      string // delivery notifications: the destination's name
	Reason    string // NotifyDeadLettered: why
	// Duration is the send's latency (NotifyBatchSent) or the wait before
	// the next attempt (NotifyBatchFailed, NotifyDestinationRefused).
	Duration time.Duration
	N        int
	Err      error // non-nil for failures
}

// A NotificationHandler receives the SDK's notifications (see
// [WithNotifications]); logs go to the logger only (see [WithLogger]).
//
// OnNotification is called synchronously from the SDK's goroutines and
// from callers' goroutines, possibly concurrently: it must be safe for
// concurrent use and return quickly. Panics in it are not recovered. It
// may read the client (Status) but must not call Close, which waits for
// the goroutine running it. Status notifications of concurrent changes
// may arrive out of order; Client.Status is authoritative.
type NotificationHandler interface {
	OnNotification(ctx context.Context, n Notification)
}

// NotificationFunc adapts a function to a [NotificationHandler].
type NotificationFunc func(ctx context.Context, n Notification)

// OnNotification calls f(ctx, n).
func (f NotificationFunc) OnNotification(ctx context.Context, n Notification) { f(ctx, n) }

// LogNotifications returns a NotificationHandler that writes
// notifications to l: status changes and updates at Info, failures at
// Warn. nil means slog.Default().
func LogNotifications(l *slog.Logger) NotificationHandler {
	if l == nil {
		l = slog.Default()
	}
	return logNotifications{l: l}
}

type logNotifications struct{ l *slog.Logger }

func (h logNotifications) OnNotification(ctx context.Context, n Notification) {
	level := slog.LevelInfo
	attrs := make([]slog.Attr, 0, 5)
	switch n.Kind {
	case NotifyStatusChanged:
		attrs = append(attrs, slog.String("status", n.Status.String()), slog.String("previous", n.Previous.String()))
	case NotifyBucketingUpdated:
		attrs = append(attrs, slog.String("source", n.Source), slog.Int("campaigns", n.N))
	}
	if n.VisitorID != "" {
		attrs = append(attrs, slog.String("visitor", n.VisitorID))
	}
	if n.Key != "" {
		attrs = append(attrs, slog.String("key", n.Key))
	}
	if n.Err != nil {
		level = slog.LevelWarn
		if n.N > 0 {
			attrs = append(attrs, slog.Int("records", n.N))
		}
		attrs = append(attrs, slog.Any("err", n.Err))
	}
	h.l.LogAttrs(ctx, level, "flagship: "+n.Kind.String(), attrs...)
}

// nopNotifications is the handler of a client without one.
type nopNotifications struct{}

func (nopNotifications) OnNotification(context.Context, Notification) {}

package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
)

// Durability says when Enqueue returns.
type Durability int

const (
	// Durable (the default): Enqueue returns nil only once the record is
	// committed and fsynced. Concurrent callers share one commit.
	Durable Durability = iota
	// Buffered: Enqueue returns once the record is handed to the writer,
	// which commits within Options.BufferDelay. A crash loses what was
	// not yet committed; Close commits it.
	Buffered
)

// Defaults for Options and SinkConfig.
const (
	DefaultLockTimeout    = time.Second
	DefaultMaxRecords     = 100_000
	DefaultMaxBytes       = 64 << 20
	DefaultMaxDeadLetters = 10_000
	DefaultBufferDelay    = 100 * time.Millisecond
	DefaultBatchSize      = 100
	DefaultFlushInterval  = 5 * time.Second
	DefaultSendTimeout    = 30 * time.Second
	DefaultRetryInitial   = time.Second
	DefaultRetryMax       = time.Minute
	DefaultMaxRetryAfter  = 10 * time.Minute
	maxBatchSize          = 10_000
)

// Options configures a [Queue]. The zero value opens a durable queue with
// the defaults and no sink (enough to inspect a file).
type Options struct {
	// Sinks are the destinations. Each has its own backlog in the file,
	// so a slow or dead sink never holds back another.
	Sinks []SinkConfig
	// LockTimeout bounds the wait for the file lock another process
	// holds; then Open fails with ErrQueueLocked. Default
	// DefaultLockTimeout.
	LockTimeout time.Duration
	// MaxRecords bounds each sink's backlog. Default DefaultMaxRecords.
	MaxRecords int
	// MaxBytes bounds the stored bytes of all backlogs together.
	// Default DefaultMaxBytes.
	MaxBytes int64
	// MaxDeadLetters bounds the dead letters; beyond it the oldest are
	// deleted (and logged). Default DefaultMaxDeadLetters.
	MaxDeadLetters int
	// Durability is Durable (the default) or Buffered.
	Durability Durability
	// BufferDelay is how long a Buffered queue gathers records before it
	// commits them. Default DefaultBufferDelay.
	BufferDelay time.Duration
	// Logger receives the queue's logs. Default slog.Default().
	Logger *slog.Logger
	// OnEvent, if set, receives pipeline events. It is called from the
	// dispatchers and, for EventQueueFull, from Enqueue's caller; it must
	// not block for long.
	OnEvent func(context.Context, Event)
	// StartSend, if set, is called as each Send of n records to the sink
	// named sink begins, on the dispatcher's goroutine, for tracing and
	// metrics: Send runs under the context it returns, and the function
	// it returns is called once Send returned, with its error. It must
	// return quickly; panics in it are not recovered.
	StartSend func(ctx context.Context, sink string, n int) (context.Context, func(error))
	// Now is the clock (record age, expiry). Default time.Now.
	Now func() time.Time
}

// SinkConfig is one destination of a [Queue].
type SinkConfig struct {
	// Name identifies the sink's backlog in the file: keep it stable
	// across restarts. 1 to 64 letters, digits, '-', '_' or '.'.
	Name string
	// Sink delivers the batches.
	Sink Sink
	// Kinds are the record kinds this sink takes; nil means all.
	Kinds []hits.Kind
	// BatchSize is the most records per Send. A batch is sent when it is
	// full or FlushInterval after its first record, whichever is first.
	// Default DefaultBatchSize.
	BatchSize int
	// FlushInterval: default DefaultFlushInterval.
	FlushInterval time.Duration
	// MaxAge, if positive, moves records older than it to the dead
	// letters with reason "expired" instead of sending them.
	MaxAge time.Duration
	// SendTimeout bounds each Send. Default DefaultSendTimeout.
	SendTimeout time.Duration
	// RetryInitial and RetryMax are the first and the largest delay of
	// the jittered exponential backoff after a failed Send. Defaults
	// DefaultRetryInitial and DefaultRetryMax. Retries go on forever
	// (records leave only by delivery, expiry or permanent rejection),
	// a [Systemic] refusal's included.
	RetryInitial, RetryMax time.Duration
	// MaxRetryAfter caps the delay a sink may ask for with [RetryAfter].
	// Default DefaultMaxRetryAfter.
	MaxRetryAfter time.Duration
}

func (o *Options) normalize() error {
	var errs []error
	def := func(d *time.Duration, v time.Duration, name string) {
		if *d < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", name, *d))
		}
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LockTimeout, DefaultLockTimeout, "LockTimeout")
	def(&o.BufferDelay, DefaultBufferDelay, "BufferDelay")
	if o.MaxRecords < 0 || o.MaxBytes < 0 || o.MaxDeadLetters < 0 {
		errs = append(errs, errors.New("MaxRecords, MaxBytes and MaxDeadLetters must not be negative"))
	}
	if o.MaxRecords == 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDeadLetters == 0 {
		o.MaxDeadLetters = DefaultMaxDeadLetters
	}
	if o.Durability != Durable && o.Durability != Buffered {
		errs = append(errs, fmt.Errorf("unknown Durability %d", o.Durability))
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	seen := map[string]bool{}
	sinks := make([]SinkConfig, len(o.Sinks))
	copy(sinks, o.Sinks)
	o.Sinks = sinks
	for i := range sinks {
		s := &sinks[i]
		if !validSinkName(s.Name) {
			errs = append(errs, fmt.Errorf("sink %d: name %q: want 1 to 64 letters, digits, '-', '_' or '.'", i, s.Name))
		} else if seen[s.Name] {
			errs = append(errs, fmt.Errorf("sink %q: duplicate name", s.Name))
		}
		seen[s.Name] = true
		if s.Sink == nil {
			errs = append(errs, fmt.Errorf("sink %q: nil Sink", s.Name))
		}
		for _, k := range s.Kinds {
			if k < hits.KindHit || k > hits.KindConsent {
				errs = append(errs, fmt.Errorf("sink %q: unknown kind %d", s.Name, k))
			}
		}
		if s.BatchSize < 0 || s.BatchSize > maxBatchSize {
			errs = append(errs, fmt.Errorf("sink %q: BatchSize %d: want 1 to %d", s.Name, s.BatchSize, maxBatchSize))
		}
		if s.BatchSize <= 0 {
			s.BatchSize = DefaultBatchSize
		}
		if s.MaxAge < 0 {
			errs = append(errs, fmt.Errorf("sink %q: MaxAge %v is negative", s.Name, s.MaxAge))
		}
		def(&s.FlushInterval, DefaultFlushInterval, "sink "+s.Name+": FlushInterval")
		def(&s.SendTimeout, DefaultSendTimeout, "sink "+s.Name+": SendTimeout")
		def(&s.RetryInitial, DefaultRetryInitial, "sink "+s.Name+": RetryInitial")
		def(&s.RetryMax, DefaultRetryMax, "sink "+s.Name+": RetryMax")
		def(&s.MaxRetryAfter, DefaultMaxRetryAfter, "sink "+s.Name+": MaxRetryAfter")
		if s.RetryMax < s.RetryInitial {
			s.RetryMax = s.RetryInitial
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return nil
}

func validSinkName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_' || b == '.') {
			return false
		}
	}
	return true
}

// EventKind says what happened in the pipeline.
type EventKind int

// Pipeline events.
const (
	// EventBatchSent: a sink confirmed N records in Latency.
	EventBatchSent EventKind = iota + 1
	// EventBatchFailed: a Send of N records failed with Err and will be
	// retried after Delay.
	EventBatchFailed
	// EventDeadLettered: N records moved to the dead letters for Reason.
	EventDeadLettered
	// EventQueueFull: Enqueue started refusing records (sent once per
	// episode; every refusal is counted in Stats.RejectedFull).
	EventQueueFull
	// EventCommitFailed: a commit failed with Err, losing N records
	// given by [Queue.EnqueueAsync] (records whose Enqueue waited got
	// the error instead).
	EventCommitFailed
	// EventDestinationRefused: the sink's destination refuses delivery
	// itself (Err is [Systemic]: a revoked key, a redirect, every record
	// of a batch refused alike). Nothing is dead-lettered: the batch of
	// N records is retried after Delay, and so on (each attempt is also
	// an EventBatchFailed). Sent once per episode: the episode ends with
	// the sink's next EventBatchSent.
	EventDestinationRefused
)

// String returns the event kind's name.
func (k EventKind) String() string {
	switch k {
	case EventBatchSent:
		return "batch sent"
	case EventBatchFailed:
		return "batch failed"
	case EventDeadLettered:
		return "dead lettered"
	case EventQueueFull:
		return "queue full"
	case EventCommitFailed:
		return "commit failed"
	case EventDestinationRefused:
		return "destination refused"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is a pipeline event passed to Options.OnEvent.
type Event struct {
	Kind    EventKind
	Sink    string        // the sink's name ("" for EventQueueFull)
	N       int           // records concerned
	Latency time.Duration // EventBatchSent: how long Send took
	Delay   time.Duration // EventBatchFailed, EventDestinationRefused: wait before the next attempt
	Reason  string        // EventDeadLettered: why
	Err     error         // EventBatchFailed, EventQueueFull, EventCommitFailed, EventDestinationRefused
}

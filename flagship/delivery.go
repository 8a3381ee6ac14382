package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Names of the HTTP sinks' backlogs in the queue file: hits and
// activations go to different endpoints, so each has its own progress.
const (
	SinkHTTPHits        = "http-hits"
	SinkHTTPActivations = "http-activations"
)

// QueueFileName is the queue file's name in the cache directory.
const QueueFileName = "queue.db"

// pipeline is the client's delivery queue: the durable one
// (*eventqueue.Queue) or DeliveryOptions.InMemory's (*memQueue).
type pipeline interface {
	visitor.AsyncTracker
	visitor.Purger
	Run(ctx context.Context) error
	Flush(ctx context.Context) error
	Close() error
	Stats() eventqueue.Stats
}

var (
	_ pipeline = (*eventqueue.Queue)(nil)
	_ pipeline = (*memQueue)(nil)
)

// openQueue opens the delivery queue (with the HTTP sinks unless the
// caller delivers records itself) and makes it the tracker: the queue
// file, or a queue in memory with DeliveryOptions.InMemory.
func (c *Client) openQueue(ctx context.Context, envID, apiKey string) error {
	cfg := &c.cfg
	d := cfg.delivery
	var sinks []eventqueue.SinkConfig
	if d.Tracker == nil && !d.NoHTTP {
		hs, err := httpsink.New(httpsink.Options{
			EventsURL:   cfg.endpoints.Events,
			ActivateURL: cfg.endpoints.Activate,
			APIKey:      apiKey,
			HTTPClient:  cfg.httpClient,
			Timeout:     d.hitTimeout(),
			Now:         cfg.now,
		})
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		c.httpSink = hs
		for _, s := range []eventqueue.SinkConfig{
			{Name: SinkHTTPHits, Kinds: []hits.Kind{hits.KindHit, hits.KindConsent}},
			{Name: SinkHTTPActivations, Kinds: []hits.Kind{hits.KindActivation}},
		} {
			s.Sink = hs
			s.BatchSize = d.batchSize()
			s.FlushInterval = d.flushInterval()
			s.MaxAge = d.maxAge()
			s.RetryInitial, s.RetryMax = d.retryInitial(), d.retryMax()
			sinks = append(sinks, s)
		}
	}
	sinks = append(sinks, d.Sinks...)
	q, err := c.newPipeline(ctx, envID, sinks)
	if err != nil {
		if c.httpSink != nil {
			c.httpSink.Close()
			c.httpSink = nil
		}
		return err
	}
	c.queue = q
	if d.Tracker == nil {
		c.tracker = q
	}
	return nil
}

// newPipeline returns the queue delivering to sinks: DeliveryOptions.InMemory's, or the queue file's.
func (c *Client) newPipeline(ctx context.Context, envID string, sinks []eventqueue.SinkConfig) (pipeline, error) {
	cfg := &c.cfg
	d := cfg.delivery
	if d.InMemory {
		q, err := newMemQueue(sinks, memQueueOptions{
			maxRecords: d.maxRecords(),
			maxBytes:   d.maxBytes(),
			logger:     c.logBase,
			onEvent:    c.queueEvent,
			startSend:  c.sendHook(),
			now:        cfg.now,
		})
		if err != nil {
			return nil, fmt.Errorf("%w: DeliveryOptions.Sinks: %w", ErrInvalidConfig, err)
		}
		c.log.LogAttrs(ctx, slog.LevelWarn, "hits and activations are kept in memory (DeliveryOptions.InMemory): a crash, or a Close cut short, loses those not yet delivered")
		return q, nil
	}
	path, err := cfg.queueFile(envID)
	if err != nil {
		return nil, err
	}
	hint := hintCacheDir
	if d.QueueFile != "" {
		hint = hintQueueFile
	}
	q, err := eventqueue.Open(path, eventqueue.Options{
		Sinks:       sinks,
		MaxRecords:  d.maxRecords(),
		MaxBytes:    d.maxBytes(),
		Durability:  d.durability(),
		BufferDelay: d.BufferDelay,
		Logger:      c.logBase, // the queue adds component=eventqueue
		OnEvent:     c.queueEvent,
		StartSend:   c.sendHook(),
		Now:         cfg.now,
	})
	switch {
	case err == nil:
		return q, nil
	case errors.Is(err, eventqueue.ErrQueueLocked):
		return nil, fmt.Errorf("flagship: %w", err)
	case errors.Is(err, eventqueue.ErrInvalidOptions):
		return nil, fmt.Errorf("%w: queue: %w", ErrInvalidConfig, err)
	}
	return nil, storageError("queue file", err, hint) // err names the path
}

// queueFile returns the path of the queue file: DeliveryOptions.QueueFile,
// or the default one in the cache directory (which eventqueue.Open
// creates), or an error wrapping ErrStorage when there is none.
func (c *config) queueFile(envID string) (string, error) {
	if c.delivery.QueueFile != "" {
		return c.delivery.QueueFile, nil
	}
	dir, err := c.cacheDirPath(envID)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, QueueFileName), nil
}

// startDelivery runs the queue's dispatchers until Close.
func (c *Client) startDelivery() {
	if c.queue == nil || c.cfg.delivery.Tracker != nil && len(c.cfg.delivery.Sinks) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stopDelivery = cancel
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.queue.Run(ctx); err != nil {
			c.log.Error("delivery stopped", slog.Any("err", err))
		}
	}()
}

// queueEvent turns a pipeline event into a notification.
func (c *Client) queueEvent(ctx context.Context, e eventqueue.Event) {
	var k NotificationKind
	var d time.Duration
	switch e.Kind {
	case eventqueue.EventBatchSent:
		k, d = NotifyBatchSent, e.Latency
	case eventqueue.EventBatchFailed:
		k, d = NotifyBatchFailed, e.Delay
	case eventqueue.EventDestinationRefused:
		k, d = NotifyDestinationRefused, e.Delay
	case eventqueue.EventDeadLettered:
		k = NotifyDeadLettered
	case eventqueue.EventQueueFull:
		k = NotifyQueueFull
	case eventqueue.EventCommitFailed:
		k = NotifyDeliveryFailed
	default:
		return
	}
	c.emit(ctx, Notification{Kind: k, Sink: e.Sink, N: e.N, Reason: e.Reason, Duration: d, Err: e.Err})
}

// Flush delivers what the queue holds now, without waiting for batches
// to fill, and returns when every destination confirmed every record. It
// returns ctx's error if ctx ends first (a destination down keeps its
// backlog, which stays on disk, or in memory with
// [DeliveryOptions].InMemory), nil at once when records go to a
// [DeliveryOptions].Tracker (and no sink), and ErrClosed after Close.
func (c *Client) Flush(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if c.stopDelivery == nil {
		return nil
	}
	if err := c.queue.Flush(ctx); err != nil {
		if errors.Is(err, eventqueue.ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("flagship: flush: %w", err)
	}
	return nil
}

// QueueStats returns the delivery counters: records enqueued, refused
// because the queue was full, and per destination the backlog (records,
// bytes, oldest age) and what was sent, retried, dead-lettered and
// expired, with the last send's latency. Counters stay readable after
// Close. It is the zero Stats when the client has no queue (see
// [DeliveryOptions].Tracker). With [DeliveryOptions].InMemory, dead
// letters are the records dropped (refused for good or expired), since
// none is kept.
func (c *Client) QueueStats() eventqueue.Stats {
	if !c.wired.Load() || c.queue == nil {
		return eventqueue.Stats{}
	}
	return c.queue.Stats()
}

// teeTracker gives each record to the queue (for DeliveryOptions.Sinks)
// and to the caller's tracker (DeliveryOptions.Tracker).
type teeTracker struct {
	queue   pipeline
	tracker visitor.Tracker
}

func (t teeTracker) Enqueue(ctx context.Context, r hits.Record) error {
	if err := t.queue.Enqueue(ctx, r); teeRefused(err) {
		return err
	}
	return t.tracker.Enqueue(ctx, r)
}

func (t teeTracker) EnqueueAsync(ctx context.Context, r hits.Record) error {
	if err := t.queue.EnqueueAsync(ctx, r); teeRefused(err) {
		return err
	}
	return t.tracker.Enqueue(ctx, r)
}

// teeRefused reports whether the queue's err refuses a record for the
// caller's tracker too. ErrInvalidRecord alone means that no sink of
// DeliveryOptions.Sinks takes the record's kind, which is not an error;
// a record too large for one of them is.
func teeRefused(err error) bool {
	var tooLarge *eventqueue.RecordTooLargeError
	return err != nil && (!errors.Is(err, eventqueue.ErrInvalidRecord) || errors.As(err, &tooLarge))
}

func (t teeTracker) Purge(ctx context.Context, envID string, visitorIDs ...string) error {
	err := t.queue.Purge(ctx, envID, visitorIDs...)
	if p, ok := t.tracker.(visitor.Purger); ok {
		err = errors.Join(err, p.Purge(ctx, envID, visitorIDs...))
	}
	return err
}

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

// openQueue opens the durable queue (with the HTTP sinks unless the
// caller delivers records itself) and makes it the tracker.
func (c *Client) openQueue(envID, apiKey string) error {
	cfg := &c.cfg
	path := cfg.queuePath
	if path == "" {
		path = filepath.Join(cfg.resolveCacheDir(envID), QueueFileName)
	}
	var sinks []eventqueue.SinkConfig
	if cfg.tracker == nil && !cfg.noHTTPDelivery {
		hs, err := httpsink.New(httpsink.Options{
			EventsURL:   cfg.eventsURL,
			ActivateURL: cfg.activateURL,
			APIKey:      apiKey,
			HTTPClient:  cfg.httpClient,
			Timeout:     cfg.hitTimeout,
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
			s.BatchSize = cfg.batchSize
			s.FlushInterval = cfg.flushInterval
			s.MaxAge = cfg.hitMaxAge
			s.RetryInitial, s.RetryMax = cfg.retryInitial, cfg.retryMax
			sinks = append(sinks, s)
		}
	}
	sinks = append(sinks, cfg.sinks...)
	durability := eventqueue.Durable
	if cfg.bufferDelay > 0 {
		durability = eventqueue.Buffered
	}
	q, err := eventqueue.Open(path, eventqueue.Options{
		Sinks:       sinks,
		MaxRecords:  cfg.maxRecords,
		MaxBytes:    cfg.maxBytes,
		Durability:  durability,
		BufferDelay: cfg.bufferDelay,
		Logger:      c.log,
		OnEvent:     c.queueEvent,
		Now:         cfg.now,
	})
	if err != nil {
		if c.httpSink != nil {
			c.httpSink.Close()
		}
		if errors.Is(err, eventqueue.ErrQueueLocked) {
			return fmt.Errorf("flagship: %w", err)
		}
		return fmt.Errorf("%w: queue file: %w", ErrInvalidConfig, err)
	}
	c.queue = q
	if cfg.tracker == nil {
		c.tracker = q
	}
	return nil
}

// startDelivery runs the queue's dispatchers until Close.
func (c *Client) startDelivery() {
	if c.queue == nil || c.cfg.tracker != nil && len(c.cfg.sinks) == 0 {
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

// queueEvent turns a pipeline event into a client event.
func (c *Client) queueEvent(ctx context.Context, e eventqueue.Event) {
	var k EventKind
	var d time.Duration
	switch e.Kind {
	case eventqueue.EventBatchSent:
		k, d = EventBatchSent, e.Latency
	case eventqueue.EventBatchFailed:
		k, d = EventBatchFailed, e.Delay
	case eventqueue.EventDeadLettered:
		k = EventDeadLettered
	case eventqueue.EventQueueFull:
		k = EventQueueFull
	case eventqueue.EventCommitFailed:
		k = EventDeliveryFailed
	default:
		return
	}
	c.emit(ctx, Event{Kind: k, Sink: e.Sink, N: e.N, Reason: e.Reason, Duration: d, Err: e.Err})
}

// Flush delivers what the queue holds now, without waiting for batches
// to fill, and returns when every destination confirmed every record. It
// returns ctx's error if ctx ends first (a destination down keeps its
// backlog, which stays on disk), and nil at once when records go to a
// tracker given by [WithTracker].
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
// [WithTracker]).
func (c *Client) QueueStats() eventqueue.Stats {
	if c.queue == nil {
		return eventqueue.Stats{}
	}
	return c.queue.Stats()
}

// teeTracker gives each record to the queue (for the sinks of WithSink)
// and to the caller's tracker (WithTracker).
type teeTracker struct {
	queue   *eventqueue.Queue
	tracker visitor.Tracker
}

func (t teeTracker) Enqueue(ctx context.Context, r hits.Record) error {
	if err := t.queue.Enqueue(ctx, r); err != nil && !errors.Is(err, eventqueue.ErrInvalidRecord) {
		return err // ErrInvalidRecord: no sink of WithSink takes this kind
	}
	return t.tracker.Enqueue(ctx, r)
}

func (t teeTracker) EnqueueAsync(ctx context.Context, r hits.Record) error {
	if err := t.queue.EnqueueAsync(ctx, r); err != nil && !errors.Is(err, eventqueue.ErrInvalidRecord) {
		return err
	}
	return t.tracker.Enqueue(ctx, r)
}

func (t teeTracker) Purge(ctx context.Context, envID string, visitorIDs ...string) error {
	err := t.queue.Purge(ctx, envID, visitorIDs...)
	if p, ok := t.tracker.(visitor.Purger); ok {
		err = errors.Join(err, p.Purge(ctx, envID, visitorIDs...))
	}
	return err
}

package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/randid"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Client is the SDK's entry point: it holds the configuration, decides
// (remotely or locally), delivers hits, and creates visitors.
//
// A Client is safe for concurrent use. Create one per environment and
// process, share it, and Close it on shutdown.
type Client struct {
	envID  string
	cfg    config
	log    *slog.Logger // the client's own lines: component=flagship
	notify NotificationHandler
	// observer is WithObserver's (nil without one); detach is what its
	// Attach returned.
	observer Observer
	detach   func()
	// wired is set once New has assigned every field the state getters
	// (QueueStats, AssignmentStats, BucketingStatus, FlagDefined) read:
	// an Observer attached before may call them from other goroutines
	// while New still builds the client.
	wired atomic.Bool
	// subs are the handlers of Subscribe, copied on write.
	subsMu sync.Mutex
	subs   atomic.Pointer[[]*subscription]
	// logBase is WithLogger's logger, without a component: each package
	// the client wires gets it, or a logger derived from it, and labels
	// its lines with its own component, once.
	logBase *slog.Logger

	// httpClient sends every request: the Decision API's, the bucketing file's
	// and the hits'. Unless WithHTTPClient gave one, it is the client's
	// own, whose idle connections release closes once nothing uses it.
	httpClient httpx.Client

	decider decision.Decider // the mode's decider, wrapped by clientDecider
	// decideURL and fileURL are the Decision API's and the bucketing
	// file's URLs as an Op shows them.
	decideURL, fileURL string
	engine             *bucketing.Engine
	poller             *bucketing.Poller
	// refused receives a refusal (401, 403) of a download made before
	// the client was ready, for New to return. Buffered (1): the poller
	// never waits for New, which may have returned.
	refused chan error
	tracker visitor.Tracker

	// assignments is BUCKETING mode's assignment store as the engine uses
	// it: the cache (assignCache) in front of the store, or an in-memory
	// store. assignFile is the default store when the client opened it.
	assignments assignment.Store
	assignCache *assignment.Cache
	assignFile  *assignment.File

	queue        pipeline       // nil when records go to a tracker and no sink
	httpSink     *httpsink.Sink // nil when the tracker was given
	stopDelivery context.CancelFunc

	// statusMu makes each status change one step from a known previous
	// status; notifications are emitted after it is released.
	statusMu  sync.Mutex
	status    atomic.Int32
	readyOnce sync.Once
	ready     chan struct{} // closed when the status first leaves NOT_READY
	done      chan struct{} // closed by Close

	sentContexts *visitor.SentContexts // context hits sent, per visitor id
	ids          randid.Source         // the records' ids

	stop      context.CancelFunc // cancels the ctx background goroutines run under
	stopped   chan struct{}      // closed when Close has released everything
	wg        sync.WaitGroup
	closed    atomic.Bool
	closeOnce sync.Once
}

// New starts a client for the environment envID with the API key apiKey.
//
// In [DecisionAPI] mode (the default) it does no network I/O and is READY
// at once. In [Bucketing] mode it loads the last good bucketing file from
// the cache directory (so a restart works offline), then downloads the
// current one and polls it in the background; it waits for decision data
// only while ctx is live. If ctx ends first, New returns both a working
// client and an error wrapping [ErrNotReady] and the last download's error
// (a *bucketing.FetchError naming the URL, the status and the
// environment), as LaunchDarkly's SDK does on an initialization timeout:
//
//	c, err := flagship.New(ctx, envID, apiKey, flagship.WithMode(flagship.Bucketing))
//	if errors.Is(err, flagship.ErrNotReady) {
//		log.Print(err) // flags serve defaults until the file arrives
//	} else if err != nil {
//		return err // nothing is left running
//	}
//	defer c.Close(context.Background()) // in both cases
//
// The client keeps downloading in the background, retrying with backoff
// (1 s, 2 s, 4 s... up to the polling interval, the first failure of each
// run logged at Warn), and becomes READY when the file arrives (see
// [Client.WaitReady]); it must be closed as any other.
//
// Otherwise it fails, with nothing left running and a nil client, with an
// error wrapping [ErrInvalidConfig] for a bad argument or option,
// [ErrStorage] when the disk cannot be used (no cache directory, a
// read-only or full file system: the error names the option to set),
// [ErrQueueLocked] when another process holds the queue file, and
// [ErrUnauthorized] when Flagship refuses the environment on a download
// made before the client was ready.
func New(ctx context.Context, envID, apiKey string, opts ...Option) (*Client, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if err := validate(envID, apiKey, &cfg); err != nil {
		return nil, err
	}
	// Each component bounds its calls by its own timeout, so the client's
	// own HTTP client has none.
	hc := httpx.ClientFor(httpx.GuardRedirects(cfg.httpClient), 0)
	cfg.httpClient = hc.HTTP()
	c := &Client{envID: envID, cfg: cfg, notify: cfg.notify, httpClient: hc, ready: make(chan struct{}), done: make(chan struct{}),
		sentContexts: visitor.NewSentContexts(0, cfg.delivery.contextHitWindow())}
	if c.notify == nil {
		c.notify = nopNotifications{}
	}
	if o := cfg.observer; o != nil {
		c.observer = o
		c.detach = o.Attach(c)
	}
	logger := cfg.logger
	if logger == nil {
		logger = slog.Default()
	}
	c.logBase = logger
	c.log = logger.With("component", "flagship")
	runCtx, stop := context.WithCancel(context.Background())
	c.stop = stop

	ok := false
	defer func() {
		if !ok {
			c.shutdown()
		}
	}()
	if cfg.delivery.Tracker == nil || len(cfg.delivery.Sinks) > 0 {
		if err := c.openQueue(ctx, envID, apiKey); err != nil {
			return nil, err
		}
	}
	switch c.cfg.mode {
	case DecisionAPI:
		api, err := decision.NewAPIClient(envID, apiKey, decision.APIOptions{
			BaseURL:         cfg.endpoints.DecisionAPI,
			HTTPClient:      cfg.httpClient,
			Timeout:         cfg.decisionAPI.timeout(),
			ContextDefaults: visitor.PredefinedContext(),
		})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
		}
		c.decider = api
		c.decideURL = opURL(strings.TrimSuffix(cfg.endpoints.DecisionAPI, "/") + "/" + envID + "/campaigns")
		c.setStatus(ctx, StatusReady)
	case Bucketing:
		if err := c.startBucketing(ctx, runCtx); err != nil {
			return nil, err
		}
	}
	if t := cfg.delivery.Tracker; t != nil {
		c.tracker = t
		if len(cfg.delivery.Sinks) > 0 {
			// DeliveryOptions.Sinks are fed by the queue.
			c.tracker = teeTracker{queue: c.queue, tracker: t}
		}
	}
	c.wired.Store(true) // every field the getters read is set
	c.startDelivery()
	var notReady error
	if c.cfg.mode == Bucketing {
		err := c.waitFirstFile(ctx)
		if err != nil && !errors.Is(err, ErrNotReady) {
			return nil, err
		}
		notReady = err // with a working client, which keeps downloading
	}
	ok = true
	return c, notReady
}

// validate checks what the options cannot check alone.
func validate(envID, apiKey string, cfg *config) error {
	errs := cfg.check()
	if envID == "" {
		errs = append(errs, errors.New("empty environment id"))
	} else if len(envID) > 128 || !isIDChars(envID) {
		errs = append(errs, fmt.Errorf("environment id %q: want letters, digits, '-' or '_'", envID))
	}
	if apiKey == "" && cfg.mode == DecisionAPI {
		errs = append(errs, errors.New("empty API key (required in DECISION_API mode)"))
	}
	d := &cfg.delivery
	if d.NoHTTP && d.Tracker == nil && len(d.Sinks) == 0 {
		errs = append(errs, errors.New("DeliveryOptions.NoHTTP without Sinks or Tracker: records would go nowhere"))
	} else if d.NoHTTP && d.Tracker == nil {
		for _, k := range []hits.Kind{hits.KindHit, hits.KindActivation, hits.KindConsent} {
			if !sinksTake(d.Sinks, k) {
				errs = append(errs, fmt.Errorf("DeliveryOptions.NoHTTP: no sink of DeliveryOptions.Sinks takes %s records, which would be refused", k))
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(errs...))
}

// sinksTake reports whether a sink takes records of kind k (a sink
// without Kinds takes every kind).
func sinksTake(sinks []eventqueue.SinkConfig, k hits.Kind) bool {
	for _, s := range sinks {
		if len(s.Kinds) == 0 || slices.Contains(s.Kinds, k) {
			return true
		}
	}
	return false
}

func isIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

// EnvID returns the client's environment id.
func (c *Client) EnvID() string { return c.envID }

// Mode returns the client's decision mode.
func (c *Client) Mode() Mode { return c.cfg.mode }

// Status returns the client's current status: CLOSED once Close was
// called.
func (c *Client) Status() Status { return Status(c.status.Load()) }

// Ready reports whether the client has decision data (READY or PANIC);
// false once closed.
func (c *Client) Ready() bool {
	s := c.Status()
	return s == StatusReady || s == StatusPanic
}

// WaitReady waits until the client has decision data (READY or PANIC), for
// applications that would rather fail fast than serve defaults. It returns
// ctx's error if ctx ends first and ErrClosed if the client is closed.
func (c *Client) WaitReady(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	select {
	case <-c.ready:
		return nil
	case <-c.done:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("flagship: wait ready: %w", ctx.Err())
	}
}

// setStatus moves the client to s and reports the change. CLOSED is
// final: a decision or download ending after Close does not change it.
func (c *Client) setStatus(ctx context.Context, s Status) {
	if Status(c.status.Load()) == s {
		return // the common case: no write, no lock
	}
	c.statusMu.Lock()
	prev := Status(c.status.Load())
	if prev == StatusClosed {
		c.statusMu.Unlock()
		return
	}
	c.status.Store(int32(s))
	c.statusMu.Unlock()
	if prev != s {
		// Outside the lock: handlers may call back into the client.
		c.log.LogAttrs(ctx, slog.LevelDebug, "status changed", slog.String("status", s.String()), slog.String("previous", prev.String()))
		c.emit(ctx, Notification{Kind: NotifyStatusChanged, Status: s, Previous: prev})
	}
	if s == StatusReady || s == StatusPanic {
		// After the notification, so that whoever WaitReady wakes has seen it.
		c.readyOnce.Do(func() { close(c.ready) })
	}
}

// emit sends n, stamped, to the notification handler, the observer and
// the subscribers.
func (c *Client) emit(ctx context.Context, n Notification) {
	n.Time, n.EnvID = c.cfg.now(), c.envID
	c.notify.OnNotification(ctx, n)
	if c.observer != nil {
		c.observer.OnNotification(ctx, n)
	}
	if subs := c.subs.Load(); subs != nil {
		for _, s := range *subs {
			s.h.OnNotification(ctx, n)
		}
	}
}

// NewVisitor returns a visitor with the given id and context (Flagship's
// create_visitor). It does no I/O: call [visitor.Visitor.Synchronize] to
// resolve its flags. It fails with [ErrClosed] after Close, and with the
// visitor package's errors for an empty id or a refused context value.
func (c *Client) NewVisitor(id string, attrs visitor.Attributes, opts ...visitor.Option) (*visitor.Visitor, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	return visitor.New(id, attrs, visitor.Config{
		EnvID:        c.envID,
		Decider:      clientDecider{c},
		Tracker:      clientTracker{c},
		ContextHits:  c.cfg.mode == Bucketing,
		SentContexts: c.sentContexts,
		NewID:        c.ids.New,
		InPanic:      c.inPanic,
		Now:          c.cfg.now,
		Logger:       c.log,
		OnSynchronizeError: func(ctx context.Context, visitorID string, err error) {
			c.emit(ctx, Notification{Kind: NotifySynchronizeFailed, VisitorID: visitorID, Err: err})
		},
		OnTrackError: func(ctx context.Context, visitorID string, err error) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "owed hit not queued", slog.String("visitor", visitorID), slog.Any("err", err))
			c.emit(ctx, Notification{Kind: NotifyDeliveryFailed, VisitorID: visitorID, N: 1, Err: err})
		},
		OnActivateError: func(ctx context.Context, visitorID, key string, err error) {
			c.log.LogAttrs(ctx, slog.LevelWarn, "activation on read failed", slog.String("visitor", visitorID), slog.String("key", key), slog.Any("err", err))
			c.emit(ctx, Notification{Kind: NotifyActivationFailed, VisitorID: visitorID, Key: key, Err: err})
		},
	}, opts...)
}

func (c *Client) inPanic() bool { return c.Status() == StatusPanic }

// Close stops the client, like http.Server.Shutdown: it stops polling and
// makes later calls fail with ErrClosed (at once, before it waits), then
// delivers the queued hits and activations until they are all sent or ctx
// ends, and waits for every goroutine the client started. What could not
// be delivered stays in the queue file, and the next client using it sends
// it (with [DeliveryOptions].InMemory, it is lost and logged at Error).
// Status is CLOSED from the start of the first call, and every later call
// that does I/O, the visitors' included, fails with [ErrClosed]. Last, it
// closes the keep-alive connections of the SDK's own HTTP
// client (never those of a client given by [WithHTTPClient]), so that no
// goroutine of the client is left. If ctx ends first, Close returns a
// wrapped ctx.Err(); the goroutines then stop promptly (unless a
// NotificationHandler blocks) and finish on their own, closing the
// connections when they are done. Calling Close again waits the same way.
// Do not call Close from a NotificationHandler: the handler may run on a
// goroutine Close waits for.
func (c *Client) Close(ctx context.Context) error {
	first := false
	c.closeOnce.Do(func() {
		c.stopIntake()
		c.stopped = make(chan struct{})
		first = true
	})
	if first {
		c.setStatus(ctx, StatusClosed)
		// Outside closeOnce: a concurrent Close waits for c.stopped under
		// its own ctx, not for this drain.
		flushErr := c.flushAssignments(ctx)
		if flushErr != nil {
			c.log.LogAttrs(ctx, slog.LevelWarn, "closing with assignments not written", slog.Any("err", flushErr))
		}
		if c.stopDelivery != nil {
			if err := c.queue.Flush(ctx); err != nil && c.cfg.delivery.InMemory {
				// The queue logs the loss at Error when it is closed.
				flushErr = errors.Join(flushErr, fmt.Errorf("flagship: close: records not delivered, lost (DeliveryOptions.InMemory): %w", err))
			} else if err != nil {
				flushErr = errors.Join(flushErr, fmt.Errorf("flagship: close: records left in the queue file for the next start: %w", err))
				c.log.LogAttrs(ctx, slog.LevelWarn, "closing with undelivered records; the next start sends them", slog.Any("err", err))
			}
		}
		go func() {
			defer close(c.stopped)
			c.release()
		}()
		if flushErr != nil {
			// The assignment store can fail while ctx is live: still wait
			// for the goroutines, as long as ctx allows.
			select {
			case <-c.stopped:
			case <-ctx.Done():
			}
			return flushErr
		}
	}
	select {
	case <-c.stopped:
		c.log.LogAttrs(ctx, slog.LevelDebug, "closed")
		return nil
	default:
	}
	select {
	case <-c.stopped:
		c.log.LogAttrs(ctx, slog.LevelDebug, "closed")
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flagship: close: %w", ctx.Err())
	}
}

// shutdown stops background work and releases what the client created;
// New calls it when it fails.
func (c *Client) shutdown() {
	c.stopIntake()
	c.release()
}

// stopIntake makes later calls fail with ErrClosed, wakes WaitReady and
// cancels the background goroutines; it does not wait for them.
func (c *Client) stopIntake() {
	c.closed.Store(true)
	close(c.done)
	c.stop()
}

// release stops delivery, waits for the goroutines and frees what the
// client created, its HTTP connections last.
func (c *Client) release() {
	if c.stopDelivery != nil {
		c.stopDelivery()
	}
	c.wg.Wait()
	c.closeAssignments()
	if c.queue != nil {
		if err := c.queue.Close(); err != nil {
			c.log.Error("closing the queue file failed", slog.Any("err", err))
		}
	}
	if c.httpSink != nil {
		c.httpSink.Close()
	}
	// Nothing of the client sends any more. A Synchronize still running
	// in DECISION_API mode keeps its connection until it returns; the
	// transport then closes it rather than keep it idle.
	c.httpClient.CloseIdle()
	if c.detach != nil {
		c.detach()
	}
}

// clientDecider runs the mode's decider, refusing calls after Close and
// following panic mode in DECISION_API mode.
type clientDecider struct{ c *Client }

func (d clientDecider) Decide(ctx context.Context, r decision.Request) (decision.Decision, error) {
	return d.DecideConsent(ctx, r, true)
}

func (d clientDecider) DecideConsent(ctx context.Context, r decision.Request, consented bool) (decision.Decision, error) {
	c := d.c
	if c.closed.Load() {
		return decision.Decision{}, ErrClosed
	}
	if c.observer == nil {
		return d.decide(ctx, r, consented)
	}
	ctx, span := c.startOp(ctx, Op{Kind: OpDecide, URL: c.decideURL})
	res, err := d.decide(ctx, r, consented)
	if span.done != nil {
		span.end(decisionResult(res, err))
	}
	return res, err
}

func (d clientDecider) decide(ctx context.Context, r decision.Request, consented bool) (decision.Decision, error) {
	c := d.c
	if api, ok := c.decider.(*decision.APIClient); ok {
		res, err := api.DecideConsent(ctx, r, consented)
		if err == nil {
			if res.Panic {
				c.setStatus(ctx, StatusPanic)
			} else {
				c.setStatus(ctx, StatusReady)
			}
		}
		return res, err
	}
	var res decision.Decision
	var err error
	if c.engine != nil && !consented {
		// Nothing is kept about a visitor who has not consented: its
		// assignments were deleted when it withdrew consent.
		res, err = c.engine.DecideWith(ctx, r, bucketing.DecideOptions{NoAssignments: true})
	} else {
		res, err = c.decider.Decide(ctx, r)
	}
	if err != nil && c.poller != nil && errors.Is(err, bucketing.ErrNoConfig) {
		return res, c.notReady(err)
	}
	return res, err
}

// clientTracker hands records to the client's tracker, refusing them after
// Close, and records activations in the assignment store.
type clientTracker struct{ c *Client }

func (t clientTracker) Enqueue(ctx context.Context, r hits.Record) error {
	return t.enqueue(ctx, r, true)
}

// EnqueueAsync implements visitor.AsyncTracker: the queue takes r without
// waiting for its fsync (a DeliveryOptions.Tracker is called as
// usual).
func (t clientTracker) EnqueueAsync(ctx context.Context, r hits.Record) error {
	return t.enqueue(ctx, r, false)
}

func (t clientTracker) enqueue(ctx context.Context, r hits.Record, wait bool) error {
	c := t.c
	if c.observer == nil {
		return t.enqueue1(ctx, r, wait)
	}
	ctx, span := c.startOp(ctx, Op{Kind: OpEnqueue, Record: r.Kind(), Async: !wait})
	err := t.enqueue1(ctx, r, wait)
	if span.done != nil {
		span.end(OpResult{Err: err})
	}
	return err
}

func (t clientTracker) enqueue1(ctx context.Context, r hits.Record, wait bool) error {
	c := t.c
	if c.closed.Load() {
		return ErrClosed
	}
	var err error
	if at, ok := c.tracker.(visitor.AsyncTracker); ok && !wait {
		err = at.EnqueueAsync(ctx, r)
	} else {
		err = c.tracker.Enqueue(ctx, r)
	}
	if err != nil {
		if errors.Is(err, eventqueue.ErrClosed) {
			return ErrClosed // Close won the race
		}
		return err
	}
	c.recordActivation(ctx, r)
	return nil
}

// Purge drops the visitors' queued records (but consent records) and
// deletes their assignments: consent withdrawal.
func (t clientTracker) Purge(ctx context.Context, envID string, visitorIDs ...string) error {
	if t.c.closed.Load() {
		return ErrClosed
	}
	var err error
	if p, ok := t.c.tracker.(visitor.Purger); ok {
		err = p.Purge(ctx, envID, visitorIDs...)
		if errors.Is(err, eventqueue.ErrClosed) {
			err = ErrClosed
		}
	}
	return errors.Join(err, t.c.deleteAssignments(ctx, visitorIDs))
}

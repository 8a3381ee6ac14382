package fsopenfeature

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/flagship"
)

// Provider is an OpenFeature provider serving the flags of a
// [flagship.Client]. It implements [openfeature.FeatureProvider],
// [openfeature.ContextAwareStateHandler], [openfeature.EventHandler] and
// [openfeature.Tracker]. Make one with [New] (your client) or [Open] (a
// client of its own) and give it to OpenFeature's SetProviderAndWait.
//
// A Provider is safe for concurrent use.
type Provider struct {
	client *flagship.Client
	owned  bool // made by Open: Shutdown closes client
	opts   Options
	log    *slog.Logger
	cache  *decisionCache
	// keyBufs recycles the buffers evaluation context keys are built in.
	keyBufs sync.Pool
	// metas caches flag metadata maps by variation (see metadata.go).
	metas metadataCache

	// exposures activates evaluated flags off the request path.
	exposures *exposures

	unsubscribe func()
	closed      atomic.Bool // Shutdown began
	events      chan openfeature.Event
	signal      chan struct{} // size 1: pending has events
	stop        chan struct{} // closed by Shutdown
	wg          sync.WaitGroup

	mu          sync.Mutex
	state       providerState
	started     bool                        // the event goroutine runs
	pending     []openfeature.Event         // events not yet on the channel
	initCancels map[*int]context.CancelFunc // the Init calls waiting
}

// providerState is what the provider told OpenFeature about its
// readiness: OpenFeature's provider states.
type providerState uint8

const (
	stateNotReady providerState = iota // Init not called or waiting
	stateReady
	stateError // Init failed and the client is not ready yet
	stateStale
	stateFatal
)

var (
	_ openfeature.FeatureProvider          = (*Provider)(nil)
	_ openfeature.ContextAwareStateHandler = (*Provider)(nil)
	_ openfeature.EventHandler             = (*Provider)(nil)
	_ openfeature.Tracker                  = (*Provider)(nil)
)

// New returns a provider serving the flags of c, which stays yours:
// Shutdown never closes it, so close it after the provider (after
// OpenFeature's Shutdown). The provider follows c's notifications
// ([flagship.Client.Subscribe]) until Shutdown. New does no I/O; Init
// waits for c to be ready.
//
// A nil c gives a provider whose Init fails with [ErrNoClient].
func New(c *flagship.Client, o Options) *Provider {
	return newProvider(c, false, o)
}

// Open starts a flagship client with [flagship.New](ctx, envID, apiKey,
// opts...) and returns a provider serving its flags, which closes it on
// Shutdown. As flagship.New does, Open waits for the first bucketing file
// in BUCKETING mode while ctx is live, so give ctx a deadline; a client
// still not ready when ctx ends is not an error (Init then waits again,
// and flags serve their defaults until the file arrives). Open fails,
// with nothing left running, with flagship.New's errors:
// [flagship.ErrInvalidConfig], [flagship.ErrUnauthorized],
// [flagship.ErrStorage]...
func Open(ctx context.Context, envID, apiKey string, o Options, opts ...flagship.Option) (*Provider, error) {
	c, err := flagship.New(ctx, envID, apiKey, opts...)
	if err != nil && !errors.Is(err, flagship.ErrNotReady) {
		return nil, fmt.Errorf("fsopenfeature: open: %w", err)
	}
	return newProvider(c, true, o), nil
}

func newProvider(c *flagship.Client, owned bool, o Options) *Provider {
	p := &Provider{
		client:      c,
		owned:       owned,
		opts:        o,
		log:         o.logger().With("component", "openfeature"),
		cache:       newDecisionCache(o.cacheSize(), o.cacheTTL()),
		events:      make(chan openfeature.Event),
		signal:      make(chan struct{}, 1),
		stop:        make(chan struct{}),
		initCancels: make(map[*int]context.CancelFunc),
		unsubscribe: func() {},
		exposures:   newExposures(exposureBuffer),
	}
	p.keyBufs.New = func() any { b := make([]byte, 0, 256); return &b }
	if c != nil {
		p.unsubscribe = c.Subscribe(flagship.NotificationFunc(p.onNotification))
	}
	return p
}

// Client returns the flagship client the provider serves: the one given
// to [New], or the one [Open] started (which the provider closes).
func (p *Provider) Client() *flagship.Client { return p.client }

// Flush waits until the exposures of the evaluations made so far are
// queued (the provider reports them off the request path), then
// delivers what the client queued ([flagship.Client.Flush]). It returns
// ctx's error if ctx ends first. Tests that check activations on a
// server call it; a service needs it only before exiting without
// Shutdown.
func (p *Provider) Flush(ctx context.Context) error {
	if p.client == nil {
		return ErrNoClient
	}
	if err := p.exposures.wait(ctx); err != nil {
		return err
	}
	return p.client.Flush(ctx)
}

// Metadata returns the provider's name, [ProviderName].
func (p *Provider) Metadata() openfeature.Metadata {
	return openfeature.Metadata{Name: ProviderName}
}

// Hooks returns no hook.
func (p *Provider) Hooks() []openfeature.Hook { return nil }

// Init is InitWithContext without a deadline: it waits until the client
// is ready or the provider is shut down. OpenFeature calls
// InitWithContext instead.
func (p *Provider) Init(evalCtx openfeature.EvaluationContext) error {
	return p.InitWithContext(context.Background(), evalCtx)
}

// InitWithContext waits until the client has decision data
// ([flagship.Client.WaitReady]) while ctx is live and the provider is not
// shut down. It returns nil once the client is ready (OpenFeature then
// emits PROVIDER_READY). Otherwise it returns an error wrapping ctx's
// error and saying why the client is not ready (in BUCKETING mode it
// also wraps the last download's error, such as a 401), which carries an
// [openfeature.ProviderInitError] with code PROVIDER_NOT_READY:
// OpenFeature emits PROVIDER_ERROR with its message, and the provider
// emits PROVIDER_READY when the client becomes ready later.
// It fails with a fatal [openfeature.ProviderInitError] when the client
// is closed, nil, or the provider shut down. It starts the goroutine
// that feeds EventChannel, which Shutdown stops. It may be called more
// than once.
func (p *Provider) InitWithContext(ctx context.Context, _ openfeature.EvaluationContext) error {
	if p.client == nil {
		return fatalInit(ErrNoClient)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	id := new(int)
	p.mu.Lock()
	if p.closed.Load() {
		p.mu.Unlock()
		return fatalInit(ErrShutdown)
	}
	if !p.started {
		p.started = true
		p.wg.Go(p.deliverEvents)
		p.exposures.start()
		p.wg.Go(func() { p.exposures.run(p.stop) })
	}
	p.initCancels[id] = cancel
	p.mu.Unlock()

	waitErr := p.client.WaitReady(waitCtx)
	var notReady error
	if waitErr != nil {
		// Built before taking p.mu: it reads the poller's state, whose
		// lock p.mu must never be held across (notifications take p.mu).
		notReady = newNotReadyError(waitErr, p.client)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.initCancels, id)
	if p.closed.Load() {
		return fatalInit(ErrShutdown)
	}
	// Ready again under p.mu: a client that became ready since is either
	// seen here, or its notification finds stateError and emits READY.
	if p.client.Ready() {
		if p.state == stateNotReady || p.state == stateError {
			p.state = stateReady
		}
		return nil
	}
	if p.client.Status() == flagship.StatusClosed {
		p.state = stateFatal
		return fatalInit(flagship.ErrClosed)
	}
	p.state = stateError
	if notReady == nil { // WaitReady returned nil, yet not ready: not expected
		msg := "fsopenfeature: flagship client not ready"
		notReady = &initError{msg: msg, errs: []error{&openfeature.ProviderInitError{ErrorCode: openfeature.ProviderNotReadyCode, Message: msg}}}
	}
	return notReady
}

// initError is an error of Init: it carries an
// [openfeature.ProviderInitError], so that OpenFeature's PROVIDER_ERROR
// event has its message and code, and wraps the causes.
type initError struct {
	msg  string
	errs []error
}

func (e *initError) Error() string   { return e.msg }
func (e *initError) Unwrap() []error { return e.errs }

// newNotReadyError returns Init's error when the client is not ready: code
// PROVIDER_NOT_READY, wrapping the wait's error and the last download's.
func newNotReadyError(waitErr error, c *flagship.Client) error {
	msg := "fsopenfeature: flagship client not ready: " + waitErr.Error()
	errs := []error{nil, waitErr}
	if st, ok := c.BucketingStatus(); ok && st.Err != nil {
		msg += " (last download: " + st.Err.Error() + ")"
		errs = append(errs, st.Err)
	}
	errs[0] = &openfeature.ProviderInitError{ErrorCode: openfeature.ProviderNotReadyCode, Message: msg}
	return &initError{msg: msg, errs: errs}
}

// fatalInit is Init's error when the provider can never be ready: it
// carries a fatal [openfeature.ProviderInitError] and wraps err.
func fatalInit(err error) error {
	return &initError{msg: err.Error(), errs: []error{
		&openfeature.ProviderInitError{ErrorCode: openfeature.ProviderFatalCode, Message: err.Error()},
		err,
	}}
}

// Shutdown is ShutdownWithContext with a context of
// [DefaultShutdownTimeout]. OpenFeature calls ShutdownWithContext
// instead.
func (p *Provider) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultShutdownTimeout)
	defer cancel()
	if err := p.ShutdownWithContext(ctx); err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "shutdown", slog.Any("err", err))
	}
}

// ShutdownWithContext stops the provider: it stops following the
// client's notifications, ends waiting Init calls, queues the exposures
// it still holds, stops its goroutines (the one feeding EventChannel,
// whose channel it closes, and the one reporting exposures), and forgets
// the cached decisions. Then, for a provider made by [Open] only, it closes the
// client, delivering what it queued until ctx ends (see
// [flagship.Client.Close]), and returns that error. A client given to
// [New] is never closed. Later evaluations serve their default with
// error code GENERAL ([ErrShutdown]). Calling it again does nothing and
// returns nil.
func (p *Provider) ShutdownWithContext(ctx context.Context) error {
	p.mu.Lock()
	if p.closed.Swap(true) {
		p.mu.Unlock()
		return nil
	}
	close(p.stop)
	for _, cancel := range p.initCancels {
		cancel()
	}
	p.mu.Unlock()
	p.unsubscribe()
	p.wg.Wait()
	close(p.events)
	p.cache.invalidate()
	p.metas.clear()
	if p.owned {
		if err := p.client.Close(ctx); err != nil {
			return fmt.Errorf("fsopenfeature: shutdown: %w", err)
		}
	}
	return nil
}

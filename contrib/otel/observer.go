package fsotel

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
)

// Observer implements [flagship.Observer] with OpenTelemetry: it records
// the metrics and spans of the package documentation for every client it
// is given to with [flagship.WithObserver].
//
// An Observer is safe for concurrent use, and may serve several clients
// (of different environments; see Caveats in the package documentation).
// It owns nothing: the providers stay the caller's, to shut down after
// the clients are closed.
type Observer struct {
	meter  metric.Meter
	tracer trace.Tracer
	extra  []attribute.KeyValue // Options.Attributes
	sample uint32               // Options.LocalDecisionSampling, at least 1
	m      instruments

	mu   sync.Mutex                      // serializes writers of envs
	envs atomic.Pointer[map[string]*env] // copy on write: read without a lock
	last atomic.Pointer[env]             // the environment env returned last

	// The functions StartOp returns for local operations, bound once so
	// that StartOp allocates nothing for them.
	endLocalDecide func(flagship.OpResult)
	endEnqueue     func(flagship.OpResult)
}

var _ flagship.Observer = (*Observer)(nil)

// New returns an Observer recording with the providers of o. It fails
// with an error wrapping [ErrInvalidOptions] for invalid Options, or with
// the meter's error if it refuses an instrument.
func New(o Options) (*Observer, error) {
	extra, err := o.attributes()
	if err != nil {
		return nil, err
	}
	obs := &Observer{
		meter: o.meterProvider().Meter(ScopeName,
			metric.WithInstrumentationVersion(decision.SDKVersion), metric.WithSchemaURL(semconv.SchemaURL)),
		tracer: o.tracerProvider().Tracer(ScopeName,
			trace.WithInstrumentationVersion(decision.SDKVersion), trace.WithSchemaURL(semconv.SchemaURL)),
		extra:  extra,
		sample: uint32(o.LocalDecisionSampling),
	}
	if obs.m, err = newInstruments(obs.meter); err != nil {
		return nil, fmt.Errorf("fsotel: %w", err)
	}
	if obs.sample == 0 {
		obs.sample = DefaultLocalDecisionSampling
	}
	obs.envs.Store(&map[string]*env{})
	obs.endLocalDecide = obs.localDecideEnded
	obs.endEnqueue = obs.enqueueEnded
	return obs, nil
}

// env returns the attribute sets of the environment id, making them on
// first use.
func (o *Observer) env(id string) *env {
	if e := o.last.Load(); e != nil && e.id == id {
		return e // the common case: one environment
	}
	if e := (*o.envs.Load())[id]; e != nil {
		o.last.Store(e)
		return e
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	cur := *o.envs.Load()
	if e := cur[id]; e != nil {
		return e
	}
	e := newEnv(id, o.extra)
	next := make(map[string]*env, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[id] = e
	o.envs.Store(&next)
	return e
}

// Attach implements [flagship.Observer]. It registers the callback of
// c's observable metrics (status, queue depth and ages, dead letters,
// bucketing file age, assignment store) and subscribes to c's
// notifications (delivery counters); the function it returns, which the
// client calls when it is released, undoes both.
func (o *Observer) Attach(c *flagship.Client) (detach func()) {
	e := o.env(c.EnvID())
	mode := c.Mode()
	reg, err := o.meter.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		o.observe(ob, c, e, mode)
		return nil
	}, o.m.observables...)
	if err != nil {
		otel.Handle(fmt.Errorf("fsotel: register callback: %w", err))
		reg = nil
	}
	// A subscription ties the client's notifications to its environment's
	// attribute sets and mode (read once, here), and ends with detach.
	unsubscribe := c.Subscribe(flagship.NotificationFunc(func(ctx context.Context, n flagship.Notification) {
		o.notified(ctx, e, mode, n)
	}))
	var once sync.Once
	return func() {
		once.Do(func() {
			unsubscribe()
			if reg != nil {
				if err := reg.Unregister(); err != nil {
					otel.Handle(fmt.Errorf("fsotel: unregister callback: %w", err))
				}
			}
		})
	}
}

// OnNotification implements [flagship.Observer]. It does nothing: the
// Observer takes each client's notifications through the subscription
// Attach makes, which tells their environment.
func (o *Observer) OnNotification(context.Context, flagship.Notification) {}

// StartOp implements [flagship.Observer]: it starts the span of a
// Decision API call, a bucketing download or a send, and returns the
// function that ends it and records the operation's metrics. A
// BUCKETING-mode decision and an enqueue get no span and no allocation:
// StartOp returns ctx and a function bound in advance.
func (o *Observer) StartOp(ctx context.Context, op flagship.Op) (context.Context, func(flagship.OpResult)) {
	switch op.Kind {
	case flagship.OpDecide:
		if int(op.Mode) < nModes {
			o.env(op.EnvID).decisions[op.Mode].Add(1)
		}
		if op.Mode == flagship.DecisionAPI {
			return o.startRemoteDecide(ctx, op)
		}
		if o.sample > 1 && rand.Uint32N(o.sample) != 0 {
			return ctx, nil // not sampled: the client reads no clock
		}
		return ctx, o.endLocalDecide
	case flagship.OpEnqueue:
		return ctx, o.endEnqueue
	case flagship.OpFetchBucketing:
		return o.startFetch(ctx, op)
	case flagship.OpSendBatch:
		return o.startSend(ctx, op)
	}
	return ctx, ignoreResult
}

func ignoreResult(flagship.OpResult) {}

// localDecideEnded records a decision made without a span (BUCKETING
// mode: a local computation on the request path).
func (o *Observer) localDecideEnded(r flagship.OpResult) {
	e := o.env(r.Op.EnvID)
	set := e.decideOpts(r.Op.Mode)
	if r.Err != nil {
		set = e.decideFailed(r.Op.Mode.String(), errorType(r.Err, r.StatusCode))
	}
	o.m.decisionDuration.Record(context.Background(), r.Duration.Seconds(), set.rec...)
}

// enqueueEnded counts a record the queue accepted or refused.
func (o *Observer) enqueueEnded(r flagship.OpResult) {
	e := o.env(r.Op.EnvID)
	ctx := context.Background()
	if r.Err != nil {
		o.m.refused.Add(ctx, 1, e.refused(r.Op.Record.String(), flagship.RefusalReason(r.Err)).add...)
		return
	}
	o.m.enqueued.Add(ctx, 1, e.enqueuedOpts(r.Op.Record).add...)
	o.m.enqueueDuration.Record(ctx, r.Duration.Seconds(), e.enqueueDurOpts(r.Op.Record, r.Op.Async).rec...)
}

// notified counts what a delivery notification of e's client reports.
func (o *Observer) notified(ctx context.Context, e *env, mode flagship.Mode, n flagship.Notification) {
	switch n.Kind {
	case flagship.NotifyBatchSent:
		o.m.delivered.Add(ctx, int64(n.N), e.sink(n.Sink).add...)
	case flagship.NotifyBatchFailed:
		o.m.retried.Add(ctx, int64(n.N), e.sink(n.Sink).add...)
	case flagship.NotifyDeadLettered:
		reason := deadRefused
		if n.Reason == eventqueue.ReasonExpired {
			reason = deadExpired
		}
		o.m.deadLettered.Add(ctx, int64(n.N), e.deadLettered(n.Sink, reason).add...)
	case flagship.NotifyDestinationRefused:
		o.m.destRefusals.Add(ctx, 1, e.sink(n.Sink).add...)
	case flagship.NotifySynchronizeFailed:
		o.m.syncFailures.Add(ctx, 1, e.decideFailed(mode.String(), errorType(n.Err, 0)).add...)
	}
}

package visitor

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// Tracker receives the hits and activations visitors emit: the seam the
// SDK's delivery (the durable queue) plugs into. Enqueue returns nil once
// the record is accepted for delivery; what "accepted" guarantees is the
// Tracker's contract. An error wrapping [hits.ErrInvalidRecord] says that
// the record will never be accepted (the client's queue refuses that way
// a record too large for a destination), which [Visitor.Synchronize]
// reports for the context hit rather than retry it. Implementations must
// be safe for concurrent use.
type Tracker interface {
	Enqueue(ctx context.Context, r hits.Record) error
}

// AsyncTracker is implemented by Trackers that can also accept a record
// without waiting for it to be durable. A Visitor uses EnqueueAsync for
// the records it sends on its own on the request path (the consent and
// context hits Synchronize owes, activations by activating reads), so
// that those calls never wait for a disk; SendHit, Activate and
// SetConsent use Enqueue.
type AsyncTracker interface {
	Tracker
	EnqueueAsync(ctx context.Context, r hits.Record) error
}

// Purger is implemented by Trackers that can drop the records they still
// hold for a visitor. When a visitor withdraws consent, [Visitor.SetConsent]
// calls Purge with its ids; records of [hits.KindConsent] must be kept.
type Purger interface {
	Purge(ctx context.Context, envID string, visitorIDs ...string) error
}

// ConsentDecider is implemented by Deciders that tell the decision
// service whether the visitor consented (the Decision API's
// visitor_consent). [decision.APIClient] implements it.
type ConsentDecider interface {
	DecideConsent(ctx context.Context, r decision.Request, consented bool) (decision.Decision, error)
}

// Config is what a Visitor needs from its client. The flagship package
// builds it; tests of code using visitors may build one directly. Only
// Decider is required.
type Config struct {
	// EnvID is the environment id stamped on every record.
	EnvID string
	// Decider resolves the visitor's campaigns. Required. The context it
	// receives holds the caller's keys only: the predefined ones
	// ([PredefinedContext]) are the Decider's defaults.
	Decider decision.Decider
	// Tracker receives hits and activations. nil makes SendHit and
	// Activate fail with ErrNoTracker.
	Tracker Tracker
	// ContextHits makes Synchronize queue a SEGMENT hit with the context
	// when it changed since the last one (spec §7.4). Set it in BUCKETING
	// mode; the Decision API does it itself.
	ContextHits bool
	// SentContexts, when set, is shared by the client's visitors so that
	// an unchanged context is not sent again by every Visitor value made
	// for the same visitor id (see [SentContexts]).
	SentContexts *SentContexts
	// InPanic, when set, reports whether the environment is in panic mode,
	// in addition to the visitor's own last decision.
	InPanic func() bool
	// Now is the clock used to stamp records. nil means time.Now.
	Now func() time.Time
	// NewID returns record ids. nil means uuid.New (random, version 4).
	NewID func() uuid.UUID
	// Logger receives what no caller sees. nil means slog.Default().
	Logger *slog.Logger
	// OnSynchronizeError, when set, is called with every error Synchronize
	// returns, synchronously, on the caller's goroutine.
	OnSynchronizeError func(ctx context.Context, visitorID string, err error)
	// OnActivateError, when set, is called when an activation on read
	// (see [Visitor.Activating]) fails, on the reader's goroutine. Reads
	// without consent or in panic mode activate nothing and report nothing.
	OnActivateError func(ctx context.Context, visitorID, key string, err error)
	// OnTrackError, when set, is called on the caller's goroutine when a
	// hit Synchronize owes (consent, context) cannot be queued; it is
	// retried by the next Synchronize. nil logs it at Warn.
	OnTrackError func(ctx context.Context, visitorID string, err error)
}

// Option configures a Visitor in [New].
type Option func(*options)

type options struct {
	anonymousID string
	consent     *bool
}

// WithAnonymousID creates the visitor authenticated: id is the
// authenticated (customer) id and anonymousID the id it had before logging
// in (experience continuity, spec §9.5).
func WithAnonymousID(anonymousID string) Option {
	return func(o *options) { o.anonymousID = anonymousID }
}

// WithConsent states whether the visitor consented to data collection.
// Without this option a visitor has consented (the default of Flagship's
// server SDKs) and no consent hit is sent; with it, the consent hit
// (spec §7.4) is queued by the visitor's first call that takes a context.
func WithConsent(consented bool) Option {
	return func(o *options) { o.consent = &consented }
}

// Visitor is one user of the service: an id, an optional anonymous id, a
// context, and the modifications (flags) resolved for it by Synchronize.
//
// A Visitor is safe for concurrent use. Reads of flags take no lock and
// do not allocate; they see the modifications of the last successful
// Synchronize.
type Visitor struct {
	// The fields Synchronize and the reads touch come first, so that they
	// share few cache lines.

	// flags is the last successful decision, read without a lock.
	flags atomic.Pointer[state]

	// mu guards the fields below it, up to recent.
	mu             sync.Mutex
	id             string
	anonymousID    string
	context        map[string]any // copy-on-write: never modified once set
	contextVersion uint64
	segmentSent    uint64 // contextVersion of the last SEGMENT hit; 0 = none
	syncSeq        uint64 // Synchronize calls started
	storedSeq      uint64 // the syncSeq of the state in flags
	consent        bool
	consentPending bool // a consent hit is owed
	recent         []activation

	consentDecider ConsentDecider
	cfg            Config
	log            *slog.Logger
}

// state is an immutable snapshot of the visitor's decision.
type state struct {
	campaigns []decision.Assignment
	panic     bool
	seq       uint64 // the Synchronize call that made it
}

// New returns a visitor with the given id and context. It does no I/O:
// flags serve their defaults until [Visitor.Synchronize]. It fails with
// ErrEmptyID, ErrInvalidID (an id, or the anonymous id of
// [WithAnonymousID], that is not valid UTF-8 or is longer than
// [MaxIDBytes]), ErrInvalidOptions, or an [*AttributeError] for a context
// value it refuses.
func New(id string, attrs Attributes, cfg Config, opts ...Option) (*Visitor, error) {
	if id == "" {
		return nil, errfmt.Errorf("visitor: new: %w", ErrEmptyID)
	}
	if err := checkID("visitor id", id); err != nil {
		return nil, errfmt.Errorf("visitor: new: %w", err)
	}
	if cfg.Decider == nil {
		return nil, fmt.Errorf("%w: nil Decider", ErrInvalidOptions)
	}
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if err := checkID("anonymous id (WithAnonymousID)", o.anonymousID); err != nil {
		return nil, errfmt.Errorf("visitor: new: %w", err)
	}
	ctx, _, err := merge(baseContext(len(attrs)), attrs)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.New
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	v := &Visitor{
		cfg:            cfg,
		log:            cfg.Logger,
		id:             id,
		anonymousID:    o.anonymousID,
		context:        ctx,
		contextVersion: 1,
		consent:        true,
	}
	if o.anonymousID == id {
		v.anonymousID = ""
	}
	if o.consent != nil {
		v.consent = *o.consent
		v.consentPending = true
	}
	v.consentDecider, _ = cfg.Decider.(ConsentDecider)
	return v, nil
}

// ID returns the visitor id: the authenticated id when authenticated.
func (v *Visitor) ID() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.id
}

// AnonymousID returns the anonymous id of an authenticated visitor, and ""
// otherwise.
func (v *Visitor) AnonymousID() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.anonymousID
}

// Authenticate tells the SDK the visitor logged in as id (experience
// continuity, spec §9.5): the current id becomes the anonymous id and id
// the visitor id. Flags keep their values until the next Synchronize.
// Authenticating an authenticated visitor replaces its authenticated id.
// It fails, changing nothing, with ErrEmptyID, or ErrInvalidID for an id
// that is not valid UTF-8 or is longer than [MaxIDBytes].
func (v *Visitor) Authenticate(id string) error {
	if id == "" {
		return errfmt.Errorf("visitor: authenticate: %w", ErrEmptyID)
	}
	if err := checkID("visitor id", id); err != nil {
		return errfmt.Errorf("visitor: authenticate: %w", err)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.anonymousID == "" {
		if id == v.id {
			return nil
		}
		v.anonymousID = v.id
	}
	v.id = id
	v.segmentSent = 0
	return nil
}

// Unauthenticate reverses Authenticate: the anonymous id becomes the
// visitor id again. It fails with ErrNotAuthenticated if the visitor is not
// authenticated.
func (v *Visitor) Unauthenticate() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.anonymousID == "" {
		return errfmt.Errorf("visitor: unauthenticate %q: %w", v.id, ErrNotAuthenticated)
	}
	v.id, v.anonymousID = v.anonymousID, ""
	v.segmentSent = 0
	return nil
}

// SetContext sets one context attribute. See [Visitor.UpdateContext].
func (v *Visitor) SetContext(key string, value any) error {
	return v.UpdateContext(Attributes{key: value})
}

// UpdateContext sets the given context attributes, keeping the others.
// Refused attributes (see [Attributes]) are reported in the error, each as
// an [*AttributeError]; the valid ones are applied. The new context is used
// by the next Synchronize.
func (v *Visitor) UpdateContext(attrs Attributes) error {
	if len(attrs) == 0 {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	next, changed, err := merge(v.context, attrs)
	if changed {
		v.context = next
		v.contextVersion++
	}
	return err
}

// UpdateContextAndSynchronize is UpdateContext followed by Synchronize,
// Flagship's update_context(..., synchronize=True). It does not
// synchronize if an attribute was refused.
func (v *Visitor) UpdateContextAndSynchronize(ctx context.Context, attrs Attributes) error {
	if err := v.UpdateContext(attrs); err != nil {
		return err
	}
	return v.Synchronize(ctx)
}

// ContextValue returns the context attribute key (Flagsmith's get_trait),
// including the predefined fs_client and fs_version.
func (v *Visitor) ContextValue(key string) (any, bool) {
	v.mu.Lock()
	val, ok := v.context[key]
	v.mu.Unlock()
	if !ok {
		val, ok = PredefinedContext()[key]
	}
	return val, ok
}

// Context returns a copy of the visitor's context, with the predefined
// keys.
func (v *Visitor) Context() Attributes {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := Attributes(PredefinedContext())
	for k, val := range v.context {
		out[k] = val
	}
	return out
}

// HasConsented reports whether the visitor consented to data collection.
func (v *Visitor) HasConsented() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.consent
}

// panicking reports whether flags must serve defaults and nothing may be
// tracked.
func (v *Visitor) panicking() bool {
	if s := v.flags.Load(); s != nil && s.panic {
		return true
	}
	return v.cfg.InPanic != nil && v.cfg.InPanic()
}

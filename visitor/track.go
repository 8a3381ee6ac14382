package visitor

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// DedupWindow is how long an identical activation of the same visitor is
// dropped as a repeat (Flagship's hitDeduplicationTime).
const DedupWindow = 2500 * time.Millisecond

type activation struct {
	visitorID, variationGroupID, variationID string
	at                                       time.Time
}

// SendHit validates h and queues it for delivery. It fails with an error
// wrapping [hits.ErrInvalidHit] naming the field for an invalid hit,
// [ErrNoConsent] when the visitor has not consented, [ErrPanicMode] in panic
// mode, and with the Tracker's error when queueing fails. Nothing is
// queued when it fails. The SDK's own hits (hits.Activation, hits.Consent,
// hits.Segment) are refused: use Activate and SetConsent.
func (v *Visitor) SendHit(ctx context.Context, h hits.Hit) error {
	if h == nil {
		return fmt.Errorf("visitor: send hit: %w: nil hit", hits.ErrInvalidHit)
	}
	if rv := reflect.ValueOf(h); rv.Kind() == reflect.Pointer && rv.IsNil() {
		// Validate would panic on a nil pointer to a hit.
		return fmt.Errorf("visitor: send hit: %w: nil %T", hits.ErrInvalidHit, h)
	}
	switch h.(type) {
	case hits.Activation, *hits.Activation, hits.Consent, *hits.Consent, hits.Segment, *hits.Segment:
		// These bypass deduplication and consent bookkeeping.
		return fmt.Errorf("visitor: send hit: %w: %T is sent by the SDK (use Activate or SetConsent)", hits.ErrInvalidHit, h)
	}
	// The record is built (and h validated) once, here. An invalid hit
	// is reported first; without a Tracker, nothing else is.
	v.mu.Lock()
	id, anon := v.id, v.anonymousID
	v.mu.Unlock()
	rec, err := v.stamp(id, anon, h)
	switch {
	case errors.Is(err, hits.ErrInvalidHit):
		return errfmt.Errorf("visitor: send hit: %w", err)
	case v.cfg.Tracker == nil:
		return errfmt.Errorf("visitor: send hit: %w", ErrNoTracker)
	case err != nil:
		return errfmt.Errorf("visitor: send hit: %w", err)
	}
	if v.panicking() {
		return errfmt.Errorf("visitor: send hit: %w", ErrPanicMode)
	}
	if err := v.flushConsent(ctx, true); err != nil {
		return err
	}
	v.mu.Lock()
	consent := v.consent
	v.mu.Unlock()
	if !consent {
		return errfmt.Errorf("visitor: send hit: %w", ErrNoConsent)
	}
	if err := v.enqueue(ctx, rec, true); err != nil {
		return errfmt.Errorf("visitor: send hit: %w", err)
	}
	return nil
}

// Activate tells Flagship the visitor saw the variation that sets key
// (spec §3): it queues an activation of that variation and returns once
// the Tracker took it. An identical activation within [DedupWindow] is not
// queued again.
//
// A key no campaign of the visitor sets (before the first Synchronize,
// outside a toggle's allocation, a key unknown to the environment) has
// no variation to activate: the visitor saw the caller's default, and
// Activate queues nothing and returns nil, so that call sites need not
// filter that case out. [Visitor.Has] and [Visitor.Info] tell whether the
// visitor has a variation for key.
//
// It fails with [ErrNoConsent] or [ErrPanicMode] (nothing was queued), or
// with the Tracker's error.
func (v *Visitor) Activate(ctx context.Context, key string) error {
	if v.panicking() {
		return errfmt.Errorf("visitor: activate %q: %w", key, ErrPanicMode)
	}
	_, a, ok := v.lookup(key)
	if !ok {
		return nil // nothing to activate: the default was served
	}
	return v.activateAssignment(ctx, key, a, true)
}

// activateAssignment queues the activation of a's variation, read for
// key; wait tells whether to wait for it to be durable.
func (v *Visitor) activateAssignment(ctx context.Context, key string, a *decision.Assignment, wait bool) error {
	if v.panicking() {
		return errfmt.Errorf("visitor: activate %q: %w", key, ErrPanicMode)
	}
	if err := v.flushConsent(ctx, wait); err != nil {
		return err
	}
	now := v.cfg.Now()
	v.mu.Lock()
	id, anon, consent := v.id, v.anonymousID, v.consent
	if !consent {
		// Not recorded by seen: an activation refused here was never
		// queued and must not make a later one look like a repeat.
		v.mu.Unlock()
		return errfmt.Errorf("visitor: activate %q: %w", key, ErrNoConsent)
	}
	dup := v.seen(id, a.VariationGroup.ID, a.Variation.ID, now)
	v.mu.Unlock()
	if dup {
		return nil
	}
	h := hits.Activation{VariationGroupID: a.VariationGroup.ID, VariationID: a.Variation.ID}
	if err := v.track(ctx, id, anon, h, wait); err != nil {
		v.mu.Lock()
		v.forget(id, a.VariationGroup.ID, a.Variation.ID)
		v.mu.Unlock()
		return errfmt.Errorf("visitor: activate %q: %w", key, err)
	}
	return nil
}

// seen records an activation and reports whether an identical one was
// made within DedupWindow. v.mu must be held.
func (v *Visitor) seen(id, vg, variation string, now time.Time) bool {
	keep := v.recent[:0]
	dup := false
	for _, a := range v.recent {
		if now.Sub(a.at) >= DedupWindow {
			continue
		}
		keep = append(keep, a)
		if a.visitorID == id && a.variationGroupID == vg && a.variationID == variation {
			dup = true
		}
	}
	v.recent = keep
	if !dup {
		v.recent = append(v.recent, activation{id, vg, variation, now})
	}
	return dup
}

// forget removes a recorded activation whose queueing failed, so that a
// retry is not taken for a repeat. v.mu must be held.
func (v *Visitor) forget(id, vg, variation string) {
	for i, a := range v.recent {
		if a.visitorID == id && a.variationGroupID == vg && a.variationID == variation {
			v.recent = append(v.recent[:i], v.recent[i+1:]...)
			return
		}
	}
}

// SetConsent records whether the visitor consents to data collection and
// queues the consent hit (spec §7.4), the one hit sent without consent.
// Withdrawing consent also asks the Tracker, if it is a [Purger], to drop
// the visitor's queued hits and activations other than consent hits.
// In panic mode nothing is queued and ErrPanicMode is returned, but the
// consent is recorded.
func (v *Visitor) SetConsent(ctx context.Context, consented bool) error {
	v.mu.Lock()
	changed := v.consent != consented
	v.consent = consented
	v.consentPending = true
	if !consented {
		v.recent = nil
		v.segmentSent = 0 // the queued context hit is purged: send it again
	}
	id, anon := v.id, v.anonymousID
	v.mu.Unlock()
	if !consented && changed {
		if v.cfg.SentContexts != nil {
			v.cfg.SentContexts.Forget(id, anon)
		}
		if p, ok := v.cfg.Tracker.(Purger); ok {
			ids := []string{id}
			if anon != "" {
				ids = append(ids, anon)
			}
			if err := p.Purge(ctx, v.cfg.EnvID, ids...); err != nil {
				return errfmt.Errorf("visitor: set consent: purge: %w", err)
			}
		}
	}
	if v.panicking() {
		return errfmt.Errorf("visitor: set consent: %w", ErrPanicMode)
	}
	return v.flushConsent(ctx, true)
}

// flushConsent queues the consent hit if one is owed; wait tells whether
// to wait for it to be durable.
func (v *Visitor) flushConsent(ctx context.Context, wait bool) error {
	v.mu.Lock()
	if !v.consentPending {
		v.mu.Unlock()
		return nil
	}
	id, anon, consent := v.id, v.anonymousID, v.consent
	v.mu.Unlock()
	if v.panicking() {
		return nil
	}
	if err := v.track(ctx, id, anon, hits.Consent{Consented: consent}, wait); err != nil {
		return errfmt.Errorf("visitor: consent hit: %w", err)
	}
	v.mu.Lock()
	if v.consent == consent {
		v.consentPending = false
	}
	v.mu.Unlock()
	return nil
}

// track stamps h and hands it to the Tracker, without waiting for it to
// be durable unless wait (or the Tracker cannot do otherwise).
func (v *Visitor) track(ctx context.Context, id, anon string, h hits.Hit, wait bool) error {
	if v.cfg.Tracker == nil {
		return ErrNoTracker
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := v.stamp(id, anon, h)
	if err != nil {
		return err
	}
	return v.enqueue(ctx, rec, wait)
}

// stamp validates h and stamps it for delivery as the visitor id (and
// anonymous id) given.
func (v *Visitor) stamp(id, anon string, h hits.Hit) (hits.Record, error) {
	return hits.NewRecord(v.cfg.NewID(), v.cfg.EnvID, id, anon, v.cfg.Now(), h)
}

// enqueue hands rec to the Tracker, without waiting for it to be durable
// unless wait (or the Tracker cannot do otherwise).
func (v *Visitor) enqueue(ctx context.Context, rec hits.Record, wait bool) error {
	if v.cfg.Tracker == nil {
		return ErrNoTracker
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if !wait {
		if at, ok := v.cfg.Tracker.(AsyncTracker); ok {
			return at.EnqueueAsync(ctx, rec)
		}
	}
	return v.cfg.Tracker.Enqueue(ctx, rec)
}

package visitor

import (
	"context"
	"errors"
	"log/slog"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// Synchronize resolves the visitor's modifications through the client's
// Decider: one Decision API call in DECISION_API mode, a local computation
// in BUCKETING mode. On failure the previous modifications are kept and
// the error is returned. In panic mode the visitor's flags serve defaults
// until a later Synchronize ends the panic.
//
// It also queues what the visitor owes: the consent hit after
// [WithConsent] or a consent change, and in BUCKETING mode the SEGMENT hit
// with the context when the context changed since the last one (and,
// with Config.SentContexts, since the last one sent for this visitor id
// by any Visitor value). They are queued without waiting for the disk
// when the Tracker is an [AsyncTracker]. A failure to queue them does not
// fail Synchronize: it goes to Config.OnTrackError, and the next
// Synchronize tries again.
//
// Except when the Tracker refuses the context hit for good, with an error
// wrapping [hits.ErrInvalidRecord]: a context too large for a destination
// to carry (the client's queue refuses a record larger than a sink's
// limit, such as the HTTP body limit; each key and value was checked when
// it was set, but not their total). Synchronize then returns that error,
// although the flags were updated, and so does every Synchronize until
// the context shrinks: nothing is queued, so nothing is dead-lettered.
// The total is checked by the Tracker when the hit is queued (the
// client's queue asks each sink its limit), rather than by every
// UpdateContext: measuring it costs a pass over the whole context, which
// the request path of a returning visitor, whose unchanged context is not
// sent again (Config.SentContexts), does not otherwise pay. A Tracker of
// your own that does not check sizes bounds nothing.
//
// When calls overlap, the modifications of the last one started win.
func (v *Visitor) Synchronize(ctx context.Context) error {
	v.mu.Lock()
	r := decision.Request{VisitorID: v.id, AnonymousID: v.anonymousID, Context: v.context}
	consent := v.consent
	version := v.contextVersion
	// What the visitor may owe, read now so that the common case (nothing
	// owed) takes the lock once.
	consentOwed := v.consentPending
	segmentDue := v.cfg.ContextHits && consent && v.segmentSent != version
	v.syncSeq++
	seq := v.syncSeq
	v.mu.Unlock()

	var (
		d   decision.Decision
		err error
	)
	if v.consentDecider != nil {
		d, err = v.consentDecider.DecideConsent(ctx, r, consent)
	} else {
		d, err = v.cfg.Decider.Decide(ctx, r)
	}
	if err != nil {
		return v.syncFailed(ctx, r.VisitorID, errfmt.Errorf("visitor: synchronize %q: %w", r.VisitorID, err))
	}
	v.store(&state{campaigns: d.Campaigns, panic: d.Panic, seq: seq})
	if v.panicking() {
		// Nothing is sent in panic mode, whether the decision or
		// Config.InPanic says so (spec §9.3).
		return nil
	}
	if consentOwed {
		if err := v.flushConsent(ctx, false); err != nil {
			v.trackFailed(ctx, r.VisitorID, err)
		}
	}
	if segmentDue {
		if err := v.sendSegment(ctx, r, version); err != nil {
			if errors.Is(err, hits.ErrInvalidRecord) || errors.Is(err, hits.ErrInvalidHit) {
				// Retrying cannot help: the caller must change the context.
				return v.syncFailed(ctx, r.VisitorID, err)
			}
			v.trackFailed(ctx, r.VisitorID, err)
		}
	}
	return nil
}

// store installs s unless a Synchronize started later already installed
// its own. The check reads v.storedSeq rather than the current state, which
// is likely out of cache by now.
func (v *Visitor) store(s *state) {
	v.mu.Lock()
	if s.seq > v.storedSeq {
		v.storedSeq = s.seq
		v.flags.Store(s)
	}
	v.mu.Unlock()
}

// trackFailed reports a hit the visitor owed and could not queue.
func (v *Visitor) trackFailed(ctx context.Context, visitorID string, err error) {
	if v.cfg.OnTrackError != nil {
		v.cfg.OnTrackError(ctx, visitorID, err)
		return
	}
	v.log.LogAttrs(ctx, slog.LevelWarn, "visitor: hit not queued", slog.String("visitor", visitorID), slog.Any("err", err))
}

// syncFailed reports err to Config.OnSynchronizeError, which is called with
// every error Synchronize returns, and returns it.
func (v *Visitor) syncFailed(ctx context.Context, visitorID string, err error) error {
	if v.cfg.OnSynchronizeError != nil {
		v.cfg.OnSynchronizeError(ctx, visitorID, err)
	}
	return err
}

// sendSegment queues the context hit if the context changed since the last
// one and holds more than the predefined keys.
func (v *Visitor) sendSegment(ctx context.Context, r decision.Request, version uint64) error {
	v.mu.Lock()
	due := v.segmentSent != version && v.id == r.VisitorID
	v.mu.Unlock()
	if !due || len(r.Context) == 0 {
		return nil
	}
	var fp uint64
	sent := v.cfg.SentContexts
	if sent != nil {
		fp = sent.fingerprint(r.AnonymousID, r.Context)
		if sent.seen(r.VisitorID, fp, v.cfg.Now()) {
			v.markSegmentSent(r.VisitorID, version)
			return nil
		}
	}
	seg := make(map[string]any, len(r.Context)+2) // sized once: no growth
	seg[KeySDKClient], seg[KeySDKVersion] = sdkClient, decision.SDKVersion
	for k, val := range r.Context {
		seg[k] = val
	}
	if err := v.track(ctx, r.VisitorID, r.AnonymousID, hits.Segment{Context: seg}, false); err != nil {
		return errfmt.Errorf("visitor: synchronize %q: context hit: %w", r.VisitorID, err)
	}
	if sent != nil {
		sent.record(r.VisitorID, fp, v.cfg.Now())
	}
	v.markSegmentSent(r.VisitorID, version)
	return nil
}

// markSegmentSent records that the context of the given version was sent
// for visitorID.
func (v *Visitor) markSegmentSent(visitorID string, version uint64) {
	v.mu.Lock()
	if v.id == visitorID && v.segmentSent < version {
		v.segmentSent = version
	}
	v.mu.Unlock()
}

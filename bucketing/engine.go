package bucketing

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
	"github.com/seed27eed597/flagship-go/internal/murmur3"
)

// Options configures an [Engine]. The zero value is valid: no assignment
// store, logs to slog.Default().
type Options struct {
	// Assignments, when set, makes assignments sticky (Flagship's
	// assignment cache): a visitor keeps its variation when allocations
	// change, and 1V1T and experience continuity use past assignments.
	// Decisions read it on every call: put an [assignment.Cache] in
	// front of a store that does I/O.
	Assignments assignment.Store
	// Logger receives failures no caller sees (assignment writes). nil means
	// slog.Default().
	Logger *slog.Logger
	// ContextDefaults are the values targeting sees for keys a request's
	// context lacks: the SDK puts its predefined keys (fs_client,
	// fs_version) here rather than in every visitor's context. It is
	// kept, not copied, and must not be modified.
	ContextDefaults map[string]any
}

// DecideOptions are the per-call options of [Engine.DecideWith].
type DecideOptions struct {
	// TriggerHit records the returned assignments as activated in the
	// history, as the Decision API does when trigger_hit is not false.
	TriggerHit bool
	// NoAssignments decides without reading or writing the assignment
	// store, as for a visitor who has not consented to data collection:
	// nothing about it is kept.
	NoAssignments bool
}

// Engine decides locally from a compiled bucketing file exactly as
// Flagship's decision library (flagship-common GetDecision with bucket
// allocation on) does. It implements [decision.Decider].
//
// An Engine is safe for concurrent use; [Engine.Update] swaps the
// configuration atomically while decisions run.
type Engine struct {
	cfg      atomic.Pointer[Config]
	history  assignment.Store
	log      *slog.Logger
	defaults map[string]any
	pool     sync.Pool
}

var _ decision.Decider = (*Engine)(nil)

// NewEngine returns an engine with no configuration: decisions fail with
// [ErrNoConfig] until [Engine.Update] is called.
func NewEngine(o Options) *Engine {
	e := &Engine{history: o.Assignments, log: o.Logger, defaults: o.ContextDefaults}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.pool.New = func() any { return new(scratch) }
	return e
}

// Update makes cfg the configuration of every later decision. A nil cfg is
// ignored.
func (e *Engine) Update(cfg *Config) {
	if cfg != nil {
		e.cfg.Store(cfg)
	}
}

// Config returns the current configuration, or nil.
func (e *Engine) Config() *Config { return e.cfg.Load() }

// Decide implements [decision.Decider]. It returns the campaigns the
// visitor is assigned to, in file order. In panic mode it returns a
// Decision with Panic set and no campaigns.
func (e *Engine) Decide(ctx context.Context, r decision.Request) (decision.Decision, error) {
	return e.DecideWith(ctx, r, DecideOptions{})
}

// DecideWith is [Engine.Decide] with options.
func (e *Engine) DecideWith(ctx context.Context, r decision.Request, o DecideOptions) (decision.Decision, error) {
	cfg, err := e.begin(ctx, r)
	if err != nil || cfg.panic {
		return decision.Decision{VisitorID: r.VisitorID, Panic: cfg != nil && cfg.panic}, err
	}
	s := e.pool.Get().(*scratch)
	defer e.pool.Put(s)
	return e.run(ctx, cfg, r, o, s, nil)
}

func (e *Engine) begin(ctx context.Context, r decision.Request) (*Config, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bucketing: decide: %w", err)
	}
	if r.VisitorID == "" {
		return nil, errfmt.Errorf("bucketing: decide: %w", ErrEmptyVisitorID)
	}
	cfg := e.cfg.Load()
	if cfg == nil {
		return nil, ErrNoConfig
	}
	return cfg, nil
}

// RecordActivation records that the visitor was exposed to a variation, as
// Flagship's activation endpoint does: when a history is configured and
// 1V1T is on, {variationGroupID: {variationID, activated}} is saved under
// visitorID unless an identical activated entry exists.
func (e *Engine) RecordActivation(ctx context.Context, visitorID, variationGroupID, variationID string) error {
	cfg := e.cfg.Load()
	if e.history == nil || cfg == nil || !cfg.singleAB {
		return nil
	}
	var cur [1]assignment.Assignments
	if err := e.history.Load(ctx, []string{visitorID}, cur[:]); err != nil {
		return errfmt.Errorf("bucketing: record activation: %w: %w", ErrHistory, err)
	}
	if a, ok := cur[0][variationGroupID]; ok && a.Activated && a.VariationID == variationID {
		return nil
	}
	err := e.history.Save(ctx, []assignment.Entry{{Key: visitorID,
		Assignments: assignment.Assignments{variationGroupID: {VariationID: variationID, Activated: true}}}})
	if err != nil {
		return errfmt.Errorf("bucketing: record activation: %w: %w", ErrHistory, err)
	}
	return nil
}

// pick is one chosen variation during a decision.
type pick struct {
	v      *cvariation
	reason decision.Reason
}

// history state of one decision
type histState struct {
	std, anon, group    assignment.Assignments
	newStd, newAnon     assignment.Assignments // nil until something is to be saved
	prevAB              []string               // activated ab variation groups among targeted ones (1V1T)
	targeted            int                    // campaigns with a matching variation group: the most a save holds
	enabled, reconciled bool
}

// run is the decision algorithm (flagship-common GetDecision). tr, when not
// nil, records why each campaign was or wasn't chosen.
func (e *Engine) run(ctx context.Context, cfg *Config, r decision.Request, o DecideOptions, s *scratch, tr *Explanation) (decision.Decision, error) {
	s.reset(cfg, r)
	s.defaults = e.defaults
	hashID := r.VisitorID
	var groupKey string
	if r.DecisionGroup != "" {
		groupKey = base64.StdEncoding.EncodeToString([]byte(r.DecisionGroup))
		hashID = groupKey
	}

	// 1. The first matching variation group of each campaign.
	multi, targeted := false, 0
	for ci := range cfg.campaigns {
		c := &cfg.campaigns[ci]
		var ct *CampaignExplanation
		if tr != nil {
			tr.Campaigns = append(tr.Campaigns, CampaignExplanation{CampaignID: c.id, Type: c.typ, Outcome: OutcomeNoTargetingMatch,
				VisitorBucket: -1, AllocationBucket: -1, BucketRanges: c.ranges})
			ct = &tr.Campaigns[len(tr.Campaigns)-1]
		}
		vgi := int32(-1)
		for vi := range c.vgs {
			if s.matchVG(&c.vgs[vi], ct) {
				vgi = int32(vi)
				break
			}
		}
		s.vgs = append(s.vgs, vgi)
		if vgi >= 0 {
			targeted++
			if len(c.vgs[vgi].variations) > 1 {
				multi = true
			}
		}
	}

	// 2. Assignment history.
	h := histState{targeted: targeted}
	if e.history != nil && !o.NoAssignments && (multi || cfg.singleAB || cfg.xpc) {
		if err := e.loadHistory(ctx, cfg, r, groupKey, s, &h); err != nil {
			return decision.Decision{VisitorID: r.VisitorID}, err
		}
	}

	// 3. Allocation.
	hasAB := false
	for ci := range cfg.campaigns {
		vgi := s.vgs[ci]
		if vgi < 0 {
			continue
		}
		c := &cfg.campaigns[ci]
		vg := &c.vgs[vgi]
		var ct *CampaignExplanation
		if tr != nil {
			ct = &tr.Campaigns[ci]
			ct.VariationGroupID = vg.id
		}
		if cfg.singleAB && c.isAB && (len(h.prevAB) > 0 && !contains(h.prevAB, vg.id) || hasAB) {
			if ct != nil {
				ct.Outcome = OutcomeBlocked1V1T
			}
			continue
		}
		b := s.bucket()
		if ct != nil {
			ct.VisitorBucket = b
		}
		if !inBucket(float32(b), c.ranges) {
			if ct != nil {
				ct.Outcome = OutcomeOutOfBucket
			}
			continue
		}
		var p pick
		var outcome Outcome
		if h.enabled {
			p, outcome = h.choose(vg, hashID, o.TriggerHit)
		} else {
			p, outcome = allocate(vg, hashID)
		}
		if ct != nil {
			ct.Outcome = outcome
			ct.AllocationBucket = int(p.reason.Bucket)
			if p.v != nil {
				ct.VariationID = p.v.id
				ct.Reason = p.reason
			}
		}
		if p.v == nil {
			continue
		}
		s.picks = append(s.picks, p)
		if c.isAB {
			hasAB = true
		}
	}

	if h.enabled {
		e.saveHistory(ctx, r, groupKey, &h)
	}

	d := decision.Decision{VisitorID: r.VisitorID}
	if len(s.picks) > 0 {
		d.Campaigns = make([]decision.Assignment, len(s.picks))
		for i, p := range s.picks {
			d.Campaigns[i] = decision.Assignment{Campaign: p.v.result, Reason: p.reason}
		}
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func inBucket(b float32, ranges [][2]float32) bool {
	for _, r := range ranges {
		if b >= r[0] && b < r[1] {
			return true
		}
	}
	return false
}

// allocate picks a fresh variation: hash(variation group id + id) mod 100
// against the cumulative allocations, strict <.
func allocate(vg *cvg, hashID string) (pick, Outcome) {
	if vg.single {
		return pick{v: &vg.variations[0], reason: decision.Reason{Kind: decision.ReasonAllocated, Bucket: -1}}, OutcomeAssigned
	}
	z := int8(murmur3.Sum32Concat(vg.id, hashID) % 100)
	fz := float32(z)
	for i := range vg.cum {
		if fz < vg.cum[i] {
			return pick{v: &vg.variations[i], reason: decision.Reason{Kind: decision.ReasonAllocated, Bucket: z}}, OutcomeAssigned
		}
	}
	return pick{reason: decision.Reason{Kind: decision.ReasonAllocated, Bucket: z}}, OutcomeUntracked
}

func (e *Engine) loadHistory(ctx context.Context, cfg *Config, r decision.Request, groupKey string, s *scratch, h *histState) error {
	h.enabled = true
	h.reconciled = cfg.xpc && r.AnonymousID != ""
	// One read for every key: a store behind the network answers in one
	// round trip.
	keys := append(s.keys[:0], r.VisitorID)
	if h.reconciled {
		keys = append(keys, r.AnonymousID)
	}
	if groupKey != "" {
		keys = append(keys, groupKey)
	}
	s.keys = keys
	into := s.into[:len(keys)]
	if err := e.history.Load(ctx, keys, into); err != nil {
		clear(into)
		return errfmt.Errorf("bucketing: decide: load assignments: %w: %w", ErrHistory, err)
	}
	h.std = into[0]
	i := 1
	if h.reconciled {
		h.anon = into[i]
		i++
	}
	if groupKey != "" {
		h.group = into[i]
	}
	clear(into) // the pooled scratch must not keep them alive
	if cfg.singleAB {
		for ci, vgi := range s.vgs {
			c := &cfg.campaigns[ci]
			if vgi < 0 || !c.isAB {
				continue
			}
			id := c.vgs[vgi].id
			if a, ok := h.std[id]; ok && a.Activated && !contains(h.prevAB, id) {
				h.prevAB = append(h.prevAB, id)
			}
		}
	}
	return nil
}

// choose picks a variation with assignment history, in flagship-common's
// priority: decision group, visitor, anonymous id, fresh allocation.
func (h *histState) choose(vg *cvg, hashID string, trigger bool) (pick, Outcome) {
	// Empty and absent maps are skipped: a lookup is not inlined.
	var std, anon, grp assignment.Assignment
	var ok, okAnon, okGroup bool
	if len(h.std) > 0 {
		std, ok = h.std[vg.id]
	}
	if len(h.anon) > 0 {
		anon, okAnon = h.anon[vg.id]
	}
	if len(h.group) > 0 {
		grp, okGroup = h.group[vg.id]
	}
	exV, exAnon, exGroup := -1, -1, -1
	if ok || okAnon || okGroup {
		for i := range vg.variations {
			id := vg.variations[i].id
			if ok && id == std.VariationID {
				exV = i
			}
			if okAnon && id == anon.VariationID {
				exAnon = i
			}
			if okGroup && id == grp.VariationID {
				exGroup = i
			}
		}
		if exGroup >= 0 {
			exV = exGroup
		}
		if exV < 0 && exAnon < 0 {
			return pick{reason: decision.Reason{Bucket: -1}}, OutcomeDeletedVariation
		}
	}
	var p pick
	isNew, isNewAnon := false, false
	switch {
	case exV >= 0:
		kind := decision.ReasonHistory
		if exGroup >= 0 {
			kind = decision.ReasonDecisionGroupHistory
		}
		p = pick{v: &vg.variations[exV], reason: decision.Reason{Kind: kind, Bucket: -1}}
	case exAnon >= 0:
		p = pick{v: &vg.variations[exAnon], reason: decision.Reason{Kind: decision.ReasonAnonymousHistory, Bucket: -1}}
		isNew = true
	default:
		var out Outcome
		if p, out = allocate(vg, hashID); p.v == nil {
			return p, out
		}
		isNew, isNewAnon = true, true
	}
	if trigger && !(ok && std.Activated) || isNew {
		if h.newStd == nil {
			h.newStd = make(assignment.Assignments, h.targeted)
		}
		h.newStd[vg.id] = assignment.Assignment{VariationID: p.v.id, Activated: trigger}
	}
	if trigger && !(okAnon && anon.Activated) || isNewAnon {
		if h.newAnon == nil {
			h.newAnon = make(assignment.Assignments, h.targeted)
		}
		h.newAnon[vg.id] = assignment.Assignment{VariationID: p.v.id, Activated: trigger}
	}
	return p, OutcomeAssigned
}

func (e *Engine) saveHistory(ctx context.Context, r decision.Request, groupKey string, h *histState) {
	if len(h.newStd) == 0 && len(h.newAnon) == 0 {
		return
	}
	entries := make([]assignment.Entry, 0, 3)
	add := func(key string, a assignment.Assignments) {
		if len(a) > 0 && key != "" {
			entries = append(entries, assignment.Entry{Key: key, Assignments: a})
		}
	}
	add(r.VisitorID, h.newStd)
	add(r.AnonymousID, h.newAnon)
	add(groupKey, h.newStd)
	if len(entries) == 0 {
		return
	}
	if err := e.history.Save(ctx, entries); err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "bucketing: saving assignments failed",
			slog.String("visitor", r.VisitorID), slog.Any("err", err))
	}
}

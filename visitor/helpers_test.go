package visitor_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

const testEnvID = "env-test"

// stubDecider is a hand-written Decider: it returns a canned decision or
// error and records the requests it receives. It is safe for concurrent
// use.
type stubDecider struct {
	mu       sync.Mutex
	decision decision.Decision
	err      error
	requests []decision.Request
}

// set changes what the next calls return.
func (d *stubDecider) set(dec decision.Decision, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.decision, d.err = dec, err
}

// Func returns the decider as a decision.DeciderFunc.
func (d *stubDecider) Func() decision.DeciderFunc {
	return func(_ context.Context, r decision.Request) (decision.Decision, error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.requests = append(d.requests, r)
		if d.err != nil {
			return decision.Decision{}, d.err
		}
		dec := d.decision
		dec.VisitorID = r.VisitorID
		return dec, nil
	}
}

// Requests returns a copy of the requests received so far.
func (d *stubDecider) Requests() []decision.Request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.requests)
}

// consentDecider is a fake ConsentDecider recording the consent it is
// told about. Decide must not be called when DecideConsent exists.
type consentDecider struct {
	mu        sync.Mutex
	decision  decision.Decision
	consents  []bool
	decideHit int
}

func (c *consentDecider) Decide(_ context.Context, r decision.Request) (decision.Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.decideHit++
	return c.decision, nil
}

func (c *consentDecider) DecideConsent(_ context.Context, r decision.Request, consented bool) (decision.Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.consents = append(c.consents, consented)
	return c.decision, nil
}

func (c *consentDecider) Consents() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.consents)
}

var _ visitor.ConsentDecider = (*consentDecider)(nil)

type purgeCall struct {
	EnvID      string
	VisitorIDs []string
}

// recordingTracker is a Tracker and Purger that keeps what it is given.
// When err is set Enqueue fails with it and keeps nothing.
type recordingTracker struct {
	mu       sync.Mutex
	records  []hits.Record
	err      error
	purges   []purgeCall
	purgeErr error
}

var (
	_ visitor.Tracker = (*recordingTracker)(nil)
	_ visitor.Purger  = (*recordingTracker)(nil)
)

func (t *recordingTracker) Enqueue(_ context.Context, r hits.Record) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	t.records = append(t.records, r)
	return nil
}

func (t *recordingTracker) Purge(_ context.Context, envID string, visitorIDs ...string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.purges = append(t.purges, purgeCall{EnvID: envID, VisitorIDs: slices.Clone(visitorIDs)})
	return t.purgeErr
}

func (t *recordingTracker) setErr(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.err = err
}

func (t *recordingTracker) Records() []hits.Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.records)
}

func (t *recordingTracker) Purges() []purgeCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.purges)
}

// OfKind returns the records of kind k.
func (t *recordingTracker) OfKind(k hits.Kind) []hits.Record {
	var out []hits.Record
	for _, r := range t.Records() {
		if r.Kind() == k {
			out = append(out, r)
		}
	}
	return out
}

// Kinds returns the kinds of the records in order.
func (t *recordingTracker) Kinds() []hits.Kind {
	var out []hits.Kind
	for _, r := range t.Records() {
		out = append(out, r.Kind())
	}
	return out
}

// fakeClock is a settable clock, safe for concurrent use.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var testStart = time.Date(2024, 5, 17, 12, 0, 0, 0, time.UTC)

// seqIDs returns deterministic, non-zero record ids 1, 2, 3...
type seqIDs struct{ n atomic.Uint32 }

func (s *seqIDs) New() uuid.UUID { return idN(int(s.n.Add(1))) }

// idN returns the n-th id seqIDs returns.
func idN(n int) uuid.UUID {
	var u uuid.UUID
	u[14], u[15] = byte(n>>8), byte(n)
	return u
}

// testEnv wires a visitor to fakes.
type testEnv struct {
	decider *stubDecider
	tracker *recordingTracker
	clock   *fakeClock
	ids     *seqIDs
}

func newTestEnv(tb testing.TB) *testEnv {
	tb.Helper()
	return &testEnv{
		decider: &stubDecider{decision: twoCampaigns()},
		tracker: &recordingTracker{},
		clock:   &fakeClock{now: testStart},
		ids:     &seqIDs{},
	}
}

func (e *testEnv) config() visitor.Config {
	return visitor.Config{
		EnvID:   testEnvID,
		Decider: e.decider.Func(),
		Tracker: e.tracker,
		Now:     e.clock.Now,
		NewID:   e.ids.New,
	}
}

// newVisitor creates a visitor and fails the test on error.
func newVisitor(tb testing.TB, id string, attrs visitor.Attributes, cfg visitor.Config, opts ...visitor.Option) *visitor.Visitor {
	tb.Helper()
	v, err := visitor.New(id, attrs, cfg, opts...)
	require.NoError(tb, err)
	require.NotNil(tb, v)
	return v
}

// synced creates a visitor of e and synchronizes it.
func (e *testEnv) synced(tb testing.TB, id string, opts ...visitor.Option) *visitor.Visitor {
	tb.Helper()
	v := newVisitor(tb, id, nil, e.config(), opts...)
	require.NoError(tb, v.Synchronize(context.Background()))
	return v
}

func assignment(campaignID, vgID, variationID string, reference bool, modType string, mods map[string]any) decision.Assignment {
	return decision.Assignment{
		Campaign: &decision.Campaign{
			ID:   campaignID,
			Name: "name of " + campaignID,
			Slug: "slug-" + campaignID,
			Type: "ab",
			VariationGroup: decision.VariationGroup{
				ID:   vgID,
				Name: "name of " + vgID,
			},
			Variation: decision.Variation{
				ID:            variationID,
				Name:          "name of " + variationID,
				Reference:     reference,
				Modifications: decision.NewModifications(modType, mods),
			},
		},
		Reason: decision.Reason{Kind: decision.ReasonRemote, Bucket: -1},
	}
}

// twoCampaigns is the decision most tests use: c1 then c2, c2 overriding
// "shared" and "overridden".
func twoCampaigns() decision.Decision {
	c1 := assignment("c1", "vg1", "var1", false, "FLAG", map[string]any{
		"color":   "blue",
		"size":    12.0,
		"enabled": true,
		"ratio":   0.5,
		"neg":     -3.0,
		"obj": map[string]any{
			"a":      1.0,
			"nested": map[string]any{"b": "c"},
		},
		"arr":        []any{1.0, "x", map[string]any{"k": "v"}},
		"null":       nil,
		"shared":     "from-c1",
		"overridden": "value-c1",
	})
	c2 := assignment("c2", "vg2", "var2", true, "JSON", map[string]any{
		"shared":     "from-c2",
		"overridden": nil,
		"onlyC2":     "c2",
	})
	c2.Type = "toggle"
	c2.Slug = ""
	return decision.Decision{Campaigns: []decision.Assignment{c1, c2}}
}

// oneFlag is a decision with a single campaign setting key to val.
func oneFlag(campaignID, vgID, variationID, key string, val any) decision.Decision {
	return decision.Decision{Campaigns: []decision.Assignment{
		assignment(campaignID, vgID, variationID, false, "FLAG", map[string]any{key: val}),
	}}
}

func infoC1() visitor.Info {
	return visitor.Info{
		CampaignID:         "c1",
		CampaignName:       "name of c1",
		CampaignSlug:       "slug-c1",
		CampaignType:       "ab",
		VariationGroupID:   "vg1",
		VariationGroupName: "name of vg1",
		VariationID:        "var1",
		VariationName:      "name of var1",
		Reference:          false,
		ModificationType:   "FLAG",
	}
}

func infoC2() visitor.Info {
	return visitor.Info{
		CampaignID:         "c2",
		CampaignName:       "name of c2",
		CampaignSlug:       "",
		CampaignType:       "toggle",
		VariationGroupID:   "vg2",
		VariationGroupName: "name of vg2",
		VariationID:        "var2",
		VariationName:      "name of var2",
		Reference:          true,
		ModificationType:   "JSON",
	}
}

// activationOf decodes the Fields of an activation record.
type activationFields struct {
	CAID string `json:"caid"`
	VAID string `json:"vaid"`
}

func decodeActivation(tb testing.TB, r hits.Record) activationFields {
	tb.Helper()
	require.Equal(tb, hits.KindActivation, r.Kind())
	var a activationFields
	require.NoError(tb, json.Unmarshal(r.Fields(), &a))
	return a
}

// activations returns the decoded activations tracked so far.
func activations(tb testing.TB, tr *recordingTracker) []activationFields {
	tb.Helper()
	var out []activationFields
	for _, r := range tr.OfKind(hits.KindActivation) {
		out = append(out, decodeActivation(tb, r))
	}
	return out
}

// consentLabels returns the "el" of every consent record tracked so far,
// checking their other fields.
func consentLabels(tb testing.TB, tr *recordingTracker) []string {
	tb.Helper()
	var out []string
	for _, r := range tr.OfKind(hits.KindConsent) {
		require.Equal(tb, hits.TypeEvent, r.Type())
		var f map[string]string
		require.NoError(tb, json.Unmarshal(r.Fields(), &f))
		require.Equal(tb, "User Engagement", f["ec"])
		require.Equal(tb, "fs_consent", f["ea"])
		out = append(out, f["el"])
	}
	return out
}

// segments returns the "s" member of every SEGMENT record tracked so far.
func segments(tb testing.TB, tr *recordingTracker) []map[string]string {
	tb.Helper()
	var out []map[string]string
	for _, r := range tr.OfKind(hits.KindHit) {
		require.Equal(tb, hits.TypeSegment, r.Type())
		var f struct {
			S map[string]string `json:"s"`
		}
		require.NoError(tb, json.Unmarshal(r.Fields(), &f))
		out = append(out, f.S)
	}
	return out
}

// attributeKeys returns the keys of every *AttributeError in err, which
// may be a single error or an errors.Join of several.
func attributeKeys(tb testing.TB, err error) []string {
	tb.Helper()
	require.Error(tb, err)
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var keys []string
	for _, e := range errs {
		var ae *visitor.AttributeError
		require.True(tb, errors.As(e, &ae), "not an *AttributeError: %v", e)
		require.ErrorIs(tb, e, visitor.ErrInvalidAttribute)
		keys = append(keys, ae.Key)
	}
	return keys
}

var errBoom = errors.New("boom")

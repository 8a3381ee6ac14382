package visitor_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// trackCall is one call of an asyncTracker: which method took which
// kind of record.
type trackCall struct {
	Method string // "Enqueue" or "EnqueueAsync"
	Kind   hits.Kind
	Type   hits.Type
}

// asyncTracker is a visitor.AsyncTracker (and Purger) that records which
// method each record went through; both keep the record like a
// recordingTracker, and fail with its err.
type asyncTracker struct {
	recordingTracker

	mu    sync.Mutex
	calls []trackCall
}

var _ visitor.AsyncTracker = (*asyncTracker)(nil)

func (t *asyncTracker) Enqueue(ctx context.Context, r hits.Record) error {
	t.note("Enqueue", r)
	return t.recordingTracker.Enqueue(ctx, r)
}

func (t *asyncTracker) EnqueueAsync(ctx context.Context, r hits.Record) error {
	t.note("EnqueueAsync", r)
	return t.recordingTracker.Enqueue(ctx, r)
}

func (t *asyncTracker) note(method string, r hits.Record) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, trackCall{Method: method, Kind: r.Kind(), Type: r.Type()})
}

func (t *asyncTracker) Calls() []trackCall {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.calls)
}

// TestOwedHitsDoNotWaitForTheTracker: the hits the SDK sends on its own
// on the request path (the consent and context hits Synchronize owes, an
// activation by an activating read) go through EnqueueAsync; what the
// caller asks for (Activate, SendHit, SetConsent) goes through Enqueue.
func TestOwedHitsDoNotWaitForTheTracker(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	tr := &asyncTracker{}
	cfg := e.config()
	cfg.Tracker = tr
	cfg.ContextHits = true
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, visitor.WithConsent(true))

	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "blue", v.Activating(ctx).String("color", "red"))
	require.NoError(t, v.Activate(ctx, "onlyC2"))
	require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://example.com/"}))
	require.NoError(t, v.SetConsent(ctx, false))

	assert.Equal(t, []trackCall{
		{Method: "EnqueueAsync", Kind: hits.KindConsent, Type: hits.TypeEvent},
		{Method: "EnqueueAsync", Kind: hits.KindHit, Type: hits.TypeSegment},
		{Method: "EnqueueAsync", Kind: hits.KindActivation, Type: hits.TypeActivation},
		{Method: "Enqueue", Kind: hits.KindActivation, Type: hits.TypeActivation},
		{Method: "Enqueue", Kind: hits.KindHit, Type: hits.TypePage},
		{Method: "Enqueue", Kind: hits.KindConsent, Type: hits.TypeEvent},
	}, tr.Calls())
}

// TestConsentOwedBySendHitWaits: a consent hit still owed when the caller
// sends a hit goes with it through Enqueue, before it.
func TestConsentOwedBySendHitWaits(t *testing.T) {
	e := newTestEnv(t)
	tr := &asyncTracker{}
	cfg := e.config()
	cfg.Tracker = tr
	v := newVisitor(t, "v-1", nil, cfg, visitor.WithConsent(true))
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	assert.Equal(t, []trackCall{
		{Method: "Enqueue", Kind: hits.KindConsent, Type: hits.TypeEvent},
		{Method: "Enqueue", Kind: hits.KindHit, Type: hits.TypeScreen},
	}, tr.Calls())
}

// TestOwedHitsAsyncFailures: an EnqueueAsync failure of an owed hit goes
// to OnTrackError (the next Synchronize tries again), and one of an
// activating read to OnActivateError.
func TestOwedHitsAsyncFailures(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	tr := &asyncTracker{}
	tr.setErr(errBoom)
	var trackErrs, activateErrs []error
	cfg := e.config()
	cfg.Tracker = tr
	cfg.ContextHits = true
	cfg.OnTrackError = func(_ context.Context, _ string, err error) { trackErrs = append(trackErrs, err) }
	cfg.OnActivateError = func(_ context.Context, _, _ string, err error) { activateErrs = append(activateErrs, err) }
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg, visitor.WithConsent(true))

	require.NoError(t, v.Synchronize(ctx), "flags are resolved whatever the owed hits")
	assert.Equal(t, "blue", v.Activating(ctx).String("color", "red"))
	require.Len(t, trackErrs, 2, "the consent and context hits")
	require.Len(t, activateErrs, 1)
	assert.ErrorIs(t, trackErrs[0], errBoom)
	assert.ErrorIs(t, trackErrs[1], errBoom)
	assert.ErrorIs(t, activateErrs[0], errBoom)

	tr.setErr(nil)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, []string{"go:true"}, consentLabels(t, &tr.recordingTracker))
	assert.Len(t, segments(t, &tr.recordingTracker), 1)
	for _, c := range tr.Calls() {
		assert.Equal(t, "EnqueueAsync", c.Method, "%+v", c)
	}
}

// sentEnv is visitors of one id space sharing a SentContexts, as a
// client's visitors do.
type sentEnv struct {
	*testEnv
	sent *visitor.SentContexts
}

func newSentEnv(tb testing.TB, sent *visitor.SentContexts) *sentEnv {
	tb.Helper()
	return &sentEnv{testEnv: newTestEnv(tb), sent: sent}
}

// sync makes a new Visitor value and synchronizes it, and reports
// whether it queued a context hit.
func (e *sentEnv) sync(tb testing.TB, id, anonymousID string, attrs visitor.Attributes) bool {
	tb.Helper()
	cfg := e.config()
	cfg.ContextHits = true
	cfg.SentContexts = e.sent
	var opts []visitor.Option
	if anonymousID != "" {
		opts = append(opts, visitor.WithAnonymousID(anonymousID))
	}
	before := len(e.tracker.OfKind(hits.KindHit))
	v := newVisitor(tb, id, attrs, cfg, opts...)
	require.NoError(tb, v.Synchronize(context.Background()))
	return len(e.tracker.OfKind(hits.KindHit)) > before
}

// TestSentContextsAcrossVisitorValues: Visitor values made for the same
// visitor id (a Visitor per request) send an unchanged context once; a
// changed context, another visitor id or another anonymous id is sent.
func TestSentContextsAcrossVisitorValues(t *testing.T) {
	gold := visitor.Attributes{"plan": "gold", "age": 31}
	silver := visitor.Attributes{"plan": "silver", "age": 31}
	e := newSentEnv(t, visitor.NewSentContexts(0, 0))
	steps := []struct {
		name     string
		giveID   string
		giveAnon string
		give     visitor.Attributes
		wantSent bool
	}{
		{name: "first", giveID: "u1", give: gold, wantSent: true},
		{name: "same id, same context", giveID: "u1", give: gold, wantSent: false},
		{name: "same context, values as other Go types", giveID: "u1", give: visitor.Attributes{"plan": "gold", "age": int64(31)}, wantSent: false},
		{name: "changed context", giveID: "u1", give: silver, wantSent: true},
		{name: "back to the first context is a change", giveID: "u1", give: gold, wantSent: true},
		{name: "another visitor id", giveID: "u2", give: gold, wantSent: true},
		{name: "an anonymous id", giveID: "u1", giveAnon: "a1", give: gold, wantSent: true},
		{name: "same anonymous id", giveID: "u1", giveAnon: "a1", give: gold, wantSent: false},
		{name: "another anonymous id", giveID: "u1", giveAnon: "a2", give: gold, wantSent: true},
		{name: "no context: nothing to send", giveID: "u3", wantSent: false},
	}
	for _, st := range steps {
		assert.Equal(t, st.wantSent, e.sync(t, st.giveID, st.giveAnon, st.give), st.name)
	}
}

// TestSentContextsNil: without a SentContexts, every Visitor value sends
// its context.
func TestSentContextsNil(t *testing.T) {
	e := newSentEnv(t, nil)
	attrs := visitor.Attributes{"plan": "gold"}
	assert.True(t, e.sync(t, "u1", "", attrs))
	assert.True(t, e.sync(t, "u1", "", attrs))
}

// TestSentContextsWindow: an unchanged context is sent again once the
// window after the last one sent is over; skipping it does not extend the
// window.
func TestSentContextsWindow(t *testing.T) {
	tests := []struct {
		name       string
		giveWindow time.Duration
		wantWindow time.Duration
	}{
		{name: "default", giveWindow: 0, wantWindow: visitor.DefaultContextHitWindow},
		{name: "one minute", giveWindow: time.Minute, wantWindow: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSentEnv(t, visitor.NewSentContexts(0, tt.giveWindow))
			attrs := visitor.Attributes{"plan": "gold"}
			require.True(t, e.sync(t, "u1", "", attrs))
			e.clock.Advance(tt.wantWindow - time.Second)
			assert.False(t, e.sync(t, "u1", "", attrs), "within the window")
			e.clock.Advance(2 * time.Second)
			assert.True(t, e.sync(t, "u1", "", attrs), "after the window")
			e.clock.Advance(tt.wantWindow - time.Second)
			assert.False(t, e.sync(t, "u1", "", attrs), "a new window from the last hit sent")
		})
	}
}

// TestSentContextsFingerprint: the fingerprint is the context's content
// whatever the map's order, and values of different types differ.
func TestSentContextsFingerprint(t *testing.T) {
	tests := []struct {
		name      string
		giveFirst visitor.Attributes
		giveThen  visitor.Attributes
		wantSent  bool
	}{
		{name: `"1" then 1`, giveFirst: visitor.Attributes{"k": "1"}, giveThen: visitor.Attributes{"k": 1.0}, wantSent: true},
		{name: `1 then "1"`, giveFirst: visitor.Attributes{"k": 1.0}, giveThen: visitor.Attributes{"k": "1"}, wantSent: true},
		{name: `1 then true`, giveFirst: visitor.Attributes{"k": 1.0}, giveThen: visitor.Attributes{"k": true}, wantSent: true},
		{name: `"1" then true`, giveFirst: visitor.Attributes{"k": "1"}, giveThen: visitor.Attributes{"k": true}, wantSent: true},
		{name: `"true" then true`, giveFirst: visitor.Attributes{"k": "true"}, giveThen: visitor.Attributes{"k": true}, wantSent: true},
		{name: `true then false`, giveFirst: visitor.Attributes{"k": true}, giveThen: visitor.Attributes{"k": false}, wantSent: true},
		{name: `0 then false`, giveFirst: visitor.Attributes{"k": 0.0}, giveThen: visitor.Attributes{"k": false}, wantSent: true},
		{name: `"" then false`, giveFirst: visitor.Attributes{"k": ""}, giveThen: visitor.Attributes{"k": false}, wantSent: true},
		{name: `"0" then 0`, giveFirst: visitor.Attributes{"k": "0"}, giveThen: visitor.Attributes{"k": 0.0}, wantSent: true},
		{name: `1 then 2`, giveFirst: visitor.Attributes{"k": 1.0}, giveThen: visitor.Attributes{"k": 2.0}, wantSent: true},
		{name: `key and value swapped`, giveFirst: visitor.Attributes{"a": "b"}, giveThen: visitor.Attributes{"b": "a"}, wantSent: true},
		{name: `values swapped between keys`, giveFirst: visitor.Attributes{"a": "x", "b": "y"}, giveThen: visitor.Attributes{"a": "y", "b": "x"}, wantSent: true},
		{name: `a key more`, giveFirst: visitor.Attributes{"a": "x"}, giveThen: visitor.Attributes{"a": "x", "b": "y"}, wantSent: true},
		{name: `int 1 then float 1`, giveFirst: visitor.Attributes{"k": 1}, giveThen: visitor.Attributes{"k": 1.0}, wantSent: false},
		{name: `same`, giveFirst: visitor.Attributes{"a": "x", "b": true, "c": 3.5}, giveThen: visitor.Attributes{"c": 3.5, "b": true, "a": "x"}, wantSent: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newSentEnv(t, visitor.NewSentContexts(0, 0))
			require.True(t, e.sync(t, "u1", "", tt.giveFirst))
			assert.Equal(t, tt.wantSent, e.sync(t, "u1", "", tt.giveThen))
		})
	}
}

// TestSentContextsOrderIndependent: contexts of many keys, built in
// different orders and ranged over in Go's random map order, have one
// fingerprint.
func TestSentContextsOrderIndependent(t *testing.T) {
	e := newSentEnv(t, visitor.NewSentContexts(0, 0))
	build := func(order []int) visitor.Attributes {
		a := visitor.Attributes{}
		for _, i := range order {
			switch i % 3 {
			case 0:
				a["k"+strconv.Itoa(i)] = "s" + strconv.Itoa(i)
			case 1:
				a["k"+strconv.Itoa(i)] = float64(i)
			default:
				a["k"+strconv.Itoa(i)] = i%2 == 0
			}
		}
		return a
	}
	order := make([]int, 40)
	for i := range order {
		order[i] = i
	}
	require.True(t, e.sync(t, "u1", "", build(order)))
	for range 30 {
		slices.Reverse(order)
		assert.False(t, e.sync(t, "u1", "", build(order)))
	}
}

// TestSentContextsOnlyRecordsQueuedHits: a context hit the tracker
// refused is not remembered: the next Visitor value sends it.
func TestSentContextsOnlyRecordsQueuedHits(t *testing.T) {
	e := newSentEnv(t, visitor.NewSentContexts(0, 0))
	attrs := visitor.Attributes{"plan": "gold"}
	e.tracker.setErr(errBoom)
	assert.False(t, e.sync(t, "u1", "", attrs))
	e.tracker.setErr(nil)
	assert.True(t, e.sync(t, "u1", "", attrs))
}

// TestSentContextsIsBounded: beyond its size, the visitor ids used least
// recently are forgotten and their context is sent again.
func TestSentContextsIsBounded(t *testing.T) {
	e := newSentEnv(t, visitor.NewSentContexts(1, 0))
	attrs := visitor.Attributes{"plan": "gold"}
	require.True(t, e.sync(t, "u0", "", attrs))
	for i := 1; i <= 300; i++ {
		require.True(t, e.sync(t, "u"+strconv.Itoa(i), "", attrs))
	}
	assert.True(t, e.sync(t, "u0", "", attrs), "forgotten")
}

// TestSentContextsForgottenOnConsentWithdrawal: withdrawing consent
// purges the queued context hit, so the context is sent again once the
// visitor consents again, whatever Visitor value synchronizes.
func TestSentContextsForgottenOnConsentWithdrawal(t *testing.T) {
	gold := visitor.Attributes{"plan": "gold"}
	e := newSentEnv(t, visitor.NewSentContexts(0, 0))
	require.True(t, e.sync(t, "u1", "", gold))
	require.False(t, e.sync(t, "u1", "", gold))

	cfg := e.config()
	cfg.ContextHits = true
	cfg.SentContexts = e.sent
	v := newVisitor(t, "u1", gold, cfg)
	require.NoError(t, v.SetConsent(context.Background(), false))
	require.NoError(t, v.SetConsent(context.Background(), true))
	before := len(e.tracker.OfKind(hits.KindHit))
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Greater(t, len(e.tracker.OfKind(hits.KindHit)), before, "the same Visitor value sends its context again")
	assert.False(t, e.sync(t, "u1", "", gold), "then it is remembered again")

	e.sent.Forget("u1")
	assert.True(t, e.sync(t, "u1", "", gold), "Forget (erasure) makes the next one send")
}

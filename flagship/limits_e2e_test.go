package flagship_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// plan is a named string type, as applications declare their enums.
type plan string

// TestRefusedAtTheCall: in both modes, an id or a context value that
// could never be delivered is refused by the call that gives it, naming
// it, and nothing of it reaches Flagship.
func TestRefusedAtTheCall(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			srv := abServer(t)
			c := newClient(t, srv, flagship.WithMode(mode))

			tests := []struct {
				name     string
				giveID   string
				giveCtx  visitor.Attributes
				wantIs   error
				wantText string
			}{
				{name: "visitor id not UTF-8", giveID: "v\xff", wantIs: visitor.ErrInvalidID, wantText: "visitor id"},
				{name: "visitor id of 3 MiB", giveID: strings.Repeat("v", 3<<20), wantIs: visitor.ErrInvalidID, wantText: "3145728 bytes, more than 1024"},
				{name: "context key not UTF-8", giveID: "v1", giveCtx: visitor.Attributes{"pl\xc3an": "gold"},
					wantIs: visitor.ErrInvalidAttribute, wantText: `context key "pl\xc3an": key is not valid UTF-8`},
				{name: "context value not UTF-8", giveID: "v1", giveCtx: visitor.Attributes{"plan": "go\xffld"},
					wantIs: visitor.ErrInvalidAttribute, wantText: `context key "plan": value is not valid UTF-8`},
				{name: "integer 2^53+1", giveID: "v1", giveCtx: visitor.Attributes{"account": int64(1<<53 + 1)},
					wantIs: visitor.ErrInvalidAttribute, wantText: `context key "account": integer 9007199254740993 is beyond ±2^53`},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					v, err := c.NewVisitor(tt.giveID, tt.giveCtx)
					require.ErrorIs(t, err, tt.wantIs)
					assert.ErrorContains(t, err, tt.wantText)
					assert.Nil(t, v)
				})
			}

			v, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"})
			require.NoError(t, err)
			err = v.SetContext("plan", "\xfe")
			require.ErrorIs(t, err, visitor.ErrInvalidAttribute)
			assert.ErrorContains(t, err, `"plan"`)
			err = v.SetContext("account", uint64(1<<53+1))
			require.ErrorIs(t, err, visitor.ErrInvalidAttribute)
			assert.ErrorContains(t, err, `"account"`)
			err = v.Authenticate("user\xff")
			require.ErrorIs(t, err, visitor.ErrInvalidID)
			assert.Equal(t, "v1", v.ID())
			require.NoError(t, v.Synchronize(ctx))
			require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
			flush(t, c)

			for _, r := range srv.DecisionRequests() {
				assert.Equal(t, "v1", r.VisitorID)
				assert.Equal(t, "gold", r.Context["plan"], "the refused value was not applied")
				assert.NotContains(t, r.Context, "account")
			}
			for _, h := range srv.Hits() {
				assert.Equal(t, "v1", h.VisitorID)
				if s, ok := h.Fields["s"].(map[string]any); ok {
					assert.Equal(t, "gold", s["plan"])
					assert.NotContains(t, s, "account")
				}
			}
			assert.Zero(t, c.QueueStats().DeadLetters)
		})
	}
}

// TestNamedTypeContext: a context value of a named string type targets
// like a string in both modes, reaches the Decision API as a plain JSON
// string, and the context hit as one.
func TestNamedTypeContext(t *testing.T) {
	gold := flagshiptest.Toggle("gold-offer", map[string]any{"offer": "gold"})
	gold.VariationGroups[0].Targeting = bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "plan", Operator: bucketing.OperatorEquals, Value: "gold"},
	}}}}
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(gold))
			c := newClient(t, srv, flagship.WithMode(mode))

			v, err := c.NewVisitor("v-gold", visitor.Attributes{"plan": plan("gold")})
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, "gold", v.String("offer", "none"), "targeting matches the named type's string")
			got, _ := v.ContextValue("plan")
			assert.IsType(t, "", got)

			other, err := c.NewVisitor("v-silver", visitor.Attributes{"plan": plan("silver")})
			require.NoError(t, err)
			require.NoError(t, other.Synchronize(ctx))
			assert.Equal(t, "none", other.String("offer", "none"))
			flush(t, c)

			if mode == flagship.DecisionAPI {
				reqs := srv.DecisionRequests()
				require.NotEmpty(t, reqs)
				assert.Equal(t, "gold", reqs[0].Context["plan"], "a plain JSON string in the Decision API request")
				return
			}
			var plans []any
			for _, h := range srv.Hits() {
				if h.Type == "SEGMENT" {
					plans = append(plans, h.Fields["s"].(map[string]any)["plan"])
				}
			}
			assert.ElementsMatch(t, []any{"gold", "silver"}, plans, "the context hits carry the string")
		})
	}
}

// TestOversizeContextRefused: in BUCKETING mode, a context whose keys and
// values are each within their limits but whose hit is larger than the
// HTTP body limit is refused by Synchronize, naming the size and the
// limit; the flags are still decided, nothing is queued, and nothing ends
// in the dead letters.
func TestOversizeContextRefused(t *testing.T) {
	ctx := context.Background()
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing))

	attrs := visitor.Attributes{}
	for i := range 700 { // 700 × 4 KiB: 2.9 MB, over DefaultMaxBodyBytes
		attrs["k"+strconv.Itoa(i)] = strings.Repeat("x", visitor.MaxContextValueBytes)
	}
	v, err := c.NewVisitor("v-big", attrs)
	require.NoError(t, err, "each key and value is within its limits")
	err = v.Synchronize(ctx)
	require.ErrorIs(t, err, hits.ErrInvalidRecord)
	require.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
	var tooLarge *eventqueue.RecordTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, flagship.SinkHTTPHits, tooLarge.Sink)
	assert.Equal(t, httpsink.DefaultMaxBodyBytes, tooLarge.Limit)
	assert.Greater(t, tooLarge.Size, tooLarge.Limit)
	assert.ErrorContains(t, err, "over its limit of 2500000 bytes")
	assert.Equal(t, "green", v.String("btn-color", "none"), "the flags are decided")

	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}), "the visitor's other hits are delivered")
	flush(t, c)
	var types []string
	for _, h := range srv.Hits() {
		types = append(types, h.Type)
	}
	assert.Equal(t, []string{"SCREENVIEW"}, types, "no context hit was sent")
	st := c.QueueStats()
	assert.Zero(t, st.DeadLetters)
	assert.EqualValues(t, 1, st.Enqueued)

	require.ErrorIs(t, v.Synchronize(ctx), hits.ErrInvalidRecord, "refused while the context is too large")
	for i := range 400 {
		delete(attrs, "k"+strconv.Itoa(i))
	}
	small, err := c.NewVisitor("v-big", attrs)
	require.NoError(t, err)
	require.NoError(t, small.Synchronize(ctx), "a context that fits is sent")
	flush(t, c)
	assert.Len(t, srv.Hits(), 2)
	assert.Zero(t, c.QueueStats().DeadLetters)
}

// limitedSink carries records of at most max bytes of wire size.
type limitedSink struct {
	max int
	mu  sync.Mutex
	n   int
}

func (s *limitedSink) Send(_ context.Context, b []eventqueue.Record) error {
	s.mu.Lock()
	s.n += len(b)
	s.mu.Unlock()
	return nil
}
func (s *limitedSink) RecordSize(r hits.Record) int { return r.WireSize() }
func (s *limitedSink) MaxRecordSize() int           { return s.max }

// countingTracker counts the records it takes.
type countingTracker struct {
	mu sync.Mutex
	n  int
}

func (t *countingTracker) Enqueue(context.Context, hits.Record) error {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
	return nil
}

// TestTrackerWithSinkRefusesTooLarge: with a caller's Tracker beside a
// sink, a record too large for the sink is refused for both, not handed
// to the Tracker alone; a record of a kind the sink does not take goes to
// the Tracker.
func TestTrackerWithSinkRefusesTooLarge(t *testing.T) {
	ctx := context.Background()
	srv := abServer(t)
	tr := &countingTracker{}
	sink := &limitedSink{max: 300}
	c := newClient(t, srv, flagship.WithDelivery(flagship.DeliveryOptions{
		Tracker: tr,
		Sinks:   []eventqueue.SinkConfig{{Name: "small", Sink: sink, Kinds: []hits.Kind{hits.KindHit}}},
	}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))

	err = v.SendHit(ctx, hits.Screen{Name: strings.Repeat("s", 400)})
	var tooLarge *eventqueue.RecordTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, "small", tooLarge.Sink)
	assert.Equal(t, 300, tooLarge.Limit)
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.Activate(ctx, "btn-color"), "no sink takes activations: the Tracker gets it")
	tr.mu.Lock()
	defer tr.mu.Unlock()
	assert.Equal(t, 2, tr.n, "the hit that fits and the activation")
}

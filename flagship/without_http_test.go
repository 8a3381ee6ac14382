package flagship_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// recSink is a SinkFunc destination that keeps what it is given.
type recSink struct {
	mu   sync.Mutex
	recs []eventqueue.Record
}

func (s *recSink) config(name string) eventqueue.SinkConfig {
	return eventqueue.SinkConfig{Name: name, FlushInterval: time.Millisecond, Sink: eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		s.mu.Lock()
		s.recs = append(s.recs, b...)
		s.mu.Unlock()
		return nil
	})}
}

func (s *recSink) records() []eventqueue.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recs)
}

// postedHits returns the hits posted to srv's events route (not those
// the Decision API emits itself).
func postedHits(srv *flagshiptest.Server) []flagshiptest.Hit {
	var out []flagshiptest.Hit
	for _, h := range srv.Hits() {
		if !h.FromDecision {
			out = append(out, h)
		}
	}
	return out
}

// TestNoHTTP: with DeliveryOptions.NoHTTP, hits and activations go to
// the sink of DeliveryOptions.Sinks alone; Flagship's endpoints receive
// none of them, and the queue has no HTTP backlog.
func TestNoHTTP(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := abServer(t)
			rec := &recSink{}
			c := newClient(t, srv, flagship.WithMode(mode),
				flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{rec.config("rec")}, NoHTTP: true}))
			ctx := context.Background()
			v, err := c.NewVisitor("anon-77", nil)
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, "green", v.Activating(ctx).String("btn-color", "blue"))
			require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://shop.example/checkout"}))
			require.NoError(t, v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "add_to_cart"}))
			flush(t, c)

			var activations, pages, events int
			for _, r := range rec.records() {
				assert.Equal(t, "anon-77", r.VisitorID())
				switch {
				case r.Kind() == hits.KindActivation:
					activations++
					var f map[string]string
					require.NoError(t, json.Unmarshal(r.Fields(), &f))
					assert.Equal(t, map[string]string{"caid": "vg_checkout", "vaid": "var_green"}, f)
				case r.Type() == hits.TypePage:
					pages++
				case r.Type() == hits.TypeEvent && r.Kind() == hits.KindHit:
					events++
				}
			}
			assert.Equal(t, 1, activations, "the activation reached the sink")
			assert.Equal(t, 1, pages, "the page hit reached the sink")
			assert.Equal(t, 1, events, "the event hit reached the sink")

			assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents), "no hit posted to Flagship")
			assert.Empty(t, srv.Bodies(flagshiptest.RouteActivate), "no activation posted to Flagship")
			assert.Empty(t, postedHits(srv))
			assert.Empty(t, srv.Activations())

			st := c.QueueStats()
			var names []string
			for _, s := range st.Sinks {
				names = append(names, s.Name)
			}
			assert.Equal(t, []string{"rec"}, names, "no HTTP sink")
			assert.EqualValues(t, len(rec.records()), st.Sinks[0].Sent)
		})
	}
}

// TestNoHTTPKeepsLeftoverHTTPBacklog: records a previous
// run left for the HTTP sinks stay in the file, counted, and are not
// sent.
func TestNoHTTPKeepsLeftoverHTTPBacklog(t *testing.T) {
	srv := abServer(t)
	dir := t.TempDir()
	ctx := context.Background()
	opts := flagshiptest.ClientOptions(srv.URL, dir)
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})
	c, err := flagship.New(ctx, srv.EnvID(), "key", append(opts,
		flagship.WithDelivery(flagship.DeliveryOptions{RetryInitial: 5 * time.Millisecond, RetryMax: 10 * time.Millisecond}))...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_ = c.Close(cctx) // the endpoint is down: the hit stays in the file
	// Close gave up delivering; wait for its goroutines, so that no late
	// attempt of this client reaches the server after the Reset below.
	require.NoError(t, c.Close(ctx))
	left := c.QueueStats().Sinks[0]
	require.Equal(t, flagship.SinkHTTPHits, left.Name)
	require.Positive(t, left.Depth)
	srv.Handler.Reset()

	rec := &recSink{}
	c2, err := flagship.New(ctx, srv.EnvID(), "key", append(opts,
		flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{rec.config("rec")}, NoHTTP: true}))...)
	require.NoError(t, err)
	defer c2.Close(ctx)
	v2, err := c2.NewVisitor("v2", nil)
	require.NoError(t, err)
	require.NoError(t, v2.SendHit(ctx, hits.Screen{Name: "cart"}))
	flush(t, c2)

	var screens []string
	for _, r := range rec.records() {
		if r.Type() == hits.TypeScreen {
			screens = append(screens, r.VisitorID())
		}
	}
	assert.Equal(t, []string{"v2"}, screens, "the sink gets the new hits only")
	assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents), "the leftover is not sent")
	var kept *eventqueue.SinkStats
	for _, s := range c2.QueueStats().Sinks {
		if s.Name == flagship.SinkHTTPHits {
			kept = &s
		}
	}
	require.NotNil(t, kept, "the leftover backlog is counted")
	assert.False(t, kept.Configured)
	assert.Equal(t, left.Depth, kept.Depth)
}

func TestNoHTTPNeedsADestination(t *testing.T) {
	c, err := flagship.New(context.Background(), "env", "k", flagship.WithCacheDir(t.TempDir()),
		flagship.WithDelivery(flagship.DeliveryOptions{NoHTTP: true}))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Nil(t, c)
	assert.Contains(t, err.Error(), "DeliveryOptions.NoHTTP without Sinks or Tracker")
}

// TestNoHTTPNeedsEveryKind: without the HTTP
// delivery, a sink that takes hits only leaves activations and consents
// with no destination: every Activating fails with ErrInvalidRecord (and,
// in Bucketing mode, no assignment is recorded: variations are no longer
// sticky). New must say so.
func TestNoHTTPNeedsEveryKind(t *testing.T) {
	srv := abServer(t)
	rec := &recSink{}
	cfg := rec.config("rec")
	cfg.Kinds = []hits.Kind{hits.KindHit}
	ctx := context.Background()
	c, err := flagship.New(ctx, srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{cfg}, NoHTTP: true}))...)
	if err == nil {
		defer c.Close(ctx)
		require.NoError(t, c.WaitReady(ctx))
		var activateErr error
		v, err := c.NewVisitor("v1", nil)
		require.NoError(t, err)
		require.NoError(t, v.Synchronize(ctx))
		activateErr = v.Activate(ctx, "btn-color")
		t.Errorf("New accepted a configuration without a destination for activations and consents (activation: %v)", activateErr)
		return
	}
	assert.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "activation")

	// Two sinks that share the kinds are enough.
	acts := &recSink{}
	cfg2 := acts.config("acts")
	cfg2.Kinds = []hits.Kind{hits.KindActivation, hits.KindConsent}
	c2, err := flagship.New(ctx, srv.EnvID(), "key", append(flagshiptest.ClientOptions(srv.URL, t.TempDir()),
		flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{cfg, cfg2}, NoHTTP: true}))...)
	require.NoError(t, err)
	require.NoError(t, c2.Close(ctx))
}

// TestNoHTTPWithTracker: a tracker is a destination too.
func TestNoHTTPWithTracker(t *testing.T) {
	srv := abServer(t)
	tr := &keepTracker{}
	c := newClient(t, srv, flagship.WithDelivery(flagship.DeliveryOptions{Tracker: tr, NoHTTP: true}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	flush(t, c)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var screens int
	for _, r := range tr.recs {
		if r.Type() == hits.TypeScreen {
			screens++
		}
	}
	assert.Equal(t, 1, screens)
	assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents))
}

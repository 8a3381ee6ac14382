package flagship_test

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The client's default tracker is its queue: the visitors' owed hits use
// its EnqueueAsync.
var _ visitor.AsyncTracker = (*eventqueue.Queue)(nil)

// methodTracker is a visitor.AsyncTracker that records which method took
// each kind of record.
type methodTracker struct {
	mu    sync.Mutex
	calls []string
}

func (t *methodTracker) Enqueue(_ context.Context, r hits.Record) error {
	t.note("Enqueue " + string(r.Type()))
	return nil
}

func (t *methodTracker) EnqueueAsync(_ context.Context, r hits.Record) error {
	t.note("EnqueueAsync " + string(r.Type()))
	return nil
}

func (t *methodTracker) note(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls = append(t.calls, s)
}

func (t *methodTracker) Calls() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.calls)
}

// TestOwedHitsUseEnqueueAsync: the client hands a visitor's owed hits
// (consent and context hits of Synchronize, activations of activating
// reads) to its tracker's EnqueueAsync, and what the caller sends to
// Enqueue.
func TestOwedHitsUseEnqueueAsync(t *testing.T) {
	srv := abServer(t)
	tr := &methodTracker{}
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), flagship.WithDelivery(flagship.DeliveryOptions{Tracker: tr}))
	ctx := context.Background()
	v := synced(t, c, "v1", visitor.Attributes{"plan": "gold"}, visitor.WithConsent(true))
	assert.Equal(t, "green", v.Activating(ctx).String("btn-color", "blue"))
	require.NoError(t, v.Activate(ctx, "show-banner"))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.SetConsent(ctx, false))
	assert.Equal(t, []string{
		"EnqueueAsync EVENT", "EnqueueAsync SEGMENT", "EnqueueAsync ACTIVATION",
		"Enqueue ACTIVATION", "Enqueue SCREENVIEW", "Enqueue EVENT",
	}, tr.Calls())
}

// TestOwedHitsAreDelivered: with default options the hits queued without
// waiting for the disk reach Flagship.
func TestOwedHitsAreDelivered(t *testing.T) {
	srv := abServer(t)
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing))
	ctx := context.Background()
	v := synced(t, c, "v1", visitor.Attributes{"plan": "gold"}, visitor.WithConsent(true))
	assert.Equal(t, "green", v.Activating(ctx).String("btn-color", "blue"))
	flush(t, c)
	var got []string
	for _, h := range srv.Hits() {
		got = append(got, h.VisitorID+" "+h.Type)
	}
	assert.ElementsMatch(t, []string{"v1 EVENT", "v1 SEGMENT"}, got)
	acts := srv.Activations()
	require.Len(t, acts, 1)
	assert.Equal(t, "var_green", acts[0].VariationID)
	assert.EqualValues(t, 3, c.QueueStats().Enqueued)
}

// testClock is a settable clock, safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// segmentsSent returns the number of SEGMENT hits srv received once c's
// queue is flushed.
func segmentsSent(t *testing.T, srv *flagshiptest.Server, c *flagship.Client) int {
	t.Helper()
	flush(t, c)
	n := 0
	for _, h := range srv.Hits() {
		if h.Type == "SEGMENT" {
			n++
		}
	}
	return n
}

// TestContextHitsAcrossVisitorValues: the Visitor values a service makes
// for one visitor id (one per request) send an unchanged context once per
// window; a changed context, another id or another anonymous id is sent.
func TestContextHitsAcrossVisitorValues(t *testing.T) {
	gold := visitor.Attributes{"plan": "gold"}
	tests := []struct {
		name       string
		giveOpts   []flagship.Option
		wantWindow time.Duration
	}{
		{name: "default window", wantWindow: visitor.DefaultContextHitWindow},
		{name: "zero ContextHitWindow", giveOpts: []flagship.Option{flagship.WithDelivery(flagship.DeliveryOptions{})}, wantWindow: visitor.DefaultContextHitWindow},
		{name: "ContextHitWindow", giveOpts: []flagship.Option{flagship.WithDelivery(flagship.DeliveryOptions{ContextHitWindow: time.Minute})}, wantWindow: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := abServer(t)
			clock := newTestClock()
			c := startIn(t, srv, t.TempDir(), append([]flagship.Option{flagship.WithMode(flagship.Bucketing),
				flagship.WithClock(clock.Now)}, tt.giveOpts...)...)

			synced(t, c, "u1", gold)
			synced(t, c, "u1", gold)
			assert.Equal(t, 1, segmentsSent(t, srv, c), "two Visitor values, one context hit")
			synced(t, c, "u1", visitor.Attributes{"plan": "silver"})
			assert.Equal(t, 2, segmentsSent(t, srv, c), "a changed context is sent")
			synced(t, c, "u2", visitor.Attributes{"plan": "silver"})
			assert.Equal(t, 3, segmentsSent(t, srv, c), "another visitor id")
			synced(t, c, "u1", visitor.Attributes{"plan": "silver"}, visitor.WithAnonymousID("anon-1"))
			synced(t, c, "u1", visitor.Attributes{"plan": "silver"}, visitor.WithAnonymousID("anon-1"))
			assert.Equal(t, 4, segmentsSent(t, srv, c), "an anonymous id, once")
			synced(t, c, "u1", visitor.Attributes{"plan": "silver"}, visitor.WithAnonymousID("anon-2"))
			assert.Equal(t, 5, segmentsSent(t, srv, c), "another anonymous id")

			clock.Advance(tt.wantWindow - time.Second)
			synced(t, c, "u2", visitor.Attributes{"plan": "silver"})
			assert.Equal(t, 5, segmentsSent(t, srv, c), "within the window")
			clock.Advance(2 * time.Second)
			synced(t, c, "u2", visitor.Attributes{"plan": "silver"})
			assert.Equal(t, 6, segmentsSent(t, srv, c), "after the window")
		})
	}
}

// TestContextHitWindowMustNotBeNegative: a negative window is a config
// error naming the field.
func TestContextHitWindowMustNotBeNegative(t *testing.T) {
	_, err := flagship.New(context.Background(), "env", "key",
		flagship.WithDelivery(flagship.DeliveryOptions{ContextHitWindow: -time.Second}))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "DeliveryOptions.ContextHitWindow -1s")
}

package flagship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestEveryCallAfterCloseIsErrClosed: after Close, Status is CLOSED and
// every call that does I/O, the client's and its visitors', fails with an
// error matching ErrClosed, in both modes and with either queue.
func TestEveryCallAfterCloseIsErrClosed(t *testing.T) {
	configs := []struct {
		name string
		opts []flagship.Option
	}{
		{name: "DECISION_API"},
		{name: "BUCKETING", opts: []flagship.Option{flagship.WithMode(flagship.Bucketing)}},
		{name: "DECISION_API in memory", opts: []flagship.Option{flagship.WithDelivery(flagship.DeliveryOptions{InMemory: true})}},
		{name: "BUCKETING in memory", opts: []flagship.Option{flagship.WithMode(flagship.Bucketing),
			flagship.WithDelivery(flagship.DeliveryOptions{InMemory: true})}},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			srv := abServer(t)
			ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
			defer cancel()
			c, err := flagship.New(ctx, srv.EnvID(), "key", append(srv.Options(), cfg.opts...)...)
			require.NoError(t, err)
			require.NoError(t, c.WaitReady(ctx))
			// Visitors made before Close, each in the state its call needs.
			synced, err := c.NewVisitor("v1", visitor.Attributes{"plan": "gold"})
			require.NoError(t, err)
			require.NoError(t, synced.Synchronize(ctx)) // has a variation to activate
			withdrawn, err := c.NewVisitor("v2", nil, visitor.WithConsent(false))
			require.NoError(t, err)
			require.NoError(t, c.Close(context.Background()))

			assert.Equal(t, flagship.StatusClosed, c.Status())
			assert.False(t, c.Ready())
			tests := []struct {
				name string
				call func() error
			}{
				{name: "NewVisitor", call: func() error { _, err := c.NewVisitor("v3", nil); return err }},
				{name: "WaitReady", call: func() error { return c.WaitReady(ctx) }},
				{name: "Flush", call: func() error { return c.Flush(ctx) }},
				{name: "EraseVisitorData", call: func() error { return c.EraseVisitorData(ctx, "v1") }},
				{name: "Synchronize", call: func() error { return synced.Synchronize(ctx) }},
				{name: "UpdateContextAndSynchronize", call: func() error {
					return synced.UpdateContextAndSynchronize(ctx, visitor.Attributes{"plan": "silver"})
				}},
				{name: "SendHit", call: func() error { return synced.SendHit(ctx, hits.Screen{Name: "home"}) }},
				{name: "Activate", call: func() error { return synced.Activate(ctx, "btn-color") }},
				{name: "SetConsent(false)", call: func() error { return synced.SetConsent(ctx, false) }},
				{name: "SetConsent(true)", call: func() error { return withdrawn.SetConsent(ctx, true) }},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					require.ErrorIs(t, tt.call(), flagship.ErrClosed)
				})
			}
			require.NoError(t, c.Close(context.Background()), "Close again")
			assert.Equal(t, flagship.StatusClosed, c.Status())
		})
	}
}

// TestStatusStaysClosed: a Synchronize in flight when Close is called
// ends after it, answered in panic mode; the status stays CLOSED.
func TestStatusStaysClosed(t *testing.T) {
	srv := abServer(t)
	c := newClient(t, srv)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	srv.SetPanic(true)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Latency: 200 * time.Millisecond})
	done := make(chan error, 1)
	go func() { done <- v.Synchronize(context.Background()) }()
	require.Eventually(t, func() bool { return srv.FaultedRequests() == 1 }, hangLimit, time.Millisecond, "the decision is in flight")
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, returns(t, "Synchronize in flight", func() error { return <-done }), "the decision was answered")
	assert.Equal(t, visitor.ReasonPanic, v.Evaluate("btn-color", "blue").Reason, "answered in panic mode")
	assert.Equal(t, flagship.StatusClosed, c.Status(), "a decision ending after Close does not change the status")
}

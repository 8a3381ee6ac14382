package flagship_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestReviewWithoutHTTPDeliveryNeedsEveryKind: without the HTTP
// delivery, a sink that takes hits only leaves activations and consents
// with no destination: every Activating fails with ErrInvalidRecord (and,
// in Bucketing mode, no assignment is recorded: variations are no longer
// sticky). New must say so.
func TestReviewWithoutHTTPDeliveryNeedsEveryKind(t *testing.T) {
	srv := abServer(t)
	rec := &recSink{}
	cfg := rec.config("rec")
	cfg.Kinds = []hits.Kind{hits.KindHit}
	ctx := context.Background()
	c, err := flagship.New(ctx, srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithSink(cfg), flagship.WithoutHTTPDelivery())...)
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
		flagship.WithSink(cfg), flagship.WithSink(cfg2), flagship.WithoutHTTPDelivery())...)
	require.NoError(t, err)
	require.NoError(t, c2.Close(ctx))
}

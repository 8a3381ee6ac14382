package flagshiptest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestOptions runs a flagship client in both modes against a Server,
// pointed at it by Options, or by Endpoints alone (with a cache
// directory): decisions come from the server.
func TestOptions(t *testing.T) {
	tests := []struct {
		name          string
		giveMode      flagship.Mode
		giveOpts      func(t *testing.T, s *flagshiptest.Server) []flagship.Option
		wantDecisions int
	}{
		{name: "Options, decision API", giveMode: flagship.DecisionAPI, giveOpts: serverOptions, wantDecisions: 1},
		{name: "Options, bucketing", giveMode: flagship.Bucketing, giveOpts: serverOptions, wantDecisions: 0},
		{name: "Endpoints, decision API", giveMode: flagship.DecisionAPI, giveOpts: serverEndpoints, wantDecisions: 1},
		{name: "Endpoints, bucketing", giveMode: flagship.Bucketing, giveOpts: serverEndpoints, wantDecisions: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true})))
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := flagship.New(ctx, s.EnvID(), "key", append(tt.giveOpts(t, s), flagship.WithMode(tt.giveMode))...)
			require.NoError(t, err)
			defer func() { assert.NoError(t, c.Close(context.Background())) }()
			require.NoError(t, c.WaitReady(ctx))

			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.True(t, v.Bool("newCheckout", false))
			assert.Len(t, s.DecisionRequests(), tt.wantDecisions)
			assert.Equal(t, tt.wantDecisions == 0, s.BucketingRequests() > 0)
		})
	}
}

func serverOptions(_ *testing.T, s *flagshiptest.Server) []flagship.Option { return s.Options() }

func serverEndpoints(t *testing.T, s *flagshiptest.Server) []flagship.Option {
	return []flagship.Option{s.Endpoints(), flagship.WithCacheDir(t.TempDir())}
}

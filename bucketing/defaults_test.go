package bucketing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

func TestContextDefaults(t *testing.T) {
	cfg, err := bucketing.ParseConfig([]byte(`{"campaigns":[{"id":"c1","type":"toggle","bucketRanges":[{"r":[0,100]}],
		"variationGroups":[{"id":"vg1","targeting":{"targetingGroups":[{"targetings":[
			{"key":"fs_client","operator":"EQUALS","value":"go"}]}]},
		"variations":[{"id":"v1","allocation":100,"modifications":{"type":"FLAG","value":{"k":1}}}]}]}]}`))
	require.NoError(t, err)
	tests := []struct {
		name         string
		giveDefaults map[string]any
		giveContext  map[string]any
		want         int
	}{
		{name: "default matches", giveDefaults: map[string]any{"fs_client": "go"}, want: 1},
		{name: "request overrides default", giveDefaults: map[string]any{"fs_client": "go"}, giveContext: map[string]any{"fs_client": "ts"}, want: 0},
		{name: "no default", want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := bucketing.NewEngine(bucketing.Options{ContextDefaults: tt.giveDefaults})
			e.Update(cfg)
			d, err := e.Decide(context.Background(), decision.Request{VisitorID: "v", Context: tt.giveContext})
			require.NoError(t, err)
			assert.Len(t, d.Campaigns, tt.want)
		})
	}
}

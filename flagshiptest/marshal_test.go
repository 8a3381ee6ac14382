package flagshiptest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// TestMarshalRoundTrip checks bucketing.Parse(marshalFile(f)) == f for
// files as Parse returns them.
func TestMarshalRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "vectors", give: "vectors:bucketing.json"},
		{name: "vectors 1v1t", give: "vectors:bucketing_1v1t.json"},
		{name: "empty", give: `{}`},
		{name: "empty lists", give: `{"campaigns":[{"id":"c","bucketRanges":[],"variationGroups":[{"id":"vg","targeting":{"targetingGroups":[{"targetings":[]},{}]},"variations":[]}]}]}`},
		{name: "settings", give: `{"generatedAt":"2025-05-01T10:00:00Z","panic":true,"visitorConsolidation":true,
			"accountSettings":{"enabledXPC":true,"enabled1V1T":true,"troubleshooting":{"traffic":4}}}`},
		{name: "slugs", give: `{"campaigns":[{"id":"a","slug":""},{"id":"b","slug":"s"},{"id":"c","slug":null},{"id":"d","custom_id":"x"}]}`},
		{name: "rules", give: `{"campaigns":[{"id":"c","variationGroups":[{"id":"vg","targeting":{"targetingGroups":[{"targetings":[
			{"key":"a","operator":"EQUALS"},
			{"key":"b","operator":"NOT_EQUALS","value":null},
			{"key":"c","operator":"equals","value":[1,"x",true,null,{"k":[2.5]}]},
			{"key":"d","operator":99,"value":1e300},
			{"key":"e","operator":"CONTAINS","value":"<&>","provider":"p"}]}]}}]}]}`},
		{name: "variations", give: `{"campaigns":[{"id":"c","type":"ab","bucketRanges":[{"r":[0,50.5,7]},{"r":[71,71.5]}],"variationGroups":[{"id":"vg","name":"n","variations":[
			{"id":"v1","name":"x","reference":true,"allocation":"50","modifications":{"type":"JSON","value":{"a":null,"b":{"c":[1]}}}},
			{"id":"v2","allocation":-3,"modifications":{"type":"flag","value":{}}},
			{"id":"v3","modifications":{"type":5}},
			{"id":"v4","modifications":{}},
			{"id":"v5","teOptions":{"contextKeys":{"a":"b"}}}]}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.give)
			if name, ok := strings.CutPrefix(tt.give, "vectors:"); ok {
				var err error
				data, err = os.ReadFile(filepath.Join("../testdata/vectors", name))
				require.NoError(t, err)
			}
			want, err := bucketing.Parse(data)
			require.NoError(t, err)
			b, err := marshalFile(want)
			require.NoError(t, err)
			got, err := bucketing.Parse(b)
			require.NoError(t, err, string(b))
			assert.Equal(t, want, got, string(b))
			again, err := marshalFile(got)
			require.NoError(t, err)
			assert.Equal(t, string(b), string(again))
		})
	}
}

// TestMarshalCodeCampaigns checks campaigns built in code: ints read back
// as float64 and an empty modification type as NULL.
func TestMarshalCodeCampaigns(t *testing.T) {
	f := &bucketing.File{Campaigns: []bucketing.Campaign{{
		ID: "c", Type: "toggle",
		VariationGroups: []bucketing.VariationGroup{{ID: "vg", Variations: []bucketing.Variation{
			{ID: "v", Allocation: 100, Modifications: decision.Modifications{Value: map[string]any{"n": 3, "f": float32(1.5)}}},
		}}},
	}}}
	b, err := marshalFile(f)
	require.NoError(t, err)
	assert.Equal(t, `{"panic":false,"visitorConsolidation":false,"accountSettings":{"enabledXPC":false,"enabled1V1T":false},`+
		`"campaigns":[{"id":"c","name":"","type":"toggle","variationGroups":[{"id":"vg","name":"","variations":[`+
		`{"id":"v","name":"","reference":false,"allocation":100,"modifications":{"value":{"f":1.5,"n":3}}}]}]}]}`+"\n", string(b))
	got, err := bucketing.Parse(b)
	require.NoError(t, err)
	assert.Equal(t, decision.Modifications{Type: "NULL", Value: map[string]any{"n": 3.0, "f": 1.5}},
		got.Campaigns[0].VariationGroups[0].Variations[0].Modifications)
}

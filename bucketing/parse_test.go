package bucketing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// file wraps one variation in a minimal valid bucketing file.
func file(variation string) string {
	return `{"accountSettings":{},"campaigns":[{"id":"c1","type":"ab","bucketRanges":[{"r":[0,100]}],
	"variationGroups":[{"id":"vg1","targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
	"variations":[` + variation + `]}]}]}`
}

func TestParseAllocation(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    int32
		wantErr string
	}{
		{name: "integer", give: `50`, want: 50},
		{name: "integral float", give: `50.0`, want: 50},
		{name: "exponent", give: `5e1`, want: 50},
		{name: "fraction absorbed by exponent", give: `0.5e2`, want: 50},
		{name: "numeric string", give: `"50"`, want: 50},
		{name: "null is zero", give: `null`, want: 0},
		{name: "negative", give: `-5`, want: -5},
		{name: "fractional rejects the file", give: `33.5`, wantErr: "campaigns[0].variationGroups[0].variations[0].allocation: not an integer"},
		{name: "negative exponent shifting a digit", give: `5e-1`, wantErr: "allocation: not an integer"},
		{name: "out of int32 range", give: `3000000000`, wantErr: "allocation: integer out of int32 range"},
		{name: "string with spaces", give: `" 50"`, wantErr: "allocation: not an integer"},
		{name: "fractional string", give: `"33.5"`, wantErr: "allocation: not an integer"},
		{name: "bool", give: `true`, wantErr: "allocation: expected an integer, got bool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := bucketing.Parse([]byte(file(`{"id":"v1","allocation":` + tt.give + `}`)))
			if tt.wantErr != "" {
				require.ErrorIs(t, err, bucketing.ErrInvalidFile)
				assert.Contains(t, err.Error(), tt.wantErr)
				var pe *bucketing.ParseError
				require.True(t, errors.As(err, &pe))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, f.Campaigns[0].VariationGroups[0].Variations[0].Allocation)
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "not JSON", give: `{`, wantErr: "invalid JSON"},
		{name: "trailing data", give: `{} {}`, wantErr: "unexpected data after the value"},
		{name: "top level array", give: `[]`, wantErr: "expected an object, got array"},
		{name: "panic as string", give: `{"panic":"false"}`, wantErr: "panic: expected a bool, got string"},
		{name: "duplicate field", give: `{"panic":false,"panic":true}`, wantErr: `panic: duplicate field "panic"`},
		{name: "duplicate field across spellings", give: `{"generatedAt":"","generated_at":""}`, wantErr: "generatedAt: duplicate field"},
		{name: "bare array bucket range", give: `{"campaigns":[{"id":"c","bucketRanges":[[0,100]]}]}`, wantErr: "campaigns[0].bucketRanges[0]: expected an object, got array"},
		{name: "short bucket range", give: `{"campaigns":[{"id":"c","bucketRanges":[{"r":[10]}]}]}`, wantErr: "campaigns[0].bucketRanges[0].r: a bucket range needs two bounds"},
		{name: "campaign id number", give: `{"campaigns":[{"id":5}]}`, wantErr: "campaigns[0].id: expected a string, got number"},
		{name: "duplicate key in modification value", give: file(`{"id":"v","modifications":{"type":"FLAG","value":{"a":1,"a":2}}}`), wantErr: `modifications.value: duplicate key "a"`},
		{name: "modification value not an object", give: file(`{"id":"v","modifications":{"type":"FLAG","value":[1]}}`), wantErr: "modifications.value: expected an object, got array"},
		{name: "invalid utf-8", give: "{\"generatedAt\":\"\xff\"}", wantErr: "invalid UTF-8"},
		{name: "lone surrogate", give: `{"generatedAt":"\ud800"}`, wantErr: "surrogate"},
		{name: "bad timestamp", give: `{"accountSettings":{"troubleshooting":{"startDate":"yesterday"}}}`, wantErr: "accountSettings.troubleshooting.startDate: invalid RFC 3339 timestamp"},
		{name: "targeting value out of range", give: `{"campaigns":[{"id":"c","variationGroups":[{"targeting":{"targetingGroups":[{"targetings":[{"key":"a","value":1e999}]}]}}]}]}`, wantErr: "campaigns[0].variationGroups[0].targeting.targetingGroups[0].targetings[0].value: number 1e999 out of range"},
		{name: "deep nesting", give: `{"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, wantErr: "nesting deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bucketing.Parse([]byte(tt.give))
			require.ErrorIs(t, err, bucketing.ErrInvalidFile)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestParseTolerates(t *testing.T) {
	data := `{
	  "unknownTop": {"anything": [1, {"x": null}]}, "unknownTop": 1,
	  "panic": null, "visitor_consolidation": true,
	  "accountSettings": {"enabled1V1T": true, "eaiCollectEnabled": true},
	  "campaigns": [{
	    "id": "c1", "custom_id": "legacy", "slug": null, "type": "ab",
	    "bucket_ranges": [{"r": ["0", "75.5", 3]}],
	    "variation_groups": [{
	      "id": "vg1",
	      "targeting": {"targeting_groups": [{"targetings": [
	        {"key": "a", "operator": "equals", "value": "x"},
	        {"key": "b", "operator": 5, "value": null},
	        {"key": "c", "operator": "EXISTS", "provider": "segment"}
	      ]}]},
	      "variations": [{"id": "v1", "allocation": "100", "te_options": {"context_keys": {"k": "v"}},
	        "modifications": {"type": "SOMETHING_NEW", "value": {"flag": true}}}]
	    }]
	  }]
	}`
	f, err := bucketing.Parse([]byte(data))
	require.NoError(t, err)
	assert.True(t, f.VisitorConsolidation)
	assert.True(t, f.AccountSettings.Enabled1V1T)
	c := f.Campaigns[0]
	assert.Nil(t, c.Slug)
	assert.Equal(t, []float64{0, 75.5, 3}, c.BucketRanges[0].R)
	rules := c.VariationGroups[0].Targeting.Groups[0].Rules
	assert.Equal(t, bucketing.OperatorNull, rules[0].Operator, "unknown operator names read as NULL")
	assert.Equal(t, bucketing.OperatorNotEquals, rules[1].Operator, "enum numbers are accepted")
	assert.Nil(t, rules[1].Value)
	assert.False(t, rules[1].NoValue, "null is a value")
	assert.True(t, rules[2].NoValue)
	assert.Equal(t, "segment", rules[2].Provider)
	v := c.VariationGroups[0].Variations[0]
	assert.Equal(t, int32(100), v.Allocation)
	assert.Equal(t, "NULL", v.Modifications.Type, "unknown modification types read as NULL")
	assert.Equal(t, map[string]any{"flag": true}, v.Modifications.Value)
}

func TestCompileExposesAllKeys(t *testing.T) {
	f, err := bucketing.Parse([]byte(file(`
		{"id":"v1","allocation":50,"modifications":{"type":"FLAG","value":{"color":"blue"}}},
		{"id":"v2","allocation":50,"modifications":{"type":"JSON","value":{"size":12}}}`)))
	require.NoError(t, err)
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	seen := map[string]map[string]any{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		d, err := e.Decide(t.Context(), request(id, nil))
		require.NoError(t, err)
		require.Len(t, d.Campaigns, 1)
		seen[d.Campaigns[0].Variation.ID] = d.Campaigns[0].Variation.Modifications.Value
	}
	assert.Equal(t, map[string]any{"color": "blue", "size": nil}, seen["v1"])
	assert.Equal(t, map[string]any{"color": nil, "size": 12.0}, seen["v2"])
}

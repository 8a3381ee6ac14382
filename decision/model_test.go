package decision_test

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/decision"
)

func TestModificationsLookup(t *testing.T) {
	small := map[string]any{"color": "blue", "size": 12.0, "off": nil}
	large := map[string]any{}
	for i := range 40 {
		large["k"+strconv.Itoa(i)] = float64(i)
	}
	tests := []struct {
		name    string
		give    decision.Modifications
		key     string
		want    any
		wantSet bool
	}{
		{name: "indexed hit", give: decision.NewModifications("FLAG", small), key: "size", want: 12.0, wantSet: true},
		{name: "indexed null", give: decision.NewModifications("FLAG", small), key: "off", want: nil, wantSet: true},
		{name: "indexed miss", give: decision.NewModifications("FLAG", small), key: "nope"},
		{name: "map hit", give: decision.NewModifications("FLAG", large), key: "k39", want: 39.0, wantSet: true},
		{name: "map miss", give: decision.NewModifications("FLAG", large), key: "k40"},
		{name: "literal", give: decision.Modifications{Type: "FLAG", Value: small}, key: "color", want: "blue", wantSet: true},
		{name: "empty", give: decision.NewModifications("FLAG", nil), key: "color"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.give.Lookup(tt.key)
			assert.Equal(t, tt.wantSet, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	a, b := decision.NewModifications("FLAG", small), decision.NewModifications("FLAG", small)
	assert.Equal(t, a, b, "equal inputs give equal values")
	m := decision.NewModifications("FLAG", small)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = m.Lookup("size") }))
}

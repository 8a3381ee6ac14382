package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContextValue(t *testing.T) {
	tests := []struct {
		give string
		want any
	}{
		{give: "true", want: true},
		{give: "false", want: false},
		{give: "True", want: "True"},
		{give: "42", want: 42.0},
		{give: "-1.5", want: -1.5},
		{give: "1e3", want: 1000.0},
		{give: "007", want: 7.0},
		{give: "1.2.3", want: "1.2.3"},
		{give: "Inf", want: "Inf"},
		{give: "NaN", want: "NaN"},
		{give: "1e999", want: "1e999"},
		{give: "", want: ""},
		{give: " 1", want: " 1"},
		{give: "pro", want: "pro"},
		{give: "a=b", want: "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, contextValue(tt.give))
		})
	}
}

func TestContextFlags(t *testing.T) {
	m := map[string]any{}
	c, cj := contextFlag(m), contextJSONFlag(m)
	require.NoError(t, c.Set("plan=pro"))
	require.NoError(t, c.Set("expr=a=b"))
	require.NoError(t, cj.Set(`{"ids":[1,2],"plan":"free","nested":{"k":null}}`))
	require.NoError(t, c.Set("age=20"))
	assert.Equal(t, map[string]any{
		"plan":   "free", // the later flag wins
		"expr":   "a=b",
		"ids":    []any{1.0, 2.0},
		"nested": map[string]any{"k": nil},
		"age":    20.0,
	}, m)
}

func TestContextFlagsErrors(t *testing.T) {
	tests := []struct {
		name    string
		set     func(string) error
		give    string
		wantErr string
	}{
		{name: "no equal sign", set: contextFlag{}.Set, give: "plan", wantErr: "want key=value"},
		{name: "empty key", set: contextFlag{}.Set, give: "=pro", wantErr: "empty key"},
		{name: "json array", set: contextJSONFlag{}.Set, give: "[1]", wantErr: "want a JSON object"},
		{name: "json null", set: contextJSONFlag{}.Set, give: "null", wantErr: "want a JSON object"},
		{name: "json empty", set: contextJSONFlag{}.Set, give: " ", wantErr: "want a JSON object"},
		{name: "json invalid", set: contextJSONFlag{}.Set, give: `{"a":}`, wantErr: "invalid JSON"},
		{name: "json trailing data", set: contextJSONFlag{}.Set, give: `{"a":1} {}`, wantErr: "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorContains(t, tt.set(tt.give), tt.wantErr)
		})
	}
}

package hits

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdString is what encoding/json writes for s with HTML escaping off.
func stdString(tb testing.TB, s string) string {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(tb, enc.Encode(s))
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "empty", give: ""},
		{name: "ascii", give: "hello world"},
		{name: "quote and backslash", give: `a"b\c`},
		{name: "short escapes", give: "\b\f\n\r\t"},
		{name: "other controls", give: "\x00\x01\x1f\x7f"},
		{name: "html", give: "<a href='x'>&amp;</a>"},
		{name: "line separators", give: "a\u2028b\u2029c"},
		{name: "multi-byte", give: "caf\u00e9 \u2192 \U0001F600"},
		{name: "invalid UTF-8", give: "a\xffb\xc3"},
		{name: "surrogate half", give: "\xed\xa0\x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, stdString(t, tt.give), string(appendString(nil, tt.give)))
			assert.Equal(t, stdString(t, tt.give), string(appendString(nil, []byte(tt.give))), "[]byte form")
		})
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"\\b", "\x00\u2028<>&", "\xff\xfe", "caf\u00e9\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString([]byte("x"), s)
		require.Equal(t, "x"+stdString(t, s), string(got))
	})
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		give float64
	}{
		{name: "zero", give: 0},
		{name: "negative zero", give: math.Copysign(0, -1)},
		{name: "integer", give: 42},
		{name: "fraction", give: 12.5},
		{name: "cents", give: 4.99},
		{name: "negative", give: -0.1},
		{name: "1e-6 stays fixed", give: 1e-6},
		{name: "below 1e-6 uses exponent", give: 9.99e-7},
		{name: "1e-7 exponent without padding", give: 1e-7},
		{name: "just below 1e21 stays fixed", give: 999999999999999900000},
		{name: "1e21 uses exponent", give: 1e21},
		{name: "max float", give: math.MaxFloat64},
		{name: "smallest subnormal", give: math.SmallestNonzeroFloat64},
		{name: "large negative", give: -1.5e300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.give)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(appendFloat(nil, tt.give)))
		})
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1, 12.5, 1e21, 1e-7, -3.25e-300} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Skip("validation rejects non-finite floats")
		}
		want, err := json.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendFloat(nil, v)), "value %s", strconv.FormatFloat(v, 'g', -1, 64))
	})
}

func TestAppendOptionalMembers(t *testing.T) {
	tests := []struct {
		name string
		give []byte
		want string
	}{
		{name: "empty string omitted", give: appendOptString(nil, "el", ""), want: ""},
		{name: "string", give: appendOptString(nil, "el", "x"), want: `,"el":"x"`},
		{name: "zero int omitted", give: appendOptInt(nil, "ev", 0), want: ""},
		{name: "negative int", give: appendOptInt(nil, "ev", -3), want: `,"ev":-3`},
		{name: "zero float omitted", give: appendOptFloat(nil, "tr", 0), want: ""},
		{name: "negative zero float omitted", give: appendOptFloat(nil, "tr", math.Copysign(0, -1)), want: ""},
		{name: "float", give: appendOptFloat(nil, "tr", 1.25), want: `,"tr":1.25`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, string(tt.give))
		})
	}
}

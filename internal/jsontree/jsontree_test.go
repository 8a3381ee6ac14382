package jsontree_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/internal/jsontree"
)

func str(s string) jsontree.Node { return jsontree.Node{Kind: jsontree.String, Str: s} }
func num(s string) jsontree.Node { return jsontree.Node{Kind: jsontree.Number, Str: s} }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		give string
		want jsontree.Node
	}{
		{name: "null", give: "null", want: jsontree.Node{Kind: jsontree.Null}},
		{name: "true", give: "true", want: jsontree.Node{Kind: jsontree.Bool, Bool: true}},
		{name: "false", give: "false", want: jsontree.Node{Kind: jsontree.Bool}},
		{name: "surrounding whitespace", give: " \t\r\n1 \t\r\n", want: num("1")},
		{name: "zero", give: "0", want: num("0")},
		{name: "negative zero", give: "-0", want: num("-0")},
		{name: "integer", give: "1234567890", want: num("1234567890")},
		{name: "fraction", give: "-12.50", want: num("-12.50")},
		{name: "exponent", give: "1e10", want: num("1e10")},
		{name: "signed exponent", give: "2.5E-3", want: num("2.5E-3")},
		{name: "plus exponent", give: "0e+1", want: num("0e+1")},
		{name: "number out of float64 range is still a number", give: "1e400", want: num("1e400")},
		{name: "huge integer kept as text", give: "123456789012345678901234567890", want: num("123456789012345678901234567890")},
		{name: "empty string", give: `""`, want: str("")},
		{name: "string", give: `"abc"`, want: str("abc")},
		{name: "simple escapes", give: `"\"\\\/\b\f\n\r\t"`, want: str("\"\\/\b\f\n\r\t")},
		{name: "unicode escape", give: `"\u00e9\u20AC"`, want: str("é€")},
		{name: "escaped NUL", give: `"\u0000"`, want: str("\x00")},
		{name: "surrogate pair", give: `"\ud83d\ude00"`, want: str("😀")},
		{name: "escaped U+FFFD", give: `"\ufffd"`, want: str("\ufffd")},
		{name: "raw multi-byte UTF-8", give: `"é€😀"`, want: str("é€😀")},
		{name: "raw UTF-8 after an escape", give: `"\n é"`, want: str("\n é")},
		{name: "DEL is allowed", give: "\"\x7f\"", want: str("\x7f")},
		{name: "empty array", give: "[ ]", want: jsontree.Node{Kind: jsontree.Array}},
		{name: "empty object", give: "{ }", want: jsontree.Node{Kind: jsontree.Object}},
		{
			name: "array",
			give: `[1, "a", true, null, [], {}]`,
			want: jsontree.Node{Kind: jsontree.Array, Items: []jsontree.Node{
				num("1"), str("a"), {Kind: jsontree.Bool, Bool: true}, {Kind: jsontree.Null},
				{Kind: jsontree.Array}, {Kind: jsontree.Object},
			}},
		},
		{
			name: "object keeps member order",
			give: `{"b": 1, "a": [2], "c": {"d": null}}`,
			want: jsontree.Node{Kind: jsontree.Object, Members: []jsontree.Member{
				{Key: "b", Value: num("1")},
				{Key: "a", Value: jsontree.Node{Kind: jsontree.Array, Items: []jsontree.Node{num("2")}}},
				{Key: "c", Value: jsontree.Node{Kind: jsontree.Object, Members: []jsontree.Member{{Key: "d", Value: jsontree.Node{Kind: jsontree.Null}}}}},
			}},
		},
		{
			name: "object keeps duplicate keys",
			give: `{"a": 1, "b": 2, "a": 3}`,
			want: jsontree.Node{Kind: jsontree.Object, Members: []jsontree.Member{
				{Key: "a", Value: num("1")}, {Key: "b", Value: num("2")}, {Key: "a", Value: num("3")},
			}},
		},
		{
			name: "escaped keys",
			give: `{"a\u0062": 1, "ab": 2, "\n": 3}`,
			want: jsontree.Node{Kind: jsontree.Object, Members: []jsontree.Member{
				{Key: "ab", Value: num("1")}, {Key: "ab", Value: num("2")}, {Key: "\n", Value: num("3")},
			}},
		},
		{
			name: "repeated keys across objects",
			give: `[{"k": 1}, {"k": 2}]`,
			want: jsontree.Node{Kind: jsontree.Array, Items: []jsontree.Node{
				{Kind: jsontree.Object, Members: []jsontree.Member{{Key: "k", Value: num("1")}}},
				{Kind: jsontree.Object, Members: []jsontree.Member{{Key: "k", Value: num("2")}}},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsontree.Parse([]byte(tt.give), 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, json.Valid([]byte(tt.give)), "encoding/json agrees it is valid")
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantOff int
		wantMsg string
	}{
		{name: "empty", give: "", wantOff: 0, wantMsg: "unexpected end of input"},
		{name: "only whitespace", give: "  ", wantOff: 2, wantMsg: "unexpected end of input"},
		{name: "unknown character", give: "x", wantOff: 0, wantMsg: "unexpected character"},
		{name: "trailing data", give: "1 2", wantOff: 2, wantMsg: "after the value"},
		{name: "two objects", give: "{}{}", wantOff: 2, wantMsg: "after the value"},
		{name: "short literal", give: "tru", wantOff: 0, wantMsg: "invalid literal"},
		{name: "misspelt literal", give: "nul1", wantOff: 0, wantMsg: "invalid literal"},
		{name: "literal with trailing letters", give: "truex", wantOff: 4, wantMsg: "after the value"},
		{name: "capitalized literal", give: "True", wantOff: 0, wantMsg: "unexpected character"},
		{name: "lone minus", give: "-", wantOff: 1, wantMsg: "invalid number"},
		{name: "leading plus", give: "+1", wantOff: 0, wantMsg: "unexpected character"},
		{name: "leading zero", give: "01", wantOff: 1, wantMsg: "after the value"},
		{name: "leading dot", give: ".5", wantOff: 0, wantMsg: "unexpected character"},
		{name: "trailing dot", give: "1.", wantOff: 2, wantMsg: "invalid number"},
		{name: "empty exponent", give: "1e", wantOff: 2, wantMsg: "invalid number"},
		{name: "signed empty exponent", give: "1e+", wantOff: 3, wantMsg: "invalid number"},
		{name: "hex", give: "0x1", wantOff: 1, wantMsg: "after the value"},
		{name: "NaN", give: "NaN", wantOff: 0, wantMsg: "unexpected character"},
		{name: "unterminated string", give: `"abc`, wantOff: 4, wantMsg: "unterminated string"},
		{name: "unterminated string after an escape", give: `"a\n`, wantOff: 4, wantMsg: "unterminated string"},
		{name: "unterminated escape", give: `"\`, wantOff: 1, wantMsg: "unterminated escape"},
		{name: "unknown escape", give: `"\x41"`, wantOff: 1, wantMsg: "invalid escape"},
		{name: "short unicode escape", give: `"\u12"`, wantOff: 1, wantMsg: `invalid \u escape`},
		{name: "non-hex unicode escape", give: `"\u12g4"`, wantOff: 1, wantMsg: `invalid \u escape`},
		{name: "signed unicode escape", give: `"\u+123"`, wantOff: 1, wantMsg: `invalid \u escape`},
		{name: "lone high surrogate", give: `"\ud83d"`, wantOff: 7, wantMsg: "surrogate"},
		{name: "lone low surrogate", give: `"\ude00"`, wantOff: 7, wantMsg: "surrogate"},
		{name: "high surrogate then a letter", give: `"\ud83dx"`, wantOff: 7, wantMsg: "surrogate"},
		{name: "high surrogate then a non-surrogate escape", give: `"\ud83d\u0041"`, wantOff: 7, wantMsg: "surrogate"},
		{name: "two high surrogates", give: `"\ud83d\ud83d"`, wantOff: 7, wantMsg: "surrogate"},
		{name: "raw newline", give: "\"a\nb\"", wantOff: 2, wantMsg: "control character"},
		{name: "raw NUL", give: "\"\x00\"", wantOff: 1, wantMsg: "control character"},
		{name: "raw tab after an escape", give: "\"\\n\t\"", wantOff: 3, wantMsg: "control character"},
		{name: "invalid UTF-8", give: "\"\xff\"", wantOff: 1, wantMsg: "invalid UTF-8"},
		{name: "invalid UTF-8 after an escape", give: "\"\\n\xff\"", wantOff: 3, wantMsg: "invalid UTF-8"},
		{name: "truncated UTF-8", give: "\"\xe2\x82\"", wantOff: 1, wantMsg: "invalid UTF-8"},
		{name: "UTF-8 encoded surrogate", give: "\"\xed\xa0\x80\"", wantOff: 1, wantMsg: "invalid UTF-8"},
		{name: "invalid UTF-8 in a key", give: "{\"\xff\":1}", wantOff: 2, wantMsg: "invalid UTF-8"},
		{name: "unclosed array", give: "[1", wantOff: 2, wantMsg: "end of input in array"},
		{name: "unclosed empty array", give: "[", wantOff: 1, wantMsg: "unexpected end of input"},
		{name: "trailing comma in array", give: "[1,]", wantOff: 3, wantMsg: "unexpected character"},
		{name: "missing comma in array", give: "[1 2]", wantOff: 3, wantMsg: "expected ',' or ']'"},
		{name: "leading comma in array", give: "[,1]", wantOff: 1, wantMsg: "unexpected character"},
		{name: "unclosed object", give: `{"a":1`, wantOff: 6, wantMsg: "end of input in object"},
		{name: "unclosed empty object", give: "{", wantOff: 1, wantMsg: "expected a string key"},
		{name: "trailing comma in object", give: `{"a":1,}`, wantOff: 7, wantMsg: "expected a string key"},
		{name: "unquoted key", give: `{a:1}`, wantOff: 1, wantMsg: "expected a string key"},
		{name: "number key", give: `{1:1}`, wantOff: 1, wantMsg: "expected a string key"},
		{name: "missing colon", give: `{"a" 1}`, wantOff: 5, wantMsg: "expected ':'"},
		{name: "missing value", give: `{"a":}`, wantOff: 5, wantMsg: "unexpected character"},
		{name: "missing comma in object", give: `{"a":1 "b":2}`, wantOff: 7, wantMsg: "expected ',' or '}'"},
		{name: "mismatched brackets", give: "[}", wantOff: 1, wantMsg: "unexpected character"},
		{name: "byte order mark", give: "\ufeff1", wantOff: 0, wantMsg: "unexpected character"},
		{name: "non-breaking space", give: "\u00a01", wantOff: 0, wantMsg: "unexpected character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsontree.Parse([]byte(tt.give), 0)
			var se *jsontree.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.wantOff, se.Off, "offset (%v)", err)
			assert.Contains(t, se.Msg, tt.wantMsg)
		})
	}
}

// TestParseStricterThanEncodingJSON: what encoding/json accepts and
// Parse refuses, by its contract.
func TestParseStricterThanEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "invalid UTF-8", give: "\"\xff\""},
		{name: "lone surrogate escape", give: `"\ud800"`},
		{name: "reversed surrogate pair", give: `"\ude00\ud83d"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, json.Valid([]byte(tt.give)), "encoding/json accepts it")
			_, err := jsontree.Parse([]byte(tt.give), 0)
			var se *jsontree.SyntaxError
			assert.ErrorAs(t, err, &se)
		})
	}
}

func nested(depth int) []byte {
	return []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
}

func nestedObjects(depth int) []byte {
	return []byte(strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth))
}

func TestParseDepth(t *testing.T) {
	tests := []struct {
		name         string
		give         []byte
		giveMaxDepth int
		wantErr      bool
	}{
		{name: "scalar at depth 0", give: []byte("1"), giveMaxDepth: 1},
		{name: "arrays at the limit", give: nested(3), giveMaxDepth: 3},
		{name: "arrays over the limit", give: nested(4), giveMaxDepth: 3, wantErr: true},
		{name: "objects at the limit", give: nestedObjects(3), giveMaxDepth: 3},
		{name: "objects over the limit", give: nestedObjects(4), giveMaxDepth: 3, wantErr: true},
		{name: "mixed over the limit", give: []byte(`{"a":[{"b":[1]}]}`), giveMaxDepth: 3, wantErr: true},
		{name: "siblings do not add up", give: []byte(`[[1],[2],{"a":[3]}]`), giveMaxDepth: 3},
		{name: "default at the limit", give: nested(jsontree.DefaultMaxDepth), giveMaxDepth: 0},
		{name: "default over the limit", give: nested(jsontree.DefaultMaxDepth + 1), giveMaxDepth: 0, wantErr: true},
		{name: "negative means the default", give: nested(jsontree.DefaultMaxDepth + 1), giveMaxDepth: -1, wantErr: true},
		{name: "objects at the default limit", give: nestedObjects(jsontree.DefaultMaxDepth), giveMaxDepth: 0},
		{name: "objects over the default limit", give: nestedObjects(jsontree.DefaultMaxDepth + 1), giveMaxDepth: 0, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jsontree.Parse(tt.give, tt.giveMaxDepth)
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
		})
	}
}

// TestParseDefaultDepthAgreesWithEncodingJSON: encoding/json's own
// nesting limit is the same as DefaultMaxDepth.
func TestParseDefaultDepthAgreesWithEncodingJSON(t *testing.T) {
	for _, depth := range []int{jsontree.DefaultMaxDepth, jsontree.DefaultMaxDepth + 1} {
		for _, give := range [][]byte{nested(depth), nestedObjects(depth)} {
			var v any
			stdErr := json.Unmarshal(give, &v)
			_, err := jsontree.Parse(give, 0)
			assert.Equal(t, stdErr != nil, err != nil, "depth %d: encoding/json %v, jsontree %v", depth, stdErr, err)
		}
	}
}

func TestParseDoesNotAliasInput(t *testing.T) {
	data := []byte(`{"key": ["value", 12.5, "esc\n"]}`)
	n, err := jsontree.Parse(data, 0)
	require.NoError(t, err)
	clear(data)
	assert.Equal(t, "key", n.Members[0].Key)
	assert.Equal(t, "value", n.Members[0].Value.Items[0].Str)
	assert.Equal(t, "12.5", n.Members[0].Value.Items[1].Str)
	assert.Equal(t, "esc\n", n.Members[0].Value.Items[2].Str)
}

func TestSyntaxErrorError(t *testing.T) {
	_, err := jsontree.Parse([]byte("[1,]"), 0)
	require.Error(t, err)
	assert.Equal(t, `invalid JSON at offset 3: unexpected character ']'`, err.Error())
}

func TestKindString(t *testing.T) {
	tests := []struct {
		give jsontree.Kind
		want string
	}{
		{give: jsontree.Null, want: "null"},
		{give: jsontree.Bool, want: "bool"},
		{give: jsontree.Number, want: "number"},
		{give: jsontree.String, want: "string"},
		{give: jsontree.Array, want: "array"},
		{give: jsontree.Object, want: "object"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.String())
		})
	}
}

func TestNodeFloat(t *testing.T) {
	tests := []struct {
		give    string
		want    float64
		wantErr bool
	}{
		{give: "0", want: 0},
		{give: "-0", want: 0},
		{give: "1.5", want: 1.5},
		{give: "-2e3", want: -2000},
		{give: "1E-2", want: 0.01},
		{give: "9007199254740993", want: 9007199254740992}, // rounded to the nearest float64
		{give: "1.7976931348623157e308", want: 1.7976931348623157e308},
		{give: "1e-400", want: 0}, // underflow rounds to zero, as in encoding/json
		{give: "1e400", wantErr: true},
		{give: "-1e400", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			n, err := jsontree.Parse([]byte(tt.give), 0)
			require.NoError(t, err)
			got, err := n.Float()
			assert.Equal(t, tt.wantErr, err != nil, "error: %v", err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNodeInterface(t *testing.T) {
	tests := []struct {
		name string
		give string
		want any
	}{
		{name: "null", give: "null", want: nil},
		{name: "bool", give: "false", want: false},
		{name: "number", give: "-1.25e2", want: -125.0},
		{name: "string", give: `"a\u00e9"`, want: "aé"},
		{name: "empty array", give: "[]", want: []any{}},
		{name: "empty object", give: "{}", want: map[string]any{}},
		{name: "nested", give: `{"a":[1,{"b":null}],"c":"d"}`, want: map[string]any{"a": []any{1.0, map[string]any{"b": nil}}, "c": "d"}},
		{name: "keys differing in case are distinct", give: `{"a":1,"A":2}`, want: map[string]any{"a": 1.0, "A": 2.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := jsontree.Parse([]byte(tt.give), 0)
			require.NoError(t, err)
			got, err := n.Interface()
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			var std any
			require.NoError(t, json.Unmarshal([]byte(tt.give), &std))
			assert.Equal(t, std, got, "the same as encoding/json's")
		})
	}
}

func TestNodeInterfaceErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "duplicate key", give: `{"a":1,"a":1}`, wantErr: `duplicate key "a"`},
		{name: "duplicate key after unescaping", give: `{"ab":1,"a\u0062":2}`, wantErr: `duplicate key "ab"`},
		{name: "nested duplicate key", give: `[{"x":{"k":1,"k":2}}]`, wantErr: `duplicate key "k"`},
		{name: "number out of range", give: `1e400`, wantErr: "out of range"},
		{name: "nested number out of range", give: `{"a":[-1e999]}`, wantErr: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := jsontree.Parse([]byte(tt.give), 0)
			require.NoError(t, err, "Parse itself accepts it")
			_, err = n.Interface()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestParseAllocations(t *testing.T) {
	data := []byte(`{"campaigns":[{"id":"c1","type":"ab","variationGroups":[{"id":"vg","variations":[{"id":"v1","allocation":50},{"id":"v2","allocation":50}]}]},{"id":"c2","type":"toggle","variationGroups":[]}]}`)
	n := testing.AllocsPerRun(100, func() {
		if _, err := jsontree.Parse(data, 0); err != nil {
			t.Fatal(err)
		}
	})
	// 25 with Go 1.26: the 15 strings (9 values, 6 distinct keys, which
	// are interned), the key map and a few arenas; one allocation per
	// node (19 of them) would come on top.
	assert.Less(t, n, 30.0)
}

// hasSurrogateEscape reports whether data may hold a \u escape of a
// UTF-16 surrogate, which encoding/json accepts alone and Parse does not.
func hasSurrogateEscape(data []byte) bool {
	for i := 0; i+2 < len(data); i++ {
		if data[i] == '\\' && data[i+1] == 'u' && (data[i+2] == 'd' || data[i+2] == 'D') {
			return true
		}
	}
	return false
}

// FuzzParse checks that Parse never panics, accepts only what
// encoding/json accepts, accepts everything encoding/json accepts but
// for the strictness its contract states (invalid UTF-8, lone
// surrogates), and that Interface, when it succeeds, returns what
// json.Unmarshal does.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		``, `null`, `true`, `false`, `0`, `-0.5e+10`, `1e400`, `1e-400`, `"a\u00e9\ud83d\ude00\n"`,
		`[1,"a",true,null,[],{}]`, `{"a":1,"b":[2,{"c":null}]}`, `{"a":1,"a":2}`, `{"ab":1,"a\u0062":2}`,
		`"\ud800"`, `"\ude00\ud83d"`, "\"\xff\"", "\"a\nb\"", `[1,]`, `{"a" 1}`, `01`, `1.`, `-`, `"\u12g4"`,
		`[[[[[[[[[[1]]]]]]]]]]`, ` {"k" : [ 1 , 2 ] } `, "\ufeff{}", `{"a":{"a":{"a":{}}}}`, `123456789012345678901234567890`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := jsontree.Parse(data, 0)
		valid := json.Valid(data)
		if err != nil {
			var se *jsontree.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T, want *SyntaxError", data, err)
			}
			if se.Off < 0 || se.Off > len(data) {
				t.Fatalf("Parse(%q): offset %d outside the input", data, se.Off)
			}
			if valid && utf8.Valid(data) && !hasSurrogateEscape(data) {
				t.Fatalf("Parse(%q) = %v, encoding/json accepts it", data, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Parse(%q) accepted what encoding/json refuses", data)
		}
		got, err := n.Interface()
		if err != nil {
			return // duplicate keys or a number out of range: encoding/json differs by design
		}
		var want any
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("Parse(%q).Interface() = %v, json.Unmarshal: %v", data, got, err)
		}
		if !assert.ObjectsAreEqual(want, got) {
			t.Fatalf("Parse(%q).Interface() = %#v, json.Unmarshal = %#v", data, got, want)
		}
		// The tree does not alias data.
		orig := bytes.Clone(data)
		clear(data)
		again, err := n.Interface()
		copy(data, orig)
		if err != nil || !assert.ObjectsAreEqual(got, again) {
			t.Fatalf("Parse(%q): the tree changed with its input: %#v, then %#v (%v)", data, got, again, err)
		}
	})
}

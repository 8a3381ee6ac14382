package kafkasink

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// documented is the renaming the package documentation promises (doc.go,
// "Messages"), written out independently of fieldNames.
var documented = func() map[hits.Type]map[string]string {
	common := map[string]string{"uip": "user_ip", "sr": "screen_resolution", "ul": "language", "sn": "session_number", "cst": "session_timestamp"}
	with := func(m map[string]string) map[string]string {
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	return map[hits.Type]map[string]string{
		hits.TypePage:   with(map[string]string{"dl": "url"}),
		hits.TypeScreen: with(map[string]string{"dl": "name"}),
		hits.TypeTransaction: with(map[string]string{"tid": "transaction_id", "ta": "affiliation", "tr": "revenue",
			"ts": "shipping", "tt": "tax", "tc": "currency", "tcc": "coupon_code", "pm": "payment_method",
			"sm": "shipping_method", "icn": "item_count"}),
		hits.TypeItem: with(map[string]string{"tid": "transaction_id", "in": "name", "ic": "code", "ip": "price",
			"iq": "quantity", "iv": "category"}),
		hits.TypeEvent:      with(map[string]string{"ec": "category", "ea": "action", "el": "label", "ev": "value"}),
		hits.TypeSegment:    {"s": "context"},
		hits.TypeActivation: {"caid": "variation_group_id", "vaid": "variation_id"},
	}
}()

var fullCommon = hits.Common{UserIP: "203.0.113.7", ScreenResolution: "1920x1080", Language: "fr-fr", SessionNumber: 3, SessionTimestamp: 1_700_000_000}

var testCreated = time.Date(2026, 11, 21, 10, 30, 0, 125_999_999, time.FixedZone("CET", 3600))

func newTestRecord(tb testing.TB, aid string, h hits.Hit) hits.Record {
	tb.Helper()
	r, err := hits.NewRecord(uuid.MustParse("4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77"), "c0ffee", "customer-42", aid, testCreated, h)
	require.NoError(tb, err)
	return r
}

// member is one member of a JSON object, in order.
type member struct {
	Key   string
	Value json.RawMessage
}

// objectMembersOf returns the members of the JSON object b in order.
func objectMembersOf(tb testing.TB, b []byte) []member {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	require.NoError(tb, err)
	require.Equal(tb, json.Delim('{'), tok, "%s", b)
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(tb, err)
		var v json.RawMessage
		require.NoError(tb, dec.Decode(&v))
		out = append(out, member{Key: tok.(string), Value: v})
	}
	_, err = dec.Token()
	require.NoError(tb, err)
	return out
}

func decodeAny(tb testing.TB, raw []byte) any {
	tb.Helper()
	var v any
	require.NoError(tb, json.Unmarshal(raw, &v), "%s", raw)
	return v
}

// TestAppendValueEveryHitType: for every hit type with all its fields
// set, the value is valid JSON of the documented shape, each wire name is
// replaced by its documented readable name (none is left), and each value
// is the record's.
func TestAppendValueEveryHitType(t *testing.T) {
	tests := []struct {
		name       string
		give       hits.Hit
		wantKind   string
		wantType   string
		wantFields map[string]any
		wantCommon bool // the Common members, set by fullCommon
	}{
		{name: "page", give: hits.Page{URL: "https://shop.example/p?q=1", Common: fullCommon}, wantKind: "hit", wantType: "PAGEVIEW",
			wantFields: map[string]any{"url": "https://shop.example/p?q=1"}, wantCommon: true},
		{name: "screen", give: hits.Screen{Name: "home", Common: fullCommon}, wantKind: "hit", wantType: "SCREENVIEW",
			wantFields: map[string]any{"name": "home"}, wantCommon: true},
		{name: "transaction", give: hits.Transaction{ID: "T-1001", Affiliation: "checkout", Revenue: 59.9, Shipping: 4.5, Tax: 9.98,
			Currency: "EUR", CouponCode: "SPRING", PaymentMethod: "card", ShippingMethod: "post", ItemCount: 2, Common: fullCommon},
			wantKind: "hit", wantType: "TRANSACTION",
			wantFields: map[string]any{"transaction_id": "T-1001", "affiliation": "checkout", "revenue": 59.9, "shipping": 4.5, "tax": 9.98,
				"currency": "EUR", "coupon_code": "SPRING", "payment_method": "card", "shipping_method": "post", "item_count": 2.0}, wantCommon: true},
		{name: "item", give: hits.Item{TransactionID: "T-1001", Name: "shoe", Code: "SKU-1", Price: 21.25, Quantity: 2, Category: "shoes", Common: fullCommon},
			wantKind: "hit", wantType: "ITEM",
			wantFields: map[string]any{"transaction_id": "T-1001", "name": "shoe", "code": "SKU-1", "price": 21.25, "quantity": 2.0, "category": "shoes"}, wantCommon: true},
		{name: "event", give: hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: "sku-12", Value: 3, Common: fullCommon},
			wantKind: "hit", wantType: "EVENT",
			wantFields: map[string]any{"category": "Action Tracking", "action": "add_to_cart", "label": "sku-12", "value": 3.0}, wantCommon: true},
		{name: "segment", give: hits.Segment{Context: map[string]any{"plan": "gold", "age": 31, "vip": true}}, wantKind: "hit", wantType: "SEGMENT",
			wantFields: map[string]any{"context": map[string]any{"age": "31", "plan": "gold", "vip": "true"}}},
		{name: "activation", give: hits.Activation{VariationGroupID: "vg_checkout", VariationID: "var_green"}, wantKind: "activation", wantType: "ACTIVATION",
			wantFields: map[string]any{"variation_group_id": "vg_checkout", "variation_id": "var_green"}},
		{name: "consent", give: hits.Consent{Consented: true}, wantKind: "consent", wantType: "EVENT",
			wantFields: map[string]any{"category": "User Engagement", "action": "fs_consent", "label": "go:true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecord(t, "7e0a5d2c-anon", tt.give)
			want := map[string]any{}
			for k, v := range tt.wantFields {
				want[k] = v
			}
			if tt.wantCommon {
				want["user_ip"], want["screen_resolution"], want["language"] = "203.0.113.7", "1920x1080", "fr-fr"
				want["session_number"], want["session_timestamp"] = 3.0, 1_700_000_000.0
			}

			prefix := []byte("prefix")
			b, err := appendValue(bytes.Clone(prefix), &r)
			require.NoError(t, err)
			require.True(t, bytes.HasPrefix(b, prefix), "appends")
			v := b[len(prefix):]
			require.True(t, json.Valid(v), "%s", v)

			top := objectMembersOf(t, v)
			var keys []string
			for _, m := range top {
				keys = append(keys, m.Key)
			}
			assert.Equal(t, []string{"schema", "id", "kind", "type", "env_id", "visitor_id", "anonymous_id", "created", "fields"}, keys)
			var env struct {
				Schema      int             `json:"schema"`
				ID          string          `json:"id"`
				Kind        string          `json:"kind"`
				Type        string          `json:"type"`
				EnvID       string          `json:"env_id"`
				VisitorID   string          `json:"visitor_id"`
				AnonymousID string          `json:"anonymous_id"`
				Created     string          `json:"created"`
				Fields      json.RawMessage `json:"fields"`
			}
			require.NoError(t, json.Unmarshal(v, &env))
			assert.Equal(t, SchemaVersion, env.Schema)
			assert.Equal(t, r.ID().String(), env.ID)
			assert.Equal(t, tt.wantKind, env.Kind)
			assert.Equal(t, tt.wantType, env.Type)
			assert.Equal(t, "c0ffee", env.EnvID)
			assert.Equal(t, "customer-42", env.VisitorID)
			assert.Equal(t, "7e0a5d2c-anon", env.AnonymousID)
			assert.Equal(t, "2026-11-21T09:30:00.125Z", env.Created, "UTC, milliseconds")

			// Every wire member of the record is renamed, with its value.
			names := documented[r.Type()]
			require.NotNil(t, names)
			wire := objectMembersOf(t, r.Fields())
			got := objectMembersOf(t, env.Fields)
			require.Len(t, got, len(wire))
			for i, m := range wire {
				readable, ok := names[m.Key]
				require.True(t, ok, "wire member %q of %s has a documented readable name", m.Key, r.Type())
				assert.Equal(t, readable, got[i].Key)
				assert.Equal(t, string(m.Value), string(got[i].Value), "the value is copied as it is")
			}
			for _, m := range got {
				_, isWire := names[m.Key]
				assert.False(t, isWire, "wire name %q left", m.Key)
			}
			assert.Equal(t, want, decodeAny(t, env.Fields))
		})
	}
}

// TestAppendValueDocumentedExample: the documented example, byte for byte.
func TestAppendValueDocumentedExample(t *testing.T) {
	r := newTestRecord(t, "7e0a5d2c-1b2c-4d5e-8f90-a1b2c3d4e5f6",
		hits.Transaction{ID: "T-1001", Affiliation: "checkout", Revenue: 59.9, Currency: "EUR", ItemCount: 2})
	b, err := appendValue(nil, &r)
	require.NoError(t, err)
	assert.Equal(t, `{"schema":1,"id":"4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77","kind":"hit","type":"TRANSACTION",`+
		`"env_id":"c0ffee","visitor_id":"customer-42","anonymous_id":"7e0a5d2c-1b2c-4d5e-8f90-a1b2c3d4e5f6",`+
		`"created":"2026-11-21T09:30:00.125Z",`+
		`"fields":{"transaction_id":"T-1001","affiliation":"checkout","revenue":59.9,"currency":"EUR","item_count":2}}`, string(b))
}

func TestAppendValueAnonymousIDOnlyWhenSet(t *testing.T) {
	r := newTestRecord(t, "", hits.Screen{Name: "home"})
	b, err := appendValue(nil, &r)
	require.NoError(t, err)
	require.True(t, json.Valid(b), "%s", b)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	assert.NotContains(t, m, "anonymous_id")
	assert.NotContains(t, string(b), "anonymous_id")
	assert.Equal(t, "customer-42", m["visitor_id"])

	r = newTestRecord(t, "anon-1", hits.Screen{Name: "home"})
	b, err = appendValue(nil, &r)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &m))
	assert.Equal(t, "anon-1", m["anonymous_id"])
}

func TestAppendValueCreated(t *testing.T) {
	tests := []struct {
		give time.Time
		want string
	}{
		{give: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), want: "2026-01-02T03:04:05.000Z"},
		{give: time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.UTC), want: "2026-01-02T03:04:05.007Z"},
		{give: time.Date(2026, 1, 2, 3, 4, 5, 999_999_999, time.UTC), want: "2026-01-02T03:04:05.999Z"},
		{give: time.Date(2026, 1, 1, 1, 0, 0, 500_000_000, time.FixedZone("X", 5*3600+1800)), want: "2025-12-31T19:30:00.500Z"},
		{give: time.Date(2026, 6, 30, 20, 0, 0, 0, time.FixedZone("Y", -10*3600)), want: "2026-07-01T06:00:00.000Z"},
	}
	for _, tt := range tests {
		r, err := hits.NewRecord(uuid.MustParse("4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77"), "c0ffee", "customer-42", "", tt.give, hits.Screen{Name: "home"})
		require.NoError(t, err)
		b, err := appendValue(nil, &r)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		assert.Equal(t, tt.want, m["created"])
		parsed, err := time.Parse(time.RFC3339Nano, m["created"].(string))
		require.NoError(t, err)
		assert.True(t, parsed.Equal(tt.give.Truncate(time.Millisecond)), "RFC 3339, the instant to the millisecond")
	}
}

// TestAppendValueEscapesStrings: the ids are escaped, and bytes that are
// not UTF-8 each become U+FFFD. NewRecord refuses ids that are not UTF-8
// but UnmarshalBinary does not check them: such a record is forged.
func TestAppendValueEscapesStrings(t *testing.T) {
	const valid = "a\"b\\c/d\x00\x01\x1f\x7f\n\r\t é 🙂 \u2028\u2029 <&> end"
	for _, nasty := range []string{valid, valid + " \xff\xfe end"} {
		f := storedForm{
			kind: hits.KindHit, id: uuid.MustParse("4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77"), created: testCreated,
			typ: hits.TypeScreen, env: "env\"" + nasty, vid: nasty, aid: "\"" + nasty + "\"", fields: `{"dl":"home"}`,
		}
		r := forged(t, f)
		if utf8.ValidString(nasty) {
			built, err := hits.NewRecord(f.id, f.env, f.vid, f.aid, f.created, hits.Screen{Name: "home"})
			require.NoError(t, err)
			assert.Equal(t, formOf(built).fields, formOf(r).fields)
			r = built
		}
		b, err := appendValue(nil, &r)
		require.NoError(t, err)
		require.True(t, json.Valid(b), "%q", b)
		assert.True(t, utf8.Valid(b), "the value is valid UTF-8")
		assert.NotContains(t, string(b), "\u2028", "line separators escaped, for JavaScript consumers")
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		cleanEach := strings.ReplaceAll(nasty, "\xff\xfe", "\ufffd\ufffd") // each invalid byte becomes U+FFFD
		assert.Equal(t, cleanEach, m["visitor_id"])
		assert.Equal(t, "env\""+cleanEach, m["env_id"])
		assert.Equal(t, "\""+cleanEach+"\"", m["anonymous_id"])
	}
}

func TestAppendString(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "", want: `""`},
		{give: "plain", want: `"plain"`},
		{give: `q"b\s`, want: `"q\"b\\s"`},
		{give: "\n\r\t", want: `"\n\r\t"`},
		{give: "\x00\x01\x08\x0c\x1f", want: `"\u0000\u0001\b\f\u001f"`},
		{give: "\x7f", want: "\"\x7f\""},
		{give: "é🙂", want: `"é🙂"`},
		{give: "a\xffb", want: `"a\ufffdb"`},
		{give: "\xc3", want: `"\ufffd"`},
		{give: "\xed\xa0\x80", want: `"\ufffd\ufffd\ufffd"`}, // a surrogate: not UTF-8
		{give: "x\u2028y\u2029z", want: `"x\u2028y\u2029z"`},
		{give: "</script>&", want: `"</script>&"`},
	}
	for _, tt := range tests {
		got := appendString([]byte("pre"), tt.give)
		assert.Equal(t, "pre"+tt.want, string(got), "%q", tt.give)
		require.True(t, json.Valid(got[3:]), "%q", got)
		var s string
		require.NoError(t, json.Unmarshal(got[3:], &s))
		if utf8.ValidString(tt.give) {
			assert.Equal(t, tt.give, s)
		}
	}
}

func TestAppendFields(t *testing.T) {
	names := documented[hits.TypePage]
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "empty", give: `{}`, want: `{}`},
		{name: "empty with spaces", give: " \t{ \n }\r\n", want: `{}`},
		{name: "renamed", give: `{"dl":"https://x.example/","uip":"::1"}`, want: `{"url":"https://x.example/","user_ip":"::1"}`},
		{name: "spaces dropped between members", give: ` { "dl" : "x" , "sn" : 3 } `, want: `{"url":"x","session_number":3}`},
		{name: "unknown members kept", give: `{"dl":"x","zz":1,"tid":"T"}`, want: `{"url":"x","zz":1,"tid":"T"}`},
		{name: "escaped names kept as they are", give: `{"d\u006c":"x"}`, want: `{"d\u006c":"x"}`},
		{name: "values as they are", give: `{"dl":"a\"b\\\u00e9}","sn":-1.5e3,"x":true,"y":null,"z":false}`, want: `{"url":"a\"b\\\u00e9}","session_number":-1.5e3,"x":true,"y":null,"z":false}`},
		{name: "nested", give: `{"s":{"a":"}{\"]","b":[1,{"c":"]"},[]]},"dl":[{"x":{}}]}`, want: `{"s":{"a":"}{\"]","b":[1,{"c":"]"},[]]},"url":[{"x":{}}]}`},
		{name: "nested with inner spaces", give: `{"x": [ 1 , 2 ] }`, want: `{"x":[ 1 , 2 ]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendFields([]byte("pre"), []byte(tt.give), names)
			require.NoError(t, err)
			assert.Equal(t, "pre"+tt.want, string(got))
			assert.True(t, json.Valid(got[3:]), "%s", got)
		})
	}
}

func TestAppendFieldsMalformed(t *testing.T) {
	for _, give := range []string{
		``, ` `, `null`, `[]`, `[{"dl":"x"}]`, `"x"`, `1`,
		`{`, `{"dl":"x"`, `{"dl":"x",`, `{"dl":"x",}`, `{"dl"}`, `{"dl":}`, `{"dl" "x"}`,
		`{dl:"x"}`, `{"dl":"x" "ul":"y"}`, `{"dl":"x"}}`, `{"dl":"x"} x`, `{"dl":"unterminated}`,
		`{"dl":{"a":1}`, `{"dl":[1,2}`, `{,}`, `{"a":1;"b":2}`, `{"a":tru}`, `{"a":x}`,
	} {
		got, err := appendFields([]byte("pre"), []byte(give), documented[hits.TypePage])
		require.ErrorIs(t, err, errMalformedFields, "%q", give)
		assert.Equal(t, "pre", string(got), "%q: nothing appended", give)

		// A record with such fields cannot be built; one read from a
		// stored form with a valid checksum can carry those that look like
		// an object ({...}): the sink refuses them.
		f := formOf(newTestRecord(t, "", hits.Page{URL: "https://x.example/"}))
		f.fields = give
		if len(give) < 2 || give[0] != '{' || give[len(give)-1] != '}' {
			continue // UnmarshalBinary refuses it (hits tests)
		}
		r := forged(t, f)
		_, err = appendValue(nil, &r)
		require.ErrorIs(t, err, errMalformedFields, "%q", give)
	}
}

// FuzzAppendFields: a JSON object comes out a valid JSON object with the
// same members in the same order, the same values, and the names renamed.
func FuzzAppendFields(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"dl":"https://x.example/"}`, `{"tid":"T","ta":"a","tr":1.5,"icn":2,"uip":"::1"}`,
		`{"s":{"a":"}{\"]","b":[1,{"c":"]"},[]]}}`, ` { "ec" : "Action Tracking" , "ev" : 3 } `,
		`{"caid":"vg","vaid":"v"}`, `{"a":"\u2028\ud83d\ude00","b":[true,false,null,-0.5e-3]}`,
		`{"dl":"x","dl":"y"}`, `{"x":"\\","y":"\"}"}`, "{\"x\":\"\xff\"}", `{"d\u006c":1}`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	types := []hits.Type{hits.TypePage, hits.TypeScreen, hits.TypeTransaction, hits.TypeItem, hits.TypeEvent, hits.TypeSegment, hits.TypeActivation, "UNKNOWN"}
	f.Fuzz(func(t *testing.T, fields []byte, typ uint8) {
		names := fieldNames[types[int(typ)%len(types)]]
		got, err := appendFields([]byte("pre"), fields, names)
		if !bytes.HasPrefix(got, []byte("pre")) {
			t.Fatalf("prefix lost: %q", got)
		}
		if err != nil {
			if string(got) != "pre" {
				t.Fatalf("error %v, yet appended %q", err, got)
			}
		}
		trimmed := bytes.TrimLeft(fields, " \t\r\n")
		if !json.Valid(fields) || len(trimmed) == 0 || trimmed[0] != '{' {
			return
		}
		if err != nil {
			t.Fatalf("valid object %q: %v", fields, err)
		}
		out := got[3:]
		if !json.Valid(out) {
			t.Fatalf("%q -> invalid %q", fields, out)
		}
		in, res := objectMembersOf(t, fields), objectMembersOf(t, out)
		if len(in) != len(res) {
			t.Fatalf("%q -> %q: %d members, want %d", fields, out, len(res), len(in))
		}
		plainNames := !bytes.Contains(fields, []byte(`\`))
		for i := range in {
			wantKey := in[i].Key
			if readable, ok := names[in[i].Key]; ok && plainNames {
				wantKey = readable
			}
			// An escaped name may or may not be recognised; a plain one
			// must be renamed.
			if res[i].Key != wantKey && (plainNames || res[i].Key != in[i].Key && res[i].Key != names[in[i].Key]) {
				t.Fatalf("%q -> %q: member %d named %q, want %q", fields, out, i, res[i].Key, wantKey)
			}
			var a, b bytes.Buffer
			if json.Compact(&a, in[i].Value) != nil || json.Compact(&b, res[i].Value) != nil || a.String() != b.String() {
				t.Fatalf("%q -> %q: member %d value %s, want %s", fields, out, i, res[i].Value, in[i].Value)
			}
		}
	})
}

// TestFieldNamesMatchDocumentation: the renaming table is the documented
// one, for every hit type.
func TestFieldNamesMatchDocumentation(t *testing.T) {
	assert.Equal(t, documented, fieldNames)
}

func TestAppendUUID(t *testing.T) {
	for range 20 {
		id := uuid.New()
		r, err := hits.NewRecord(id, "env", "v", "", testCreated, hits.Screen{Name: "home"})
		require.NoError(t, err)
		assert.Equal(t, id.String(), string(appendUUID(nil, &r)))
	}
}

package hits_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

var (
	testID      = uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01")
	testCreated = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
)

func TestNewRecord(t *testing.T) {
	tests := []struct {
		name       string
		give       hits.Hit
		wantKind   hits.Kind
		wantType   hits.Type
		wantFields string
	}{
		{name: "page", give: validPage(), wantKind: hits.KindHit, wantType: hits.TypePage,
			wantFields: `{"dl":"https://shop.example/checkout"}`},
		{name: "page pointer", give: &hits.Page{URL: "https://x.example"}, wantKind: hits.KindHit, wantType: hits.TypePage,
			wantFields: `{"dl":"https://x.example"}`},
		{name: "screen with common", give: hits.Screen{Name: "home", Common: hits.Common{Language: "fr-fr", SessionNumber: 2}},
			wantKind: hits.KindHit, wantType: hits.TypeScreen, wantFields: `{"dl":"home","ul":"fr-fr","sn":2}`},
		{name: "transaction minimal", give: validTransaction(), wantKind: hits.KindHit, wantType: hits.TypeTransaction,
			wantFields: `{"tid":"#309830","ta":"purchases"}`},
		{name: "item minimal", give: validItem(), wantKind: hits.KindHit, wantType: hits.TypeItem,
			wantFields: `{"tid":"#309830","in":"ATX2080","ic":"cg_atx_20802020"}`},
		{name: "event minimal", give: validEvent(), wantKind: hits.KindHit, wantType: hits.TypeEvent,
			wantFields: `{"ec":"Action Tracking","ea":"add_to_cart"}`},
		{name: "segment", give: hits.Segment{Context: map[string]any{"vip": true, "age": 31, "ratio": 1.5, "plan": "pro"}},
			wantKind: hits.KindHit, wantType: hits.TypeSegment,
			wantFields: `{"s":{"age":"31","plan":"pro","ratio":"1.5","vip":"true"}}`},
		{name: "activation", give: hits.Activation{VariationGroupID: "vg_all", VariationID: "var_blue"},
			wantKind: hits.KindActivation, wantType: hits.TypeActivation, wantFields: `{"caid":"vg_all","vaid":"var_blue"}`},
		{name: "activation pointer", give: &hits.Activation{VariationGroupID: "vg", VariationID: "v"},
			wantKind: hits.KindActivation, wantType: hits.TypeActivation, wantFields: `{"caid":"vg","vaid":"v"}`},
		{name: "consent true", give: hits.Consent{Consented: true}, wantKind: hits.KindConsent, wantType: hits.TypeEvent,
			wantFields: `{"ec":"User Engagement","ea":"fs_consent","el":"go:true"}`},
		{name: "consent false", give: &hits.Consent{}, wantKind: hits.KindConsent, wantType: hits.TypeEvent,
			wantFields: `{"ec":"User Engagement","ea":"fs_consent","el":"go:false"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := hits.NewRecord(testID, "env_8h3k2", "user-4242", "anon-77", testCreated, tt.give)
			require.NoError(t, err)
			assert.Equal(t, testID, r.ID)
			assert.Equal(t, tt.wantKind, r.Kind)
			assert.Equal(t, tt.wantType, r.Type)
			assert.Equal(t, "env_8h3k2", r.EnvID)
			assert.Equal(t, "user-4242", r.VisitorID)
			assert.Equal(t, "anon-77", r.AnonymousID)
			assert.Equal(t, testCreated, r.Created)
			assert.Equal(t, tt.wantFields, string(r.Fields))
			assert.NoError(t, r.Validate())
		})
	}
}

func TestNewRecordSegmentValueForms(t *testing.T) {
	ctx := map[string]any{
		"f64": 1e21, "small": 0.000001, "neg": -2.25, "f32": float32(0.1), "i8": int8(-8), "u64": uint64(18446744073709551615),
		"false": false, "esc": "a\"b<c>", "i": -1, "i16": int16(-16), "i32": int32(-32), "i64": int64(-64),
		"u": uint(1), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32),
	}
	r, err := hits.NewRecord(testID, "env", "v", "", testCreated, hits.Segment{Context: ctx})
	require.NoError(t, err)
	var got struct{ S map[string]string }
	require.NoError(t, json.Unmarshal(r.Fields, &got))
	assert.Equal(t, map[string]string{
		"f64": "1000000000000000000000", "small": "0.000001", "neg": "-2.25", "f32": "0.1", "i8": "-8",
		"u64": "18446744073709551615", "false": "false", "esc": "a\"b<c>", "i": "-1", "i16": "-16", "i32": "-32",
		"i64": "-64", "u": "1", "u8": "8", "u16": "16", "u32": "32",
	}, got.S)
}

func TestNewRecordErrors(t *testing.T) {
	tests := []struct {
		name        string
		giveID      uuid.UUID
		giveEnv     string
		giveVisitor string
		giveAnon    string
		giveHit     hits.Hit
		wantIs      error
		wantErr     string
	}{
		{name: "invalid hit", giveID: testID, giveEnv: "env", giveVisitor: "v", giveHit: hits.Page{},
			wantIs: hits.ErrInvalidHit, wantErr: "hits: invalid PAGEVIEW: URL (dl) is required"},
		{name: "invalid hit reported before record fields", giveHit: hits.Event{},
			wantIs: hits.ErrInvalidHit, wantErr: "hits: invalid EVENT: Category (ec) is required"},
		{name: "nil hit", giveID: testID, giveEnv: "env", giveVisitor: "v",
			wantIs: hits.ErrInvalidHit, wantErr: "hits: invalid hit: nil"},
		{name: "nil pointer hit", giveID: testID, giveEnv: "env", giveVisitor: "v", giveHit: (*hits.Page)(nil),
			wantIs: hits.ErrInvalidHit, wantErr: "hits: invalid hit: nil *hits.Page"},
		{name: "zero id", giveEnv: "env", giveVisitor: "v", giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: ID must not be the zero UUID"},
		{name: "empty env", giveID: testID, giveVisitor: "v", giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: EnvID must not be empty"},
		{name: "invalid UTF-8 env", giveID: testID, giveEnv: badUTF8, giveVisitor: "v", giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: EnvID must be valid UTF-8"},
		{name: "empty visitor", giveID: testID, giveEnv: "env", giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: VisitorID must not be empty"},
		{name: "invalid UTF-8 visitor", giveID: testID, giveEnv: "env", giveVisitor: badUTF8, giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: VisitorID must be valid UTF-8"},
		{name: "invalid UTF-8 anonymous id", giveID: testID, giveEnv: "env", giveVisitor: "v", giveAnon: badUTF8, giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: AnonymousID must be valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := hits.NewRecord(tt.giveID, tt.giveEnv, tt.giveVisitor, tt.giveAnon, testCreated, tt.giveHit)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.EqualError(t, err, tt.wantErr)
			assert.Zero(t, r)
		})
	}
}

func validRecord(t testing.TB, h hits.Hit) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(testID, "env", "user-4242", "", testCreated, h)
	require.NoError(t, err)
	return r
}

func TestRecordValidate(t *testing.T) {
	page := validRecord(t, validPage())
	act := validRecord(t, hits.Activation{VariationGroupID: "vg", VariationID: "v"})
	change := func(r hits.Record, f func(*hits.Record)) hits.Record {
		f(&r)
		return r
	}
	raw := func(s string) func(*hits.Record) { return func(r *hits.Record) { r.Fields = json.RawMessage(s) } }

	t.Run("accepts", func(t *testing.T) {
		tests := []struct {
			name string
			give hits.Record
		}{
			{name: "page", give: page},
			{name: "activation", give: act},
			{name: "consent", give: validRecord(t, hits.Consent{})},
			{name: "fields with whitespace", give: change(page, raw(" \n{ \"dl\" : \"https://x\" }\t"))},
			{name: "empty fields object", give: change(page, raw(`{}`))},
			{name: "activation fields in other order", give: change(act, raw(`{"vaid":"v","caid":"vg"}`))},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.NoError(t, tt.give.Validate())
			})
		}
	})

	t.Run("rejects", func(t *testing.T) {
		tests := []struct {
			name    string
			give    hits.Record
			wantErr string
		}{
			{name: "zero record", give: hits.Record{}, wantErr: "ID must not be the zero UUID"},
			{name: "zero id", give: change(page, func(r *hits.Record) { r.ID = uuid.Nil }), wantErr: "ID must not be the zero UUID"},
			{name: "empty env", give: change(page, func(r *hits.Record) { r.EnvID = "" }), wantErr: "EnvID must not be empty"},
			{name: "empty visitor", give: change(page, func(r *hits.Record) { r.VisitorID = "" }), wantErr: "VisitorID must not be empty"},
			{name: "zero kind", give: change(page, func(r *hits.Record) { r.Kind = 0 }), wantErr: "Kind Kind(0) is unknown"},
			{name: "unknown kind", give: change(page, func(r *hits.Record) { r.Kind = 9 }), wantErr: "Kind Kind(9) is unknown"},
			{name: "hit with activation type", give: change(page, func(r *hits.Record) { r.Type = hits.TypeActivation }),
				wantErr: `Type "ACTIVATION" does not match Kind hit`},
			{name: "hit with empty type", give: change(page, func(r *hits.Record) { r.Type = "" }), wantErr: `Type "" does not match Kind hit`},
			{name: "hit with unknown type", give: change(page, func(r *hits.Record) { r.Type = "CAMPAIGN" }),
				wantErr: `Type "CAMPAIGN" does not match Kind hit`},
			{name: "consent with page type", give: change(page, func(r *hits.Record) { r.Kind = hits.KindConsent }),
				wantErr: `Type "PAGEVIEW" does not match Kind consent`},
			{name: "activation with event type", give: change(act, func(r *hits.Record) { r.Type = hits.TypeEvent }),
				wantErr: `Type "EVENT" does not match Kind activation`},
			{name: "nil fields", give: change(page, raw("")), wantErr: "Fields must be a JSON object"},
			{name: "null fields", give: change(page, raw("null")), wantErr: "Fields must be a JSON object"},
			{name: "array fields", give: change(page, raw(`[1]`)), wantErr: "Fields must be a JSON object"},
			{name: "truncated fields", give: change(page, raw(`{"dl":`)), wantErr: "Fields must be a JSON object"},
			{name: "two objects", give: change(page, raw(`{}{}`)), wantErr: "Fields must be a JSON object"},
			{name: "activation extra member", give: change(act, raw(`{"caid":"vg","vaid":"v","t":"X"}`)),
				wantErr: `Fields must be {"caid":string,"vaid":string}`},
			{name: "activation number caid", give: change(act, raw(`{"caid":1,"vaid":"v"}`)),
				wantErr: `Fields must be {"caid":string,"vaid":string}`},
			{name: "activation missing caid", give: change(act, raw(`{"vaid":"v"}`)), wantErr: "Fields caid must not be empty"},
			{name: "activation null vaid", give: change(act, raw(`{"caid":"vg","vaid":null}`)), wantErr: "Fields vaid must not be empty"},
			{name: "activation array", give: change(act, raw(`["vg","v"]`)), wantErr: "Fields must be a JSON object"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.give.Validate()
				assert.ErrorIs(t, err, hits.ErrInvalidRecord)
				assert.EqualError(t, err, "hits: invalid record: "+tt.wantErr)
			})
		}
	})
}

func TestKindString(t *testing.T) {
	tests := []struct {
		give hits.Kind
		want string
	}{
		{give: hits.KindHit, want: "hit"},
		{give: hits.KindActivation, want: "activation"},
		{give: hits.KindConsent, want: "consent"},
		{give: 0, want: "Kind(0)"},
		{give: 200, want: "Kind(200)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.String())
		})
	}
}

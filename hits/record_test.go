package hits_test

import (
	"encoding/json"
	"fmt"
	"strings"
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
			assert.Equal(t, testID, r.ID())
			assert.Equal(t, tt.wantKind, r.Kind())
			assert.Equal(t, tt.wantType, r.Type())
			assert.Equal(t, "env_8h3k2", r.EnvID())
			assert.Equal(t, "user-4242", r.VisitorID())
			assert.Equal(t, "anon-77", r.AnonymousID())
			assert.Equal(t, testCreated, r.Created())
			assert.Equal(t, tt.wantFields, string(r.Fields()))
			assert.Equal(t, tt.wantFields, string(r.AppendFields(nil)))
			assert.False(t, r.IsZero())
			assert.NoError(t, r.Validate())
			vg, v, ok := r.Activation()
			assert.Equal(t, tt.wantKind == hits.KindActivation, ok)
			if ok {
				var want struct{ Caid, Vaid string }
				require.NoError(t, json.Unmarshal([]byte(tt.wantFields), &want))
				assert.Equal(t, want.Caid, vg)
				assert.Equal(t, want.Vaid, v)
			}
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
	require.NoError(t, json.Unmarshal(r.Fields(), &got))
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
		{name: "visitor id over the limit", giveID: testID, giveEnv: "env", giveVisitor: strings.Repeat("v", hits.MaxVisitorIDBytes+1), giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: VisitorID is 1025 bytes, more than 1024"},
		{name: "anonymous id over the limit", giveID: testID, giveEnv: "env", giveVisitor: "v", giveAnon: strings.Repeat("a", 3<<20), giveHit: validPage(),
			wantIs: hits.ErrInvalidRecord, wantErr: "hits: invalid record: AnonymousID is 3145728 bytes, more than 1024"},
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

func TestNewRecordCreatedRange(t *testing.T) {
	plus1 := time.FixedZone("+01", 3600)
	t.Run("accepts", func(t *testing.T) {
		for _, created := range []time.Time{
			time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
			time.Unix(0, 0),
			time.Date(1970, 1, 1, 0, 30, 0, 0, plus1), // before the epoch in UTC, 1970 where it was created
			time.Date(2200, 12, 31, 23, 59, 59, 999999999, time.UTC),
			testCreated,
		} {
			r, err := hits.NewRecord(testID, "env", "v", "", created, validPage())
			require.NoError(t, err, "%v", created)
			assert.True(t, created.Equal(r.Created()), "%v: got %v", created, r.Created())
		}
	})
	t.Run("rejects", func(t *testing.T) {
		tests := []struct {
			name string
			give time.Time
		}{
			{name: "zero time", give: time.Time{}},
			{name: "1969", give: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)},
			{name: "2201", give: time.Date(2201, 1, 1, 0, 0, 0, 0, time.UTC)},
			{name: "year 9999", give: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)},
			{name: "year -1", give: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, h := range []hits.Hit{validPage(), hits.Activation{VariationGroupID: "vg", VariationID: "v"}, hits.Consent{}} {
					r, err := hits.NewRecord(testID, "env", "v", "", tt.give, h)
					assert.ErrorIs(t, err, hits.ErrInvalidRecord)
					assert.EqualError(t, err, fmt.Sprintf("hits: invalid record: Created %v is outside the years 1970 to 2200", tt.give))
					assert.Zero(t, r)
					assert.True(t, r.IsZero())
				}
			})
		}
	})
}

func validRecord(t testing.TB, h hits.Hit) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(testID, "env", "user-4242", "", testCreated, h)
	require.NoError(t, err)
	return r
}

// TestRecordValidate: a Record is valid by construction; the zero Record
// is the only invalid one. (What Validate used to refuse in a Record
// assembled by hand is now refused when the Record is built: by
// NewRecord, see TestNewRecordErrors and TestNewRecordCreatedRange, or by
// UnmarshalBinary, see TestUnmarshalBinaryRejectsInvalidContent.)
func TestRecordValidate(t *testing.T) {
	t.Run("accepts", func(t *testing.T) {
		for _, r := range []hits.Record{
			validRecord(t, validPage()),
			validRecord(t, hits.Activation{VariationGroupID: "vg", VariationID: "v"}),
			validRecord(t, hits.Consent{}),
			decoded(t, validRecord(t, validEvent())),
		} {
			assert.NoError(t, r.Validate(), "%s", r.Type())
			assert.False(t, r.IsZero())
		}
	})
	t.Run("rejects the zero record", func(t *testing.T) {
		var r hits.Record
		err := r.Validate()
		assert.ErrorIs(t, err, hits.ErrInvalidRecord)
		assert.EqualError(t, err, "hits: invalid record: the zero Record (build one with NewRecord)")
		assert.True(t, r.IsZero())
		assert.Nil(t, r.Fields())
		_, _, ok := r.Activation()
		assert.False(t, ok)
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

package visitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Named types of the kinds a context takes.
type (
	plan    string
	vip     bool
	age     int16
	visits  uint32
	score   float32
	bigID   int64
	counter uint64
)

func TestNew_RefusesInvalidIDs(t *testing.T) {
	tests := []struct {
		name     string
		giveID   string
		giveAnon string
		wantErr  string
	}{
		{name: "visitor id not UTF-8", giveID: "v\xff1",
			wantErr: `visitor: new: invalid visitor id: visitor id "v\xff1" is not valid UTF-8`},
		{name: "visitor id of 3 MiB", giveID: strings.Repeat("v", 3<<20),
			wantErr: "visitor: new: invalid visitor id: visitor id is 3145728 bytes, more than 1024"},
		{name: "visitor id a byte over", giveID: strings.Repeat("v", visitor.MaxIDBytes+1),
			wantErr: "visitor: new: invalid visitor id: visitor id is 1025 bytes, more than 1024"},
		{name: "anonymous id not UTF-8", giveID: "user-1", giveAnon: "anon\xc3(",
			wantErr: `visitor: new: invalid visitor id: anonymous id (WithAnonymousID) "anon\xc3(" is not valid UTF-8`},
		{name: "anonymous id too long", giveID: "user-1", giveAnon: strings.Repeat("a", 2000),
			wantErr: "visitor: new: invalid visitor id: anonymous id (WithAnonymousID) is 2000 bytes, more than 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := visitor.New(tt.giveID, nil, newTestEnv(t).config(), visitor.WithAnonymousID(tt.giveAnon))
			require.ErrorIs(t, err, visitor.ErrInvalidID)
			assert.EqualError(t, err, tt.wantErr)
			assert.Nil(t, v)
		})
	}
}

// TestNew_IDsAtLimit: ids of exactly MaxIDBytes are taken, and their hits
// are stamped.
func TestNew_IDsAtLimit(t *testing.T) {
	e := newTestEnv(t)
	id, anon := strings.Repeat("é", visitor.MaxIDBytes/2), strings.Repeat("a", visitor.MaxIDBytes)
	v := newVisitor(t, id, nil, e.config(), visitor.WithAnonymousID(anon))
	require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: "home"}))
	recs := e.tracker.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, id, recs[0].VisitorID())
	assert.Equal(t, anon, recs[0].AnonymousID())
}

func TestAuthenticate_RefusesInvalidIDs(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		wantErr string
	}{
		{name: "not UTF-8", give: "user\xfe",
			wantErr: `visitor: authenticate: invalid visitor id: visitor id "user\xfe" is not valid UTF-8`},
		{name: "too long", give: strings.Repeat("u", 3<<20),
			wantErr: "visitor: authenticate: invalid visitor id: visitor id is 3145728 bytes, more than 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "anon-1", nil, e.config())
			err := v.Authenticate(tt.give)
			require.ErrorIs(t, err, visitor.ErrInvalidID)
			assert.EqualError(t, err, tt.wantErr)
			assert.Equal(t, "anon-1", v.ID(), "the visitor is unchanged")
			assert.Empty(t, v.AnonymousID())
		})
	}
}

// TestContext_RefusesWhatCannotBeDelivered: each refusal names the key
// and leaves the context without it, whether the value comes with New or
// with SetContext.
func TestContext_RefusesWhatCannotBeDelivered(t *testing.T) {
	longKey := strings.Repeat("k", visitor.MaxContextKeyBytes+1)
	tests := []struct {
		name       string
		giveKey    string
		giveValue  any
		wantReason string
	}{
		{name: "key not UTF-8", giveKey: "pl\xffan", giveValue: "gold", wantReason: "key is not valid UTF-8"},
		{name: "value not UTF-8", giveKey: "plan", giveValue: "go\xc3ld", wantReason: "value is not valid UTF-8"},
		{name: "named string not UTF-8", giveKey: "plan", giveValue: plan("\xff"), wantReason: "value is not valid UTF-8"},
		{name: "key too long", giveKey: longKey, giveValue: "x", wantReason: "key is 257 bytes, more than 256"},
		{name: "value too long", giveKey: "bio", giveValue: strings.Repeat("x", visitor.MaxContextValueBytes+1), wantReason: "value is 4097 bytes, more than 4096"},
		{name: "int64 2^53+1", giveKey: "id", giveValue: int64(1<<53 + 1),
			wantReason: "integer 9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "int64 -2^53-1", giveKey: "id", giveValue: int64(-1<<53 - 1),
			wantReason: "integer -9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "uint64 2^53+1", giveKey: "id", giveValue: uint64(1<<53 + 1),
			wantReason: "integer 9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "uint64 max", giveKey: "id", giveValue: uint64(math.MaxUint64),
			wantReason: "integer 18446744073709551615 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "named int64 2^53+1", giveKey: "id", giveValue: bigID(1<<53 + 1),
			wantReason: "integer 9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "named uint64 2^53+1", giveKey: "id", giveValue: counter(1<<53 + 1),
			wantReason: "integer 9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "json.Number 2^53+1", giveKey: "id", giveValue: json.Number("9007199254740993"),
			wantReason: "integer 9007199254740993 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "json.Number beyond int64", giveKey: "id", giveValue: json.Number("99999999999999999999"),
			wantReason: "integer 99999999999999999999 is beyond ±2^53, where a JSON number rounds it (send it as a string)"},
		{name: "json.Number not a number", giveKey: "n", giveValue: json.Number("twelve"), wantReason: `json.Number "twelve" is not a number`},
		{name: "named float NaN", giveKey: "score", giveValue: score(float32(math.NaN())), wantReason: "number NaN is not finite"},
		{name: "named float +Inf", giveKey: "score", giveValue: score(float32(math.Inf(1))), wantReason: "number +Inf is not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr := func(t *testing.T, err error) {
				t.Helper()
				require.ErrorIs(t, err, visitor.ErrInvalidAttribute)
				var ae *visitor.AttributeError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.giveKey, ae.Key)
				assert.Equal(t, tt.wantReason, ae.Reason)
			}
			t.Run("New", func(t *testing.T) {
				v, err := visitor.New("v-1", visitor.Attributes{"ok": "yes", tt.giveKey: tt.giveValue}, newTestEnv(t).config())
				checkErr(t, err)
				assert.Nil(t, v)
			})
			t.Run("SetContext", func(t *testing.T) {
				v := newVisitor(t, "v-1", visitor.Attributes{"ok": "yes"}, newTestEnv(t).config())
				checkErr(t, v.SetContext(tt.giveKey, tt.giveValue))
				_, ok := v.ContextValue(tt.giveKey)
				assert.False(t, ok, "the refused key is not set")
				got, _ := v.ContextValue("ok")
				assert.Equal(t, "yes", got, "the context keeps its keys")
			})
		})
	}
}

func TestAttributeError_CutsLongKeys(t *testing.T) {
	key := strings.Repeat("k", 300)
	_, err := visitor.New("v-1", visitor.Attributes{key: "x"}, newTestEnv(t).config())
	var ae *visitor.AttributeError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, key, ae.Key, "the error keeps the whole key")
	assert.Equal(t, `visitor: context key "`+strings.Repeat("k", 64)+`"...: key is 300 bytes, more than 256`, err.Error())
}

// TestContext_AcceptsLimits: values at the limits are taken as they are.
func TestContext_AcceptsLimits(t *testing.T) {
	key := strings.Repeat("k", visitor.MaxContextKeyBytes)
	value := strings.Repeat("é", visitor.MaxContextValueBytes/2)
	tests := []struct {
		name      string
		giveKey   string
		giveValue any
		want      any
	}{
		{name: "longest key", giveKey: key, giveValue: "x", want: "x"},
		{name: "longest value", giveKey: "bio", giveValue: value, want: value},
		{name: "int64 2^53", giveKey: "n", giveValue: int64(1 << 53), want: float64(1 << 53)},
		{name: "int64 -2^53", giveKey: "n", giveValue: int64(-1 << 53), want: float64(-1 << 53)},
		{name: "uint64 2^53", giveKey: "n", giveValue: uint64(1 << 53), want: float64(1 << 53)},
		{name: "a float beyond 2^53 is not rounded by the SDK", giveKey: "n", giveValue: 1e20, want: 1e20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVisitor(t, "v-1", nil, newTestEnv(t).config())
			require.NoError(t, v.SetContext(tt.giveKey, tt.giveValue))
			got, ok := v.ContextValue(tt.giveKey)
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestContext_NormalizesNamedTypes: values of named types are stored as
// their base type, which is what the Decider and the context hit get.
func TestContext_NormalizesNamedTypes(t *testing.T) {
	tests := []struct {
		name     string
		give     any
		want     any
		wantWire string // the value in the context hit's "s"
	}{
		{name: "named string", give: plan("gold"), want: "gold", wantWire: `"gold"`},
		{name: "named bool", give: vip(true), want: true, wantWire: `"true"`},
		{name: "named int16", give: age(-31), want: -31.0, wantWire: `"-31"`},
		{name: "named uint32", give: visits(7), want: 7.0, wantWire: `"7"`},
		{name: "named float32", give: score(1.5), want: 1.5, wantWire: `"1.5"`},
		{name: "named int64 at 2^53", give: bigID(1 << 53), want: float64(1 << 53), wantWire: `"9007199254740992"`},
		{name: "json.Number integer", give: json.Number("31"), want: 31.0, wantWire: `"31"`},
		{name: "json.Number float", give: json.Number("2.5e3"), want: 2500.0, wantWire: `"2500"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			cfg := e.config()
			cfg.ContextHits = true
			v := newVisitor(t, "v-1", visitor.Attributes{"k": tt.give}, cfg)

			got, ok := v.ContextValue("k")
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
			assert.IsType(t, tt.want, got)

			require.NoError(t, v.Synchronize(context.Background()))
			reqs := e.decider.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, reqs[0].Context["k"])
			assert.IsType(t, tt.want, reqs[0].Context["k"])

			segs := e.tracker.OfKind(hits.KindHit)
			require.Len(t, segs, 1)
			assert.Equal(t, hits.TypeSegment, segs[0].Type())
			var fields struct{ S map[string]json.RawMessage }
			require.NoError(t, json.Unmarshal(segs[0].Fields(), &fields))
			assert.JSONEq(t, tt.wantWire, string(fields.S["k"]))
		})
	}
}

// TestSynchronize_ContextHitRefusedForGood: a context hit the Tracker
// refuses for good (an error wrapping hits.ErrInvalidRecord, as the queue
// does for a record too large for a sink) is Synchronize's error, the
// flags are updated nonetheless, and the next Synchronize tries again; a
// passing failure goes to OnTrackError and Synchronize succeeds.
func TestSynchronize_ContextHitRefusedForGood(t *testing.T) {
	refused := fmt.Errorf("%w: record is 3000000 bytes for sink %q, over its limit of 2500000 bytes", hits.ErrInvalidRecord, "http-hits")
	e := newTestEnv(t)
	cfg := e.config()
	cfg.ContextHits = true
	var syncErrs, trackErrs []error
	cfg.OnSynchronizeError = func(_ context.Context, _ string, err error) { syncErrs = append(syncErrs, err) }
	cfg.OnTrackError = func(_ context.Context, _ string, err error) { trackErrs = append(trackErrs, err) }
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, cfg)

	e.tracker.setErr(refused)
	err := v.Synchronize(context.Background())
	require.ErrorIs(t, err, hits.ErrInvalidRecord)
	assert.EqualError(t, err, `visitor: synchronize "v-1": context hit: hits: invalid record: record is 3000000 bytes for sink "http-hits", over its limit of 2500000 bytes`)
	assert.Equal(t, "blue", v.String("color", "default"), "the flags are updated")
	assert.Equal(t, []error{err}, syncErrs)
	assert.Empty(t, trackErrs)
	require.ErrorIs(t, v.Synchronize(context.Background()), hits.ErrInvalidRecord, "refused again while the context is unchanged")

	e.tracker.setErr(errBoom)
	require.NoError(t, v.Synchronize(context.Background()), "a passing failure does not fail Synchronize")
	require.Len(t, trackErrs, 1)
	assert.ErrorIs(t, trackErrs[0], errBoom)

	e.tracker.setErr(nil)
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Len(t, e.tracker.OfKind(hits.KindHit), 1, "the context hit is queued once accepted")
}

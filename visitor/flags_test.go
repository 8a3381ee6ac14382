package visitor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestString(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name    string
		giveKey string
		giveDef string
		want    string
	}{
		{name: "found", giveKey: "color", giveDef: "red", want: "blue"},
		{name: "missing", giveKey: "nope", giveDef: "red", want: "red"},
		{name: "type mismatch", giveKey: "size", giveDef: "red", want: "red"},
		{name: "null value", giveKey: "null", giveDef: "red", want: "red"},
		{name: "later campaign wins", giveKey: "shared", giveDef: "red", want: "from-c2"},
		{name: "later campaign null wins", giveKey: "overridden", giveDef: "red", want: "red"},
		{name: "only in later campaign", giveKey: "onlyC2", giveDef: "red", want: "c2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.String(tt.giveKey, tt.giveDef))
		})
	}
}

func TestBool(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name    string
		giveKey string
		giveDef bool
		want    bool
	}{
		{name: "found", giveKey: "enabled", giveDef: false, want: true},
		{name: "missing", giveKey: "nope", giveDef: true, want: true},
		{name: "type mismatch", giveKey: "color", giveDef: true, want: true},
		{name: "null value", giveKey: "null", giveDef: true, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Bool(tt.giveKey, tt.giveDef))
		})
	}
}

func TestFloat64(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name    string
		giveKey string
		giveDef float64
		want    float64
	}{
		{name: "found", giveKey: "ratio", giveDef: 9, want: 0.5},
		{name: "whole number", giveKey: "size", giveDef: 9, want: 12},
		{name: "missing", giveKey: "nope", giveDef: 9, want: 9},
		{name: "type mismatch", giveKey: "color", giveDef: 9, want: 9},
		{name: "null value", giveKey: "null", giveDef: 9, want: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Float64(tt.giveKey, tt.giveDef))
		})
	}
}

func TestInt(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name    string
		giveKey string
		giveDef int
		want    int
	}{
		{name: "found", giveKey: "size", giveDef: 9, want: 12},
		{name: "negative", giveKey: "neg", giveDef: 9, want: -3},
		{name: "non-integral float", giveKey: "ratio", giveDef: 9, want: 9},
		{name: "missing", giveKey: "nope", giveDef: 9, want: 9},
		{name: "type mismatch", giveKey: "color", giveDef: 9, want: 9},
		{name: "null value", giveKey: "null", giveDef: 9, want: 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Int(tt.giveKey, tt.giveDef))
		})
	}
}

func TestInt_OutOfRange(t *testing.T) {
	tests := []struct {
		name string
		give float64
		want int
	}{
		{name: "too large", give: 1e19, want: 7},
		{name: "too small", give: -1e19, want: 7},
		{name: "large but fits", give: 1 << 52, want: 1 << 52},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.decider.set(oneFlag("c", "vg", "var", "n", tt.give), nil)
			v := e.synced(t, "v-1")
			assert.Equal(t, tt.want, v.Int("n", 7))
		})
	}
}

func TestObject(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	def := map[string]any{"default": true}
	tests := []struct {
		name    string
		giveKey string
		want    map[string]any
	}{
		{name: "found", giveKey: "obj", want: map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}},
		{name: "missing", giveKey: "nope", want: def},
		{name: "type mismatch", giveKey: "arr", want: def},
		{name: "null value", giveKey: "null", want: def},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Object(tt.giveKey, def))
		})
	}
}

func TestArray(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	def := []any{"default"}
	tests := []struct {
		name    string
		giveKey string
		want    []any
	}{
		{name: "found", giveKey: "arr", want: []any{1.0, "x", map[string]any{"k": "v"}}},
		{name: "missing", giveKey: "nope", want: def},
		{name: "type mismatch", giveKey: "obj", want: def},
		{name: "null value", giveKey: "null", want: def},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Array(tt.giveKey, def))
		})
	}
}

func TestValue(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name    string
		giveKey string
		giveDef any
		want    any
	}{
		{name: "string", giveKey: "color", giveDef: "d", want: "blue"},
		{name: "number", giveKey: "size", giveDef: "d", want: 12.0},
		{name: "bool", giveKey: "enabled", giveDef: "d", want: true},
		{name: "object", giveKey: "obj", giveDef: "d", want: map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}},
		{name: "array", giveKey: "arr", giveDef: "d", want: []any{1.0, "x", map[string]any{"k": "v"}}},
		{name: "missing", giveKey: "nope", giveDef: "d", want: "d"},
		{name: "null value", giveKey: "null", giveDef: "d", want: "d"},
		{name: "later campaign wins", giveKey: "shared", giveDef: "d", want: "from-c2"},
		{name: "nil default", giveKey: "nope", giveDef: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Value(tt.giveKey, tt.giveDef))
		})
	}
}

func TestGetters_BeforeSynchronize(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config())
	assertAllDefaults(t, v)
	assert.Equal(t, visitor.ReasonNotSynchronized, v.Evaluate("color", "red").Reason)
	assert.False(t, v.Has("color"))
	assert.Empty(t, v.Flags())
	_, ok := v.Info("color")
	assert.False(t, ok)
}

// assertAllDefaults checks that every getter serves its default for keys
// the standard decision sets.
func assertAllDefaults(tb testing.TB, v *visitor.Visitor) {
	tb.Helper()
	assert.Equal(tb, "red", v.String("color", "red"))
	assert.Equal(tb, false, v.Bool("enabled", false))
	assert.Equal(tb, 9.5, v.Float64("ratio", 9.5))
	assert.Equal(tb, 9, v.Int("size", 9))
	assert.Equal(tb, map[string]any{"d": 1.0}, v.Object("obj", map[string]any{"d": 1.0}))
	assert.Equal(tb, []any{"d"}, v.Array("arr", []any{"d"}))
	assert.Equal(tb, "d", v.Value("color", "d"))
}

func TestObject_ReturnsCopy(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")

	m := v.Object("obj", nil)
	m["a"] = 99.0
	m["new"] = true
	m["nested"].(map[string]any)["b"] = "tampered"

	assert.Equal(t, map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}, v.Object("obj", nil))
}

func TestArray_ReturnsCopy(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")

	a := v.Array("arr", nil)
	a[0] = "tampered"
	a[2].(map[string]any)["k"] = "tampered"

	assert.Equal(t, []any{1.0, "x", map[string]any{"k": "v"}}, v.Array("arr", nil))
}

func TestValueEvaluateFlags_ReturnCopies(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	want := map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}

	v.Value("obj", nil).(map[string]any)["a"] = "tampered"
	assert.Equal(t, want, v.Object("obj", nil))

	v.Evaluate("obj", map[string]any{}).Value.(map[string]any)["a"] = "tampered"
	assert.Equal(t, want, v.Object("obj", nil))

	v.Evaluate("obj", nil).Value.(map[string]any)["a"] = "tampered"
	assert.Equal(t, want, v.Object("obj", nil))

	v.Evaluate("arr", []any{}).Value.([]any)[0] = "tampered"
	v.Value("arr", nil).([]any)[1] = "tampered"
	assert.Equal(t, []any{1.0, "x", map[string]any{"k": "v"}}, v.Array("arr", nil))

	flags := v.Flags()
	require.Equal(t, "obj", flags[5].Key)
	flags[5].Value.(map[string]any)["a"] = "tampered"
	assert.Equal(t, want, v.Object("obj", nil))
}

func TestEvaluate(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name       string
		giveKey    string
		giveDef    any
		wantValue  any
		wantReason visitor.Reason
		wantInfo   visitor.Info
	}{
		{name: "found string", giveKey: "color", giveDef: "red", wantValue: "blue", wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found bool", giveKey: "enabled", giveDef: false, wantValue: true, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found float", giveKey: "ratio", giveDef: 1.0, wantValue: 0.5, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found int", giveKey: "size", giveDef: 1, wantValue: 12, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found int64 default", giveKey: "size", giveDef: int64(1), wantValue: 12.0, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found object", giveKey: "obj", giveDef: map[string]any{}, wantValue: map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "found array", giveKey: "arr", giveDef: []any{}, wantValue: []any{1.0, "x", map[string]any{"k": "v"}}, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "nil default accepts any type", giveKey: "size", giveDef: nil, wantValue: 12.0, wantReason: visitor.ReasonFound, wantInfo: infoC1()},
		{name: "later campaign wins", giveKey: "shared", giveDef: "red", wantValue: "from-c2", wantReason: visitor.ReasonFound, wantInfo: infoC2()},
		{name: "not found", giveKey: "nope", giveDef: "red", wantValue: "red", wantReason: visitor.ReasonNotFound},
		{name: "type mismatch", giveKey: "size", giveDef: "red", wantValue: "red", wantReason: visitor.ReasonTypeMismatch, wantInfo: infoC1()},
		{name: "int wants a whole number", giveKey: "ratio", giveDef: 3, wantValue: 3, wantReason: visitor.ReasonTypeMismatch, wantInfo: infoC1()},
		{name: "unsupported default type", giveKey: "color", giveDef: struct{}{}, wantValue: struct{}{}, wantReason: visitor.ReasonTypeMismatch, wantInfo: infoC1()},
		{name: "null value", giveKey: "null", giveDef: "red", wantValue: "red", wantReason: visitor.ReasonNullValue, wantInfo: infoC1()},
		{name: "null in later campaign", giveKey: "overridden", giveDef: "red", wantValue: "red", wantReason: visitor.ReasonNullValue, wantInfo: infoC2()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, visitor.Evaluation{
				Key:    tt.giveKey,
				Value:  tt.wantValue,
				Reason: tt.wantReason,
				Info:   tt.wantInfo,
			}, v.Evaluate(tt.giveKey, tt.giveDef))
		})
	}
}

func TestEvaluate_NotSynchronized(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config())
	assert.Equal(t, visitor.Evaluation{
		Key:    "color",
		Value:  "red",
		Reason: visitor.ReasonNotSynchronized,
	}, v.Evaluate("color", "red"))
}

func TestReason_String(t *testing.T) {
	tests := []struct {
		give visitor.Reason
		want string
	}{
		{give: visitor.ReasonNotSynchronized, want: "not synchronized"},
		{give: visitor.ReasonFound, want: "found"},
		{give: visitor.ReasonNotFound, want: "flag not found"},
		{give: visitor.ReasonTypeMismatch, want: "type mismatch"},
		{give: visitor.ReasonNullValue, want: "null value"},
		{give: visitor.ReasonPanic, want: "panic mode"},
		{give: visitor.Reason(200), want: "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.String())
		})
	}
}

func TestInfo(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name     string
		giveKey  string
		wantInfo visitor.Info
		wantOK   bool
	}{
		{name: "first campaign", giveKey: "color", wantInfo: infoC1(), wantOK: true},
		{name: "later campaign wins", giveKey: "shared", wantInfo: infoC2(), wantOK: true},
		{name: "null value", giveKey: "null", wantInfo: infoC1(), wantOK: true},
		{name: "missing", giveKey: "nope", wantInfo: visitor.Info{}, wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, ok := v.Info(tt.giveKey)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantInfo, info)
		})
	}
}

func TestHas(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		give string
		want bool
	}{
		{give: "color", want: true},
		{give: "obj", want: true},
		{give: "null", want: true},
		{give: "overridden", want: true},
		{give: "onlyC2", want: true},
		{give: "nope", want: false},
		{give: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, v.Has(tt.give))
		})
	}
}

func TestFlags(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	c1, c2 := infoC1(), infoC2()
	assert.Equal(t, []visitor.Flag{
		{Key: "arr", Value: []any{1.0, "x", map[string]any{"k": "v"}}, Info: c1},
		{Key: "color", Value: "blue", Info: c1},
		{Key: "enabled", Value: true, Info: c1},
		{Key: "neg", Value: -3.0, Info: c1},
		{Key: "null", Value: nil, Info: c1},
		{Key: "obj", Value: map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}, Info: c1},
		{Key: "onlyC2", Value: "c2", Info: c2},
		{Key: "overridden", Value: nil, Info: c2},
		{Key: "ratio", Value: 0.5, Info: c1},
		{Key: "shared", Value: "from-c2", Info: c2},
		{Key: "size", Value: 12.0, Info: c1},
	}, v.Flags())
}

func TestFlags_ManyKeys(t *testing.T) {
	// More keys than Modifications indexes in a slice: lookups go through
	// the map.
	mods := map[string]any{}
	for _, k := range []string{"k00", "k01", "k02", "k03", "k04", "k05", "k06", "k07", "k08", "k09", "k10", "k11", "k12", "k13", "k14", "k15", "k16", "k17"} {
		mods[k] = k
	}
	e := newTestEnv(t)
	e.decider.set(decision.Decision{Campaigns: []decision.Assignment{
		assignment("c1", "vg1", "var1", false, "FLAG", mods),
		assignment("c2", "vg2", "var2", false, "FLAG", map[string]any{"k17": "last"}),
	}}, nil)
	v := e.synced(t, "v-1")

	flags := v.Flags()
	require.Len(t, flags, 18)
	assert.Equal(t, "k00", flags[0].Key)
	assert.Equal(t, "last", flags[17].Value)
	assert.Equal(t, "k05", v.String("k05", ""))
	assert.Equal(t, "last", v.String("k17", ""))
}

func TestActivating(t *testing.T) {
	ctx := context.Background()
	vg1 := []activationFields{{CAID: "vg1", VAID: "var1"}}
	tests := []struct {
		name            string
		give            func(r visitor.Reader) any
		wantValue       any
		wantActivations []activationFields
	}{
		{name: "String found", give: func(r visitor.Reader) any { return r.String("color", "red") }, wantValue: "blue", wantActivations: vg1},
		{name: "String type mismatch", give: func(r visitor.Reader) any { return r.String("size", "red") }, wantValue: "red", wantActivations: vg1},
		{name: "String missing", give: func(r visitor.Reader) any { return r.String("nope", "red") }, wantValue: "red"},
		{name: "String null", give: func(r visitor.Reader) any { return r.String("null", "red") }, wantValue: "red", wantActivations: vg1},
		{name: "String later campaign", give: func(r visitor.Reader) any { return r.String("shared", "red") }, wantValue: "from-c2", wantActivations: []activationFields{{CAID: "vg2", VAID: "var2"}}},
		{name: "Bool found", give: func(r visitor.Reader) any { return r.Bool("enabled", false) }, wantValue: true, wantActivations: vg1},
		{name: "Bool type mismatch", give: func(r visitor.Reader) any { return r.Bool("color", false) }, wantValue: false, wantActivations: vg1},
		{name: "Bool missing", give: func(r visitor.Reader) any { return r.Bool("nope", false) }, wantValue: false},
		{name: "Float64 found", give: func(r visitor.Reader) any { return r.Float64("ratio", 1) }, wantValue: 0.5, wantActivations: vg1},
		{name: "Float64 missing", give: func(r visitor.Reader) any { return r.Float64("nope", 1) }, wantValue: 1.0},
		{name: "Int found", give: func(r visitor.Reader) any { return r.Int("size", 1) }, wantValue: 12, wantActivations: vg1},
		{name: "Int non-integral", give: func(r visitor.Reader) any { return r.Int("ratio", 1) }, wantValue: 1, wantActivations: vg1},
		{name: "Int missing", give: func(r visitor.Reader) any { return r.Int("nope", 1) }, wantValue: 1},
		{name: "Object found", give: func(r visitor.Reader) any { return r.Object("obj", nil) }, wantValue: map[string]any{"a": 1.0, "nested": map[string]any{"b": "c"}}, wantActivations: vg1},
		{name: "Object missing", give: func(r visitor.Reader) any { return r.Object("nope", nil) }, wantValue: map[string]any(nil)},
		{name: "Array found", give: func(r visitor.Reader) any { return r.Array("arr", nil) }, wantValue: []any{1.0, "x", map[string]any{"k": "v"}}, wantActivations: vg1},
		{name: "Array missing", give: func(r visitor.Reader) any { return r.Array("nope", nil) }, wantValue: []any(nil)},
		{name: "Value found", give: func(r visitor.Reader) any { return r.Value("color", nil) }, wantValue: "blue", wantActivations: vg1},
		{name: "Value missing", give: func(r visitor.Reader) any { return r.Value("nope", "d") }, wantValue: "d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			var activateErrs []error
			cfg := e.config()
			cfg.OnActivateError = func(_ context.Context, _, _ string, err error) { activateErrs = append(activateErrs, err) }
			v := newVisitor(t, "v-1", nil, cfg)
			require.NoError(t, v.Synchronize(ctx))

			assert.Equal(t, tt.wantValue, tt.give(v.Activating(ctx)))
			assert.Equal(t, tt.wantActivations, activations(t, e.tracker))
			assert.Empty(t, activateErrs)
		})
	}
}

func TestActivating_ErrorsGoToOnActivateError(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	type call struct {
		visitorID, key string
		err            error
	}
	var calls []call
	cfg := e.config()
	cfg.OnActivateError = func(_ context.Context, visitorID, key string, err error) {
		calls = append(calls, call{visitorID, key, err})
	}
	v := newVisitor(t, "v-1", nil, cfg)
	require.NoError(t, v.Synchronize(ctx))
	e.tracker.setErr(errBoom)

	assert.Equal(t, "blue", v.Activating(ctx).String("color", "red"))
	assert.Equal(t, "red", v.Activating(ctx).String("nope", "red"))

	require.Len(t, calls, 1)
	assert.Equal(t, "v-1", calls[0].visitorID)
	assert.Equal(t, "color", calls[0].key)
	assert.ErrorIs(t, calls[0].err, errBoom)
	assert.Empty(t, e.tracker.Records())
}

func TestActivating_WithoutCallback(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := e.synced(t, "v-1")
	e.tracker.setErr(errBoom)
	assert.Equal(t, "blue", v.Activating(ctx).String("color", "red"))
}

func TestScalarReads_DoNotAllocate(t *testing.T) {
	v := newTestEnv(t).synced(t, "v-1")
	tests := []struct {
		name string
		give func()
	}{
		{name: "String", give: func() { _ = v.String("color", "red") }},
		{name: "String missing", give: func() { _ = v.String("nope", "red") }},
		{name: "Bool", give: func() { _ = v.Bool("enabled", false) }},
		{name: "Float64", give: func() { _ = v.Float64("ratio", 0) }},
		{name: "Int", give: func() { _ = v.Int("size", 0) }},
		{name: "Has", give: func() { _ = v.Has("shared") }},
		{name: "Value string", give: func() { _ = v.Value("color", nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Zero(t, testing.AllocsPerRun(100, tt.give))
		})
	}
}

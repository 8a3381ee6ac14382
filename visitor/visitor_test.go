package visitor_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestNew_EmptyID(t *testing.T) {
	e := newTestEnv(t)
	v, err := visitor.New("", nil, e.config())
	require.ErrorIs(t, err, visitor.ErrEmptyID)
	assert.Nil(t, v)
}

func TestNew_NilDecider(t *testing.T) {
	cfg := newTestEnv(t).config()
	cfg.Decider = nil
	v, err := visitor.New("v-1", nil, cfg)
	require.ErrorIs(t, err, visitor.ErrInvalidOptions)
	assert.Nil(t, v)
}

func TestNew_RejectsUnsupportedValues(t *testing.T) {
	tests := []struct {
		name string
		give any
	}{
		{name: "string slice", give: []string{"a"}},
		{name: "any slice", give: []any{"a"}},
		{name: "map", give: map[string]any{"a": 1}},
		{name: "struct", give: struct{ A int }{A: 1}},
		{name: "pointer", give: new(string)},
		{name: "nil", give: nil},
		{name: "NaN", give: math.NaN()},
		{name: "+Inf", give: math.Inf(1)},
		{name: "-Inf", give: math.Inf(-1)},
		{name: "float32 NaN", give: float32(math.NaN())},
		{name: "complex", give: complex(1, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := visitor.New("v-1", visitor.Attributes{"ok": "yes", "bad": tt.give}, newTestEnv(t).config())
			require.ErrorIs(t, err, visitor.ErrInvalidAttribute)
			var ae *visitor.AttributeError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "bad", ae.Key)
			assert.NotEmpty(t, ae.Reason)
			assert.Contains(t, err.Error(), `"bad"`)
			assert.Nil(t, v)
		})
	}
}

func TestNew_RejectsReservedAndEmptyKeys(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "fs_client", give: visitor.KeySDKClient},
		{name: "fs_version", give: visitor.KeySDKVersion},
		{name: "other fs_ key", give: "fs_users"},
		{name: "empty key", give: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := visitor.New("v-1", visitor.Attributes{tt.give: "x"}, newTestEnv(t).config())
			assert.Equal(t, []string{tt.give}, attributeKeys(t, err))
		})
	}
}

func TestNew_ReportsEveryRefusedKey(t *testing.T) {
	_, err := visitor.New("v-1", visitor.Attributes{
		"ok":   1,
		"zeta": []string{"x"},
		"fs_x": "y",
		"alfa": math.Inf(1),
	}, newTestEnv(t).config())
	assert.Equal(t, []string{"alfa", "fs_x", "zeta"}, attributeKeys(t, err))
}

func TestNew_NormalizesNumbers(t *testing.T) {
	tests := []struct {
		name string
		give any
		want any
	}{
		{name: "int", give: 31, want: 31.0},
		{name: "int8", give: int8(-8), want: -8.0},
		{name: "int16", give: int16(16), want: 16.0},
		{name: "int32", give: int32(32), want: 32.0},
		{name: "int64", give: int64(1 << 40), want: float64(1 << 40)},
		{name: "uint", give: uint(7), want: 7.0},
		{name: "uint8", give: uint8(8), want: 8.0},
		{name: "uint16", give: uint16(16), want: 16.0},
		{name: "uint32", give: uint32(32), want: 32.0},
		{name: "uint64", give: uint64(64), want: 64.0},
		{name: "float32", give: float32(1.5), want: 1.5},
		{name: "float64", give: 2.25, want: 2.25},
		{name: "string", give: "gold", want: "gold"},
		{name: "bool", give: true, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			v := newVisitor(t, "v-1", visitor.Attributes{"n": tt.give}, e.config())

			got, ok := v.ContextValue("n")
			require.True(t, ok)
			assert.Equal(t, tt.want, got)

			require.NoError(t, v.Synchronize(context.Background()))
			reqs := e.decider.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, reqs[0].Context["n"])
		})
	}
}

func TestNew_PredefinedKeys(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, e.config())

	client, ok := v.ContextValue(visitor.KeySDKClient)
	require.True(t, ok)
	assert.Equal(t, "go", client)
	version, ok := v.ContextValue(visitor.KeySDKVersion)
	require.True(t, ok)
	assert.Equal(t, decision.SDKVersion, version)

	require.NoError(t, v.Synchronize(context.Background()))
	reqs := e.decider.Requests()
	require.Len(t, reqs, 1)
	// The predefined keys are the Decider's defaults, not in every
	// visitor's map.
	assert.Equal(t, decision.Request{VisitorID: "v-1", Context: map[string]any{"plan": "gold"}}, reqs[0])
	assert.Equal(t, map[string]any{"fs_client": "go", "fs_version": decision.SDKVersion}, visitor.PredefinedContext())
	assert.Equal(t, visitor.Attributes{"fs_client": "go", "fs_version": decision.SDKVersion, "plan": "gold"}, v.Context())
}

func TestNew_Defaults(t *testing.T) {
	v := newVisitor(t, "v-1", nil, visitor.Config{Decider: newTestEnv(t).decider.Func()})
	assert.Equal(t, "v-1", v.ID())
	assert.Equal(t, "", v.AnonymousID())
	assert.True(t, v.HasConsented())
	assert.Equal(t, visitor.Attributes{"fs_client": "go", "fs_version": decision.SDKVersion}, v.Context())
	// Without a Tracker nothing can be queued.
	err := v.SendHit(context.Background(), hits.Screen{Name: "home"})
	assert.ErrorIs(t, err, visitor.ErrNoTracker)
}

func TestUpdateContext_AppliesValidKeysAndReportsRefused(t *testing.T) {
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "silver"}, newTestEnv(t).config())

	err := v.UpdateContext(visitor.Attributes{
		"plan":       "gold",
		"age":        31,
		"list":       []string{"a"},
		"fs_client":  "java",
		"nan":        math.NaN(),
		"isVIP":      true,
		"obj":        struct{}{},
		"fs_version": "9",
	})
	assert.Equal(t, []string{"fs_client", "fs_version", "list", "nan", "obj"}, attributeKeys(t, err))
	assert.Equal(t, visitor.Attributes{
		"fs_client":  "go",
		"fs_version": decision.SDKVersion,
		"plan":       "gold",
		"age":        31.0,
		"isVIP":      true,
	}, v.Context())
}

func TestUpdateContext_Empty(t *testing.T) {
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "silver"}, newTestEnv(t).config())
	require.NoError(t, v.UpdateContext(nil))
	require.NoError(t, v.UpdateContext(visitor.Attributes{}))
	assert.Equal(t, "silver", v.Context()["plan"])
}

func TestSetContext(t *testing.T) {
	tests := []struct {
		name      string
		giveKey   string
		giveValue any
		want      any
	}{
		{name: "string", giveKey: "plan", giveValue: "gold", want: "gold"},
		{name: "int", giveKey: "age", giveValue: 31, want: 31.0},
		{name: "bool", giveKey: "isVIP", giveValue: false, want: false},
		{name: "overwrite", giveKey: "existing", giveValue: "new", want: "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVisitor(t, "v-1", visitor.Attributes{"existing": "old"}, newTestEnv(t).config())
			require.NoError(t, v.SetContext(tt.giveKey, tt.giveValue))
			got, ok := v.ContextValue(tt.giveKey)
			require.True(t, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSetContext_Refused(t *testing.T) {
	tests := []struct {
		name      string
		giveKey   string
		giveValue any
	}{
		{name: "reserved key", giveKey: "fs_client", giveValue: "java"},
		{name: "empty key", giveKey: "", giveValue: "x"},
		{name: "slice", giveKey: "existing", giveValue: []string{"a"}},
		{name: "nil", giveKey: "existing", giveValue: nil},
		{name: "inf", giveKey: "existing", giveValue: math.Inf(-1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVisitor(t, "v-1", visitor.Attributes{"existing": "old"}, newTestEnv(t).config())
			before := v.Context()
			err := v.SetContext(tt.giveKey, tt.giveValue)
			assert.Equal(t, []string{tt.giveKey}, attributeKeys(t, err))
			assert.Equal(t, before, v.Context())
		})
	}
}

func TestContextValue_Missing(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config())
	got, ok := v.ContextValue("nope")
	assert.False(t, ok)
	assert.Nil(t, got)
}

func TestContext_ReturnsCopy(t *testing.T) {
	v := newVisitor(t, "v-1", visitor.Attributes{"plan": "gold"}, newTestEnv(t).config())
	c := v.Context()
	c["plan"] = "tampered"
	c["extra"] = 1.0
	delete(c, visitor.KeySDKClient)

	assert.Equal(t, visitor.Attributes{
		"fs_client":  "go",
		"fs_version": decision.SDKVersion,
		"plan":       "gold",
	}, v.Context())
}

func TestUpdateContextAndSynchronize(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())

	require.NoError(t, v.UpdateContextAndSynchronize(context.Background(), visitor.Attributes{"plan": "gold"}))

	reqs := e.decider.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "gold", reqs[0].Context["plan"])
	assert.Equal(t, "blue", v.String("color", "red"))
}

func TestUpdateContextAndSynchronize_RefusedAttribute(t *testing.T) {
	e := newTestEnv(t)
	v := newVisitor(t, "v-1", nil, e.config())

	err := v.UpdateContextAndSynchronize(context.Background(), visitor.Attributes{"plan": "gold", "bad": []int{1}})
	assert.Equal(t, []string{"bad"}, attributeKeys(t, err))

	assert.Empty(t, e.decider.Requests())
	assert.Equal(t, "red", v.String("color", "red"))
	// The valid attribute was applied all the same.
	assert.Equal(t, "gold", v.Context()["plan"])
}

func TestUpdateContextAndSynchronize_DeciderError(t *testing.T) {
	e := newTestEnv(t)
	e.decider.set(decision.Decision{}, errBoom)
	v := newVisitor(t, "v-1", nil, e.config())

	err := v.UpdateContextAndSynchronize(context.Background(), visitor.Attributes{"plan": "gold"})
	require.ErrorIs(t, err, errBoom)
	assert.Len(t, e.decider.Requests(), 1)
}

func TestAuthenticate_Unauthenticate(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "anon-1", nil, e.config())

	require.NoError(t, v.Authenticate("user-1"))
	assert.Equal(t, "user-1", v.ID())
	assert.Equal(t, "anon-1", v.AnonymousID())

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.Activate(ctx, "color"))

	require.NoError(t, v.Unauthenticate())
	assert.Equal(t, "anon-1", v.ID())
	assert.Equal(t, "", v.AnonymousID())

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.Activate(ctx, "color"))

	reqs := e.decider.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, [2]string{"user-1", "anon-1"}, [2]string{reqs[0].VisitorID, reqs[0].AnonymousID})
	assert.Equal(t, [2]string{"anon-1", ""}, [2]string{reqs[1].VisitorID, reqs[1].AnonymousID})

	type ids struct {
		kind           hits.Kind
		visitor, anony string
	}
	var got []ids
	for _, r := range e.tracker.Records() {
		got = append(got, ids{r.Kind(), r.VisitorID(), r.AnonymousID()})
	}
	assert.Equal(t, []ids{
		{hits.KindHit, "user-1", "anon-1"},
		{hits.KindActivation, "user-1", "anon-1"},
		{hits.KindHit, "anon-1", ""},
		// The activation is not a repeat: the visitor id changed.
		{hits.KindActivation, "anon-1", ""},
	}, got)
}

func TestAuthenticate_ReplacesAuthenticatedID(t *testing.T) {
	v := newVisitor(t, "anon-1", nil, newTestEnv(t).config())
	require.NoError(t, v.Authenticate("user-1"))
	require.NoError(t, v.Authenticate("user-2"))
	assert.Equal(t, "user-2", v.ID())
	assert.Equal(t, "anon-1", v.AnonymousID())
	require.NoError(t, v.Unauthenticate())
	assert.Equal(t, "anon-1", v.ID())
}

func TestAuthenticate_SameIDOnAnonymousVisitor(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config())
	require.NoError(t, v.Authenticate("v-1"))
	assert.Equal(t, "v-1", v.ID())
	assert.Equal(t, "", v.AnonymousID())
}

func TestAuthenticate_EmptyID(t *testing.T) {
	v := newVisitor(t, "anon-1", nil, newTestEnv(t).config())
	require.ErrorIs(t, v.Authenticate(""), visitor.ErrEmptyID)
	assert.Equal(t, "anon-1", v.ID())
	assert.Equal(t, "", v.AnonymousID())
}

func TestUnauthenticate_Anonymous(t *testing.T) {
	v := newVisitor(t, "anon-1", nil, newTestEnv(t).config())
	err := v.Unauthenticate()
	require.ErrorIs(t, err, visitor.ErrNotAuthenticated)
	assert.Equal(t, "anon-1", v.ID())
}

func TestWithAnonymousID(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	v := newVisitor(t, "user-1", nil, e.config(), visitor.WithAnonymousID("anon-1"))

	assert.Equal(t, "user-1", v.ID())
	assert.Equal(t, "anon-1", v.AnonymousID())

	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.Activate(ctx, "color"))
	reqs := e.decider.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "user-1", reqs[0].VisitorID)
	assert.Equal(t, "anon-1", reqs[0].AnonymousID)
	recs := e.tracker.Records()
	require.Len(t, recs, 1)
	assert.Equal(t, "user-1", recs[0].VisitorID())
	assert.Equal(t, "anon-1", recs[0].AnonymousID())

	require.NoError(t, v.Unauthenticate())
	assert.Equal(t, "anon-1", v.ID())
	assert.Equal(t, "", v.AnonymousID())
}

func TestWithAnonymousID_SameAsID(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config(), visitor.WithAnonymousID("v-1"))
	assert.Equal(t, "", v.AnonymousID())
	require.ErrorIs(t, v.Unauthenticate(), visitor.ErrNotAuthenticated)
}

func TestNew_NilOptionIgnored(t *testing.T) {
	v := newVisitor(t, "v-1", nil, newTestEnv(t).config(), nil)
	assert.True(t, v.HasConsented())
}

func TestAttributeError(t *testing.T) {
	err := &visitor.AttributeError{Key: "k", Reason: "bad"}
	assert.Equal(t, `visitor: context key "k": bad`, err.Error())
	assert.True(t, errors.Is(err, visitor.ErrInvalidAttribute))
}

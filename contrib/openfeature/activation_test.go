package fsopenfeature_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// activated returns "visitor variationGroup/variation" for each
// activation the client posted.
func activated(srv *flagshiptest.Server) []string {
	var out []string
	for _, a := range srv.Activations() {
		if !a.FromDecision {
			out = append(out, a.VisitorID+" "+a.VariationGroupID+"/"+a.VariationID)
		}
	}
	return out
}

// evaluateSome evaluates flags for u1 and u2 several times: served by
// the toggle and the A/B test, a null value, a type mismatch and a flag
// the visitor has no campaign for.
func evaluateSome(t *testing.T, e *env) {
	for range 5 {
		for _, id := range []string{"u1", "u2"} {
			e.of.Boolean(t.Context(), "enabled", false, userCtx(id))
			e.of.String(t.Context(), "nothing", "", userCtx(id))
			e.of.Int(t.Context(), "discount", 0, userCtx(id, "plan", "silver"))
		}
		e.of.String(t.Context(), "color", "", userCtx("u1"))
		e.of.Boolean(t.Context(), "color", false, userCtx("u2")) // type mismatch: u2 saw the default
	}
}

func TestActivation(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		evaluateSome(t, e)
		flush(t, e.provider)
		assert.ElementsMatch(t, []string{
			"u1 vg_feature/var_feature",
			"u1 vg_exp/exp-a",
			"u2 vg_feature/var_feature",
		}, activated(e.srv))
	})
}

func TestNoActivation(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{NoActivation: true}, campaigns()...)
		evaluateSome(t, e)
		flush(t, e.provider)
		assert.Empty(t, activated(e.srv))
	})
}

package bucketing

import "testing"

// TestErrorOfMatchesCompare checks, for every operator and every pair of
// value kinds, that the kind-level error check used by decisions agrees
// with the error the full comparison raises.
func TestErrorOfMatchesCompare(t *testing.T) {
	targets := []any{nil, true, 1.0, "x", "1.2.3", []any{}, []any{"x"}, []any{1.0, "x"}, map[string]any{}}
	contexts := []any{nil, false, 2.0, "X", "1.2.3", []any{}, []any{"x"}, []any{2.0}, []any{true, "x"}, []any{nil}, []any{[]any{"x"}}, map[string]any{}}
	s := new(scratch)
	cp := &compiler{}
	for sig := range cp.samples {
		cp.samples[sig] = sampleOf(uint8(sig))
	}
	for op := Operator(-1); op <= 20; op++ {
		for _, tv := range targets {
			tc, err := compileTarget(tv, false)
			if err != nil {
				t.Fatal(err)
			}
			check := func(c *cval) {
				_, want := s.compare(op, &tc, c)
				if got := errorOf(op, &tc, c); got != want {
					t.Errorf("op %v target %#v context %#v: errorOf = %v, compare = %v", op, tv, c, got, want)
				}
				if c == nil {
					return
				}
				if masked := cp.errorMask(op, &tc)>>signature(c)&1 != 0; masked != (want != errNone) {
					t.Errorf("op %v target %#v context %#v: mask says %v, compare says %v", op, tv, c, masked, want)
				}
			}
			if op == OperatorExists || op == OperatorNotExists {
				check(nil)
			}
			for _, cv := range contexts {
				c := s.convertCtx(cv)
				check(&c)
			}
		}
	}
}

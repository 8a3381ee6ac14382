package peerbench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/launchdarkly/go-sdk-common/v3/ldvalue"

	"github.com/seed27eed597/flagship-go/peerbench"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestSDKsAgree checks that the comparison is honest: on every flag, the
// three SDKs target exactly the users the reference rule matches, serve
// them Control or Treatment in about even shares (which user gets which
// differs: each SDK hashes its own way), and serve Default to the others.
func TestSDKsAgree(t *testing.T) {
	users := peerbench.Users(peerbench.NumUsers)
	flags := peerbench.Flags(peerbench.MaxFlags)

	fs := newFlagship(t, flags)
	vs := flagshipVisitors(t, fs, users)
	ldc := newLaunchDarkly(t, flags)
	lcs := ldContexts(users)
	gbs := newGrowthBook(t, flags, users)

	// Each impl returns the values user u gets for every flag.
	type impl struct {
		name   string
		values func(u int) []string
	}
	perKey := func(get func(u int, key string) string) func(u int) []string {
		return func(u int) []string {
			out := make([]string, len(flags))
			for i, f := range flags {
				out[i] = get(u, f.Key)
			}
			return out
		}
	}
	// flagshipFlags returns the value of every flag in fl, Default for
	// those it lacks.
	flagshipFlags := func(fl []visitor.Flag) []string {
		byKey := map[string]string{}
		for _, f := range fl {
			byKey[f.Key], _ = f.Value.(string)
		}
		return perKey(func(_ int, key string) string {
			if s, ok := byKey[key]; ok {
				return s
			}
			return peerbench.Default
		})(0)
	}
	impls := []impl{
		{"flagship", perKey(func(u int, key string) string { return vs[u].String(key, peerbench.Default) })},
		{"flagship-flags", func(u int) []string { return flagshipFlags(vs[u].Flags()) }},
		{"flagship-per-request", func(u int) []string {
			v, err := fs.NewVisitor(users[u].ID, users[u].Attrs())
			if err == nil {
				err = v.Synchronize(context.Background())
			}
			if err != nil {
				return []string{"error: " + err.Error()}
			}
			return flagshipFlags(v.Flags())
		}},
		{"launchdarkly", perKey(func(u int, key string) string {
			v, err := ldc.JSONVariation(key, lcs[u], ldvalue.String(peerbench.Default))
			if err != nil {
				return "error: " + err.Error()
			}
			return v.StringValue()
		})},
		{"launchdarkly-allflags", func(u int) []string {
			st := ldc.AllFlagsState(lcs[u])
			return perKey(func(_ int, key string) string { return st.GetValue(key).StringValue() })(u)
		}},
		{"growthbook", perKey(func(u int, key string) string {
			s, _ := gbs[u].EvalFeature(context.Background(), key).Value.(string)
			return s
		})},
	}

	matched := 0
	for _, f := range flags {
		n := 0
		for _, u := range users {
			if f.Matches(u) {
				n++
			}
		}
		if n == 0 || n == len(users) {
			t.Fatalf("%s matches %d of %d users: the data set tests nothing", f.Key, n, len(users))
		}
		matched += n
	}
	t.Logf("%d flags, %d users: %d (flag, user) pairs targeted (%.0f%%)",
		len(flags), len(users), matched, 100*float64(matched)/float64(len(flags)*len(users)))

	for _, im := range impls {
		t.Run(im.name, func(t *testing.T) {
			treatment := 0
			for ui, u := range users {
				vals := im.values(ui)
				if len(vals) != len(flags) {
					t.Fatalf("%s: got %v, want %d values", u.ID, vals, len(flags))
				}
				for fi, f := range flags {
					got := vals[fi]
					want := fmt.Sprintf("%s or %s", peerbench.Control, peerbench.Treatment)
					ok := got == peerbench.Control || got == peerbench.Treatment
					if !f.Matches(u) {
						want, ok = peerbench.Default, got == peerbench.Default
					}
					if !ok {
						t.Fatalf("%s for %s %+v: got %q, want %s (clauses %+v)", f.Key, u.ID, u, got, want, f.Clauses)
					}
					if got == peerbench.Treatment {
						treatment++
					}
				}
			}
			// 50/50 split: with this many pairs, a fair split lands within
			// 45-55% with overwhelming probability.
			share := float64(treatment) / float64(matched)
			t.Logf("treatment share %.3f", share)
			if share < 0.45 || share > 0.55 {
				t.Errorf("treatment share %.3f of %d targeted pairs, want about 0.5", share, matched)
			}
		})
	}
}

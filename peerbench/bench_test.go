package peerbench_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldvalue"

	"github.com/seed27eed597/flagship-go/peerbench"
	"github.com/seed27eed597/flagship-go/visitor"
)

// BenchmarkAllFlags measures one request of a returning user: evaluate
// every flag and read them all. Each iteration takes the next of
// peerbench.NumUsers users; setup (client start, one first visit per
// user) is not timed.
func BenchmarkAllFlags(b *testing.B) {
	users := peerbench.Users(peerbench.NumUsers)
	for _, n := range []int{10, 100} {
		flags := peerbench.Flags(n)
		b.Run(fmt.Sprintf("flags=%d", n), func(b *testing.B) {
			b.Run("impl=flagship", func(b *testing.B) { benchFlagship(b, flags, users) })
			b.Run("impl=flagship-per-request", func(b *testing.B) { benchFlagshipPerRequest(b, flags, users) })
			b.Run("impl=launchdarkly-allflags", func(b *testing.B) { benchLDAllFlags(b, flags, users) })
			b.Run("impl=launchdarkly-jsonvariation", func(b *testing.B) { benchLDJSONVariation(b, flags, users) })
			b.Run("impl=growthbook", func(b *testing.B) { benchGrowthBook(b, flags, users) })
		})
	}
}

// benchFlagship: one long-lived visitor per user; a request is
// Synchronize (the local decision) and Flags (every flag the user has).
func benchFlagship(b *testing.B, flags []peerbench.Flag, users []peerbench.User) {
	c := newFlagship(b, flags)
	vs := flagshipVisitors(b, c, users)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		v := vs[i%len(vs)]
		i++
		if err := v.Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
		_ = v.Flags()
	}
}

// benchFlagshipPerRequest: the web-service pattern, a new visitor for each
// request of a returning user, then Synchronize and Flags.
func benchFlagshipPerRequest(b *testing.B, flags []peerbench.Flag, users []peerbench.User) {
	c := newFlagship(b, flags)
	flagshipVisitors(b, c, users) // first visits: assignments stored
	attrs := make([]visitor.Attributes, len(users))
	for j, u := range users {
		attrs[j] = u.Attrs()
	}
	ctx := context.Background()
	i := 0
	for b.Loop() {
		j := i % len(users)
		i++
		v, err := c.NewVisitor(users[j].ID, attrs[j])
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
		_ = v.Flags()
	}
}

func ldContexts(users []peerbench.User) []ldcontext.Context {
	out := make([]ldcontext.Context, len(users))
	for i, u := range users {
		out[i] = peerbench.LaunchDarklyContext(u)
	}
	return out
}

// benchLDAllFlags: AllFlagsState, LaunchDarkly's "evaluate every flag".
func benchLDAllFlags(b *testing.B, flags []peerbench.Flag, users []peerbench.User) {
	c := newLaunchDarkly(b, flags)
	lcs := ldContexts(users)
	i := 0
	for b.Loop() {
		_ = c.AllFlagsState(lcs[i%len(lcs)])
		i++
	}
}

// benchLDJSONVariation: one JSONVariation per flag.
func benchLDJSONVariation(b *testing.B, flags []peerbench.Flag, users []peerbench.User) {
	c := newLaunchDarkly(b, flags)
	lcs := ldContexts(users)
	def := ldvalue.String(peerbench.Default)
	i := 0
	for b.Loop() {
		lc := lcs[i%len(lcs)]
		i++
		for _, f := range flags {
			if _, err := c.JSONVariation(f.Key, lc, def); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchGrowthBook: one child client per user (WithAttributes, untimed),
// one EvalFeature per flag.
func benchGrowthBook(b *testing.B, flags []peerbench.Flag, users []peerbench.User) {
	cs := newGrowthBook(b, flags, users)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		c := cs[i%len(cs)]
		i++
		for _, f := range flags {
			_ = c.EvalFeature(ctx, f.Key)
		}
	}
}

package peerbench

import (
	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldvalue"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldbuilders"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldmodel"
)

// LaunchDarklyFlags returns the flags as LaunchDarkly flags: on, with
// variations Control, Treatment and Default; one rule whose clauses are
// the flag's (ANDed) and whose rollout gives Control and Treatment 50%
// each (bucketed by context key); the fallthrough serves Default.
func LaunchDarklyFlags(flags []Flag) []ldmodel.FeatureFlag {
	out := make([]ldmodel.FeatureFlag, 0, len(flags))
	for _, fl := range flags {
		var cs []ldmodel.Clause
		for _, c := range fl.Clauses {
			cs = append(cs, launchDarklyClause(c))
		}
		out = append(out, ldbuilders.NewFlagBuilder(fl.Key).
			Version(1).
			On(true).
			Salt(fl.Key).
			Variations(ldvalue.String(Control), ldvalue.String(Treatment), ldvalue.String(Default)).
			OffVariation(2).
			FallthroughVariation(2).
			AddRule(ldbuilders.NewRuleBuilder().
				ID("rule-"+fl.Key).
				Clauses(cs...).
				VariationOrRollout(ldbuilders.Rollout(ldbuilders.Bucket(0, 50000), ldbuilders.Bucket(1, 50000)))).
			Build())
	}
	return out
}

func launchDarklyClause(c Clause) ldmodel.Clause {
	switch c.Op {
	case OpIn:
		vals := make([]ldvalue.Value, len(c.Strings))
		for i, s := range c.Strings {
			vals[i] = ldvalue.String(s)
		}
		return ldbuilders.Clause(c.Attr, ldmodel.OperatorIn, vals...)
	case OpGTE:
		return ldbuilders.Clause(c.Attr, ldmodel.OperatorGreaterThanOrEqual, ldvalue.Float64(c.Number))
	case OpLT:
		return ldbuilders.Clause(c.Attr, ldmodel.OperatorLessThan, ldvalue.Float64(c.Number))
	default:
		return ldbuilders.Clause(c.Attr, ldmodel.OperatorIn, ldvalue.Bool(c.Bool))
	}
}

// LaunchDarklyContext returns u as a LaunchDarkly user context keyed by
// its id.
func LaunchDarklyContext(u User) ldcontext.Context {
	return ldcontext.NewBuilder(u.ID).
		SetString("country", u.Country).
		SetString("device", u.Device).
		SetString("plan", u.Plan).
		SetString("browser", u.Browser).
		SetInt("age", u.Age).
		SetInt("loyalty", u.Loyalty).
		SetInt("visits", u.Visits).
		SetBool("returning", u.Returning).
		Build()
}

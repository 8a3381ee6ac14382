package bucketing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/seed27eed597/flagship-go/decision"
)

// Outcome is what happened to a campaign in a decision.
type Outcome uint8

// Campaign outcomes.
const (
	// OutcomeNoTargetingMatch: no variation group's targeting matched.
	OutcomeNoTargetingMatch Outcome = iota
	// OutcomeBlocked1V1T: skipped by "one visitor, one test".
	OutcomeBlocked1V1T
	// OutcomeOutOfBucket: the visitor's bucket is outside the campaign's
	// bucket ranges (or it has none).
	OutcomeOutOfBucket
	// OutcomeUntracked: the allocations of the matched group do not reach
	// the visitor's hash bucket.
	OutcomeUntracked
	// OutcomeDeletedVariation: the history holds a variation that no
	// longer exists; Flagship then drops the campaign.
	OutcomeDeletedVariation
	// OutcomeAssigned: the visitor got a variation.
	OutcomeAssigned
)

var outcomeNames = [...]string{
	OutcomeNoTargetingMatch: "no variation group matched",
	OutcomeBlocked1V1T:      "blocked by one visitor, one test",
	OutcomeOutOfBucket:      "visitor out of the campaign's bucket ranges",
	OutcomeUntracked:        "visitor untracked by the allocations",
	OutcomeDeletedVariation: "remembered variation no longer exists",
	OutcomeAssigned:         "assigned",
}

func (o Outcome) String() string { return outcomeNames[o] }

// RuleResult is the result of one targeting rule.
type RuleResult uint8

// Rule results.
const (
	RuleTrue RuleResult = iota
	RuleFalse
	// RuleMissing: the context has no value for the key.
	RuleMissing
	// RuleError: the comparison raised an error, which rejects the whole
	// variation group.
	RuleError
	// RuleAllUsers: fs_all_users, neutral.
	RuleAllUsers
)

var ruleResultNames = [...]string{"true", "false", "key missing", "error", "all users"}

func (r RuleResult) String() string { return ruleResultNames[r] }

// Explanation tells, for one visitor, why each campaign was or wasn't
// assigned. It is produced by [Engine.Explain] with the same code path as
// [Engine.Decide].
type Explanation struct {
	VisitorID string
	Panic     bool
	// Campaigns follow file order, duplicates excluded.
	Campaigns []CampaignExplanation
	// Duplicates are campaigns ignored because an earlier campaign has the
	// same id, as "campaigns[i] (id)".
	Duplicates []string
	// Decision is the decision the explained run produced.
	Decision decision.Decision
}

// CampaignExplanation explains one campaign.
type CampaignExplanation struct {
	CampaignID string
	Type       string
	Outcome    Outcome
	// VariationGroups are the groups evaluated, in order, up to the first
	// that matched.
	VariationGroups []VariationGroupExplanation
	// VariationGroupID is the matched group, if any.
	VariationGroupID string
	// VisitorBucket is murmur3(visitor id) mod 100 when bucket ranges were
	// checked, else -1.
	VisitorBucket int
	// BucketRanges are the campaign's half-open bucket ranges.
	BucketRanges [][2]float32
	// AllocationBucket is the allocation hash bucket when the visitor was
	// hashed into the group's allocations, else -1.
	AllocationBucket int
	VariationID      string
	Reason           decision.Reason
}

// VariationGroupExplanation explains the targeting of one variation group.
type VariationGroupExplanation struct {
	ID      string
	Matched bool
	// Rejected reports that a rule raised an error.
	Rejected bool
	Rules    []RuleExplanation
}

// RuleExplanation explains one evaluated rule.
type RuleExplanation struct {
	Group, Index int
	Key          string
	Operator     Operator
	Target       any
	// Context is the value compared (the visitor id for fs_users).
	Context any
	// ContextPresent tells whether the context had a value for the key.
	ContextPresent bool
	Result         RuleResult
	// Error describes the error of a RuleError result.
	Error string
}

func ruleTrace(gi, ri int, r *crule, c *cval, res RuleResult, err evalErr) RuleExplanation {
	re := RuleExplanation{Group: gi, Index: ri, Key: r.src.Key, Operator: r.op, Target: r.src.Value, Result: res, Error: err.String()}
	if c != nil {
		re.Context, re.ContextPresent = c.export(), true
	}
	return re
}

// export converts a compiled value back to a Go value for display.
func (v *cval) export() any {
	switch v.kind {
	case kindBool:
		return v.b
	case kindNumber:
		return v.n
	case kindString:
		return v.s
	case kindList:
		out := make([]any, len(v.list))
		for i := range v.list {
			out[i] = v.list[i].export()
		}
		return out
	case kindObject:
		return map[string]any{}
	}
	return nil
}

// Explain decides for the visitor like [Engine.Decide] and records, per
// campaign and variation group, why it was or wasn't chosen. With a
// History, it reads and writes the history exactly as Decide does.
func (e *Engine) Explain(ctx context.Context, r decision.Request) (*Explanation, error) {
	cfg, err := e.begin(ctx, r)
	if err != nil {
		return nil, err
	}
	x := &Explanation{VisitorID: r.VisitorID, Panic: cfg.panic}
	for _, d := range cfg.duplicates {
		x.Duplicates = append(x.Duplicates, fmt.Sprintf("campaigns[%d] (%s)", d.index, d.id))
	}
	if cfg.panic {
		x.Decision = decision.Decision{VisitorID: r.VisitorID, Panic: true}
		return x, nil
	}
	s := new(scratch)
	x.Decision, err = e.run(ctx, cfg, r, DecideOptions{}, s, x)
	return x, err
}

// WriteTo writes the explanation for people.
func (x *Explanation) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "visitor %q\n", x.VisitorID)
	if x.Panic {
		b.WriteString("environment in panic mode: no campaign is served\n")
	}
	for _, d := range x.Duplicates {
		fmt.Fprintf(&b, "ignored duplicate campaign %s\n", d)
	}
	for _, c := range x.Campaigns {
		fmt.Fprintf(&b, "\ncampaign %s (%s): %s\n", c.CampaignID, c.Type, c.Outcome)
		for _, vg := range c.VariationGroups {
			state := "not matched"
			switch {
			case vg.Rejected:
				state = "rejected (a rule raised an error)"
			case vg.Matched:
				state = "matched"
			}
			fmt.Fprintf(&b, "  variation group %s: %s\n", vg.ID, state)
			for _, r := range vg.Rules {
				fmt.Fprintf(&b, "    group %d rule %d: %s %s %s", r.Group, r.Index, r.Key, r.Operator, jsonText(r.Target))
				switch r.Result {
				case RuleAllUsers, RuleMissing:
					fmt.Fprintf(&b, " -> %s\n", r.Result)
				case RuleError:
					fmt.Fprintf(&b, " against %s -> error: %s\n", jsonText(r.Context), r.Error)
				default:
					against := "absent key"
					if r.ContextPresent {
						against = jsonText(r.Context)
					}
					fmt.Fprintf(&b, " against %s -> %s\n", against, r.Result)
				}
			}
		}
		if c.VisitorBucket >= 0 {
			if len(c.BucketRanges) == 0 {
				fmt.Fprintf(&b, "  visitor bucket %d; the campaign has no bucket ranges\n", c.VisitorBucket)
			} else {
				fmt.Fprintf(&b, "  visitor bucket %d; bucket ranges", c.VisitorBucket)
				for _, r := range c.BucketRanges {
					fmt.Fprintf(&b, " [%g,%g)", r[0], r[1])
				}
				b.WriteByte('\n')
			}
		}
		switch c.Outcome {
		case OutcomeAssigned:
			fmt.Fprintf(&b, "  -> variation group %s, variation %s (%s)\n", c.VariationGroupID, c.VariationID, c.Reason)
		case OutcomeUntracked:
			fmt.Fprintf(&b, "  -> allocation bucket %d is beyond the group's allocations\n", c.AllocationBucket)
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

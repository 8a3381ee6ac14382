package peerbench

import (
	"encoding/json"
	"fmt"
)

// GrowthBookJSON returns the flags as GrowthBook features JSON (the
// "features" object of the SDK endpoint): each feature has Default as its
// default value and one experiment rule whose condition is the flag's
// clauses, with variations Control and Treatment weighted 50/50, full
// coverage, hashed on the "id" attribute.
func GrowthBookJSON(flags []Flag) string {
	features := make(map[string]any, len(flags))
	for _, fl := range flags {
		cond := map[string]any{}
		for _, c := range fl.Clauses {
			cond[c.Attr] = growthBookCondition(c)
		}
		features[fl.Key] = map[string]any{
			"defaultValue": Default,
			"rules": []any{map[string]any{
				"id":            "rule-" + fl.Key,
				"condition":     cond,
				"key":           "exp-" + fl.Key,
				"variations":    []string{Control, Treatment},
				"weights":       []float64{0.5, 0.5},
				"coverage":      1,
				"hashAttribute": "id",
				"meta":          []any{map[string]any{"key": "0"}, map[string]any{"key": "1"}},
			}},
		}
	}
	b, err := json.Marshal(features)
	if err != nil {
		panic(fmt.Sprintf("peerbench: %v", err)) // only JSON types: cannot happen
	}
	return string(b)
}

func growthBookCondition(c Clause) any {
	switch c.Op {
	case OpIn:
		if len(c.Strings) == 1 {
			return c.Strings[0]
		}
		return map[string]any{"$in": c.Strings}
	case OpGTE:
		return map[string]any{"$gte": c.Number}
	case OpLT:
		return map[string]any{"$lt": c.Number}
	default:
		return c.Bool
	}
}

// GrowthBookAttributes returns u's attributes for GrowthBook, with "id"
// (the hash attribute) set to its id.
func GrowthBookAttributes(u User) map[string]any {
	a := u.Attrs()
	a["id"] = u.ID
	return a
}

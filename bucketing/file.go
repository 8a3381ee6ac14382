package bucketing

import (
	"strconv"

	"github.com/seed27eed597/flagship-go/decision"
)

// File is a parsed bucketing file (the protobuf-JSON form of Flagship's
// BucketingResponse). It is plain data: build one in code or get one from
// [Parse], then [Compile] it.
type File struct {
	GeneratedAt string
	Panic       bool
	// VisitorConsolidation is the legacy switch for experience continuity:
	// XPC is on when it or AccountSettings.EnabledXPC is true.
	VisitorConsolidation bool
	AccountSettings      AccountSettings
	// Campaigns are in decision order.
	Campaigns []Campaign
}

// AccountSettings are the environment's account-wide switches.
type AccountSettings struct {
	// EnabledXPC turns on experience continuity.
	EnabledXPC bool
	// Enabled1V1T turns on "one visitor, one test" for ab campaigns.
	Enabled1V1T bool
}

// Campaign is a campaign of the bucketing file.
type Campaign struct {
	ID   string
	Name string
	// Slug is the campaign's custom id; nil when absent or null.
	Slug *string
	// Type is "ab", "toggle", "perso", "deployment", ... Only "ab" has
	// special semantics (one visitor, one test).
	Type string
	// BucketRanges slice the campaign's traffic by the visitor id's hash;
	// with none, the campaign is never served.
	BucketRanges []BucketRange
	// VariationGroups are tried in order; the first whose targeting
	// matches is the only one considered.
	VariationGroups []VariationGroup
}

// BucketRange is a half-open range [R[0], R[1]) of visitor buckets (0-99).
// Extra numbers are ignored; fewer than two make the file invalid.
type BucketRange struct {
	R []float64
}

// VariationGroup is a targeted group of variations. Its ID salts the
// allocation hash and is the caid of activations.
type VariationGroup struct {
	ID         string
	Name       string
	Targeting  Targeting
	Variations []Variation
}

// Targeting is an OR of groups, each an AND of rules. No group never
// matches.
type Targeting struct {
	Groups []TargetingGroup
}

// TargetingGroup is an AND of rules; an empty group never matches.
type TargetingGroup struct {
	Rules []Rule
}

// Rule is one targeting rule: the context value under Key compared with
// Value by Operator. Key "fs_users" compares the visitor id; key
// "fs_all_users" matches everyone.
type Rule struct {
	Key      string
	Operator Operator
	// Value is a JSON value: nil (null), bool, float64, string, []any or
	// map[string]any.
	Value any
	// NoValue reports that the value was absent (which differs from null
	// in one corner of Flagship's rules: against a null context value).
	NoValue bool
	// Provider names a third-party segment provider; rules with one never
	// see the visitor context.
	Provider string
}

// Variation is one variation of a variation group.
type Variation struct {
	ID   string
	Name string
	// Allocation is the percentage of the group's visitors it receives;
	// allocations are cumulative in order.
	Allocation    int32
	Reference     bool
	Modifications decision.Modifications
}

// Operator is a targeting operator. Unknown operator names parse as
// OperatorNull, which never matches a scalar value.
type Operator int32

// Targeting operators, with Flagship's enum numbers.
const (
	OperatorNull                      Operator = 0
	OperatorLowerThan                 Operator = 1
	OperatorGreaterThanOrEquals       Operator = 2
	OperatorLowerThanOrEquals         Operator = 3
	OperatorEquals                    Operator = 4
	OperatorNotEquals                 Operator = 5
	OperatorStartsWith                Operator = 6
	OperatorEndsWith                  Operator = 7
	OperatorContains                  Operator = 8
	OperatorNotContains               Operator = 9
	OperatorGreaterThan               Operator = 10
	OperatorExists                    Operator = 11
	OperatorNotExists                 Operator = 12
	OperatorSemverEquals              Operator = 13
	OperatorSemverNotEquals           Operator = 14
	OperatorSemverGreaterThan         Operator = 15
	OperatorSemverLowerThan           Operator = 16
	OperatorSemverGreaterThanOrEquals Operator = 17
	OperatorSemverLowerThanOrEquals   Operator = 18
)

var operatorNames = [...]string{
	"NULL", "LOWER_THAN", "GREATER_THAN_OR_EQUALS", "LOWER_THAN_OR_EQUALS", "EQUALS",
	"NOT_EQUALS", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAINS", "GREATER_THAN",
	"EXISTS", "NOT_EXISTS", "SEMVER_EQUALS", "SEMVER_NOT_EQUALS", "SEMVER_GREATER_THAN",
	"SEMVER_LOWER_THAN", "SEMVER_GREATER_THAN_OR_EQUALS", "SEMVER_LOWER_THAN_OR_EQUALS",
}

// String returns the operator's Flagship name, or its number when unknown.
func (o Operator) String() string {
	if o >= 0 && int(o) < len(operatorNames) {
		return operatorNames[o]
	}
	return strconv.Itoa(int(o))
}

// ParseOperator returns the operator with the given Flagship name.
func ParseOperator(name string) (Operator, bool) {
	for i, n := range operatorNames {
		if n == name {
			return Operator(i), true
		}
	}
	return OperatorNull, false
}

var modificationTypes = [...]string{"NULL", "JSON", "TEXT", "IMAGE", "HTML", "FLAG", "REDIRECT", "TURING_ENGINE"}

package admin

import (
	"encoding/json"
)

// The types of this file are the resources of the Remote Control API
// (spec §4–§5). Their JSON form is the API's: snake_case field names,
// read-only fields (ids, status, dates) left out when empty so that a value
// read from the API can be sent back. Unknown fields are ignored when
// decoding. Values are plain data: safe for concurrent reads, not for
// concurrent writes.

// Environment is an account environment (spec §4.1). Its ID is the SDK's
// environment id. Environments are read-only through the API: they are
// created and deleted in the platform.
type Environment struct {
	ID               string `json:"id"`
	Environment      string `json:"environment"` // the name, e.g. "production"
	IsMain           bool   `json:"is_main"`
	Panic            bool   `json:"panic"`             // panic mode on: SDKs serve their defaults
	SingleAssignment bool   `json:"single_assignment"` // "one visitor, one test"
}

// Project groups campaigns across environments (spec §4.2). It lives at
// account level.
type Project struct {
	ID   string `json:"id,omitempty"` // read-only
	Name string `json:"name"`
}

// Status is a campaign's state. New campaigns are [StatusDraft]; a switch
// ([Client.SwitchCampaign], [Client.SwitchProject]) sets one of
// [StatusActive], [StatusPaused] or [StatusInterrupted]. The server may
// report other values: treat unknown ones as "not live".
type Status string

// Campaign states (spec §4.3, §5.1).
const (
	StatusDraft       Status = "draft"
	StatusActive      Status = "active"
	StatusPaused      Status = "paused"
	StatusInterrupted Status = "interrupted"
)

// CampaignType is the use case of a campaign (spec §5.1).
type CampaignType string

// Campaign types (spec §5.1).
const (
	TypeAB         CampaignType = "ab"
	TypePerso      CampaignType = "perso"
	TypeDeployment CampaignType = "deployment"
	TypeFlag       CampaignType = "flag"
	TypeCustom     CampaignType = "custom"
	TypeToggle     CampaignType = "toggle"
)

// Campaign is a use case of an environment: groups of variations, each
// group with its targeting (spec §5.1). Variation groups are evaluated in
// order; the first whose targeting matches a visitor wins.
//
// [Client.UpdateCampaign] sends the whole campaign: variation groups and
// variations that carry their ID are kept and updated, those without one
// are created, and those left out are deleted (spec §3.4). Read, modify,
// then update.
type Campaign struct {
	ID              string           `json:"id,omitempty"` // read-only
	ProjectID       string           `json:"project_id"`
	Name            string           `json:"name"`
	Description     string           `json:"description"` // required, may be ""
	Type            CampaignType     `json:"type"`
	Slug            string           `json:"slug,omitempty"`   // the "custom id"
	Status          Status           `json:"status,omitempty"` // read-only: see [Client.SwitchCampaign]
	VariationGroups []VariationGroup `json:"variation_groups,omitempty"`
	Scheduler       *Scheduler       `json:"scheduler,omitempty"`
	PrimaryGoal     *Goal            `json:"primary_goal,omitempty"`
	SecondaryGoals  []Goal           `json:"secondary_goals,omitempty"`
	CreatedAt       string           `json:"created_at,omitempty"` // read-only, ISO 8601
	UpdatedAt       string           `json:"updated_at,omitempty"` // read-only, ISO 8601
}

// Scheduler starts and stops a campaign at given dates. The dates are kept
// as the server sends them: "2023-01-01 10:00:00" with a Timezone such as
// "Europe/Paris", or ISO 8601 (spec §5.1 lists both).
type Scheduler struct {
	StartDate string `json:"start_date,omitempty"`
	StopDate  string `json:"stop_date,omitempty"`
	Timezone  string `json:"timezone,omitempty"`
}

// VariationGroup is one scenario of a campaign: a targeting and the
// variations that targeted visitors are split among (spec §5.2). Its ID is
// the bucketing file's variation group id.
type VariationGroup struct {
	ID               string            `json:"id,omitempty"` // read-only; send it back to keep the group
	Name             string            `json:"name,omitempty"`
	Variations       []Variation       `json:"variations"`
	Targeting        *Targeting        `json:"targeting,omitempty"` // nil: every visitor
	AllocationConfig *AllocationConfig `json:"allocation_config,omitempty"`
}

// Variation is one arm of a variation group (spec §5.3). Allocation is the
// percentage (0 to 100, an integer) of the group's traffic it receives; the
// allocations of a group sum to 100 and exactly one variation of a group is
// the Reference (the original).
type Variation struct {
	ID            string         `json:"id,omitempty"` // read-only; send it back to keep the variation
	Name          string         `json:"name"`
	Reference     bool           `json:"reference"`
	Allocation    int            `json:"allocation"`
	Modifications *Modifications `json:"modifications,omitempty"`
}

// ModificationsFlag is the only modification type the API accepts.
const ModificationsFlag = "FLAG"

// Modifications are the flag values a variation serves (spec §5.3): flag
// key to any JSON value. Type is [ModificationsFlag] or empty.
type Modifications struct {
	Type  string         `json:"type,omitempty"`
	Value map[string]any `json:"value"`
}

// Targeting selects visitors: its groups are OR-ed, the rules inside a
// group AND-ed (spec §5.4).
type Targeting struct {
	TargetingGroups []TargetingGroup `json:"targeting_groups"`
}

// TargetingGroup is a set of rules that must all match.
type TargetingGroup struct {
	Targetings []TargetingRule `json:"targetings"`
}

// TargetingRule compares the visitor's context value at Key with Value.
// Value is any JSON scalar, or an array meaning "any of"; it is ignored by
// [OperatorExists] and [OperatorNotExists].
type TargetingRule struct {
	Key      string   `json:"key"`
	Operator Operator `json:"operator"`
	Value    any      `json:"value,omitempty"`
}

// Operator is a targeting comparison.
type Operator string

// The operators the Remote Control API accepts (spec §5.4). The SDK also
// knows SEMVER_* operators, but the API does not document them, so
// [Campaign.Validate] refuses them.
const (
	OperatorEquals              Operator = "EQUALS"
	OperatorNotEquals           Operator = "NOT_EQUALS"
	OperatorStartsWith          Operator = "STARTS_WITH"
	OperatorEndsWith            Operator = "ENDS_WITH"
	OperatorContains            Operator = "CONTAINS"
	OperatorNotContains         Operator = "NOT_CONTAINS"
	OperatorGreaterThan         Operator = "GREATER_THAN"
	OperatorLowerThan           Operator = "LOWER_THAN"
	OperatorGreaterThanOrEquals Operator = "GREATER_THAN_OR_EQUALS"
	OperatorLowerThanOrEquals   Operator = "LOWER_THAN_OR_EQUALS"
	OperatorExists              Operator = "EXISTS"
	OperatorNotExists           Operator = "NOT_EXISTS"
)

// Known reports whether o is one of the operators the API accepts.
func (o Operator) Known() bool {
	switch o {
	case OperatorEquals, OperatorNotEquals, OperatorStartsWith, OperatorEndsWith,
		OperatorContains, OperatorNotContains, OperatorGreaterThan, OperatorLowerThan,
		OperatorGreaterThanOrEquals, OperatorLowerThanOrEquals, OperatorExists, OperatorNotExists:
		return true
	}
	return false
}

// AllocationConfig is a progressive rollout of a variation group (spec
// §5.5). The server stores it; how it turns into what SDKs see is not
// documented.
type AllocationConfig struct {
	StartDate         string             `json:"start_date,omitempty"` // ISO 8601
	Timezone          string             `json:"timezone,omitempty"`
	StartAllocation   float64            `json:"start_allocation"`
	PeriodicSteps     *AllocationStep    `json:"periodic_steps,omitempty"`
	CustomSteps       []AllocationStep   `json:"custom_steps,omitempty"`
	RollbackCondition *RollbackCondition `json:"rollback_condition,omitempty"`
}

// AllocationStep raises the allocation by AllocationStep every Step
// StepType units (StepType "day", …).
type AllocationStep struct {
	AllocationStep float64 `json:"allocation_step"`
	Step           int     `json:"step"`
	StepType       string  `json:"step_type"`
}

// UnmarshalJSON accepts "allocation" as a spelling of "allocation_step"
// (one of the API's clients uses it, spec §5.5).
func (s *AllocationStep) UnmarshalJSON(b []byte) error {
	var v struct {
		AllocationStep *float64 `json:"allocation_step"`
		Allocation     *float64 `json:"allocation"`
		Step           int      `json:"step"`
		StepType       string   `json:"step_type"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = AllocationStep{Step: v.Step, StepType: v.StepType}
	switch {
	case v.AllocationStep != nil:
		s.AllocationStep = *v.AllocationStep
	case v.Allocation != nil:
		s.AllocationStep = *v.Allocation
	}
	return nil
}

// RollbackCondition stops a rollout when Goal compares to Value with
// Operator (e.g. "GREATER_THAN") once MinVisitors visitors were seen.
type RollbackCondition struct {
	Goal        *Goal   `json:"goal,omitempty"`
	Operator    string  `json:"operator,omitempty"`
	Value       float64 `json:"value"`
	MinVisitors int     `json:"min_visitors"`
}

// GoalType is the kind of a goal. The sources disagree (spec §4.7); the
// constants are the union.
type GoalType string

// Goal types (spec §4.7).
const (
	GoalEvent       GoalType = "event"
	GoalTransaction GoalType = "transaction"
	GoalPageview    GoalType = "pageview"
	GoalScreenview  GoalType = "screenview"
	GoalClick       GoalType = "click"
	GoalCustom      GoalType = "custom"
)

// Goal operators (spec §4.7; the sources spell the regular expression
// operator both ways).
const (
	GoalOperatorContains           = "contains"
	GoalOperatorIgnoringParameters = "ignoringParameters"
	GoalOperatorExact              = "exact"
	GoalOperatorRegexp             = "regexp"
	GoalOperatorRegex              = "regex"
)

// Goal is a KPI of an environment (spec §4.7), also embedded in campaigns
// as their primary and secondary goals.
type Goal struct {
	ID       string   `json:"id,omitempty"` // read-only
	Label    string   `json:"label"`
	Type     GoalType `json:"type"`
	Operator string   `json:"operator,omitempty"` // a GoalOperator* constant
	Value    string   `json:"value,omitempty"`
	Metrics  []string `json:"metrics,omitempty"` // e.g. "uniqueConversions"
}

// FlagType is the type of a flag's values (spec §4.5).
type FlagType string

// Flag types (spec §4.5). Some sources say "json" for objects and arrays;
// the API's reference says [FlagArray] and [FlagObject].
const (
	FlagString  FlagType = "string"
	FlagBoolean FlagType = "boolean"
	FlagNumber  FlagType = "number"
	FlagArray   FlagType = "array"
	FlagObject  FlagType = "object"
	FlagJSON    FlagType = "json"
)

// Flag sources (spec §4.5). [Client.CreateFlag] sends [FlagSourceManual]
// when Flag.Source is empty.
const (
	FlagSourceManual = "manual"
	FlagSourceCLI    = "cli"
)

// Flag is an entry of the account's flag catalog (spec §4.5): its Name is
// the key used in [Modifications.Value]. The catalog does not serve
// values; campaigns do.
type Flag struct {
	ID               string   `json:"id,omitempty"` // read-only
	Name             string   `json:"name"`
	Type             FlagType `json:"type"`
	Description      string   `json:"description"`
	Source           string   `json:"source,omitempty"`
	DefaultValue     string   `json:"default_value,omitempty"` // string-encoded, even for numbers
	PredefinedValues []string `json:"predefined_values,omitempty"`
	CreatedAt        string   `json:"created_at,omitempty"` // read-only, ISO 8601
}

// TargetingKeyType is the type of a targeting key (spec §4.6).
type TargetingKeyType string

// Targeting key types (spec §4.6).
const (
	TargetingKeyString  TargetingKeyType = "string"
	TargetingKeyBoolean TargetingKeyType = "boolean"
	TargetingKeyNumber  TargetingKeyType = "number"
)

// TargetingKey is an entry of the account's catalog of visitor context
// keys (spec §4.6): its Name is what [TargetingRule.Key] refers to.
type TargetingKey struct {
	ID          string           `json:"id,omitempty"` // read-only
	Name        string           `json:"name"`
	Type        TargetingKeyType `json:"type"`
	Description string           `json:"description"`
}

// Role is the role of a user of an environment. The API has known two
// vocabularies (spec §4.8); any string is sent as is.
type Role string

// Roles (spec §4.8), newer vocabulary then older.
const (
	RoleGuest          Role = "GUEST"
	RoleMember         Role = "MEMBER"
	RoleProjectManager Role = "PROJECT_MANAGER"
	RoleSuperAdmin     Role = "SUPER_ADMIN"
	RoleAccountOwner   Role = "ACCOUNT_OWNER"
	RoleCreator        Role = "CREATOR"
	RoleAdmin          Role = "ADMIN"
	RoleUser           Role = "USER"
	RoleOwner          Role = "OWNER"
	RoleAccountAdmin   Role = "ACCOUNT_ADMIN"
	RoleViewer         Role = "VIEWER"
)

// User is a platform user of an environment (not a visitor) and its role
// (spec §4.8).
type User struct {
	Email string `json:"email"`
	Role  Role   `json:"role"`
}

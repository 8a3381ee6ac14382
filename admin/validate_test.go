package admin_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

func TestValidateCampaign(t *testing.T) {
	tests := []struct {
		name     string
		give     func(c *admin.Campaign)
		wantPath string
		wantMsg  string
	}{
		{name: "no project", give: func(c *admin.Campaign) { c.ProjectID = "" }, wantPath: "project_id", wantMsg: "required"},
		{name: "no name", give: func(c *admin.Campaign) { c.Name = "" }, wantPath: "name", wantMsg: "required"},
		{name: "no type", give: func(c *admin.Campaign) { c.Type = "" }, wantPath: "type", wantMsg: "required"},
		{name: "unknown type", give: func(c *admin.Campaign) { c.Type = "multivariate" }, wantPath: "type", wantMsg: `unknown campaign type "multivariate"`},
		{name: "no group", give: func(c *admin.Campaign) { c.VariationGroups = nil }, wantPath: "variation_groups", wantMsg: "at least one"},
		{name: "no variation", give: func(c *admin.Campaign) { c.VariationGroups[1].Variations = nil },
			wantPath: "variation_groups[1].variations", wantMsg: "at least one variation"},
		{name: "allocation above 100", give: func(c *admin.Campaign) {
			c.VariationGroups[0].Variations[1].Allocation = 101
		}, wantPath: "variation_groups[0].variations[1].allocation", wantMsg: "101 is not between 0 and 100"},
		{name: "negative allocation", give: func(c *admin.Campaign) {
			c.VariationGroups[1].Variations[0].Allocation = -10
			c.VariationGroups[1].Variations[1].Allocation = 110
		}, wantPath: "variation_groups[1].variations[0].allocation", wantMsg: "-10 is not between 0 and 100"},
		{name: "sum not 100", give: func(c *admin.Campaign) { c.VariationGroups[1].Variations[1].Allocation = 5 },
			wantPath: "variation_groups[1].variations", wantMsg: "allocations sum to 95, want 100"},
		{name: "no reference", give: func(c *admin.Campaign) { c.VariationGroups[0].Variations[0].Reference = false },
			wantPath: "variation_groups[0].variations", wantMsg: "0 reference variations, want exactly 1"},
		{name: "two references", give: func(c *admin.Campaign) { c.VariationGroups[1].Variations[1].Reference = true },
			wantPath: "variation_groups[1].variations", wantMsg: "2 reference variations"},
		{name: "unnamed variation", give: func(c *admin.Campaign) { c.VariationGroups[1].Variations[1].Name = "" },
			wantPath: "variation_groups[1].variations[1].name", wantMsg: "required"},
		{name: "unknown operator", give: func(c *admin.Campaign) {
			c.VariationGroups[0].Targeting.TargetingGroups[0].Targetings[0].Operator = "MATCHES_REGEX"
		}, wantPath: "variation_groups[0].targeting.targeting_groups[0].targetings[0].operator", wantMsg: `unknown operator "MATCHES_REGEX"`},
		{name: "lower-case operator", give: func(c *admin.Campaign) {
			c.VariationGroups[0].Targeting.TargetingGroups[0].Targetings[0].Operator = "equals"
		}, wantPath: "variation_groups[0].targeting.targeting_groups[0].targetings[0].operator", wantMsg: "unknown operator"},
		{name: "targeting without key", give: func(c *admin.Campaign) {
			c.VariationGroups[0].Targeting.TargetingGroups[0].Targetings[0].Key = ""
		}, wantPath: "variation_groups[0].targeting.targeting_groups[0].targetings[0].key", wantMsg: "required"},
		{name: "empty targeting group", give: func(c *admin.Campaign) {
			c.VariationGroups[0].Targeting.TargetingGroups = append(c.VariationGroups[0].Targeting.TargetingGroups, admin.TargetingGroup{})
		}, wantPath: "variation_groups[0].targeting.targeting_groups[1].targetings", wantMsg: "at least one targeting"},
		{name: "modification type", give: func(c *admin.Campaign) { c.VariationGroups[0].Variations[1].Modifications.Type = "JSON" },
			wantPath: "variation_groups[0].variations[1].modifications.type", wantMsg: `"JSON": only "FLAG"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCampaign()
			tt.give(&c)
			err := c.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, admin.ErrValidation)
			var fe *admin.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantPath, fe.Path)
			assert.Contains(t, fe.Problem, tt.wantMsg)
			assert.Contains(t, err.Error(), tt.wantPath+": ")
		})
	}
}

func TestValidCampaignsPass(t *testing.T) {
	c := validCampaign()
	require.NoError(t, c.Validate())
	c.Type = admin.TypeAB
	c.VariationGroups[0].Targeting = nil                       // every visitor
	c.VariationGroups[1].Variations[1].Modifications.Type = "" // type is optional
	c.VariationGroups[0].Variations[0].Modifications = nil     // the original changes nothing
	c.VariationGroups[0].Targeting = &admin.Targeting{TargetingGroups: []admin.TargetingGroup{{Targetings: []admin.TargetingRule{
		{Key: "country", Operator: admin.OperatorExists},
	}}}}
	assert.NoError(t, c.Validate())
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := validCampaign()
	c.Name = ""
	c.VariationGroups[1].Variations[0].Allocation = 200
	err := c.Validate()
	var joined interface{ Unwrap() []error }
	require.True(t, errors.As(err, &joined))
	assert.Len(t, joined.Unwrap(), 3, "name, allocation, sum")
}

func TestInvalidCampaignIsNotSent(t *testing.T) {
	f := newFake(t, ok(`{}`))
	c := f.client(t)
	bad := validCampaign()
	bad.VariationGroups[0].Variations[1].Allocation = 99
	_, err := c.CreateCampaign(t.Context(), envID, bad)
	assert.ErrorIs(t, err, admin.ErrValidation)
	assert.ErrorContains(t, err, "variation_groups[0].variations: allocations sum to 99, want 100")
	_, err = c.UpdateCampaign(t.Context(), envID, "c1", bad)
	assert.ErrorIs(t, err, admin.ErrValidation)
	assert.Empty(t, f.requests())
}

func TestValidateOtherResources(t *testing.T) {
	tests := []struct {
		name     string
		give     interface{ Validate() error }
		wantPath string
	}{
		{name: "project without name", give: &admin.Project{}, wantPath: "name"},
		{name: "flag without name", give: &admin.Flag{Type: admin.FlagString}, wantPath: "name"},
		{name: "flag of unknown type", give: &admin.Flag{Name: "f", Type: "date"}, wantPath: "type"},
		{name: "targeting key of unknown type", give: &admin.TargetingKey{Name: "k", Type: "date"}, wantPath: "type"},
		{name: "goal without label", give: &admin.Goal{Type: admin.GoalClick}, wantPath: "label"},
		{name: "goal without type", give: &admin.Goal{Label: "g"}, wantPath: "type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fe *admin.FieldError
			require.ErrorAs(t, tt.give.Validate(), &fe)
			assert.Equal(t, tt.wantPath, fe.Path)
		})
	}
}

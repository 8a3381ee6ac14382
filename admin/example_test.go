package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// Create a campaign, switch it on, and list the environment's campaigns,
// here against a local Flagship (package flagshiptest) instead of
// api.flagship.io.
func Example() {
	h, err := flagshiptest.NewHandler("env_1")
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	access := h.AdminAccess() // the account and credentials the local server accepts

	c, err := admin.New(access.AccountID, access.Credentials,
		admin.WithBaseURL(srv.URL+"/v1"), // default https://api.flagship.io/v1
		admin.WithAuthURL(srv.URL))       // default https://auth.flagship.io
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx := context.Background()

	p, err := c.CreateProject(ctx, admin.Project{Name: "Web shop"})
	if err != nil {
		panic(err)
	}
	cp, err := c.CreateCampaign(ctx, "env_1", admin.Campaign{
		ProjectID: p.ID,
		Name:      "New checkout",
		Type:      admin.TypeToggle,
		VariationGroups: []admin.VariationGroup{{
			Targeting: &admin.Targeting{TargetingGroups: []admin.TargetingGroup{{Targetings: []admin.TargetingRule{
				{Key: "plan", Operator: admin.OperatorEquals, Value: "gold"},
			}}}},
			Variations: []admin.Variation{
				{Name: "off", Reference: true, Allocation: 50},
				{Name: "on", Allocation: 50, Modifications: &admin.Modifications{
					Value: map[string]any{"new_checkout": true},
				}},
			},
		}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("created:", cp.Name, cp.Status)

	if err := c.SwitchCampaign(ctx, "env_1", cp.ID, admin.StatusActive); err != nil {
		panic(err)
	}
	for cp, err := range c.ListCampaigns(ctx, "env_1") {
		if err != nil {
			panic(err)
		}
		fmt.Println("listed:", cp.Name, cp.Status)
	}
	// Output:
	// created: New checkout draft
	// listed: New checkout active
}

// Campaigns are checked before they are sent: the error names each field.
func ExampleCampaign_Validate() {
	cp := admin.Campaign{
		ProjectID: "p1", Name: "Checkout test", Type: admin.TypeAB,
		VariationGroups: []admin.VariationGroup{{Variations: []admin.Variation{
			{Name: "original", Reference: true, Allocation: 50},
			{Name: "variant", Allocation: 40},
		}}},
	}
	fmt.Println(cp.Validate())
	// Output:
	// admin: invalid variation_groups[0].variations: allocations sum to 90, want 100
}

// localFlagship returns a client of a local Flagship (package
// flagshiptest) whose environment "env_1" has one live toggle, "checkout".
func localFlagship() (*admin.Client, func()) {
	h, err := flagshiptest.NewHandler("env_1", flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}),
	))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	a := h.AdminAccess()
	c, err := admin.New(a.AccountID, a.Credentials, admin.WithBaseURL(srv.URL+"/v1"), admin.WithAuthURL(srv.URL))
	if err != nil {
		panic(err)
	}
	return c, func() { c.Close(); srv.Close() }
}

// Kill a campaign and restore it (Split's kill and restore): pausing it
// makes SDKs serve their defaults for its flags once the bucketing file is
// published again.
func ExampleClient_SwitchCampaign() {
	c, done := localFlagship()
	defer done()
	ctx := context.Background()

	if err := c.SwitchCampaign(ctx, "env_1", "checkout", admin.StatusPaused); err != nil {
		panic(err)
	}
	cp, err := c.GetCampaign(ctx, "env_1", "checkout")
	if err != nil {
		panic(err)
	}
	fmt.Println("killed:", cp.Status)

	if err := c.SwitchCampaign(ctx, "env_1", "checkout", admin.StatusActive); err != nil {
		panic(err)
	}
	cp, _ = c.GetCampaign(ctx, "env_1", "checkout")
	fmt.Println("restored:", cp.Status)
	// Output:
	// killed: paused
	// restored: active
}

// Panic mode is the kill switch of a whole environment.
func ExampleClient_SetPanic() {
	c, done := localFlagship()
	defer done()
	ctx := context.Background()

	if err := c.SetPanic(ctx, "env_1", true); err != nil {
		panic(err)
	}
	env, err := c.GetEnvironment(ctx, "env_1")
	if err != nil {
		panic(err)
	}
	fmt.Println("panic:", env.Panic)
	// Output:
	// panic: true
}

// Errors match sentinels: here a campaign that does not exist.
func ExampleAPIError() {
	c, done := localFlagship()
	defer done()

	_, err := c.GetCampaign(context.Background(), "env_1", "nope")
	var ae *admin.APIError
	if errors.As(err, &ae) {
		fmt.Println(ae.StatusCode, errors.Is(err, admin.ErrNotFound))
	}
	// Output:
	// 404 true
}

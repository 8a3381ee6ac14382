package decision_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// The Decision API client against a local Flagship server (flagshiptest)
// standing in for decision.flagship.io.
func ExampleAPIClient_Decide() {
	api, err := flagshiptest.NewHandler("env_1",
		flagshiptest.WithAPIKey("my-api-key"),
		flagshiptest.WithCampaigns(flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true, "maxItems": 20.0})),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(api)
	defer srv.Close()

	c, err := decision.NewAPIClient("env_1", "my-api-key", decision.APIOptions{BaseURL: srv.URL + "/v2"})
	if err != nil {
		fmt.Println(err) // wraps decision.ErrInvalidOptions
		return
	}
	ctx := context.Background()
	d, err := c.Decide(ctx, decision.Request{
		VisitorID: "user-4242",
		Context:   map[string]any{"plan": "gold"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range d.Campaigns {
		fmt.Println(a.ID, a.Type, a.VariationGroup.ID, a.Variation.ID, a.Reason)
		v, ok := a.Variation.Modifications.Lookup("maxItems")
		fmt.Println("maxItems:", v, ok)
	}
	// The client asks the server not to activate anything: the caller
	// activates what the visitor is shown.
	fmt.Println("trigger_hit:", *api.DecisionRequests()[0].TriggerHit)
	// Output:
	// checkout toggle vg_checkout var_checkout decision api
	// maxItems: 20 true
	// trigger_hit: false
}

// Failures are returned, never logged; branch on them with errors.Is and
// errors.As.
func ExampleAPIClient_Decide_errors() {
	api, err := flagshiptest.NewHandler("env_1", flagshiptest.WithAPIKey("my-api-key"))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	ctx := context.Background()

	wrongKey, _ := decision.NewAPIClient("env_1", "another-key", decision.APIOptions{BaseURL: srv.URL + "/v2"})
	_, err = wrongKey.Decide(ctx, decision.Request{VisitorID: "user-4242"})
	var apiErr *decision.APIError
	fmt.Println(errors.Is(err, decision.ErrUnauthorized), errors.As(err, &apiErr), apiErr.StatusCode)

	c, _ := decision.NewAPIClient("env_1", "my-api-key", decision.APIOptions{BaseURL: srv.URL + "/v2"})
	_, err = c.Decide(ctx, decision.Request{}) // nothing is sent
	fmt.Println(errors.Is(err, decision.ErrInvalidRequest), err)

	// Panic mode is not an error: the decision says so and has no
	// campaigns.
	api.SetPanic(true)
	d, err := c.Decide(ctx, decision.Request{VisitorID: "user-4242"})
	fmt.Println(d.Panic, len(d.Campaigns), err)
	// Output:
	// true true 401
	// true decision: invalid request: empty visitor id
	// true 0 <nil>
}

// A DeciderFunc stands in for a real Decider in tests of code that takes
// one.
func ExampleDeciderFunc() {
	var d decision.Decider = decision.DeciderFunc(func(_ context.Context, r decision.Request) (decision.Decision, error) {
		return decision.Decision{VisitorID: r.VisitorID, Campaigns: []decision.Assignment{{
			Campaign: &decision.Campaign{
				ID:             "c-banner",
				Type:           "toggle",
				VariationGroup: decision.VariationGroup{ID: "vg-banner"},
				Variation: decision.Variation{
					ID:            "var-banner",
					Modifications: decision.NewModifications("FLAG", map[string]any{"banner": "spring-sale", "discount": nil}),
				},
			},
			Reason: decision.Reason{Kind: decision.ReasonAllocated, Bucket: 42},
		}}}, nil
	})
	dec, err := d.Decide(context.Background(), decision.Request{VisitorID: "user-4242"})
	if err != nil {
		fmt.Println(err)
		return
	}
	a := dec.Campaigns[0]
	fmt.Println(a.ID, a.Variation.ID, a.Reason)
	for _, key := range []string{"banner", "discount", "missing"} {
		v, ok := a.Variation.Modifications.Lookup(key) // a JSON null is set, with a nil value
		fmt.Println(key, v, ok)
	}
	// Output:
	// c-banner var-banner allocated at bucket 42
	// banner spring-sale true
	// discount <nil> true
	// missing <nil> false
}

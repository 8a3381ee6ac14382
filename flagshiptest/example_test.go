package flagshiptest_test

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// A Handler mounted in a plain httptest.Server answers the Decision API
// from campaigns built in code and records the hits it receives.
func ExampleHandler() {
	h, err := flagshiptest.NewHandler("env_1", flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}),
	))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	resp, err := srv.Client().Post(srv.URL+"/v2/env_1/campaigns", "application/json",
		strings.NewReader(`{"visitorId":"v1","trigger_hit":false}`))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))

	resp, err = srv.Client().Post(srv.URL+"/events", "application/json", strings.NewReader(
		`{"cid":"env_1","ds":"APP","t":"BATCH","h":[{"t":"EVENT","vid":"v1","cuid":null,"ec":"Action Tracking","ea":"checkout"}]}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	for _, hit := range h.Hits() {
		fmt.Println(hit.Type, hit.VisitorID, hit.Fields["ea"])
	}

	resp, err = srv.Client().Post(srv.URL+"/events", "application/json", strings.NewReader(
		`{"cid":"env_1","ds":"APP","t":"BATCH","h":[{"t":"EVENT","vid":"v1","ec":"Clicks","ea":"checkout"}]}`))
	if err != nil {
		panic(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 200 {"visitorId":"v1","campaigns":[{"id":"checkout","name":"","slug":null,"type":"toggle","variationGroupId":"vg_checkout","variationGroupName":"","variation":{"id":"var_checkout","name":"","modifications":{"type":"FLAG","value":{"newCheckout":true}},"reference":false}}]}
	// 200
	// EVENT v1 checkout
	// 400 {"message":"h[0].ec: want \"Action Tracking\" or \"User Engagement\", got \"Clicks\""}
}

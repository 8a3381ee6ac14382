package flagshiptest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
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

// FailNext injects failures: here the next Decision API call gets a 503
// with a Retry-After header, and the one after it is served again.
func ExampleHandler_FailNext() {
	h, err := flagshiptest.NewHandler("env_1")
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	err = h.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 503, RetryAfter: 2 * time.Second})
	if err != nil {
		panic(err)
	}
	for range 2 {
		resp, err := srv.Client().Post(srv.URL+"/v2/env_1/campaigns", "application/json",
			strings.NewReader(`{"visitorId":"v1","trigger_hit":false}`))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	fmt.Println(h.FaultedRequests(), len(h.DecisionRequests()))

	// An impossible fault is refused.
	err = h.FailNext(1, flagshiptest.Fault{Route: "nowhere", Status: 500})
	fmt.Println(errors.Is(err, flagshiptest.ErrInvalidOptions))
	// Output:
	// 503 Retry-After="2"
	// 200 Retry-After=""
	// 1 1
	// true
}

// ClientOptions points a flagship client at a Handler served by your own
// server; the handler records what the client sends.
func ExampleClientOptions() {
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}),
	))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "flagshiptest-example") // the client's cache directory
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	c, err := flagship.New(ctx, flagshiptest.EnvID, "key", flagshiptest.ClientOptions(srv.URL, dir)...)
	if err != nil {
		panic(err)
	}
	defer c.Close(ctx) // before srv.Close: deferred calls run last first

	v, err := c.NewVisitor("visitor-1", visitor.Attributes{"plan": "gold"})
	if err != nil {
		panic(err)
	}
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}
	fmt.Println(v.Activating(ctx).Bool("newCheckout", false))
	if err := v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "checkout"}); err != nil {
		panic(err)
	}
	if err := c.Flush(ctx); err != nil { // deliver what the client queued
		panic(err)
	}
	fmt.Println(len(h.DecisionRequests()), "decision request")
	for _, a := range h.Activations() {
		fmt.Println("activation:", a.VisitorID, a.VariationGroupID, a.VariationID)
	}
	for _, hit := range h.Hits() {
		fmt.Println("hit:", hit.Type, hit.VisitorID, hit.FromDecision)
	}
	// Output:
	// true
	// 1 decision request
	// activation: visitor-1 vg_checkout var_checkout
	// hit: SEGMENT visitor-1 true
	// hit: EVENT visitor-1 false
}

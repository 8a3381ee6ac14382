package fsopenfeature_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/open-feature/go-sdk/openfeature"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// The examples run against a local Flagship-compatible server
// (flagshiptest) serving an A/B test on the checkout button and a
// toggle for gold customers.

// exampleServer starts the local server and returns it, the options that
// point a client at it, and a function that stops it.
func exampleServer() (*flagshiptest.Handler, []flagship.Option, func()) {
	gold := flagshiptest.Toggle("gold", map[string]any{"free-shipping": true})
	gold.VariationGroups[0].Targeting.Groups[0].Rules[0].Key = "plan"
	gold.VariationGroups[0].Targeting.Groups[0].Rules[0].Value = "gold"
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var-green", 100, map[string]any{"btn-color": "green"})),
		gold,
	))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	dir, err := os.MkdirTemp("", "fsopenfeature-example")
	if err != nil {
		panic(err)
	}
	opts := append(flagshiptest.ClientOptions(srv.URL, dir), flagship.WithLogger(slog.New(slog.DiscardHandler)))
	return h, opts, func() {
		srv.Close()
		_ = os.RemoveAll(dir)
	}
}

// Example opens a provider with a client of its own, evaluates flags and
// tracks an event through OpenFeature, and shuts down, which closes the
// client.
func Example() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	startCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := fsopenfeature.Open(startCtx, flagshiptest.EnvID, "your_api_key", fsopenfeature.Options{},
		append(opts, flagship.WithMode(flagship.Bucketing))...)
	if err != nil {
		panic(err)
	}
	if err := openfeature.SetProviderWithContextAndWait(startCtx, p); err != nil {
		panic(err)
	}

	client := openfeature.NewDefaultClient()
	ec := openfeature.NewEvaluationContext("user-4242", map[string]any{"plan": "gold"})
	color, _ := client.StringValueDetails(ctx, "btn-color", "blue", ec)
	fmt.Println(color.Value, color.Reason, color.Variant, color.FlagMetadata["campaignId"])
	shipping, _ := client.BooleanValueDetails(ctx, "free-shipping", false, ec)
	fmt.Println(shipping.Value, shipping.Reason)
	client.Track(ctx, "checkout", ec, openfeature.NewTrackingEventDetails(59.9))

	// Shutdown closes the client Open started, which delivers what it
	// queued: the activations of the flags served, and the event.
	if err := openfeature.ShutdownWithContext(ctx); err != nil {
		panic(err)
	}
	fmt.Println(len(h.Activations()), "activations")
	for _, hit := range h.Hits() {
		if hit.Type == "EVENT" {
			fmt.Println(hit.Type, hit.Fields["ea"], hit.Fields["ev"])
		}
	}
	// Output:
	// green SPLIT var-green checkout
	// true TARGETING_MATCH
	// 2 activations
	// EVENT checkout 60
}

// ExampleNew wraps a client of yours, which the provider never closes,
// and shows the reasons and error codes of a few evaluations.
func ExampleNew() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key", append(opts, flagship.WithMode(flagship.Bucketing))...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx) // after the provider's Shutdown

	if err := openfeature.SetProviderWithContextAndWait(ctx, fsopenfeature.New(fs, fsopenfeature.Options{})); err != nil {
		panic(err)
	}
	defer openfeature.Shutdown()
	client := openfeature.NewDefaultClient()

	silver := openfeature.NewEvaluationContext("user-1", map[string]any{"plan": "silver"})
	d, _ := client.BooleanValueDetails(ctx, "free-shipping", false, silver)
	fmt.Println(d.Value, d.Reason) // not targeted: your default
	d, _ = client.BooleanValueDetails(ctx, "btn-color", false, silver)
	fmt.Println(d.Value, d.Reason, d.ErrorCode)
	d, _ = client.BooleanValueDetails(ctx, "no-such-flag", false, silver)
	fmt.Println(d.Value, d.Reason, d.ErrorCode)
	d, _ = client.BooleanValueDetails(ctx, "free-shipping", false, openfeature.NewTargetlessEvaluationContext(nil))
	fmt.Println(d.Value, d.Reason, d.ErrorCode)
	tags := openfeature.NewEvaluationContext("user-1", map[string]any{"tags": []string{"a"}})
	d, _ = client.BooleanValueDetails(ctx, "free-shipping", false, tags)
	fmt.Println(d.Value, d.Reason, d.ErrorCode)
	// Output:
	// false DEFAULT
	// false ERROR TYPE_MISMATCH
	// false ERROR FLAG_NOT_FOUND
	// false ERROR TARGETING_KEY_MISSING
	// false ERROR INVALID_CONTEXT
}

// ExampleProvider_EventChannel follows configuration changes: a new
// bucketing file is a PROVIDER_CONFIGURATION_CHANGED listing the flags
// it changed.
func ExampleProvider_EventChannel() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	p, err := fsopenfeature.Open(ctx, flagshiptest.EnvID, "your_api_key", fsopenfeature.Options{},
		append(opts, flagship.WithMode(flagship.Bucketing))...)
	if err != nil {
		panic(err)
	}
	if err := openfeature.SetProviderWithContextAndWait(ctx, p); err != nil {
		panic(err)
	}
	defer openfeature.Shutdown()

	changed := make(chan []string, 1)
	onChange := func(d openfeature.EventDetails) {
		select {
		case changed <- slices.Clone(d.FlagChanges):
		default:
		}
	}
	openfeature.AddHandler(openfeature.ProviderConfigChange, &onChange)

	if err := h.SetCampaigns(flagshiptest.Campaign("checkout",
		flagshiptest.Variation("var-red", 100, map[string]any{"btn-color": "red"}))); err != nil {
		panic(err)
	}
	fmt.Println(<-changed) // within a polling interval
	client := openfeature.NewDefaultClient()
	fmt.Println(client.String(ctx, "btn-color", "blue", openfeature.NewEvaluationContext("user-1", nil)))
	// Output:
	// [btn-color free-shipping]
	// red
}

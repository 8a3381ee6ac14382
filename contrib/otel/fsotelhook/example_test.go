package fsotelhook_test

import (
	"context"
	"fmt"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/seed27eed597/flagship-go/contrib/otel/fsotelhook"
)

// Register the hook once; each evaluation made with a ctx holding a span
// adds an event to it. (openfeature.AddHooks does the same for the
// global API.)
func Example() {
	ctx := context.Background()
	api := isolated.NewAPI()
	defer api.Shutdown(ctx)
	_ = api.SetProviderAndWait(ctx, memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{
		"btn-color": {Key: "btn-color", State: memprovider.Enabled, DefaultVariant: "green",
			Variants: map[string]any{"green": "#00ff00"}},
	}))
	api.AddHooks(fsotelhook.New(fsotelhook.Options{}))

	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(ctx)

	ctx, span := tp.Tracer("shop").Start(ctx, "checkout")
	color := api.NewClient().String(ctx, "btn-color", "#000000", openfeature.NewEvaluationContext("visitor-1", nil))
	span.End()

	fmt.Println(color)
	for _, e := range exp.GetSpans()[0].Events {
		fmt.Println(e.Name)
		for _, kv := range e.Attributes {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// #00ff00
	// feature_flag.evaluation
	//   feature_flag.key=btn-color
	//   feature_flag.provider.name=InMemoryProvider
	//   feature_flag.result.reason=static
	//   feature_flag.result.variant=green
}

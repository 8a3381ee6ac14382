package fsotel_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// Give the Observer to the client with flagship.WithObserver; here its
// metrics go to a manual reader, read after a flush. In production, give
// a MeterProvider with an exporter (or set the global one) and a
// TracerProvider.
func Example() {
	ctx := context.Background()
	// A local Flagship server, for the example.
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true})))
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "fsotel-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx) // after the client's Close
	obs, err := fsotel.New(fsotel.Options{MeterProvider: mp})
	if err != nil {
		log.Fatal(err)
	}
	c, err := flagship.New(ctx, flagshiptest.EnvID, "api-key",
		append(flagshiptest.ClientOptions(srv.URL, dir), flagship.WithObserver(obs))...)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	v, err := c.NewVisitor("visitor-1", nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := v.Synchronize(ctx); err != nil {
		log.Fatal(err)
	}
	if err := v.SendHit(ctx, hits.Page{URL: "https://shop.example/"}); err != nil {
		log.Fatal(err)
	}
	if err := v.Activate(ctx, "newCheckout"); err != nil {
		log.Fatal(err)
	}
	if err := c.Flush(ctx); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch m.Name {
			case "flagship.queue.delivered.records", "flagship.client.status":
				printPoints(m)
			}
		}
	}
	// Unordered output:
	// flagship.client.status flagship.status=CLOSED: 0
	// flagship.client.status flagship.status=NOT_READY: 0
	// flagship.client.status flagship.status=PANIC: 0
	// flagship.client.status flagship.status=READY: 1
	// flagship.queue.delivered.records flagship.sink=http-activations: 1
	// flagship.queue.delivered.records flagship.sink=http-hits: 1
}

// printPoints prints the points of an Int64 metric with their attributes
// but flagship.env_id.
func printPoints(m metricdata.Metrics) {
	show := func(set attribute.Set, v int64) {
		filtered, _ := set.Filter(func(kv attribute.KeyValue) bool { return kv.Key != "flagship.env_id" })
		fmt.Printf("%s %s: %d\n", m.Name, filtered.Encoded(attribute.DefaultEncoder()), v)
	}
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			show(p.Attributes, p.Value)
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			show(p.Attributes, p.Value)
		}
	}
}

// One Observer may serve the clients of several environments; to tell
// apart two clients of the same environment, give each its own Observer
// with an attribute.
func ExampleNew_attributes() {
	checkout, err := fsotel.New(fsotel.Options{Attributes: []attribute.KeyValue{attribute.String("flagship.client", "checkout")}})
	if err != nil {
		log.Fatal(err)
	}
	_ = flagship.WithObserver(checkout) // give it to flagship.New
	_, err = fsotel.New(fsotel.Options{Attributes: []attribute.KeyValue{attribute.String("flagship.env_id", "x")}})
	fmt.Println(err)
	// Output:
	// fsotel: invalid options: Attributes[0]: "flagship.env_id" is set by the Observer
}

package fsopenfeature_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"

	"github.com/seed27eed597/flagship-go/bucketing"
	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// benchFlag is one of the ten flags of BenchmarkTenFlags: its key, the
// values of its two variations, and how it is read.
type benchFlag struct {
	key  string
	a, b any
}

func benchFlags() []benchFlag {
	var flags []benchFlag
	for i := range 4 {
		flags = append(flags, benchFlag{key: fmt.Sprintf("bool-%d", i), a: false, b: true})
	}
	for i := range 3 {
		flags = append(flags, benchFlag{key: fmt.Sprintf("string-%d", i), a: "control", b: "treatment"})
	}
	for i := range 2 {
		flags = append(flags, benchFlag{key: fmt.Sprintf("int-%d", i), a: 10, b: 20})
	}
	return append(flags, benchFlag{key: "float-0", a: 0.5, b: 1.5})
}

// evaluateTen evaluates the ten flags through c for ec.
func evaluateTen(ctx context.Context, c *openfeature.Client, flags []benchFlag, ec openfeature.EvaluationContext) {
	for _, f := range flags {
		switch f.a.(type) {
		case bool:
			c.Boolean(ctx, f.key, false, ec)
		case string:
			c.String(ctx, f.key, "", ec)
		case int:
			c.Int(ctx, f.key, 0, ec)
		case float64:
			c.Float(ctx, f.key, 0, ec)
		}
	}
}

// tenFlagsBench is the setup of the TenFlags benchmarks: a local server
// with one A/B test per flag, and the same flags for go-sdk's in-memory
// provider.
type tenFlagsBench struct {
	flags     []benchFlag
	mem       map[string]memprovider.InMemoryFlag
	attrs     map[string]any
	srv       *flagshiptest.Server
	endpoints flagship.Option
}

func newTenFlagsBench(b *testing.B) *tenFlagsBench {
	t := &tenFlagsBench{flags: benchFlags(), mem: map[string]memprovider.InMemoryFlag{},
		attrs: map[string]any{"plan": "gold", "country": "FR", "age": 31}}
	var camps []bucketing.Campaign
	for i, f := range t.flags {
		id := fmt.Sprintf("c%d", i)
		camps = append(camps, flagshiptest.Campaign(id,
			flagshiptest.Variation(id+"-a", 50, map[string]any{f.key: f.a}),
			flagshiptest.Variation(id+"-b", 50, map[string]any{f.key: f.b})))
		a, bv := f.a, f.b
		if n, ok := a.(int); ok {
			a, bv = int64(n), int64(bv.(int))
		}
		t.mem[f.key] = memprovider.InMemoryFlag{Key: f.key, State: memprovider.Enabled, DefaultVariant: "a",
			Variants: map[string]any{"a": a, "b": bv}}
	}
	t.srv = flagshiptest.NewServer(b, flagshiptest.WithCampaigns(camps...))
	// Hits and activations go to a server that reads and accepts them
	// without checking them, as Flagship's collector is remote: the
	// local server's strict validation would be timed with the client.
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(sink.Close)
	t.endpoints = flagship.WithEndpoints(flagship.Endpoints{
		Base: t.srv.URL, Activate: sink.URL + "/v2/activate", Events: sink.URL + "/events",
	})
	return t
}

// run times evaluateTen through a provider made by newProvider on a
// client of its own (files in a new directory: earlier runs' assignments
// and queue do not weigh on it), for a new targeting key each iteration
// if newUser, else always the same. perIteration, if not nil, runs
// before, with the iteration's targeting key.
func (t *tenFlagsBench) run(b *testing.B, newUser bool, newProvider func(*flagship.Client) openfeature.FeatureProvider, perIteration func(c *flagship.Client, ctx context.Context, id string, attrs map[string]any)) {
	client := newClient(b, t.srv, flagship.Bucketing, t.endpoints)
	api := isolated.NewAPI()
	defer func() { _ = api.Shutdown(context.Background()) }()
	if err := api.SetProviderAndWait(b.Context(), newProvider(client)); err != nil {
		b.Fatal(err)
	}
	of := api.NewClient()
	ctx := b.Context()
	n := 0
	id := "user-0"
	b.ReportAllocs()
	for b.Loop() {
		if newUser {
			n++
			id = "user-" + strconv.Itoa(n)
		}
		if perIteration != nil {
			perIteration(client, ctx, id, t.attrs)
		}
		evaluateTen(ctx, of, t.flags, openfeature.NewEvaluationContext(id, t.attrs))
	}
}

func ours(o fsopenfeature.Options) func(*flagship.Client) openfeature.FeatureProvider {
	return func(c *flagship.Client) openfeature.FeatureProvider { return fsopenfeature.New(c, o) }
}

func (t *tenFlagsBench) memProvider(*flagship.Client) openfeature.FeatureProvider {
	return memprovider.NewInMemoryProvider(t.mem)
}

// synchronize is the reference's decision: what the provider does once
// per new context.
func synchronize(b *testing.B) func(c *flagship.Client, ctx context.Context, id string, attrs map[string]any) {
	return func(c *flagship.Client, ctx context.Context, id string, attrs map[string]any) {
		v, err := c.NewVisitor(id, attrs)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTenFlags measures one request of a new user: ten flags
// evaluated through the OpenFeature client for a context never seen (a
// new targeting key each iteration, so the cache does not help: one
// decision per iteration), in BUCKETING mode against a local server.
//
//   - flagship: this provider with the default options (each served flag
//     activates: ten activations queued per iteration, without waiting
//     for the disk).
//   - flagship-noactivation: the same with Options.NoActivation.
//   - reference: go-sdk's in-memory provider serving the same ten flags,
//     plus one NewVisitor and Synchronize of the same client per
//     iteration: what the OpenFeature SDK and a Flagship decision cost
//     with no provider in between.
func BenchmarkTenFlags(b *testing.B) {
	t := newTenFlagsBench(b)
	b.Run("impl=flagship", func(b *testing.B) { t.run(b, true, ours(fsopenfeature.Options{}), nil) })
	b.Run("impl=flagship-noactivation", func(b *testing.B) {
		t.run(b, true, ours(fsopenfeature.Options{NoActivation: true}), nil)
	})
	b.Run("impl=reference", func(b *testing.B) { t.run(b, true, t.memProvider, synchronize(b)) })
}

// BenchmarkTenFlagsSameContext measures the ten evaluations of a context
// seen within the cache TTL (every one a cache hit, and activations
// dropped as repeats), against go-sdk's in-memory provider alone: the
// provider's cost per evaluation.
func BenchmarkTenFlagsSameContext(b *testing.B) {
	t := newTenFlagsBench(b)
	b.Run("impl=flagship", func(b *testing.B) { t.run(b, false, ours(fsopenfeature.Options{}), nil) })
	b.Run("impl=flagship-noactivation", func(b *testing.B) {
		t.run(b, false, ours(fsopenfeature.Options{NoActivation: true}), nil)
	})
	b.Run("impl=reference", func(b *testing.B) { t.run(b, false, t.memProvider, nil) })
}

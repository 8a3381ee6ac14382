package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Benchmarks of the SDK's request path in BUCKETING mode, on the same
// generated files as BenchmarkDecide, measured side by side:
//
//	BenchmarkSynchronize/campaigns=10/impl=decide       the bare engine Decide
//	BenchmarkSynchronize/campaigns=10/impl=synchronize  Visitor.Synchronize through flagship.Client
//	BenchmarkGetter/...                                 typed reads on a synchronized visitor
//
// Targets (issue 3): Synchronize within 1.2× of Decide; a typed getter
// ≤ 50 ns with no allocation.

// discard is a Tracker that accepts everything.
type discard struct{}

func (discard) Enqueue(context.Context, hits.Record) error { return nil }

// benchClient starts a BUCKETING client on the benchmark file served by
// a loopback server, and returns it with one synchronized visitor per
// benchmark request.
func benchClient(b *testing.B, s *benchSetup) (*flagship.Client, []*visitor.Visitor) {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(s.data)
	}))
	b.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, "benchenv", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Bucketing: srv.URL}), flagship.WithCacheDir(b.TempDir()),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: -1}),
		flagship.WithDelivery(flagship.DeliveryOptions{Tracker: discard{}}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Close(context.Background()) })
	if err := c.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	vs := make([]*visitor.Visitor, len(s.reqs))
	for i, r := range s.reqs {
		if vs[i], err = c.NewVisitor(r.VisitorID, r.Context); err != nil {
			b.Fatal(err)
		}
		// The first Synchronize also queues the context hit; later ones,
		// with an unchanged context, do not.
		if err := vs[i].Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return c, vs
}

func BenchmarkSynchronize(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("campaigns=%d/impl=decide", n), func(b *testing.B) {
			benchEngineDecide(b, setupBench(b, n))
		})
		b.Run(fmt.Sprintf("campaigns=%d/impl=synchronize", n), func(b *testing.B) {
			s := setupBench(b, n)
			_, vs := benchClient(b, s)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := vs[i&(benchVisitors-1)].Synchronize(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var sinkString string

func BenchmarkGetter(b *testing.B) {
	s := setupBench(b, 10)
	_, vs := benchClient(b, s)
	// A visitor with campaigns, so that the read finds its flag.
	var v *visitor.Visitor
	for _, x := range vs {
		if x.Has("color") {
			v = x
			break
		}
	}
	if v == nil {
		b.Fatal("no visitor has the flag")
	}
	b.Run("String/found", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkString = v.String("color", "grey")
		}
	})
	b.Run("String/missing", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkString = v.String("absent-flag", "grey")
		}
	})
	b.Run("String/parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var s string
			for pb.Next() {
				s = v.String("color", "grey")
			}
			_ = s
		})
	})
}

package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The request path with the DEFAULT options (issue 13): BUCKETING mode,
// the durable queue delivering to a loopback collector, the default
// assignment store (a file behind the in-process cache). Side by side in
// one run:
//
//	BenchmarkRequestPath/campaigns=N/impl=decide              the bare engine Decide, no store
//	BenchmarkRequestPath/campaigns=N/impl=default             Synchronize + one getter, returning visitor (its Visitor kept)
//	BenchmarkRequestPath/campaigns=N/impl=default-per-request NewVisitor + Synchronize + getter, returning visitor id
//	BenchmarkRequestPath/campaigns=N/impl=memory-store        Synchronize + getter with assignment.Memory
//
// Target: default ≤ 1.3× decide at 10 and 100 campaigns.

// defaultClient starts a BUCKETING client with default options but the
// URLs (a loopback server for the file and the hits) and the cache
// directory; extra options are appended.
func defaultClient(b *testing.B, s *benchSetup, extra ...flagship.Option) *flagship.Client {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/bucketing.json") {
			_, _ = w.Write(s.data)
			return
		}
		w.WriteHeader(http.StatusOK) // hits and activations
	}))
	b.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := append([]flagship.Option{flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL}),
		flagship.WithCacheDir(b.TempDir()), flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: -1})}, extra...)
	c, err := flagship.New(ctx, "benchenv", "key", opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Close(ctx)
	})
	if err := c.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}

// warmVisitors makes and synchronizes one visitor per benchmark request
// (their assignments stored, their context hits sent).
func warmVisitors(b *testing.B, c *flagship.Client, s *benchSetup) []*visitor.Visitor {
	b.Helper()
	vs := make([]*visitor.Visitor, len(s.reqs))
	for i, r := range s.reqs {
		var err error
		if vs[i], err = c.NewVisitor(r.VisitorID, r.Context); err != nil {
			b.Fatal(err)
		}
		if err := vs[i].Synchronize(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return vs
}

func BenchmarkRequestPath(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("campaigns=%d/impl=decide", n), func(b *testing.B) {
			benchEngineDecide(b, setupBench(b, n))
		})
		syncGet := func(b *testing.B, vs []*visitor.Visitor) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				v := vs[i&(benchVisitors-1)]
				if err := v.Synchronize(ctx); err != nil {
					b.Fatal(err)
				}
				sinkString = v.String("color", "grey")
			}
		}
		b.Run(fmt.Sprintf("campaigns=%d/impl=default", n), func(b *testing.B) {
			s := setupBench(b, n)
			c := defaultClient(b, s)
			syncGet(b, warmVisitors(b, c, s))
		})
		b.Run(fmt.Sprintf("campaigns=%d/impl=default-per-request", n), func(b *testing.B) {
			s := setupBench(b, n)
			c := defaultClient(b, s)
			warmVisitors(b, c, s)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r := s.reqs[i&(benchVisitors-1)]
				v, err := c.NewVisitor(r.VisitorID, r.Context)
				if err != nil {
					b.Fatal(err)
				}
				if err := v.Synchronize(ctx); err != nil {
					b.Fatal(err)
				}
				sinkString = v.String("color", "grey")
			}
		})
		b.Run(fmt.Sprintf("campaigns=%d/impl=memory-store", n), func(b *testing.B) {
			s := setupBench(b, n)
			c := defaultClient(b, s, flagship.WithAssignments(flagship.AssignmentOptions{Store: assignment.NewMemory(0)}))
			syncGet(b, warmVisitors(b, c, s))
		})
	}
}

// BenchmarkNewVisitorLatency paces per-request visitors (NewVisitor with
// a context + Synchronize + getter, default options) at 2,000 new
// visitors a second on one goroutine, each followed by a returning
// visitor's identical call, and reports the p50 and p99 latency of both
// and their ratio (target: new ≤ 3× returning, no fsync waited).
func BenchmarkNewVisitorLatency(b *testing.B) {
	const interval = 500 * time.Microsecond // 2,000 new visitors a second
	ctx := context.Background()
	s := setupBench(b, 10)
	c := defaultClient(b, s)
	warmVisitors(b, c, s)
	call := func(id string, attrs map[string]any) time.Duration {
		start := time.Now()
		v, err := c.NewVisitor(id, attrs)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
		sinkString = v.String("color", "grey")
		return time.Since(start)
	}
	fresh := make([]time.Duration, 0, b.N)
	returning := make([]time.Duration, 0, b.N)
	next := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next = next.Add(interval)
		for time.Now().Before(next) { // spin: a timer's wake-up jitter would dominate
		}
		r := s.reqs[i&(benchVisitors-1)]
		fresh = append(fresh, call(fmt.Sprintf("new-%d-%s", i, r.VisitorID), r.Context))
		returning = append(returning, call(r.VisitorID, r.Context))
	}
	b.StopTimer()
	slices.Sort(fresh)
	slices.Sort(returning)
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[int(float64(len(d)-1)*p)].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(fresh, 0.5), "new-p50-µs")
	b.ReportMetric(pct(fresh, 0.99), "new-p99-µs")
	b.ReportMetric(pct(returning, 0.5), "ret-p50-µs")
	b.ReportMetric(pct(returning, 0.99), "ret-p99-µs")
	b.ReportMetric(pct(fresh, 0.5)/pct(returning, 0.5), "p50-ratio")
	b.ReportMetric(pct(fresh, 0.99)/pct(returning, 0.99), "p99-ratio")
}

package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	fsdecision "github.com/flagship-io/flagship-common"
	fsbucketing "github.com/flagship-io/flagship-proto/bucketing"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// Benchmarks of our engine against flagship-common on the same generated
// files. Sub-benchmark names sort side by side:
//
//	BenchmarkDecide/campaigns=10/impl=ours
//	BenchmarkDecide/campaigns=10/impl=flagship-common
//
// See README.md for how to run them and the targets they are read against.
// No benchmark asserts on timings.

const (
	benchSeed     = 0xbe4c_5eed
	benchVisitors = 1024 // visitors rotated over; a power of two
)

// benchSetup is one benchmark file with its pre-built visitors.
type benchSetup struct {
	data []byte
	cfg  *bucketing.Config
	reqs []decision.Request
	// reference side, built outside the timer
	env      fsdecision.Environment
	visitors []fsdecision.Visitor
	// campaignsPerDecision is the mean number of campaigns a decision
	// returns (reported so that the work is visibly non-trivial).
	campaignsPerDecision float64
	// rulesPerDecision is the mean number of targeting rules a decision
	// evaluates (from our Explain).
	rulesPerDecision float64
}

var benchSetups = map[int]*benchSetup{}

func setupBench(b *testing.B, campaigns int) *benchSetup {
	b.Helper()
	if s, ok := benchSetups[campaigns]; ok {
		return s
	}
	g := NewGen(benchSeed, uint64(campaigns), GenOptions{})
	f := g.BenchFile(campaigns)
	s := &benchSetup{data: f.JSON()}
	var err error
	if s.cfg, err = bucketing.ParseConfig(s.data); err != nil {
		b.Fatal(err)
	}
	ref, err := parseRef(s.data)
	if err != nil {
		b.Fatal(err)
	}
	s.env = ref.env(false)
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(s.cfg)
	served, rules := 0, 0
	for i := range benchVisitors {
		req := decision.Request{VisitorID: fmt.Sprintf("visitor-%d-%x", i, g.Rand().Uint32()), Context: g.BenchContext()}
		rctx, err := refContext(req.Context)
		if err != nil {
			b.Fatal(err)
		}
		s.reqs = append(s.reqs, req)
		s.visitors = append(s.visitors, fsdecision.Visitor{ID: req.VisitorID, Context: rctx})
		// The benchmark files are also a differential check.
		d, err := e.Decide(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		resp, p := refDecide(s.env, s.visitors[i], fsdecision.DecisionOptions{ExposeAllKeys: true}, fsdecision.DecisionHandlers{})
		if p != nil {
			b.Fatal(p)
		}
		if diff := compareDecisions(fromOurs(d), fromRef(resp)); diff != "" {
			b.Fatalf("benchmark file with %d campaigns, visitor %d: %s", campaigns, i, diff)
		}
		served += len(d.Campaigns)
		x, err := e.Explain(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range x.Campaigns {
			for _, vg := range c.VariationGroups {
				rules += len(vg.Rules)
			}
		}
	}
	s.campaignsPerDecision = float64(served) / benchVisitors
	s.rulesPerDecision = float64(rules) / benchVisitors
	benchSetups[campaigns] = s
	return s
}

// benchEngineDecide times our engine's Decide over the setup's visitors.
func benchEngineDecide(b *testing.B, s *benchSetup) {
	ctx := context.Background()
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(s.cfg)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Decide(ctx, s.reqs[i&(benchVisitors-1)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("campaigns=%d/impl=ours", n), func(b *testing.B) {
			s := setupBench(b, n)
			benchEngineDecide(b, s)
			b.ReportMetric(s.campaignsPerDecision, "campaigns/op")
			b.ReportMetric(s.rulesPerDecision, "rules/op")
		})
		b.Run(fmt.Sprintf("campaigns=%d/impl=flagship-common", n), func(b *testing.B) {
			s := setupBench(b, n)
			// GetDecision mutates the environment (vg.Campaign, flag keys
			// filled into the modifications), idempotently: reusing it
			// across iterations is what a long-running server does.
			opts := fsdecision.DecisionOptions{ExposeAllKeys: true}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := fsdecision.GetDecision(s.visitors[i&(benchVisitors-1)], s.env, opts, fsdecision.DecisionHandlers{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(s.campaignsPerDecision, "campaigns/op")
			b.ReportMetric(s.rulesPerDecision, "rules/op")
		})
	}
}

// BenchmarkDecideParallel measures decisions from concurrent goroutines on
// one shared engine. Run it with -cpu 1,2: the scaling criterion compares
// the -cpu 2 ns/op with the -cpu 1 ns/op (ideal: 0.5×, target ≤ 0.6×).
// flagship-common is not run in parallel: GetDecision writes into the
// shared environment (flag maps), which is a data race.
func BenchmarkDecideParallel(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprintf("campaigns=%d/impl=ours", n), func(b *testing.B) {
			s := setupBench(b, n)
			e := bucketing.NewEngine(bucketing.Options{})
			e.Update(s.cfg)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := e.Decide(ctx, s.reqs[i&(benchVisitors-1)]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkCompile measures loading a 100-campaign file: our
// bucketing.ParseConfig (parse and compile) against a plain encoding/json
// decode into map[string]any (the target: no slower) and, for
// information, protojson into Flagship's BucketingResponse.
func BenchmarkCompile(b *testing.B) {
	const n = 100
	b.Run(fmt.Sprintf("campaigns=%d/impl=ours", n), func(b *testing.B) {
		s := setupBench(b, n)
		b.SetBytes(int64(len(s.data)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := bucketing.ParseConfig(s.data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("campaigns=%d/impl=json-map", n), func(b *testing.B) {
		s := setupBench(b, n)
		b.SetBytes(int64(len(s.data)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			var m map[string]any
			if err := json.Unmarshal(s.data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run(fmt.Sprintf("campaigns=%d/impl=protojson", n), func(b *testing.B) {
		s := setupBench(b, n)
		b.SetBytes(int64(len(s.data)))
		b.ReportAllocs()
		b.ResetTimer()
		opts := protojson.UnmarshalOptions{DiscardUnknown: true}
		for i := 0; i < b.N; i++ {
			var m fsbucketing.Bucketing_BucketingResponse
			if err := opts.Unmarshal(s.data, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package fsredis_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// BenchmarkSynchronize is the request path of a returning visitor in
// BUCKETING mode (Synchronize + one getter, 1,024 visitors rotated,
// warmed first) on a file of 10 campaigns, 4 of them A/B tests with
// several variations so that every decision consults the store:
//
//	store=memory           assignment.NewMemory(0), used without a cache
//	store=redis-cache-hit  the Redis store behind the SDK's cache, every visitor in it
//	store=redis-cache-miss the same with a 1 ns cache TTL: one Redis read per Synchronize
//
// Target: redis-cache-hit ≤ 1.1× memory.
func BenchmarkSynchronize(b *testing.B) {
	b.Run("store=memory", func(b *testing.B) {
		benchSynchronize(b, assignment.NewMemory(0), assignment.CacheOptions{})
	})
	b.Run("store=redis-cache-hit", func(b *testing.B) {
		benchSynchronize(b, benchRedisStore(b), assignment.CacheOptions{})
	})
	b.Run("store=redis-cache-miss", func(b *testing.B) {
		benchSynchronize(b, benchRedisStore(b), assignment.CacheOptions{TTL: time.Nanosecond})
	})
}

// benchRedisStore returns a Store on a fresh redis-server.
func benchRedisStore(b *testing.B) *fsredis.Store {
	b.Helper()
	rs := redistest.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr(), ContextTimeoutEnabled: true})
	b.Cleanup(func() { _ = rdb.Close() })
	s, err := fsredis.New(rdb, flagshiptest.EnvID)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// benchCampaigns are 4 A/B tests of 2 or 3 variations, 3 toggles and 3
// personalisations targeting the context.
func benchCampaigns() []bucketing.Campaign {
	var cs []bucketing.Campaign
	for i := range 4 {
		id := fmt.Sprintf("ab%d", i)
		vs := []bucketing.Variation{
			flagshiptest.Variation(id+"_a", 34, map[string]any{"ab" + fmt.Sprint(i): "a"}),
			flagshiptest.Variation(id+"_b", 33, map[string]any{"ab" + fmt.Sprint(i): "b"}),
			flagshiptest.Variation(id+"_c", 33, map[string]any{"ab" + fmt.Sprint(i): "c"}),
		}
		if i%2 == 1 {
			vs = []bucketing.Variation{
				flagshiptest.Variation(id+"_a", 50, map[string]any{"ab" + fmt.Sprint(i): "a"}),
				flagshiptest.Variation(id+"_b", 50, map[string]any{"ab" + fmt.Sprint(i): "b"}),
			}
		}
		cs = append(cs, flagshiptest.Campaign(id, vs...))
	}
	for i := range 3 {
		cs = append(cs, flagshiptest.Toggle(fmt.Sprintf("toggle%d", i), map[string]any{fmt.Sprintf("on%d", i): true}))
	}
	for i := range 3 {
		c := flagshiptest.Toggle(fmt.Sprintf("perso%d", i), map[string]any{fmt.Sprintf("perso%d", i): "gold"})
		c.Type = "perso"
		c.VariationGroups[0].Targeting = bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
			{Key: "plan", Operator: bucketing.OperatorEquals, Value: "gold"},
		}}}}
		cs = append(cs, c)
	}
	return cs
}

const benchVisitorCount = 1024 // a power of two: rotated with a mask

func benchSynchronize(b *testing.B, store assignment.Store, o assignment.CacheOptions) {
	fs := flagshiptest.NewServer(b, flagshiptest.WithCampaigns(benchCampaigns()...))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := append(fs.Options(),
		flagship.WithMode(flagship.Bucketing),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: -1}),
		flagship.WithAssignments(flagship.AssignmentOptions{Store: store, Cache: o}),
		flagship.WithLogger(slog.New(slog.DiscardHandler)))
	c, err := flagship.New(ctx, flagshiptest.EnvID, "api-key", opts...)
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

	vs := make([]*visitor.Visitor, benchVisitorCount)
	for i := range vs {
		plan := "free"
		if i%2 == 0 {
			plan = "gold"
		}
		if vs[i], err = c.NewVisitor(fmt.Sprintf("bench-%d", i), visitor.Attributes{"plan": plan}); err != nil {
			b.Fatal(err)
		}
		if err := vs[i].Synchronize(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for c.AssignmentStats().PendingWrites > 0 { // the writes behind are done
		if ctx.Err() != nil {
			b.Fatal("assignments not written")
		}
		time.Sleep(time.Millisecond)
	}
	start := c.AssignmentStats()

	bg := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		v := vs[i&(benchVisitorCount-1)]
		i++
		if err := v.Synchronize(bg); err != nil {
			b.Fatal(err)
		}
		if v.String("ab0", "") == "" {
			b.Fatal("no flag")
		}
	}
	b.StopTimer()
	end := c.AssignmentStats()
	if n := end.Misses - start.Misses; n > 0 {
		b.ReportMetric(float64(n)/float64(i), "misses/op")
	}
	if end.Degraded != start.Degraded {
		b.ReportMetric(float64(end.Degraded-start.Degraded)/float64(i), "degraded/op")
	}
}

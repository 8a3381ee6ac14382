package shop

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoSplits runs the demo as `make demo` does (10,000 visitors) and
// checks that every campaign's observed split is within 2 points of its
// configured allocation, that the local server received every record the
// queue delivered, and that the injected faults were retried.
func TestDemoSplits(t *testing.T) {
	rep, err := Run(context.Background(), Options{Dir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, rep.Check())
	require.Equal(t, 10_000, rep.Visitors)
	// Every hit and activation the shop made reached the server once.
	require.NotEmpty(t, rep.sent)
	require.Equal(t, rep.sent, rep.received)

	require.Len(t, rep.Campaigns, 4)
	for _, c := range rep.Campaigns {
		total := 0
		for _, v := range c.Rows() {
			total += v.Visitors
			assert.InDelta(t, v.Configured, c.Observed(v), 2, "%s / %s: observed %.2f%%, configured %.0f%%",
				c.Name, v.Name, c.Observed(v), v.Configured)
		}
		assert.Equal(t, c.Eligible, total, "%s: every eligible visitor is counted once", c.Name)
	}
	byName := map[string]*CampaignReport{}
	for _, c := range rep.Campaigns {
		byName[c.Name] = c
	}
	// Targeting: only loyalty members (silver 30% + gold 20% of visitors)
	// see the free-shipping campaign; everyone else sees the others.
	assert.Equal(t, 10_000, byName["Checkout flow A/B test"].Eligible)
	assert.Equal(t, 10_000, byName["Product page multivariate test"].Eligible)
	loyal := byName["Free shipping for loyalty members"].Eligible
	assert.InDelta(t, 5_000, loyal, 200)
	// The toggle serves 30%; the rest get defaults.
	require.NotNil(t, byName["Dark mode rollout"].Unallocated)
	assert.Equal(t, 70.0, byName["Dark mode rollout"].Unallocated.Configured)

	// Every visitor sent its context and a page view; the queue retried
	// the batches the server failed on purpose and lost nothing.
	assert.Equal(t, 10_000, rep.ServerHits["SEGMENT"])
	assert.GreaterOrEqual(t, rep.ServerHits["PAGEVIEW"], 20_000)
	assert.Equal(t, rep.Purchases, rep.ServerHits["TRANSACTION"])
	assert.Positive(t, rep.ServerActivations)
	var retried uint64
	for _, s := range rep.Queue.Sinks {
		retried += s.Retried
		assert.Zero(t, s.DeadLettered, s.Name)
	}
	assert.Positive(t, retried, "the injected faults were retried")
	assert.Positive(t, rep.DecisionLatency(50))
	assert.GreaterOrEqual(t, rep.DecisionLatency(99), rep.DecisionLatency(50))

	var out bytes.Buffer
	rep.Render(&out)
	for _, c := range rep.Campaigns {
		assert.Contains(t, out.String(), c.Name)
	}
	assert.Contains(t, out.String(), "p99")
}

// TestDemoIsDeterministic: the same visitors get the same variations on
// every run, so that the figures in README.md can be reproduced.
func TestDemoIsDeterministic(t *testing.T) {
	run := func() []int {
		rep, err := Run(context.Background(), Options{Visitors: 300, Dir: t.TempDir(), NoFaults: true})
		require.NoError(t, err)
		require.NoError(t, rep.Check())
		var n []int
		for _, c := range rep.Campaigns {
			for _, v := range c.Rows() {
				n = append(n, v.Visitors, v.Purchases)
			}
		}
		return append(n, rep.Purchases, totalHits(rep.ServerHits), rep.ServerActivations)
	}
	assert.Equal(t, run(), run())
}

// TestMainFailsWhenRecordsAreLost: a destination that rejects every
// record sends them to the dead letters, and the demo exits non-zero.
func TestMainFailsWhenRecordsAreLost(t *testing.T) {
	var calls atomic.Int64
	reject := eventqueue.SinkConfig{Name: "rejecting", Sink: eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		calls.Add(1)
		// A refusal of the records' content (one naming the record), not of
		// the destination, which would be retried rather than dead-lettered.
		return eventqueue.Permanent(fmt.Errorf("record %s: no thanks", b[0].ID()))
	})}
	var out bytes.Buffer
	code := Main(context.Background(), &out, Options{Visitors: 20, Dir: t.TempDir(), NoFaults: true, Sinks: []eventqueue.SinkConfig{reject}})
	assert.Equal(t, 1, code, out.String())
	assert.Contains(t, out.String(), "FAIL: rejecting:")
	assert.Contains(t, out.String(), "dead-lettered")
	assert.Positive(t, calls.Load())
}

// TestMainSucceeds: exit code 0 and the closing line when nothing is lost,
// with a second destination beside Flagship's endpoints.
func TestMainSucceeds(t *testing.T) {
	var got atomic.Int64
	count := eventqueue.SinkConfig{Name: "counting", Sink: eventqueue.SinkFunc(func(_ context.Context, rs []eventqueue.Record) error {
		got.Add(int64(len(rs)))
		return nil
	})}
	var out bytes.Buffer
	code := Main(context.Background(), &out, Options{Visitors: 50, Dir: t.TempDir(), Sinks: []eventqueue.SinkConfig{count}})
	require.Equal(t, 0, code, out.String())
	assert.True(t, strings.HasSuffix(out.String(), "OK: every record enqueued was delivered.\n"))
	assert.Contains(t, out.String(), "counting")
	assert.Contains(t, out.String(), flagship.SinkHTTPHits)
	assert.Positive(t, got.Load())
}

func TestCheckReportsUndelivered(t *testing.T) {
	rep := &Report{
		Queue: eventqueue.Stats{Enqueued: 10, Sinks: []eventqueue.SinkStats{
			{Name: flagship.SinkHTTPHits, Configured: true, Sent: 6, Depth: 1},
			{Name: flagship.SinkHTTPActivations, Configured: true, Sent: 3},
		}},
		ServerHits:        map[string]int{"PAGEVIEW": 6},
		ServerActivations: 3,
	}
	err := rep.Check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "http-hits: 1 records undelivered")
	assert.Contains(t, err.Error(), "9 records delivered of 10 enqueued")

	rep.Queue.Sinks[0] = eventqueue.SinkStats{Name: flagship.SinkHTTPHits, Configured: true, Sent: 7}
	rep.ServerHits["PAGEVIEW"] = 7
	assert.NoError(t, rep.Check())
	rep.ServerActivations = 4 // a duplicate the queue does not know of
	assert.ErrorContains(t, rep.Check(), "local server accepted 4 activations, the queue delivered 3")
}

func TestBarAndCount(t *testing.T) {
	assert.Equal(t, strings.Repeat("█", 15)+strings.Repeat(" ", 15), bar(50))
	assert.Equal(t, strings.Repeat("█", 30), bar(100))
	assert.Equal(t, strings.Repeat(" ", 30), bar(0))
	assert.Equal(t, "▌"+strings.Repeat(" ", 29), bar(100.0/60))
	assert.Equal(t, "10,000", Count(10000))
	assert.Equal(t, "999", Count(999))
	assert.Equal(t, "1,234,567", Count(uint64(1234567)))
}

// TestCheckMatchesRecordsByIdentity: a lost record and a duplicated one
// leave the counts equal, but not the records.
func TestCheckMatchesRecordsByIdentity(t *testing.T) {
	rep := &Report{
		Queue: eventqueue.Stats{Enqueued: 3, Sinks: []eventqueue.SinkStats{
			{Name: flagship.SinkHTTPHits, Configured: true, Sent: 2},
			{Name: flagship.SinkHTTPActivations, Configured: true, Sent: 1},
		}},
		ServerHits:        map[string]int{"PAGEVIEW": 2},
		ServerActivations: 1,
		sent: map[string]int{
			"PAGEVIEW|v1|https://shop.example/": 1, "PAGEVIEW|v2|https://shop.example/": 1, "ACTIVATION|v1|var": 1,
		},
		received: map[string]int{
			"PAGEVIEW|v1|https://shop.example/": 2, "ACTIVATION|v1|var": 1,
		},
	}
	err := rep.Check()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "1 missing, 1 duplicated or unexpected")
	assert.Contains(t, err.Error(), "missing PAGEVIEW|v2|")

	rep.received = maps.Clone(rep.sent)
	assert.NoError(t, rep.Check())
}

// TestServerKeysMatchShopKeys: the key of a hit as the shop sent it equals
// the key of the same hit as the server parsed it.
func TestServerKeysMatchShopKeys(t *testing.T) {
	cases := []struct {
		hit    hits.Hit
		typ    string
		fields map[string]any
	}{
		{hits.Page{URL: "https://shop.example/x"}, "PAGEVIEW", map[string]any{"dl": "https://shop.example/x"}},
		{hits.Event{Category: hits.ActionTracking, Action: "a", Label: "l"}, "EVENT", map[string]any{"ea": "a", "el": "l"}},
		{hits.Transaction{ID: "T-1", Affiliation: "c"}, "TRANSACTION", map[string]any{"tid": "T-1"}},
		{hits.Item{TransactionID: "T-1", Name: "n", Code: "SKU"}, "ITEM", map[string]any{"tid": "T-1", "ic": "SKU"}},
	}
	for _, c := range cases {
		assert.Equal(t, hitKey("v", c.hit), serverHitKey(flagshiptest.Hit{Type: c.typ, VisitorID: "v", Fields: c.fields}), c.typ)
	}
	assert.Equal(t, segmentKey("v"), serverHitKey(flagshiptest.Hit{Type: "SEGMENT", VisitorID: "v"}))
}

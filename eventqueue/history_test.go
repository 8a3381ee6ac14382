package eventqueue_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
)

func TestHistorySaveLoad(t *testing.T) {
	tests := []struct {
		name           string
		giveDurability eventqueue.Durability
	}{
		{name: "durable", giveDurability: eventqueue.Durable},
		// An hour's BufferDelay: Load must see saves not yet committed.
		{name: "buffered", giveDurability: eventqueue.Buffered},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := queuePath(t)
			opts := eventqueue.Options{Durability: tt.giveDurability, BufferDelay: time.Hour}
			q := openQueue(t, path, opts)
			h := q.History()
			ctx := context.Background()

			got, err := h.Load(ctx, "visitor-1")
			require.NoError(t, err)
			assert.Nil(t, got)
			require.NoError(t, h.Save(ctx, "visitor-1", nil))

			require.NoError(t, h.Save(ctx, "visitor-1", map[string]bucketing.Assignment{"vg1": {VariationID: "a"}}))
			got, err = h.Load(ctx, "visitor-1")
			require.NoError(t, err)
			assert.Equal(t, map[string]bucketing.Assignment{"vg1": {VariationID: "a"}}, got, "seen at once")

			// Saves merge; a later save of a group wins.
			require.NoError(t, h.Save(ctx, "visitor-1", map[string]bucketing.Assignment{"vg2": {VariationID: "b", Activated: true}}))
			require.NoError(t, h.Save(ctx, "visitor-1", map[string]bucketing.Assignment{"vg1": {VariationID: "c"}}))
			want := map[string]bucketing.Assignment{"vg1": {VariationID: "c"}, "vg2": {VariationID: "b", Activated: true}}
			got, err = h.Load(ctx, "visitor-1")
			require.NoError(t, err)
			assert.Equal(t, want, got)
			other, err := h.Load(ctx, "visitor-2")
			require.NoError(t, err)
			assert.Nil(t, other)

			// A caller modifying what Load returned changes nothing.
			got["vg3"] = bucketing.Assignment{VariationID: "x"}
			got, err = h.Load(ctx, "visitor-1")
			require.NoError(t, err)
			assert.Equal(t, want, got)

			// Survives Close and reopen, and merges with what the file holds.
			require.NoError(t, q.Close())
			q = openQueue(t, path, opts)
			h = q.History()
			got, err = h.Load(ctx, "visitor-1")
			require.NoError(t, err)
			assert.Equal(t, want, got)
			require.NoError(t, h.Save(ctx, "visitor-1", map[string]bucketing.Assignment{"vg3": {VariationID: "d"}}))
			require.NoError(t, q.Close())
			q = openQueue(t, path, opts)
			got, err = q.History().Load(ctx, "visitor-1")
			require.NoError(t, err)
			want["vg3"] = bucketing.Assignment{VariationID: "d"}
			assert.Equal(t, want, got)
		})
	}
}

// TestHistoryConcurrentSaveLoad: a Load that follows a Save sees it, even
// while the writer commits (run it with -race).
func TestHistoryConcurrentSaveLoad(t *testing.T) {
	q := openQueue(t, queuePath(t), eventqueue.Options{})
	h := q.History()
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "shared"
			if g%2 == 1 {
				key = "own-" + strconv.Itoa(g)
			}
			for i := range 150 {
				vg := "vg-" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
				if !assert.NoError(t, h.Save(ctx, key, map[string]bucketing.Assignment{vg: {VariationID: "v"}})) {
					return
				}
				got, err := h.Load(ctx, key)
				if _, ok := got[vg]; !assert.NoError(t, err) || !assert.True(t, ok, "save %d of goroutine %d not seen", i, g) {
					return
				}
			}
		}()
	}
	wg.Wait()
	got, err := h.Load(ctx, "shared")
	require.NoError(t, err)
	assert.Equal(t, 300, len(got))
}

// TestHistoryWithBucketingEngine: a visitor keeps its variation when the
// allocations change, across a restart of the queue.
func TestHistoryWithBucketingEngine(t *testing.T) {
	path := queuePath(t)
	ctx := context.Background()
	req := decision.Request{VisitorID: "visitor-1"}

	q := openQueue(t, path, eventqueue.Options{})
	e := engineFor(t, q.History(), abTest(100, 0))
	d, err := e.Decide(ctx, req)
	require.NoError(t, err)
	require.Len(t, d.Campaigns, 1)
	assert.Equal(t, "var-a", d.Campaigns[0].Variation.ID)
	assert.Equal(t, decision.ReasonAllocated, d.Campaigns[0].Reason.Kind)
	require.NoError(t, q.Close())

	q = openQueue(t, path, eventqueue.Options{})
	e = engineFor(t, q.History(), abTest(0, 100))
	d, err = e.Decide(ctx, req)
	require.NoError(t, err)
	require.Len(t, d.Campaigns, 1)
	assert.Equal(t, "var-a", d.Campaigns[0].Variation.ID, "sticky across the restart")
	assert.Equal(t, decision.ReasonHistory, d.Campaigns[0].Reason.Kind)

	// A new visitor gets the new allocation.
	d, err = e.Decide(ctx, decision.Request{VisitorID: "visitor-2"})
	require.NoError(t, err)
	require.Len(t, d.Campaigns, 1)
	assert.Equal(t, "var-b", d.Campaigns[0].Variation.ID)
}

// abTest is a bucketing file with one ab campaign for everyone whose two
// variations get the given allocations.
func abTest(a, b int32) *bucketing.File {
	return &bucketing.File{Campaigns: []bucketing.Campaign{{
		ID:           "campaign",
		Type:         "ab",
		BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}},
		VariationGroups: []bucketing.VariationGroup{{
			ID: "vg",
			Targeting: bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
				{Key: "fs_all_users", Operator: bucketing.OperatorEquals, Value: ""},
			}}}},
			Variations: []bucketing.Variation{{ID: "var-a", Allocation: a}, {ID: "var-b", Allocation: b}},
		}},
	}}}
}

func engineFor(t *testing.T, h bucketing.History, f *bucketing.File) *bucketing.Engine {
	t.Helper()
	cfg, err := bucketing.Compile(f)
	require.NoError(t, err)
	e := bucketing.NewEngine(bucketing.Options{History: h})
	e.Update(cfg)
	return e
}

// TestHistoryCorruptEntry: a corrupt entry fails Load with ErrCorrupt and
// is replaced by the next Save.
func TestHistoryCorruptEntry(t *testing.T) {
	path := queuePath(t)
	q := openQueue(t, path, eventqueue.Options{})
	require.NoError(t, q.Close())
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("history")).Put([]byte("visitor-1"), []byte("{broken"))
	}))
	require.NoError(t, db.Close())

	ctx := context.Background()
	q = openQueue(t, path, eventqueue.Options{})
	h := q.History()
	_, err = h.Load(ctx, "visitor-1")
	require.ErrorIs(t, err, eventqueue.ErrCorrupt)
	require.NoError(t, h.Save(ctx, "visitor-1", map[string]bucketing.Assignment{"vg": {VariationID: "a"}}))
	require.NoError(t, q.Close())
	q = openQueue(t, path, eventqueue.Options{})
	got, err := q.History().Load(ctx, "visitor-1")
	require.NoError(t, err)
	assert.Equal(t, map[string]bucketing.Assignment{"vg": {VariationID: "a"}}, got)
}

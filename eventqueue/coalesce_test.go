package eventqueue_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestCloseDeletesDeliveredRecords: the writer deletes delivered records
// in its next commit, not in the dispatcher. A Close in the middle of a
// drain must still delete every record whose Send returned nil, and keep
// every other one.
func TestCloseDeletesDeliveredRecords(t *testing.T) {
	const n = 3000
	var mu sync.Mutex
	delivered := map[uuid.UUID]bool{}
	sink := eventqueue.SinkFunc(func(_ context.Context, batch []eventqueue.Record) error {
		time.Sleep(200 * time.Microsecond) // let Close land mid-drain
		mu.Lock()
		defer mu.Unlock()
		for _, r := range batch {
			delivered[r.ID()] = true
		}
		return nil
	})
	path := filepath.Join(t.TempDir(), "q.db")
	opts := eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "rec", Sink: sink, BatchSize: 10, FlushInterval: time.Hour}}}
	q, err := eventqueue.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	all := map[uuid.UUID]bool{}
	ctx := context.Background()
	for range n {
		r, err := hits.NewRecord(uuid.New(), "env", "v", "", time.Now(), hits.Page{URL: "https://example.com"})
		if err != nil {
			t.Fatal(err)
		}
		all[r.ID()] = true
		if err := q.Enqueue(ctx, r); err != nil { // one producer: one commit each; fine for 3,000
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	for {
		mu.Lock()
		k := len(delivered)
		mu.Unlock()
		if k >= n/3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	q, err = eventqueue.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	left, err := q.Peek("rec", n)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) == n {
		t.Fatal("Close landed after the drain: nothing tested")
	}
	for _, e := range left {
		if delivered[e.Record.ID()] {
			t.Fatalf("record %s was delivered but is still in the file", e.Record.ID())
		}
		delete(all, e.Record.ID())
	}
	for id := range all {
		if !delivered[id] {
			t.Fatalf("record %s was neither delivered nor kept", id)
		}
	}
	t.Logf("%d delivered before Close, %d kept", len(delivered), len(left))
}

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

func TestSmoke(t *testing.T) {
	var mu sync.Mutex
	var got []uuid.UUID
	sink := eventqueue.SinkFunc(func(ctx context.Context, b []eventqueue.Record) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range b {
			got = append(got, r.ID)
		}
		return nil
	})
	q, err := eventqueue.Open(filepath.Join(t.TempDir(), "q.db"), eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, FlushInterval: 10 * time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Run(ctx) }()
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := hits.NewRecord(uuid.New(), "env", "v1", "", time.Now(), hits.Page{URL: "https://x"})
			if err != nil {
				t.Error(err)
			}
			if err := q.Enqueue(ctx, r); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := q.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if len(got) != 50 {
		t.Fatalf("got %d", len(got))
	}
	t.Logf("%+v", q.Stats())
	q.Close()
}

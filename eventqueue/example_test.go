package eventqueue_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

func Example() {
	dir, _ := os.MkdirTemp("", "eventqueue-example")
	defer os.RemoveAll(dir)

	print := eventqueue.SinkFunc(func(ctx context.Context, batch []eventqueue.Record) error {
		for _, r := range batch {
			fmt.Println("sent", r.Type, r.VisitorID, string(r.Fields))
		}
		return nil
	})
	q, err := eventqueue.Open(filepath.Join(dir, "queue.db"), eventqueue.Options{
		Sinks: []eventqueue.SinkConfig{{Name: "stdout", Sink: print}},
	})
	if err != nil {
		panic(err)
	}
	defer q.Close()

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Run(ctx) }()

	r, err := hits.NewRecord(uuid.New(), "env", "visitor-1", "", time.Now(), hits.Page{URL: "https://shop.example/"})
	if err != nil {
		panic(err)
	}
	// Nil means the record is on disk: it survives a crash from here on.
	if err := q.Enqueue(ctx, r); err != nil {
		panic(err)
	}
	// Deliver now rather than when the batch fills or its interval ends.
	if err := q.Flush(ctx); err != nil {
		panic(err)
	}
	stop()
	<-done
	fmt.Println("sent:", q.Stats().Sinks[0].Sent)
	// Output:
	// sent PAGEVIEW visitor-1 {"dl":"https://shop.example/"}
	// sent: 1
}

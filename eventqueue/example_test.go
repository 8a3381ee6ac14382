package eventqueue_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// exampleRecord returns a record with a fixed id and creation time, so
// that the examples print the same thing on every run.
func exampleRecord(n byte, visitorID string, h hits.Hit) hits.Record {
	id := uuid.UUID{0x0b, 0x6c, 0x1f, 0x1e, 0x6a, 0x55, 0x4c, 0x59, 0x9d, 0x0e, 0x3d, 0x6f, 0x0f, 0x1c, 0x2a, n}
	r, err := hits.NewRecord(id, "env", visitorID, "", time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC), h)
	if err != nil {
		panic(err)
	}
	return r
}

// The whole pipeline on a file in a temporary directory: Open, Run in a
// goroutine the owner stops, Enqueue, Flush, Stats, Close.
func Example() {
	dir, err := os.MkdirTemp("", "eventqueue-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	stdout := eventqueue.SinkFunc(func(ctx context.Context, batch []eventqueue.Record) error {
		for _, r := range batch {
			fmt.Println("sent", r.Seq, r.Type(), r.VisitorID(), string(r.Fields()))
		}
		return nil // the records are confirmed: the queue deletes them
	})
	q, err := eventqueue.Open(filepath.Join(dir, "queue.db"), eventqueue.Options{
		Sinks: []eventqueue.SinkConfig{{Name: "stdout", Sink: stdout}},
	})
	if err != nil {
		panic(err)
	}
	defer q.Close()

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- q.Run(ctx) }()

	// Nil means the record is on disk: it survives a crash from here on.
	if err := q.Enqueue(ctx, exampleRecord(1, "visitor-1", hits.Page{URL: "https://shop.example/"})); err != nil {
		panic(err)
	}
	if err := q.Enqueue(ctx, exampleRecord(2, "visitor-1", hits.Event{Category: hits.ActionTracking, Action: "checkout"})); err != nil {
		panic(err)
	}
	// Deliver now rather than when the batch fills or its interval ends.
	if err := q.Flush(ctx); err != nil {
		panic(err)
	}
	stop()
	<-done

	st := q.Stats()
	fmt.Println("enqueued:", st.Enqueued)
	for _, s := range st.Sinks {
		fmt.Println(s.Name, "depth:", s.Depth, "sent:", s.Sent)
	}
	// Output:
	// sent 1 PAGEVIEW visitor-1 {"dl":"https://shop.example/"}
	// sent 2 EVENT visitor-1 {"ec":"Action Tracking","ea":"checkout"}
	// enqueued: 2
	// stdout depth: 0 sent: 2
}

// A sink marks a rejection that will never succeed with Permanent: the
// queue isolates the records at fault and moves them to the dead letters,
// and delivers their neighbours. Replay sends them again once the cause is
// fixed.
func ExampleQueue_DeadLetters() {
	dir, err := os.MkdirTemp("", "eventqueue-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	var fixed atomic.Bool
	strict := eventqueue.SinkFunc(func(ctx context.Context, batch []eventqueue.Record) error {
		for _, r := range batch {
			if r.VisitorID() == "bot" && !fixed.Load() {
				return eventqueue.Permanent(errors.New("400: bots are refused"))
			}
		}
		for _, r := range batch {
			fmt.Println("sent", r.VisitorID())
		}
		return nil
	})
	q, err := eventqueue.Open(filepath.Join(dir, "queue.db"), eventqueue.Options{
		Sinks:  []eventqueue.SinkConfig{{Name: "strict", Sink: strict}},
		Logger: slog.New(slog.DiscardHandler), // dead letters are logged at Warn
	})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = q.Run(ctx) }() // Close waits for Run to return

	for i, id := range []string{"visitor-1", "bot", "visitor-2"} {
		if err := q.Enqueue(ctx, exampleRecord(byte(i), id, hits.Screen{Name: "home"})); err != nil {
			panic(err)
		}
	}
	if err := q.Flush(ctx); err != nil {
		panic(err)
	}
	dead, err := q.DeadLetters(10)
	if err != nil {
		panic(err)
	}
	for _, d := range dead {
		fmt.Printf("dead: %s %s %q\n", d.Sink, d.Record.VisitorID(), d.Reason)
	}
	fmt.Println("dead letters:", q.Stats().DeadLetters)

	fixed.Store(true)
	n, err := q.Replay(ctx)
	fmt.Println("replayed:", n, err)
	if err := q.Flush(ctx); err != nil {
		panic(err)
	}
	fmt.Println("dead letters:", q.Stats().DeadLetters)
	// Output:
	// sent visitor-1
	// sent visitor-2
	// dead: strict bot "400: bots are refused"
	// dead letters: 1
	// replayed: 1 <nil>
	// sent bot
	// dead letters: 0
}

// One process at a time may hold a queue file: another Open fails with
// ErrQueueLocked after Options.LockTimeout instead of waiting forever.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "eventqueue-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "queue.db")

	q, err := eventqueue.Open(path, eventqueue.Options{}) // no sink: enough to inspect a file
	if err != nil {
		panic(err)
	}
	defer q.Close()

	_, err = eventqueue.Open(path, eventqueue.Options{LockTimeout: 50 * time.Millisecond})
	fmt.Println(errors.Is(err, eventqueue.ErrQueueLocked))
	// Output:
	// true
}

// A sink that confirms records one by one returns Partial: the delivered
// records are deleted, the others retried (or dead-lettered when every one
// of their errors is Permanent).
func ExamplePartial() {
	dir, err := os.MkdirTemp("", "eventqueue-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	perRecord := eventqueue.SinkFunc(func(ctx context.Context, batch []eventqueue.Record) error {
		errs := make([]error, len(batch))
		for i, r := range batch {
			if r.Type() == hits.TypeItem {
				errs[i] = eventqueue.Permanent(errors.New("items are not accepted"))
				continue
			}
			fmt.Println("sent", r.Type())
		}
		return eventqueue.Partial(errs) // nil when every entry is nil
	})
	q, err := eventqueue.Open(filepath.Join(dir, "queue.db"), eventqueue.Options{
		Sinks:  []eventqueue.SinkConfig{{Name: "per-record", Sink: perRecord}},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	defer q.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go func() { _ = q.Run(ctx) }()

	for i, h := range []hits.Hit{
		hits.Transaction{ID: "T-1", Affiliation: "checkout", Revenue: 59.9},
		hits.Item{TransactionID: "T-1", Name: "mug", Code: "SKU-1"},
		hits.Page{URL: "https://shop.example/thanks"},
	} {
		if err := q.Enqueue(ctx, exampleRecord(byte(i), "visitor-1", h)); err != nil {
			panic(err)
		}
	}
	if err := q.Flush(ctx); err != nil {
		panic(err)
	}
	s := q.Stats().Sinks[0]
	fmt.Println("sent:", s.Sent, "dead-lettered:", s.DeadLettered)
	// Output:
	// sent TRANSACTION
	// sent PAGEVIEW
	// sent: 2 dead-lettered: 1
}

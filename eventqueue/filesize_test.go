package eventqueue_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	bolt "go.etcd.io/bbolt"
)

// gatedSink accepts one batch per permit and waits for the next permit
// (or the end of ctx) otherwise.
type gatedSink struct {
	permits chan struct{}
	size    int // the batch size every Send must get
	t       *testing.T
}

func (g *gatedSink) Send(ctx context.Context, batch []eventqueue.Record) error {
	if len(batch) != g.size {
		g.t.Errorf("Send got %d records, want %d", len(batch), g.size)
	}
	select {
	case <-g.permits:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestFileSizeSteady runs 50 cycles at a constant backlog: each cycle
// enqueues 1,000 records and then delivers the 1,000 oldest, so the
// backlog goes from 15,000 to 16,000 records and back. The file must stop
// growing once the freed pages are reused (no growth after cycle 10) and
// stay within twice the live payload (the stored bytes of the backlog,
// Stats().Bytes); so must the pages the queue reaches (the high-water
// mark), which do not depend on bbolt's file growth policy.
//
// Why 15,000 records of 330 bytes (5 MB): below 16 MB bbolt sizes its
// file to the next power of two of the pages in use, so the ratio of file
// to payload swings between 1 and 2.7 with the backlog's size whatever
// the queue does. At 10,000 records, for instance, the 11,000-record peak
// needs just over 4 MB of pages (bbolt stores about 11 such records per
// 4 KB page) and so gets an 8 MB file: 2.5x its 3.3 MB payload. At 15,000
// records the pages (about 6.2 MB) fit the same 8 MB file.
func TestFileSizeSteady(t *testing.T) {
	if testing.Short() {
		t.Skip("50 enqueue/drain cycles")
	}
	const (
		backlog  = 15_000
		perCycle = 1_000
		batch    = 100
		cycles   = 50
		stable   = 10 // no growth after this cycle
	)
	rec := perfRecord(t)
	sink := &gatedSink{permits: make(chan struct{}), size: batch, t: t}
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := eventqueue.Open(path, eventqueue.Options{
		Sinks:      []eventqueue.SinkConfig{{Name: perfSink, Sink: sink, BatchSize: batch, FlushInterval: time.Hour}},
		MaxRecords: 2 * backlog,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var live int64

	enqueue := func(n int) {
		t.Helper()
		const producers = 32
		var wg sync.WaitGroup
		for p := range producers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := p; i < n; i += producers {
					if err := q.Enqueue(ctx, rec); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	depth := func() int64 { return q.Stats().Sinks[0].Depth }

	enqueue(backlog)
	runDone := make(chan error, 1)
	go func() { runDone <- q.Run(ctx) }()

	sizes := make([]int64, cycles+1) // sizes[c]: after cycle c
	for c := 1; c <= cycles; c++ {
		enqueue(perCycle)
		for range perCycle / batch {
			sink.permits <- struct{}{}
		}
		deadline := time.Now().Add(10 * time.Second)
		for depth() != backlog {
			if time.Now().After(deadline) {
				t.Fatalf("cycle %d: backlog %d records, want %d", c, depth(), backlog)
			}
			time.Sleep(time.Millisecond)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes[c] = fi.Size()
		live = q.Stats().Bytes
		t.Logf("cycle %2d: file %8d B, live payload %8d B (%d records), ratio %.2f", c, sizes[c], live, depth(), float64(sizes[c])/float64(live))
		if sizes[c] > 2*live {
			t.Errorf("cycle %d: file %d B > 2 x live payload %d B", c, sizes[c], live)
		}
		if c > stable && sizes[c] > sizes[stable] {
			t.Errorf("cycle %d: file %d B grew past its size after cycle %d (%d B)", c, sizes[c], stable, sizes[stable])
		}
	}

	// The file's size is bbolt's allocation; the pages the queue actually
	// reached (the high-water mark) say how tightly it packs the backlog.
	cancel()
	if err := <-runDone; err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var used int64
	_ = db.View(func(tx *bolt.Tx) error {
		used = tx.Size()
		return nil
	})
	t.Logf("pages up to the high-water mark: %d B, ratio %.2f to the live payload", used, float64(used)/float64(live))
	if used > 2*live {
		t.Errorf("pages up to the high-water mark: %d B > 2 x live payload %d B", used, live)
	}
}

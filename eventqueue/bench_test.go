package eventqueue_test

// Benchmarks of the performance requirements. Each queue figure
// is measured next to a raw bbolt reference in the same run, on the same
// record bytes and with the same bbolt options, so that the ratios do not
// depend on the machine's disk:
//
//	BenchmarkEnqueue/producers=1/queue    >= 90% of producers=1/raw-update
//	BenchmarkEnqueue/producers=64/queue   >= 70% of producers=64/raw-groupcommit
//	BenchmarkEnqueue/producers=256/queue  >= 70% of producers=256/raw-groupcommit
//	BenchmarkDrain/queue-batch=1000       >= 70% of BenchmarkDrain/raw-batch=1000
//
// Every figure is reported as records/s. Run them with
//
//	go test -run '^$' -bench . -benchmem -count 5 ./eventqueue/
//
// and compare medians.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	bolt "go.etcd.io/bbolt"
)

const (
	perfSink    = "perf"
	perfEnvID   = "bench-env-0123456789"
	perfVisitor = "visitor-5b0e9c1e-8d3c-4d7a-9d8e-3f1a2b4c5d6e"
)

// perfBoltOptions are the bbolt options eventqueue.Open uses; the raw
// references open their files with the same ones.
func perfBoltOptions() *bolt.Options {
	return &bolt.Options{Timeout: eventqueue.DefaultLockTimeout, FreelistType: bolt.FreelistMapType}
}

// perfRecord returns an EVENT hit whose stored form is about 300 bytes.
func perfRecord(tb testing.TB) hits.Record {
	tb.Helper()
	r, err := hits.NewRecord(uuid.New(), perfEnvID, perfVisitor, "", time.Now(), hits.Event{
		Category: hits.ActionTracking,
		Action:   "checkout-completed",
		Label:    strings.Repeat("label-", 20),
		Value:    4200,
		Common:   hits.Common{Language: "fr-fr", SessionNumber: 3, ScreenResolution: "1920x1080"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// perfOptions returns queue options whose bounds never trigger in a
// benchmark, with one sink.
func perfOptions(sink eventqueue.SinkConfig) eventqueue.Options {
	return eventqueue.Options{
		Sinks:      []eventqueue.SinkConfig{sink},
		MaxRecords: 1 << 30,
		MaxBytes:   1 << 40,
	}
}

// perfDiscard is a sink that accepts and forgets every batch.
func perfDiscard(context.Context, []eventqueue.Record) error { return nil }

// perfStored returns r's bytes as the queue stores them: it enqueues r in
// a scratch queue and reads the value back with bbolt.
func perfStored(tb testing.TB, r hits.Record) []byte {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "stored.db")
	q, err := eventqueue.Open(path, perfOptions(eventqueue.SinkConfig{Name: perfSink, Sink: eventqueue.SinkFunc(perfDiscard)}))
	if err != nil {
		tb.Fatal(err)
	}
	if err := q.Enqueue(context.Background(), r); err != nil {
		tb.Fatal(err)
	}
	if err := q.Close(); err != nil {
		tb.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, perfBoltOptions())
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var stored []byte
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if stored == nil && bytes.HasSuffix(name, []byte(perfSink)) {
				if _, v := b.Cursor().First(); v != nil {
					stored = bytes.Clone(v)
				}
			}
			return nil
		})
	})
	if err != nil || stored == nil {
		tb.Fatalf("stored record not found (err %v)", err)
	}
	return stored
}

// perfRawDB opens a fresh raw bbolt file with one bucket.
func perfRawDB(tb testing.TB) (*bolt.DB, []byte) {
	tb.Helper()
	db, err := bolt.Open(filepath.Join(tb.TempDir(), "raw.db"), 0o600, perfBoltOptions())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	name := []byte("sink:" + perfSink)
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(name)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return db, name
}

// rawPut appends each value under the bucket's next sequence number, as
// the queue does (big-endian keys, pages packed full).
func rawPut(tx *bolt.Tx, bucket []byte, values ...[]byte) error {
	b := tx.Bucket(bucket)
	b.FillPercent = 1
	var key [8]byte
	for _, v := range values {
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint64(key[:], seq)
		if err := b.Put(key[:], v); err != nil {
			return err
		}
	}
	return nil
}

// runProducers runs op b.N times in total from p goroutines and reports
// records/s.
func runProducers(b *testing.B, p int, op func() error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

func BenchmarkEnqueue(b *testing.B) {
	rec := perfRecord(b)
	stored := perfStored(b, rec)
	for _, p := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("producers=%d", p), func(b *testing.B) {
			b.Run("queue", func(b *testing.B) {
				// A fresh file for each b.N; no Run, so the backlog only grows.
				q, err := eventqueue.Open(filepath.Join(b.TempDir(), "q.db"), perfOptions(eventqueue.SinkConfig{Name: perfSink, Sink: eventqueue.SinkFunc(perfDiscard)}))
				if err != nil {
					b.Fatal(err)
				}
				defer q.Close()
				ctx := context.Background()
				runProducers(b, p, func() error { return q.Enqueue(ctx, rec) })
			})
			if p == 1 {
				b.Run("raw-update", func(b *testing.B) {
					db, bucket := perfRawDB(b)
					runProducers(b, p, func() error {
						return db.Update(func(tx *bolt.Tx) error { return rawPut(tx, bucket, stored) })
					})
				})
				return
			}
			b.Run("raw-groupcommit", func(b *testing.B) {
				db, bucket := perfRawDB(b)
				gc := newRawGroupCommit(db, bucket, p)
				defer gc.close()
				runProducers(b, p, func() error { return gc.put(stored) })
			})
		})
	}
}

// rawGroupCommit is the reference group commit: producers send their
// record and a reply channel to one writer, which takes everything
// available, commits it in one Update and replies to each.
type rawGroupCommit struct {
	db      *bolt.DB
	bucket  []byte
	reqs    chan rawReq
	done    chan struct{}
	replies sync.Pool
}

type rawReq struct {
	data  []byte
	reply chan error
}

func newRawGroupCommit(db *bolt.DB, bucket []byte, producers int) *rawGroupCommit {
	gc := &rawGroupCommit{
		db:     db,
		bucket: bucket,
		reqs:   make(chan rawReq, producers), // room for every producer: none waits to be heard
		done:   make(chan struct{}),
	}
	gc.replies.New = func() any { return make(chan error, 1) }
	go gc.writer()
	return gc
}

func (gc *rawGroupCommit) put(data []byte) error {
	reply := gc.replies.Get().(chan error)
	gc.reqs <- rawReq{data: data, reply: reply}
	err := <-reply
	gc.replies.Put(reply)
	return err
}

func (gc *rawGroupCommit) close() {
	close(gc.reqs)
	<-gc.done
}

func (gc *rawGroupCommit) writer() {
	defer close(gc.done)
	var batch []rawReq
	var values [][]byte
	for r := range gc.reqs {
		batch = append(batch[:0], r)
	more:
		for {
			select {
			case r, ok := <-gc.reqs:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		values = values[:0]
		for _, r := range batch {
			values = append(values, r.data)
		}
		err := gc.db.Update(func(tx *bolt.Tx) error { return rawPut(tx, gc.bucket, values...) })
		for _, r := range batch {
			r.reply <- err
		}
	}
}

// perfFillQueue stores n copies of rec in a fresh queue file, without the
// timer, and returns the file's path.
func perfFillQueue(b *testing.B, n int, rec hits.Record) string {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	path := filepath.Join(b.TempDir(), "q.db")
	opts := perfOptions(eventqueue.SinkConfig{Name: perfSink, Sink: eventqueue.SinkFunc(perfDiscard)})
	opts.Durability = eventqueue.Buffered
	q, err := eventqueue.Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for range n {
		if err := q.Enqueue(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// perfDrainQueue drains the queue file at path through sink with Run and
// Flush, reports records/s and returns the queue's stats.
func perfDrainQueue(b *testing.B, path string, n int, sink eventqueue.SinkConfig) eventqueue.Stats {
	b.Helper()
	b.StopTimer()
	q, err := eventqueue.Open(path, perfOptions(sink))
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.StartTimer()
	start := time.Now()
	go func() { done <- q.Run(ctx) }()
	if err := q.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	st := q.Stats()
	if got := st.Sinks[0].Sent; got != uint64(n) {
		b.Fatalf("sent %d records, want %d", got, n)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
	return st
}

func BenchmarkDrain(b *testing.B) {
	rec := perfRecord(b)
	stored := perfStored(b, rec)
	for _, size := range []int{1000, eventqueue.DefaultBatchSize} {
		b.Run(fmt.Sprintf("queue-batch=%d", size), func(b *testing.B) {
			path := perfFillQueue(b, b.N, rec)
			perfDrainQueue(b, path, b.N, eventqueue.SinkConfig{Name: perfSink, Sink: eventqueue.SinkFunc(perfDiscard), BatchSize: size, FlushInterval: time.Hour})
		})
	}
	b.Run("raw-batch=1000", func(b *testing.B) {
		b.StopTimer()
		db, bucket := perfRawDB(b)
		for left := b.N; left > 0; {
			n := min(left, 10_000)
			values := make([][]byte, n)
			for i := range values {
				values[i] = stored
			}
			if err := db.Update(func(tx *bolt.Tx) error { return rawPut(tx, bucket, values...) }); err != nil {
				b.Fatal(err)
			}
			left -= n
		}
		b.StartTimer()
		start := time.Now()
		var keys [][]byte
		var buf []byte
		drained := 0
		for {
			n := 0
			err := db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(bucket)
				keys, buf = keys[:0], buf[:0]
				c := bk.Cursor()
				for k, v := c.First(); k != nil && n < 1000; k, v = c.Next() {
					buf = append(buf, v...) // the batch handed to a sink: copied out
					keys = append(keys, bytes.Clone(k))
					n++
				}
				for _, k := range keys {
					if err := bk.Delete(k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				break
			}
			drained += n
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if drained != b.N {
			b.Fatalf("drained %d, want %d", drained, b.N)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	})
}

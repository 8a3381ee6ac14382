package eventqueue_test

// BenchmarkWholePath measures the whole delivery path at batches of 100
// next to its raw parts run serially, in records/s, in the same run:
//
//	queue       a backlog of b.N records committed in a queue file,
//	            drained by Run through httpsink to a loopback collector
//	            that reads each body and answers 200, batches of 100;
//	            timed from Run's start until the backlog is empty (every
//	            record delivered and its delete committed).
//	raw-serial  the same backlog (values of the stored records' size) in a
//	            raw bbolt file opened with eventqueue.Open's options,
//	            drained by a loop that, for each 100 records, reads them
//	            (copied out, as handed to a sink) and deletes them in one
//	            Update (fsync on), then POSTs one pre-encoded 100-hit body
//	            to the same kind of collector: the two parts one after the
//	            other. Its bolt-records/s and post-records/s are each
//	            part's rate over the time spent in it.
//
// Issue 14's target: queue >= 0.8 × raw-serial. Run with
//
//	go test -run '^$' -bench 'BenchmarkWholePath' -benchmem -count 5 ./eventqueue/
//
// and compare medians.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/hits"
)

const (
	wpSink      = "http-hits"
	wpBatch     = 100
	wpEnvID     = "bench-env-0123456789"
	wpVisitorID = "visitor-5b0e9c1e-8d3c-4d7a-9d8e-3f1a2b4c5d6e"
)

// wpRecord returns an EVENT hit whose stored form is about 300 bytes (the
// record of BenchmarkEnqueue).
func wpRecord(b *testing.B) hits.Record {
	b.Helper()
	r, err := hits.NewRecord(uuid.New(), wpEnvID, wpVisitorID, "", time.Now(), hits.Event{
		Category: hits.ActionTracking,
		Action:   "checkout-completed",
		Label:    strings.Repeat("label-", 20),
		Value:    4200,
		Common:   hits.Common{Language: "fr-fr", SessionNumber: 3, ScreenResolution: "1920x1080"},
	})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// wpOptions returns queue options with sink and bounds that never
// trigger.
func wpOptions(sink eventqueue.SinkConfig) eventqueue.Options {
	return eventqueue.Options{Sinks: []eventqueue.SinkConfig{sink}, MaxRecords: 1 << 30, MaxBytes: 1 << 40}
}

// wpDiscard accepts and forgets every batch.
var wpDiscard = eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return nil })

// wpFill stores n copies of rec in a fresh queue file for sink wpSink and
// returns the file's path and the stored bytes (Stats().Bytes).
func wpFill(b *testing.B, n int, rec hits.Record) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "q.db")
	opts := wpOptions(eventqueue.SinkConfig{Name: wpSink, Sink: wpDiscard})
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
	// Stats after Close: the counters stay readable, and Close committed
	// everything.
	return path, q.Stats().Bytes
}

// wpCollector is a loopback collector that reads every body and answers
// 200.
type wpCollector struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newWPCollector(b *testing.B) *wpCollector {
	b.Helper()
	c := &wpCollector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c.requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(c.srv.Close)
	return c
}

// post sends body to the collector as httpsink does (JSON, POST) and
// drains the answer.
func (c *wpCollector) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.srv.URL+"/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func BenchmarkWholePath(b *testing.B) {
	rec := wpRecord(b)
	_, size := wpFill(b, 1, rec)
	stored := bytes.Repeat([]byte{'r'}, int(size))

	b.Run("queue", func(b *testing.B) {
		b.StopTimer()
		col := newWPCollector(b)
		sink, err := httpsink.New(httpsink.Options{
			EventsURL:   col.srv.URL + "/events",
			ActivateURL: col.srv.URL + "/activate",
			HTTPClient:  col.srv.Client(),
		})
		if err != nil {
			b.Fatal(err)
		}
		defer sink.Close()
		path, _ := wpFill(b, b.N, rec)
		q, err := eventqueue.Open(path, wpOptions(eventqueue.SinkConfig{Name: wpSink, Sink: sink, BatchSize: wpBatch, FlushInterval: time.Hour}))
		if err != nil {
			b.Fatal(err)
		}
		defer q.Close()
		if st := q.Stats(); st.Sinks[0].Depth != int64(b.N) {
			b.Fatalf("backlog of %d records, want %d", st.Sinks[0].Depth, b.N)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		b.ReportAllocs()
		b.ResetTimer()
		b.StartTimer()
		start := time.Now()
		go func() { done <- q.Run(ctx) }()
		if err := q.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		// Flush returns once the sink confirmed every record; the backlog
		// is empty once their deletes are committed too.
		for deadline := time.Now().Add(time.Minute); q.Stats().Bytes != 0; time.Sleep(20 * time.Microsecond) {
			if time.Now().After(deadline) {
				b.Fatalf("deletes not committed: %d bytes left", q.Stats().Bytes)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		if sent := q.Stats().Sinks[0].Sent; sent != uint64(b.N) {
			b.Fatalf("sent %d records, want %d", sent, b.N)
		}
		if want := int64((b.N + wpBatch - 1) / wpBatch); col.requests.Load() != want {
			b.Fatalf("collector got %d requests, want %d", col.requests.Load(), want)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	})

	b.Run("raw-serial", func(b *testing.B) {
		b.StopTimer()
		col := newWPCollector(b)
		db, bucket := wpRawDB(b)
		for left := b.N; left > 0; {
			n := min(left, 10_000)
			if err := db.Update(func(tx *bolt.Tx) error { return wpRawPut(tx, bucket, stored, n) }); err != nil {
				b.Fatal(err)
			}
			left -= n
		}
		// The bodies of a full batch and of the last, partial one.
		recs := make([]hits.Record, wpBatch)
		for i := range recs {
			recs[i] = rec
		}
		full, err := hits.AppendEventsBatch(nil, wpEnvID, recs, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		last, err := hits.AppendEventsBatch(nil, wpEnvID, recs[:b.N%wpBatch], time.Now())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		var keys [][]byte
		var buf []byte
		var boltTime, postTime time.Duration
		drained := 0
		b.ReportAllocs()
		b.ResetTimer()
		b.StartTimer()
		start := time.Now()
		for {
			t0 := time.Now()
			n := 0
			err := db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(bucket)
				keys, buf = keys[:0], buf[:0]
				c := bk.Cursor()
				for k, v := c.First(); k != nil && n < wpBatch; k, v = c.Next() {
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
			t1 := time.Now()
			boltTime += t1.Sub(t0)
			if n == 0 {
				break
			}
			body := full
			if n < wpBatch {
				body = last
			}
			if err := col.post(ctx, body); err != nil {
				b.Fatal(err)
			}
			postTime += time.Since(t1)
			drained += n
		}
		elapsed := time.Since(start)
		b.StopTimer()
		if drained != b.N {
			b.Fatalf("drained %d, want %d", drained, b.N)
		}
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
		b.ReportMetric(float64(b.N)/boltTime.Seconds(), "bolt-records/s")
		b.ReportMetric(float64(b.N)/postTime.Seconds(), "post-records/s")
	})
}

// wpRawDB opens a fresh raw bbolt file with the options eventqueue.Open
// uses, and one bucket.
func wpRawDB(b *testing.B) (*bolt.DB, []byte) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600,
		&bolt.Options{Timeout: eventqueue.DefaultLockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	name := []byte("sink:" + wpSink)
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(name)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, name
}

// wpRawPut appends n copies of v under the bucket's next sequence numbers,
// as the queue does (big-endian keys, pages packed full).
func wpRawPut(tx *bolt.Tx, bucket, v []byte, n int) error {
	bk := tx.Bucket(bucket)
	bk.FillPercent = 1
	var key [8]byte
	for range n {
		seq, err := bk.NextSequence()
		if err != nil {
			return err
		}
		binary.BigEndian.PutUint64(key[:], seq)
		if err := bk.Put(key[:], v); err != nil {
			return err
		}
	}
	return nil
}

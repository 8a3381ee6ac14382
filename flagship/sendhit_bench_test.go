package flagship_test

// BenchmarkSendHitDurable measures durable SendHit through the public
// client (BUCKETING mode against flagshiptest on loopback, the default
// durable queue in a temp dir, the client's own Run delivering to a
// loopback collector that reads each body and answers 200) next to the raw
// reference, in the same run:
//
//	p=N/client  N goroutines, each with its own visitor, calling SendHit
//	            with an EVENT hit; an op returns once the hit is fsynced.
//	            The client delivers meanwhile (default batching: 100
//	            records or 5 s) to the collector, in the same process.
//	p=N/client-discardsink
//	            the same with DeliveryOptions.NoHTTP and a sink that
//	            accepts and forgets each batch: the queue still reads and
//	            deletes every record, without the HTTP work (client and
//	            collector) on the benchmark's CPUs.
//	p=N/raw     N goroutines handing a value of the client's stored-record
//	            size to one writer goroutine, which commits everything
//	            pending in one bbolt Update (fsync on, the bbolt options
//	            eventqueue.Open uses), then replies to each.
//
// Issue 14's targets: p=64/client >= 0.85 × p=64/raw and p=256/client >=
// 0.85 × p=256/raw (records/s). Run with
//
//	go test -run '^$' -bench 'BenchmarkSendHitDurable' -benchmem -count 5 ./flagship/
//
// and compare medians. allocs/op is process-wide, as the testing package
// counts it: it includes the bbolt commits and the HTTP delivery (at p=1,
// a whole commit per record). p=N/client-allocs runs p=N/client again with
// every allocation profiled (runtime.MemProfileRate = 1; its records/s is
// slowed by that) and reports, besides:
//
//	sendhit-allocs/op         heap allocations made on the producers'
//	                          goroutines by building the hit value and by
//	                          SendHit (validation, record, enqueue, and the
//	                          commits a caller runs itself)
//	sendhit-commit-allocs/op  of those, the ones made in such commits
//	                          (frames of bbolt or of eventqueue's commit
//	                          functions)
//
// so that sendhit-allocs/op - sendhit-commit-allocs/op is SendHit's own
// allocations per hit. Tiny allocations the runtime packs into one 16-byte
// block are counted once in these two figures.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// shbLabel is the hit's label: with the visitor ids below, the stored
// record is about 300 bytes, like eventqueue's BenchmarkEnqueue.
var shbLabel = strings.Repeat("label-", 20)

// shbVisitorID returns the id of producer i's visitor; all have the same
// length, so that every stored record has the same size.
func shbVisitorID(i int) string {
	return fmt.Sprintf("visitor-5b0e9c1e-8d3c-4d7a-9d8e-%012d", i)
}

// shbSendHit is the measured op: it builds the hit value and sends it.
// Not inlined, so that its frame marks the allocations it makes in the
// allocation profile.
//
//go:noinline
func shbSendHit(ctx context.Context, v *visitor.Visitor) error {
	return v.SendHit(ctx, hits.Event{
		Category: hits.ActionTracking,
		Action:   "checkout-completed",
		Label:    shbLabel,
		Value:    4200,
		Common:   hits.Common{Language: "fr-fr", SessionNumber: 3, ScreenResolution: "1920x1080"},
	})
}

// shbSendHitFunc is shbSendHit's name in the allocation profile.
const shbSendHitFunc = "flagship-go/flagship_test.shbSendHit"

// shbEnv is a flagshiptest server for the bucketing file and a collector
// for the hits, on loopback.
type shbEnv struct {
	srv       *flagshiptest.Server
	collector *httptest.Server
	requests  atomic.Int64
}

func newSHBEnv(b *testing.B) *shbEnv {
	b.Helper()
	e := &shbEnv{srv: flagshiptest.NewServer(b)}
	e.collector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		e.requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(e.collector.Close)
	return e
}

// client starts a BUCKETING client on a fresh cache directory (hence a
// fresh queue file), whose hits go to the collector, and returns it with
// a function that closes it (also registered with b.Cleanup).
func (e *shbEnv) client(b *testing.B, extra ...flagship.Option) (*flagship.Client, func()) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := append(flagshiptest.ClientOptions(e.srv.URL, b.TempDir()),
		flagship.WithMode(flagship.Bucketing),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: -1}),
		flagship.WithEndpoints(flagship.Endpoints{Base: e.srv.URL, Events: e.collector.URL + "/events"}))
	c, err := flagship.New(ctx, flagshiptest.EnvID, "key", append(opts, extra...)...)
	if err != nil {
		b.Fatal(err)
	}
	var once sync.Once
	closeClient := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := c.Close(ctx); err != nil {
				b.Error(err)
			}
		})
	}
	b.Cleanup(closeClient)
	if err := c.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	return c, closeClient
}

// shbStoredSize returns the size of the record shbSendHit stores in the
// client's queue file, read from the queue's byte count.
func shbStoredSize(b *testing.B, e *shbEnv) int {
	b.Helper()
	// Nothing is delivered, hence deleted, before Close.
	c, closeClient := e.client(b, flagship.WithDelivery(flagship.DeliveryOptions{BatchSize: 1000, FlushInterval: time.Hour}))
	defer closeClient()
	v, err := c.NewVisitor(shbVisitorID(0), nil)
	if err != nil {
		b.Fatal(err)
	}
	before := c.QueueStats().Bytes
	if err := shbSendHit(context.Background(), v); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		if after := c.QueueStats().Bytes; after != before {
			return int(after - before)
		}
		if time.Now().After(deadline) {
			b.Fatal("the queue's byte count did not grow after SendHit")
		}
	}
}

// shbRunProducers runs op b.N times in total from p goroutines, op(i)
// being called by goroutine i, and reports records/s. The goroutines are
// started before the timer.
func shbRunProducers(b *testing.B, p int, op func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range p {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for next.Add(1) <= int64(b.N) {
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	b.ResetTimer()
	began := time.Now()
	close(start)
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

// shbClientVisitors starts a client and makes p visitors, each of which
// sends one hit outside the timer (concurrently), so that the measured
// calls find connections, files and lazy state warm. It waits until the
// collector has the warm-up hits.
func shbClientVisitors(b *testing.B, e *shbEnv, p int, extra ...flagship.Option) (*flagship.Client, []*visitor.Visitor) {
	b.Helper()
	c, _ := e.client(b, extra...)
	ctx := context.Background()
	vs := make([]*visitor.Visitor, p)
	for i := range vs {
		v, err := c.NewVisitor(shbVisitorID(i), nil)
		if err != nil {
			b.Fatal(err)
		}
		vs[i] = v
	}
	var wg sync.WaitGroup
	for _, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := shbSendHit(ctx, v); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := c.Flush(fctx); err != nil {
		b.Fatal(err)
	}
	return c, vs
}

// shbDiscardSink returns the options that deliver every record to a sink
// that accepts and forgets each batch, instead of the HTTP delivery.
func shbDiscardSink() []flagship.Option {
	discard := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return nil })
	return []flagship.Option{flagship.WithDelivery(flagship.DeliveryOptions{
		NoHTTP: true,
		Sinks:  []eventqueue.SinkConfig{{Name: "discard", Sink: discard}},
	})}
}

// shbCheckEnqueued fails b unless the client's queue took want records.
func shbCheckEnqueued(b *testing.B, c *flagship.Client, want int) {
	b.Helper()
	if got := c.QueueStats().Enqueued; got != uint64(want) {
		b.Fatalf("queue took %d records, want %d", got, want)
	}
}

func BenchmarkSendHitDurable(b *testing.B) {
	e := newSHBEnv(b)
	size := shbStoredSize(b, e)
	stored := bytes.Repeat([]byte{'r'}, size)
	ctx := context.Background()
	for _, p := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("p=%d", p), func(b *testing.B) {
			b.Run("client", func(b *testing.B) {
				c, vs := shbClientVisitors(b, e, p)
				b.ReportAllocs()
				shbRunProducers(b, p, func(i int) error { return shbSendHit(ctx, vs[i]) })
				shbCheckEnqueued(b, c, p+b.N)
			})
			b.Run("raw", func(b *testing.B) {
				db, bucket := shbRawDB(b)
				gc := newSHBGroupCommit(db, bucket, p)
				defer gc.close()
				b.ReportAllocs()
				shbRunProducers(b, p, func(int) error { return gc.put(stored) })
				var n int
				if err := db.View(func(tx *bolt.Tx) error { n = tx.Bucket(bucket).Stats().KeyN; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != b.N {
					b.Fatalf("raw file holds %d records, want %d", n, b.N)
				}
			})
			b.Run("client-discardsink", func(b *testing.B) {
				c, vs := shbClientVisitors(b, e, p, shbDiscardSink()...)
				b.ReportAllocs()
				shbRunProducers(b, p, func(i int) error { return shbSendHit(ctx, vs[i]) })
				shbCheckEnqueued(b, c, p+b.N)
			})
			b.Run("client-allocs", func(b *testing.B) {
				c, vs := shbClientVisitors(b, e, p)
				defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
				runtime.MemProfileRate = 1 // every allocation from here on, in every P
				before := shbProfiledAllocs(b)
				b.ReportAllocs()
				shbRunProducers(b, p, func(i int) error { return shbSendHit(ctx, vs[i]) })
				after := shbProfiledAllocs(b)
				b.ReportMetric(float64(after.caller-before.caller)/float64(b.N), "sendhit-allocs/op")
				b.ReportMetric(float64(after.callerCommit-before.callerCommit)/float64(b.N), "sendhit-commit-allocs/op")
				shbCheckEnqueued(b, c, p+b.N)
			})
		})
	}
	if e.requests.Load() == 0 {
		b.Fatal("the collector received nothing")
	}
}

// shbAllocs counts heap allocations recorded in the allocation profile.
type shbAllocs struct {
	// caller: those whose stack holds shbSendHit, i.e. made on a
	// producer's goroutine by building the hit or by SendHit.
	caller int64
	// callerCommit: of those, the ones made in a commit the caller ran
	// itself (a frame of bbolt, or of an eventqueue function whose name
	// has "commit").
	callerCommit int64
}

// shbProfiledAllocs returns the allocations recorded so far in the
// allocation profile. It runs GCs first: GC cycles publish the profile.
func shbProfiledAllocs(b *testing.B) shbAllocs {
	b.Helper()
	runtime.GC()
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("allocs").WriteTo(&buf, 1); err != nil {
		b.Fatal(err)
	}
	// debug=1 text: a record is a line "inuse: bytes [allocs: bytes] @ pcs"
	// followed by one "#\t<pc>\t<func>+<off>\t<file:line>" line per frame
	// (inlined frames included); the runtime.MemStats comments end the list.
	var total shbAllocs
	var cur int64
	caller, commit := false, false
	end := func() {
		if caller {
			total.caller += cur
			if commit {
				total.callerCommit += cur
			}
		}
		caller, commit = false, false
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "# runtime.MemStats"):
			end()
			return total
		case strings.HasPrefix(line, "#\t"):
			f := strings.Split(line, "\t")
			if len(f) < 3 {
				continue
			}
			name, _, _ := strings.Cut(f[2], "+")
			switch {
			case strings.HasSuffix(name, shbSendHitFunc):
				caller = true
			case strings.HasPrefix(name, "go.etcd.io/bbolt."),
				strings.Contains(name, "/eventqueue.") && strings.Contains(strings.ToLower(name), "commit"):
				commit = true
			}
		case strings.Contains(line, "] @"):
			end()
			_, rest, ok1 := strings.Cut(line, "[")
			allocs, _, ok2 := strings.Cut(rest, ":")
			n, err := strconv.ParseInt(strings.TrimSpace(allocs), 10, 64)
			if !ok1 || !ok2 || err != nil {
				b.Fatalf("unexpected allocation profile line %q", line)
			}
			cur = n
		}
	}
	end()
	return total
}

// shbRawDB opens a fresh raw bbolt file with the options eventqueue.Open
// uses, and one bucket.
func shbRawDB(b *testing.B) (*bolt.DB, []byte) {
	b.Helper()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600,
		&bolt.Options{Timeout: eventqueue.DefaultLockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	name := []byte("sink:" + flagship.SinkHTTPHits)
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(name)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return db, name
}

// shbGroupCommit is the reference group commit: producers send their
// value and a reply channel to one writer, which takes everything
// available, appends it under the bucket's next sequence numbers (big-endian
// keys, pages packed full, as the queue does) in one Update and replies to
// each.
type shbGroupCommit struct {
	db      *bolt.DB
	bucket  []byte
	reqs    chan shbReq
	done    chan struct{}
	replies sync.Pool
}

type shbReq struct {
	data  []byte
	reply chan error
}

func newSHBGroupCommit(db *bolt.DB, bucket []byte, producers int) *shbGroupCommit {
	gc := &shbGroupCommit{
		db:     db,
		bucket: bucket,
		reqs:   make(chan shbReq, producers), // room for every producer: none waits to be heard
		done:   make(chan struct{}),
	}
	gc.replies.New = func() any { return make(chan error, 1) }
	go gc.writer()
	return gc
}

func (gc *shbGroupCommit) put(data []byte) error {
	reply := gc.replies.Get().(chan error)
	gc.reqs <- shbReq{data: data, reply: reply}
	err := <-reply
	gc.replies.Put(reply)
	return err
}

func (gc *shbGroupCommit) close() {
	close(gc.reqs)
	<-gc.done
}

func (gc *shbGroupCommit) writer() {
	defer close(gc.done)
	var batch []shbReq
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
		err := gc.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(gc.bucket)
			bk.FillPercent = 1
			var key [8]byte
			for _, r := range batch {
				seq, err := bk.NextSequence()
				if err != nil {
					return err
				}
				binary.BigEndian.PutUint64(key[:], seq)
				if err := bk.Put(key[:], r.data); err != nil {
					return err
				}
			}
			return nil
		})
		for _, r := range batch {
			r.reply <- err
		}
	}
}

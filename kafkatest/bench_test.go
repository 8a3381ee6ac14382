package kafkatest_test

// Benchmarks of the Kafka sink's performance requirements. Every figure
// is measured next to a raw reference in the same run, against a kfake
// broker on 127.0.0.1 started with the same options for both sides
// (kfake.BlackholeProduce: the broker acknowledges produce requests
// without storing them, so its storage stays out of the figures), on the
// same messages: the references produce the very messages the sink
// produced for the same records (captured once from a storing broker).
//
// Records: 1,000 distinct visitor ids (record i is visitor i%1000), each
// an EVENT or a PAGEVIEW hit (alternately) with about 200 bytes of
// fields; messages are keyed by visitor id and partitioned by Murmur2.
// Topic "events" has 4 partitions (0-3), topic "flush" 1 partition (0).
//
//  1. End to end, records already enqueued: read from the queue file,
//     produce with acks=all, delete.
//     BenchmarkDrainKafka (queue BatchSize 1000, topic "events")
//     >= 50% of the serial combination 1/(1/K + 1/B) of
//     K = BenchmarkRawKafkaWrite1000 (a kafka-go Writer, acks=all,
//     BatchSize 1000, writing 1,000-message batches to "events") and
//     B = BenchmarkRawBoltReadDelete1000 (raw bbolt on a queue file filled
//     like the drain's: each transaction reads the first 1,000 records
//     with a cursor and deletes them, fsync on).
//  2. BenchmarkFlush100 (Flush of 100 committed records, topic "flush",
//     FlushInterval 1 min so that only Flush sends) <= 2x the time of
//     BenchmarkRawWrite100 (one synchronous WriteMessages of 100 messages
//     to "flush", kafka-go Writer with BatchSize 100: a full batch goes
//     out without waiting for BatchTimeout).
//  3. BenchmarkDrainKafkaDefault (the sink's Config() defaults, batches of
//     500) >= 20x BenchmarkDrainKafkaBatch1 (queue BatchSize 1: one
//     message per Send), both on "events".
//
// Every benchmark reports ns/op (per record; per flush or write of 100
// for BenchmarkFlush100 and BenchmarkRawWrite100) and records/s. Run them
// with
//
//	cd kafkatest && go test -run '^$' -bench . -benchmem -count 5
//
// and compare medians.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/kafkatest"
)

const (
	benchEnvID    = "bench-env-0123456789"
	benchVisitors = 1000
	// benchTopic has 4 partitions: the drain benchmarks and
	// BenchmarkRawKafkaWrite1000.
	benchTopic = "events"
	// flushTopic has 1 partition: BenchmarkFlush100 and
	// BenchmarkRawWrite100.
	flushTopic = "flush"
)

// benchTemplates returns benchVisitors records, record i for visitor i:
// an EVENT hit for even i, a PAGEVIEW hit for odd i, each with about 200
// bytes of fields.
func benchTemplates() ([]hits.Record, error) {
	created := time.Now()
	recs := make([]hits.Record, benchVisitors)
	for i := range recs {
		r, err := hits.NewRecord(uuid.New(), benchEnvID, benchVisitor(i), "", created, benchHit(i, created))
		if err != nil {
			return nil, err
		}
		recs[i] = r
	}
	return recs, nil
}

func benchVisitor(i int) string { return fmt.Sprintf("visitor-%04d-5b0e9c1e-8d3c-4d7a", i) }

// benchHit returns the hit of template record i, created at created.
func benchHit(i int, created time.Time) hits.Hit {
	common := hits.Common{
		UserIP:           "203.0.113.42",
		ScreenResolution: "1920x1080",
		Language:         "fr-fr",
		SessionNumber:    3,
		SessionTimestamp: created.Add(-20 * time.Minute).Unix(),
	}
	if i%2 == 0 {
		return hits.Event{
			Category: hits.ActionTracking,
			Action:   "add-to-cart",
			Label:    fmt.Sprintf("sku=SKU-%06d;list=homepage-recommendations;position=%02d;variant=blue-xl;campaign=autumn-sale-2026", i*7919%1_000_000, i%50),
			Value:    4200,
			Common:   common,
		}
	}
	return hits.Page{
		URL:    fmt.Sprintf("https://shop.example.com/catalog/outdoor/jackets/product-%06d?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-sale-2026&ref=hp", i*7919%1_000_000),
		Common: common,
	}
}

// withOwnID returns a copy of recs[i%len(recs)], one of the template
// records, with an id of its own. Call it outside the timer.
func withOwnID(tb testing.TB, recs []hits.Record, i int) hits.Record {
	j := i % len(recs)
	t := recs[j]
	r, err := hits.NewRecord(uuid.New(), t.EnvID(), t.VisitorID(), t.AnonymousID(), t.Created(), benchHit(j, t.Created()))
	if err != nil {
		tb.Fatal(err)
	}
	if r.BinarySize() != t.BinarySize() || string(r.Fields()) != string(t.Fields()) {
		tb.Fatalf("record %d is not a copy of template %d", i, j)
	}
	return r
}

// benchFixture is computed once per process: the template records and
// the messages the sink produces for them.
var benchFixture struct {
	once sync.Once
	recs []hits.Record
	msgs []kafka.Message
	err  error
}

// benchData returns the template records and, for each, the message the
// sink produced for it (Topic unset).
func benchData(tb testing.TB) ([]hits.Record, []kafka.Message) {
	tb.Helper()
	f := &benchFixture
	f.once.Do(func() {
		if f.recs, f.err = benchTemplates(); f.err == nil {
			f.msgs, f.err = captureMessages(f.recs)
		}
	})
	if f.err != nil {
		tb.Fatal(f.err)
	}
	return f.recs, f.msgs
}

// captureMessages produces recs through a kafkasink.Sink to a storing
// broker's 1-partition topic and reads the messages back, in order.
func captureMessages(recs []hits.Record) ([]kafka.Message, error) {
	dir, err := os.MkdirTemp("", "kafkabench-capture-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	br, err := kafkatest.Start(dir, map[string]int32{"capture": 1})
	if err != nil {
		return nil, err
	}
	defer br.Close()
	ks, err := kafkasink.New(kafkasink.Options{Brokers: []string{br.Addr()}, Topic: "capture"})
	if err != nil {
		return nil, err
	}
	defer ks.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ks.Send(ctx, queued(recs)); err != nil {
		return nil, fmt.Errorf("capture: send: %w", err)
	}
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{br.Addr()}, Topic: "capture", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer rd.Close()
	msgs := make([]kafka.Message, 0, len(recs))
	for len(msgs) < len(recs) {
		m, err := rd.ReadMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("capture: read message %d: %w", len(msgs), err)
		}
		if want := recs[len(msgs)].VisitorID(); string(m.Key) != want {
			return nil, fmt.Errorf("capture: message %d has key %q, want %q", len(msgs), m.Key, want)
		}
		msgs = append(msgs, kafka.Message{Key: m.Key, Value: m.Value, Headers: m.Headers, Time: m.Time})
	}
	return msgs, nil
}

// queued returns recs as a sink receives them.
func queued(recs []hits.Record) []eventqueue.Record {
	batch := make([]eventqueue.Record, len(recs))
	for i := range recs {
		batch[i] = eventqueue.Record{Record: recs[i], Seq: uint64(i + 1)}
	}
	return batch
}

// withTopic returns copies of msgs addressed to topic, as the sink
// addresses its messages (Message.Topic set, Writer.Topic unset).
func withTopic(msgs []kafka.Message, topic string) []kafka.Message {
	out := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		m.Topic = topic
		out[i] = m
	}
	return out
}

// startBroker starts a blackholed broker with both topics, closed when b
// ends.
func startBroker(b *testing.B) *kafkatest.Broker {
	b.Helper()
	br, err := kafkatest.Start(b.TempDir(), map[string]int32{benchTopic: 4, flushTopic: 1}, kfake.BlackholeProduce())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(br.Close)
	return br
}

// newSink returns a kafkasink.Sink producing to topic, warmed up
// (connected, metadata fetched, a partition writer for every partition)
// by a Send of every template record. Close it.
func newSink(b *testing.B, addr, topic string, recs []hits.Record) *kafkasink.Sink {
	b.Helper()
	ks, err := kafkasink.New(kafkasink.Options{Brokers: []string{addr}, Topic: topic})
	if err != nil {
		b.Fatal(err)
	}
	if err := ks.Send(context.Background(), queued(recs)); err != nil {
		_ = ks.Close()
		b.Fatal(err)
	}
	return ks
}

// rawWriter returns a kafka-go Writer configured like the sink's own
// (Murmur2, acks=all, the default transport settings) but for its
// batching. Close it with closeRawWriter.
func rawWriter(addr string, batchSize int, batchTimeout time.Duration) (*kafka.Writer, *kafka.Transport) {
	tr := &kafka.Transport{ClientID: "flagship-go-bench"}
	return &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Balancer:     &kafka.Murmur2Balancer{},
		BatchSize:    batchSize,
		BatchTimeout: batchTimeout,
		RequiredAcks: kafka.RequireAll,
		Transport:    tr,
	}, tr
}

func closeRawWriter(b *testing.B, w *kafka.Writer, tr *kafka.Transport) {
	if err := w.Close(); err != nil {
		b.Error(err)
	}
	tr.CloseIdleConnections()
}

// benchQueueOptions returns queue options whose bounds never trigger in
// a benchmark, with one sink.
func benchQueueOptions(sink eventqueue.SinkConfig) eventqueue.Options {
	return eventqueue.Options{
		Sinks:      []eventqueue.SinkConfig{sink},
		MaxRecords: 1 << 30,
		MaxBytes:   1 << 40,
	}
}

func discard(context.Context, []eventqueue.Record) error { return nil }

// fillQueue stores n records (record i a copy of recs[i%len(recs)] with
// an id of its own) in the kafka sink's backlog of a fresh queue file,
// and returns the file's path. Call it outside the timer.
func fillQueue(b *testing.B, n int, recs []hits.Record) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "q.db")
	opts := benchQueueOptions(eventqueue.SinkConfig{Name: kafkasink.DefaultName, Sink: eventqueue.SinkFunc(discard)})
	opts.Durability = eventqueue.Buffered
	q, err := eventqueue.Open(path, opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range n {
		r := withOwnID(b, recs, i)
		if err := q.Enqueue(ctx, r); err != nil {
			_ = q.Close()
			b.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// drainKafka drains b.N pre-enqueued records through a kafkasink.Sink on
// the 4-partition topic with Run and Flush, the sink's Config() with
// BatchSize batchSize (0: the default), and reports records/s.
func drainKafka(b *testing.B, batchSize int) {
	recs, _ := benchData(b)
	br := startBroker(b)
	ks := newSink(b, br.Addr(), benchTopic, recs)
	defer ks.Close()
	path := fillQueue(b, b.N, recs)
	cfg := ks.Config()
	if batchSize > 0 {
		cfg.BatchSize = batchSize
	}
	q, err := eventqueue.Open(path, benchQueueOptions(cfg))
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	b.ResetTimer()
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
	st := q.Stats().Sinks[0]
	if st.Sent != uint64(b.N) || st.Retried != 0 || st.DeadLettered != 0 {
		b.Fatalf("sent %d, retried %d, dead-lettered %d records; want %d sent", st.Sent, st.Retried, st.DeadLettered, b.N)
	}
	if err := q.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

// BenchmarkDrainKafka: requirement 1, ours. Queue BatchSize 1000.
func BenchmarkDrainKafka(b *testing.B) { drainKafka(b, 1000) }

// BenchmarkDrainKafkaDefault: requirement 3, ours with the sink's
// Config() defaults (BatchSize kafkasink.DefaultBatchSize).
func BenchmarkDrainKafkaDefault(b *testing.B) { drainKafka(b, 0) }

// BenchmarkDrainKafkaBatch1: requirement 3, one message per Send.
func BenchmarkDrainKafkaBatch1(b *testing.B) { drainKafka(b, 1) }

// BenchmarkRawKafkaWrite1000: requirement 1, the Kafka reference. The
// writer's BatchTimeout is 1 ns, as the sink's writer's: a 1,000-message
// write puts about 250 messages in each of the 4 partitions, short of
// BatchSize, which would otherwise wait for kafka-go's 1 s default.
func BenchmarkRawKafkaWrite1000(b *testing.B) {
	_, msgs := benchData(b)
	br := startBroker(b)
	w, tr := rawWriter(br.Addr(), 1000, time.Nanosecond)
	defer closeRawWriter(b, w, tr)
	batch := withTopic(msgs, benchTopic)
	ctx := context.Background()
	if err := w.WriteMessages(ctx, batch...); err != nil { // warm up
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for left := b.N; left > 0; left -= len(batch) {
		m := batch
		if left < len(m) {
			m = m[:left]
		}
		if err := w.WriteMessages(ctx, m...); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
}

// BenchmarkRawBoltReadDelete1000: requirement 1, the bbolt reference. It
// drains a queue file filled as the drain benchmarks' are, with the
// queue's bbolt options: each transaction copies out the first 1,000
// records of the backlog with a cursor and deletes them (fsync on).
func BenchmarkRawBoltReadDelete1000(b *testing.B) {
	recs, _ := benchData(b)
	path := fillQueue(b, b.N, recs)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: eventqueue.DefaultLockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var bucket []byte
	err = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			if bytes.HasSuffix(name, []byte(":"+kafkasink.DefaultName)) && bk.Stats().KeyN == b.N {
				bucket = bytes.Clone(name)
			}
			return nil
		})
	})
	if err != nil || bucket == nil {
		b.Fatalf("backlog of %d records not found (err %v)", b.N, err)
	}
	b.ResetTimer()
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
}

// BenchmarkFlush100: requirement 2, ours. Each op commits 100 records
// (durably, from 100 concurrent Enqueues) outside the timer, then times
// one Flush: read, produce to the 1-partition topic, delete. The sink's
// FlushInterval is 1 min and its BatchSize 500, so only Flush sends.
func BenchmarkFlush100(b *testing.B) {
	recs, _ := benchData(b)
	br := startBroker(b)
	ks := newSink(b, br.Addr(), flushTopic, recs[:100])
	defer ks.Close()
	cfg := ks.Config()
	cfg.FlushInterval = time.Minute
	q, err := eventqueue.Open(filepath.Join(b.TempDir(), "q.db"), benchQueueOptions(cfg))
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	enqueue100 := func(i int) {
		errs := make([]error, 100)
		var wg sync.WaitGroup
		for j := range errs {
			r := withOwnID(b, recs, i*100+j)
			wg.Go(func() { errs[j] = q.Enqueue(ctx, r) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm up, and make sure the dispatcher is running: one it starts
	// after the records are committed sends them at once, before Flush.
	enqueue100(0)
	if err := q.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	before := q.Stats().Sinks[0]
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		enqueue100(i + 1)
		b.StartTimer()
		if err := q.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	after := q.Stats().Sinks[0]
	if sent, batches := after.Sent-before.Sent, after.Batches-before.Batches; sent != uint64(100*b.N) || batches != uint64(b.N) {
		b.Fatalf("sent %d records in %d batches, want %d in %d (one per Flush)", sent, batches, 100*b.N, b.N)
	}
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkRawWrite100: requirement 2, the reference: one synchronous
// WriteMessages of 100 messages to the 1-partition topic. BatchSize 100
// (and kafka-go's default BatchTimeout): the full batch goes out at once.
func BenchmarkRawWrite100(b *testing.B) {
	_, msgs := benchData(b)
	br := startBroker(b)
	w, tr := rawWriter(br.Addr(), 100, 0)
	defer closeRawWriter(b, w, tr)
	all := withTopic(msgs, flushTopic)
	ctx := context.Background()
	if err := w.WriteMessages(ctx, all[:100]...); err != nil { // warm up
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		off := i * 100 % len(all)
		if err := w.WriteMessages(ctx, all[off:off+100]...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSend100 is the sink alone, for the breakdown of
// BenchmarkFlush100: one Send of 100 records to the 1-partition topic
// (encoding the messages and one synchronous produce).
func BenchmarkSend100(b *testing.B) {
	recs, _ := benchData(b)
	br := startBroker(b)
	ks := newSink(b, br.Addr(), flushTopic, recs[:100])
	defer ks.Close()
	batch := queued(recs[:100])
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := ks.Send(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(100*b.N)/b.Elapsed().Seconds(), "records/s")
}

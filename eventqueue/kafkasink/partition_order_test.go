package kafkasink

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// builtSinkOn returns a Sink New built from opts (its own writer: Murmur2,
// BatchSize, BatchBytes, 1 ns BatchTimeout), whose writer talks to f.
func builtSinkOn(t *testing.T, f *fakeKafka, opts Options) *Sink {
	t.Helper()
	opts.Brokers = []string{"fake:9092"}
	s, err := New(opts)
	require.NoError(t, err)
	s.w.Transport = f
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	return s
}

// runQueue opens a queue on cfg, runs it, flushes it, and returns the
// dead letters.
func runQueue(t *testing.T, cfg eventqueue.SinkConfig, recs []hits.Record) []eventqueue.DeadLetter {
	t.Helper()
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.RetryInitial, cfg.RetryMax = time.Millisecond, 4*time.Millisecond
	q, err := eventqueue.Open(t.TempDir()+"/queue.db", eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer q.Close()
	for _, r := range recs {
		require.NoError(t, q.Enqueue(context.Background(), r))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer fcancel()
	require.NoError(t, q.Flush(fctx))
	dead, err := q.DeadLetters(100)
	require.NoError(t, err)
	return dead
}

// storedIDs returns the record ids f stored, in the order Kafka appended
// them (one partition).
func storedIDs(f *fakeKafka) []string {
	var ids []string
	for _, m := range f.records() {
		for _, h := range m.Headers {
			if h.Key == HeaderRecordID {
				ids = append(ids, string(h.Value))
			}
		}
	}
	return ids
}

// TestVisitorOrderAcrossWriterBatches: a Send whose messages for
// one partition exceed the writer's BatchBytes makes kafka-go produce
// them in several requests, each acknowledged on its own. When the first
// is refused (retryably) and the second accepted, the later records must
// not overtake the earlier ones: a visitor's messages keep their order in
// its partition.
func TestVisitorOrderAcrossWriterBatches(t *testing.T) {
	var mu sync.Mutex
	produces := 0
	f := &fakeKafka{partitions: 1, reject: func(string, int32, []producedRecord) kafka.Error {
		mu.Lock()
		defer mu.Unlock()
		produces++
		if produces == 1 {
			return kafka.TopicAuthorizationFailed // retried by the queue
		}
		return 0
	}}
	s := builtSinkOn(t, f, Options{Topic: "events", MaxAttempts: 1})
	var recs []hits.Record
	for i := range 6 {
		// 6 × 300 KB for one visitor: more than one 1 MiB writer batch.
		r, err := hits.NewRecord(uuid.New(), "env", "visitor-1", "", time.Now(),
			hits.Segment{Context: map[string]any{"i": i, "blob": strings.Repeat("x", 300_000)}})
		require.NoError(t, err)
		recs = append(recs, r)
	}
	dead := runQueue(t, s.Config(), recs)
	require.Empty(t, dead)

	var want []string
	for _, r := range recs {
		want = append(want, r.ID().String())
	}
	got := storedIDs(f)
	// Delivery is at least once: drop repeats, keep first appearances.
	seen := map[string]bool{}
	var firsts []string
	for _, id := range got {
		if !seen[id] {
			seen[id] = true
			firsts = append(firsts, id)
		}
	}
	requireSameOrder(t, want, firsts)
}

// requireSameOrder requires got to be want, reporting the first
// difference (not both lists, which can be long).
func requireSameOrder(t *testing.T, want, got []string) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("the visitor's records reach its partition out of enqueue order: position %d holds record %d", i, indexOf(want, got[i]))
		}
	}
}

// TestVisitorOrderBeyondWriterBatchSize: the same with a queue
// BatchSize above the writer's 1000 messages per batch (the queue takes up
// to 10000).
func TestVisitorOrderBeyondWriterBatchSize(t *testing.T) {
	var mu sync.Mutex
	produces := 0
	f := &fakeKafka{partitions: 1, reject: func(string, int32, []producedRecord) kafka.Error {
		mu.Lock()
		defer mu.Unlock()
		produces++
		if produces == 1 {
			return kafka.NotEnoughReplicas
		}
		return 0
	}}
	s := builtSinkOn(t, f, Options{Topic: "events", MaxAttempts: 1})
	cfg := s.Config()
	cfg.BatchSize = 1500
	var recs []hits.Record
	for i := range 1500 {
		r, err := hits.NewRecord(uuid.New(), "env", "visitor-1", "", time.Now(), hits.Page{URL: "https://shop.example/" + strings.Repeat("p", i%7)})
		require.NoError(t, err)
		recs = append(recs, r)
	}
	dead := runQueue(t, cfg, recs)
	require.Empty(t, dead)
	var want []string
	for _, r := range recs {
		want = append(want, r.ID().String())
	}
	seen := map[string]bool{}
	var firsts []string
	for _, id := range storedIDs(f) {
		if !seen[id] {
			seen[id] = true
			firsts = append(firsts, id)
		}
	}
	requireSameOrder(t, want, firsts)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// bigSegment returns a SEGMENT record of visitor vid of about n bytes.
func bigSegment(t *testing.T, vid string, i, n int) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(uuid.New(), "env", vid, "", time.Now(),
		hits.Segment{Context: map[string]any{"i": i, "blob": strings.Repeat("x", n)}})
	require.NoError(t, err)
	return r
}

// TestSendStopsWhenEveryPartitionFails: a Send of several writer
// batches whose first one fails on every partition, retryably (brokers
// down), does not try the others: each would take the writer's full
// attempts.
func TestSendStopsWhenEveryPartitionFails(t *testing.T) {
	f := &fakeKafka{partitions: 2, reject: func(string, int32, []producedRecord) kafka.Error { return kafka.NotEnoughReplicas }}
	s := builtSinkOn(t, f, Options{Topic: "events", MaxAttempts: 1})
	var batch []eventqueue.Record
	for range 2500 {
		batch = append(batch, pageOf(t, "visitor-"+uuid.NewString()[:8]))
	}
	err := s.Send(context.Background(), batch)
	require.Error(t, err)
	assert.False(t, eventqueue.IsPermanent(err))
	for i, e := range partsOf(err) {
		require.Error(t, e, "record %d", i)
		require.False(t, eventqueue.IsPermanent(e))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.LessOrEqual(t, f.produces, 2, "one produce request per partition, for the first writer batch only")
}

// TestHeldBackBehindPermanentFailure: the broker refuses a
// partition's batch for one message too large for it; that visitor's
// later messages, held back, are delivered after the queue isolated the
// culprit, in order, and only the culprit is dead-lettered.
func TestHeldBackBehindPermanentFailure(t *testing.T) {
	f := &fakeKafka{partitions: 1, reject: func(_ string, _ int32, recs []producedRecord) kafka.Error {
		for _, r := range recs {
			if len(r.Value) > 500_000 {
				return kafka.MessageSizeTooLarge
			}
		}
		return 0
	}}
	s := builtSinkOn(t, f, Options{Topic: "events", MaxAttempts: 1})
	var recs []hits.Record
	for i := range 8 {
		n := 200_000
		if i == 1 {
			n = 600_000 // the culprit, in the first writer batch
		}
		recs = append(recs, bigSegment(t, "visitor-1", i, n))
	}
	dead := runQueue(t, s.Config(), recs)
	require.Len(t, dead, 1)
	assert.Equal(t, recs[1].ID(), dead[0].Record.ID())
	var want []string
	for i, r := range recs {
		if i != 1 {
			want = append(want, r.ID().String())
		}
	}
	seen := map[string]bool{}
	var firsts []string
	for _, id := range storedIDs(f) {
		if !seen[id] {
			seen[id] = true
			firsts = append(firsts, id)
		}
	}
	requireSameOrder(t, want, firsts)
}

package kafkatest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestFlushDoesNotWaitForBatchTimeout: with the writer the sink builds,
// a flush of 10 records (a batch far below the writer's BatchSize) takes
// well under kafka-go's default BatchTimeout of 1 s. The control, a
// caller's writer left at that default, shows that the test would see
// the wait.
func TestFlushDoesNotWaitForBatchTimeout(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 4})
	produced := watchProduce(t, b)
	timeFlush := func(t *testing.T, ks *kafkasink.Sink) time.Duration {
		// Config's BatchSize 500 and FlushInterval 1 s: only Flush sends.
		// Durable: Flush delivers, it has nothing to commit first.
		q := openQueueWith(t, nil, eventqueue.Options{Sinks: []eventqueue.SinkConfig{ks.Config()}})
		// Warm up: connections and metadata.
		enqueue(t, q, []hits.Record{eventRecord(t, "warm-up", "0")})
		flushQueue(t, q)
		var recs []hits.Record
		for i := range 10 {
			recs = append(recs, eventRecord(t, visitorName(i), fmt.Sprint(i)))
		}
		enqueue(t, q, recs)
		produced.take()
		start := time.Now()
		flushQueue(t, q)
		d := time.Since(start)
		st := sinkStats(t, q.Stats(), kafkasink.DefaultName)
		assert.EqualValues(t, 11, st.Sent)
		assert.Zero(t, st.Depth)
		// One produce request per partition the records hash to.
		partitions := map[int32]bool{}
		for _, pb := range produced.take() {
			assert.False(t, partitions[pb.Partition], "partition %d: one produce request", pb.Partition)
			partitions[pb.Partition] = true
		}
		want := map[int32]bool{}
		for _, m := range readTopic(t, b.Addr(), topic, nil) {
			if string(m.Key) != "warm-up" {
				want[int32(m.Partition)] = true
			}
		}
		assert.Equal(t, want, partitions)
		return d
	}

	t.Run("built writer", func(t *testing.T) {
		ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic})
		d := timeFlush(t, ks)
		t.Logf("flush of 10 records: %v", d)
		assert.Less(t, d, 500*time.Millisecond, "the flush does not wait for a batch timer")
	})
	t.Run("control: writer with the default BatchTimeout", func(t *testing.T) {
		transport := &kafka.Transport{}
		w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Balancer: &kafka.Murmur2Balancer{}, RequiredAcks: kafka.RequireAll, Transport: transport}
		t.Cleanup(func() {
			assert.NoError(t, w.Close())
			transport.CloseIdleConnections()
		})
		ks := newTestSink(t, kafkasink.Options{Writer: w, Topic: topic})
		d := timeFlush(t, ks)
		t.Logf("flush of 10 records: %v", d)
		require.GreaterOrEqual(t, d, 900*time.Millisecond, "kafka-go holds a partial batch for BatchTimeout")
	})
}

package kafkatest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestOversizedMessage: one record among 100 whose message is too large
// for the broker goes to the dead letters with the reason; its 99
// neighbours, those of its partition included, reach Kafka once each.
// (A record too large for the sink's own MaxMessageBytes is refused by
// Enqueue instead: TestOversizedForSinkRefusedAtEnqueue.)
func TestOversizedMessage(t *testing.T) {
	const topic = "events"
	t.Run("broker", func(t *testing.T) {
		// The broker takes produce requests of at most 4 KiB per
		// partition; the sink's MaxMessageBytes is left at 1 MiB.
		b := startTestBroker(t, map[string]int32{topic: 4}, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "4096"}))
		ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic})
		checkOversized(t, b.Addr(), ks, "Message Size Too Large")
	})
}

// TestOversizedForSinkRefusedAtEnqueue: a record whose message is larger
// than the sink's MaxMessageBytes is refused by Enqueue, naming its size
// and the limit, and is never dead-lettered; its neighbours reach Kafka.
func TestOversizedForSinkRefusedAtEnqueue(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 4})
	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, MaxMessageBytes: 4096})
	q := openQueue(t, &eventLog{}, testSinkConfig(ks))
	var recs []hits.Record
	for i := range 10 {
		recs = append(recs, eventRecord(t, visitorName(i%4), strings.Repeat("l", 200)))
	}
	big, err := hits.NewRecord(uuid.New(), "env-kafka", visitorName(2), "", time.Now(),
		hits.Segment{Context: map[string]any{"blob": strings.Repeat("x", 6000)}})
	require.NoError(t, err)
	err = q.Enqueue(timeout(t), big)
	var tooLarge *eventqueue.RecordTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, kafkasink.DefaultName, tooLarge.Sink)
	assert.Equal(t, ks.RecordSize(big), tooLarge.Size)
	assert.Equal(t, 4096, tooLarge.Limit)
	enqueue(t, q, recs)
	flushQueue(t, q)

	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
	requireExactlyOnce(t, recs, checkMessages(t, readTopic(t, b.Addr(), topic, nil)))
}

func checkOversized(t *testing.T, addr string, ks *kafkasink.Sink, reason string) {
	const topic = "events"
	events := &eventLog{}
	q := openQueue(t, events, testSinkConfig(ks))
	var recs []hits.Record
	for i := range 100 {
		recs = append(recs, eventRecord(t, visitorName(i%8), strings.Repeat("l", 200)))
	}
	// Record 50, of visitor 2 like 11 others, is a SEGMENT hit of 6 KB.
	big, err := hits.NewRecord(uuid.New(), "env-kafka", visitorName(2), "", time.Now(),
		hits.Segment{Context: map[string]any{"blob": strings.Repeat("x", 6000)}})
	require.NoError(t, err)
	recs[50] = big
	enqueue(t, q, recs)
	flushQueue(t, q)

	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1, "only the large record is dead-lettered")
	assert.Equal(t, big.ID(), dead[0].Record.ID())
	assert.Equal(t, kafkasink.DefaultName, dead[0].Sink)
	assert.Contains(t, dead[0].Reason, reason)
	t.Logf("dead letter reason: %s", dead[0].Reason)
	st := sinkStats(t, q.Stats(), kafkasink.DefaultName)
	assert.Zero(t, st.Depth)
	assert.EqualValues(t, 1, st.DeadLettered)
	assert.EqualValues(t, 99, st.Sent)
	assert.Equal(t, 1, events.count(kafkasink.DefaultName, eventqueue.EventDeadLettered))

	neighbours := slices.Delete(slices.Clone(recs), 50, 51)
	msgs := checkMessages(t, readTopic(t, addr, topic, nil))
	requireExactlyOnce(t, neighbours, msgs)
	byKey := requireKeyInOnePartition(t, msgs)
	assert.Len(t, byKey[visitorName(2)], 12, "the large record's partition neighbours are delivered")
}

package kafkatest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestTopicPerKind: Options.Topics sends activations to their own topic;
// the kinds it does not name (hits, consents) go to Topic.
func TestTopicPerKind(t *testing.T) {
	b := startTestBroker(t, map[string]int32{"hits": 3, "activations": 2})
	ks := newTestSink(t, kafkasink.Options{
		Brokers: []string{b.Addr()},
		Topic:   "hits",
		Topics:  map[hits.Kind]string{hits.KindActivation: "activations"},
	})
	q := openQueue(t, nil, testSinkConfig(ks))
	var toHits, toActivations []hits.Record
	for i := range 30 {
		v := visitorName(i % 6)
		var h hits.Hit
		switch i % 3 {
		case 0:
			h = hits.Activation{VariationGroupID: fmt.Sprintf("vg-%d", i), VariationID: "var-1"}
		case 1:
			h = hits.Page{URL: fmt.Sprintf("https://shop.example/%d", i)}
		default:
			h = hits.Consent{Consented: i%2 == 0}
		}
		r, err := hits.NewRecord(uuid.New(), "env-kafka", v, "", time.Now(), h)
		require.NoError(t, err)
		if r.Kind() == hits.KindActivation {
			toActivations = append(toActivations, r)
		} else {
			toHits = append(toHits, r)
		}
	}
	enqueue(t, q, append(append([]hits.Record(nil), toHits...), toActivations...))
	flushQueue(t, q)

	activations := checkMessages(t, readTopic(t, b.Addr(), "activations", nil))
	requireExactlyOnce(t, toActivations, activations)
	for _, m := range activations {
		assert.Equal(t, "activation", m.Kind)
	}
	others := checkMessages(t, readTopic(t, b.Addr(), "hits", nil))
	requireExactlyOnce(t, toHits, others)
	kinds := map[string]int{}
	for _, m := range others {
		kinds[m.Kind]++
	}
	assert.Equal(t, map[string]int{"hit": 10, "consent": 10}, kinds)
}

// TestMissingTopicWaits: a topic that does not exist (and that the sink
// does not create) fails the sends, which are retried: the records wait
// in the queue, none dead-lettered, and are delivered once an operator
// creates the topic.
func TestMissingTopicWaits(t *testing.T) {
	const topic = "created-later"
	b := startTestBroker(t, map[string]int32{"other": 1})
	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, MaxAttempts: 1})
	events := &eventLog{}
	q := openQueue(t, events, testSinkConfig(ks))
	var recs []hits.Record
	for i := range 20 {
		recs = append(recs, eventRecord(t, visitorName(i%4), fmt.Sprint(i)))
	}
	enqueue(t, q, recs)
	require.Eventually(t, func() bool { return events.count(kafkasink.DefaultName, eventqueue.EventBatchFailed) >= 3 },
		testTimeout, 10*time.Millisecond, "the sends fail and are retried")
	t.Logf("send failure: %v", events.last(kafkasink.DefaultName, eventqueue.EventBatchFailed).Err)
	st := sinkStats(t, q.Stats(), kafkasink.DefaultName)
	assert.EqualValues(t, 20, st.Depth, "the records wait in the queue")
	assert.Zero(t, st.DeadLettered)

	conn, err := (&kafka.Dialer{Timeout: 5 * time.Second}).DialContext(timeout(t), "tcp", b.Addr())
	require.NoError(t, err)
	err = conn.CreateTopics(kafka.TopicConfig{Topic: topic, NumPartitions: 2, ReplicationFactor: 1})
	require.NoError(t, conn.Close())
	require.NoError(t, err)
	start := time.Now()
	flushQueue(t, q)
	t.Logf("delivered %v after the topic was created", time.Since(start))
	requireExactlyOnce(t, recs, checkMessages(t, readTopic(t, b.Addr(), topic, nil)))
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

package kafkatest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestSASL: against a broker that requires SASL, records are delivered
// with the right credentials (PLAIN, SCRAM-SHA-256); with a wrong
// password the sends fail and are retried, and the records stay queued,
// none dead-lettered.
func TestSASL(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 2}, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "user", "pass"),
		kfake.Superuser("SCRAM-SHA-256", "scram-user", "scram-pass"))
	sha256, err := scram.Mechanism(scram.SHA256, "scram-user", "scram-pass")
	require.NoError(t, err)
	reader := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: plain.Mechanism{Username: "user", Password: "pass"}}

	var delivered []hits.Record
	for _, tc := range []struct {
		name string
		mech sasl.Mechanism
	}{
		{"PLAIN", plain.Mechanism{Username: "user", Password: "pass"}},
		{"SCRAM-SHA-256", sha256},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, SASL: tc.mech})
			q := openQueue(t, nil, testSinkConfig(ks))
			var recs []hits.Record
			for i := range 20 {
				recs = append(recs, eventRecord(t, visitorName(i%4), fmt.Sprintf("%s-%d", tc.name, i)))
			}
			enqueue(t, q, recs)
			flushQueue(t, q)
			delivered = append(delivered, recs...)
			requireExactlyOnce(t, delivered, checkMessages(t, readTopic(t, b.Addr(), topic, reader)))
		})
	}

	t.Run("wrong password", func(t *testing.T) {
		ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, MaxAttempts: 1,
			SASL: plain.Mechanism{Username: "user", Password: "wrong"}})
		events := &eventLog{}
		q := openQueue(t, events, testSinkConfig(ks))
		var recs []hits.Record
		for i := range 20 {
			recs = append(recs, eventRecord(t, visitorName(i%4), fmt.Sprintf("denied-%d", i)))
		}
		enqueue(t, q, recs)
		require.Eventually(t, func() bool { return events.count(kafkasink.DefaultName, eventqueue.EventBatchFailed) >= 3 },
			testTimeout, 10*time.Millisecond, "the sends fail and are retried")
		failure := events.last(kafkasink.DefaultName, eventqueue.EventBatchFailed)
		t.Logf("send failure: %v", failure.Err) // kfake closes the connection: "unexpected EOF"
		assert.Error(t, failure.Err)
		assert.Equal(t, 20, failure.N)
		st := sinkStats(t, q.Stats(), kafkasink.DefaultName)
		assert.EqualValues(t, 20, st.Depth, "the records stay queued")
		assert.Zero(t, st.Sent)
		assert.Zero(t, st.DeadLettered)
		assert.GreaterOrEqual(t, st.Retried, uint64(60))
		dead, err := q.DeadLetters(10)
		require.NoError(t, err)
		assert.Empty(t, dead)
		assert.Zero(t, events.count(kafkasink.DefaultName, eventqueue.EventDeadLettered))
		requireExactlyOnce(t, delivered, checkMessages(t, readTopic(t, b.Addr(), topic, reader)))
	})
}

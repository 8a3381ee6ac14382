package kafkatest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestAuthorizationDenied: against a broker enforcing ACLs, a user who
// may see the topic but not write it is refused
// (TOPIC_AUTHORIZATION_FAILED): nothing is dead-lettered, the refusal is
// reported once as EventDestinationRefused, Flush does not return nil;
// once an operator grants the right, every record is delivered once.
func TestAuthorizationDenied(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 2}, kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", "admin", "admin"),
		kfake.User("PLAIN", "writer", "pass", kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: topic,
			Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationDescribe, Allow: true}))
	admin := plain.Mechanism{Username: "admin", Password: "admin"}

	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, MaxAttempts: 1,
		SASL: plain.Mechanism{Username: "writer", Password: "pass"}})
	events := &eventLog{}
	q := openQueue(t, events, testSinkConfig(ks))
	var recs []hits.Record
	for i := range 20 {
		recs = append(recs, eventRecord(t, visitorName(i%4), fmt.Sprintf("denied-%d", i)))
	}
	enqueue(t, q, recs)
	require.Eventually(t, func() bool { return events.count(kafkasink.DefaultName, eventqueue.EventBatchFailed) >= 3 },
		testTimeout, 10*time.Millisecond, "the sends fail and are retried")

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := q.Flush(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "no nil Flush while the broker refuses")
	assert.Equal(t, 1, events.count(kafkasink.DefaultName, eventqueue.EventDestinationRefused), "reported once")
	refused := events.last(kafkasink.DefaultName, eventqueue.EventDestinationRefused)
	t.Logf("refusal: %v", refused.Err)
	assert.True(t, eventqueue.IsSystemic(refused.Err), refused.Err)
	assert.ErrorIs(t, refused.Err, kafka.TopicAuthorizationFailed)
	assert.Equal(t, 20, refused.N)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
	st := sinkStats(t, q.Stats(), kafkasink.DefaultName)
	assert.EqualValues(t, 20, st.Depth)
	assert.Zero(t, st.DeadLettered)

	// The operator grants the writer the right to write the topic.
	transport := &kafka.Transport{SASL: admin}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(b.Addr()), Transport: transport}
	res, err := client.CreateACLs(timeout(t), &kafka.CreateACLsRequest{ACLs: []kafka.ACLEntry{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: topic, ResourcePatternType: kafka.PatternTypeLiteral,
		Principal: "User:writer", Host: "*", Operation: kafka.ACLOperationTypeWrite, PermissionType: kafka.ACLPermissionTypeAllow,
	}}})
	require.NoError(t, err)
	for _, e := range res.Errors {
		require.NoError(t, e)
	}

	flushQueue(t, q)
	reader := &kafka.Dialer{Timeout: 5 * time.Second, SASLMechanism: admin}
	requireExactlyOnce(t, recs, checkMessages(t, readTopic(t, b.Addr(), topic, reader)))
	dead, err = q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)
	assert.Equal(t, 1, events.count(kafkasink.DefaultName, eventqueue.EventDestinationRefused))
}

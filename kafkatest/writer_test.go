package kafkatest_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/flagship"
)

// TestCallerOwnedWriter: a kafka.Writer given in Options delivers the
// client's records, and stays usable after the sink's and the client's
// Close: the SDK never closes it.
func TestCallerOwnedWriter(t *testing.T) {
	const topic = "events"
	b := startTestBroker(t, map[string]int32{topic: 4})
	srv := abServer(t)
	transport := &kafka.Transport{ClientID: "caller"}
	w := &kafka.Writer{
		Addr:         kafka.TCP(b.Addr()),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Millisecond,
		Transport:    transport,
	}
	t.Cleanup(func() {
		assert.NoError(t, w.Close())
		transport.CloseIdleConnections()
	})
	ks, err := kafkasink.New(kafkasink.Options{Writer: w, Topic: topic})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ks.Close()) })
	c, err := flagship.New(timeout(t), srv.EnvID(), "test-api-key",
		append(srv.Options(), flagship.WithLogger(testLogger(t)),
			flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{ks.Config()}}))...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close(context.Background())) }) // if the test ends early
	start := time.Now()
	want := runVisitors(t, c, 5, false)
	require.NoError(t, c.Flush(timeout(t)))
	require.NoError(t, c.Close(timeout(t)))
	require.NoError(t, ks.Close())
	require.NoError(t, ks.Close(), "Close is idempotent")

	// The writer still works: the SDK did not close it.
	extra := kafka.Message{Topic: topic, Key: []byte("after-close"), Value: []byte(`{"not":"a record"}`)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, w.WriteMessages(ctx, extra), "the caller's writer is still open")

	var records []message
	found := false
	for _, m := range readTopic(t, b.Addr(), topic, nil) {
		if string(m.Key) == "after-close" {
			found = true
			continue
		}
		records = append(records, checkMessage(t, m))
	}
	assert.True(t, found, "the message written after Close is in the topic")
	checkDelivered(t, srv.EnvID(), start, want, records)
}

// TestWriterOptionsRejected: New refuses a caller's writer that cannot
// confirm delivery (asynchronous, or without acknowledgements), and
// options the writer itself must carry.
func TestWriterOptionsRejected(t *testing.T) {
	addr := kafka.TCP("127.0.0.1:9")
	for name, opts := range map[string]kafkasink.Options{
		"async":         {Topic: "t", Writer: &kafka.Writer{Addr: addr, Async: true, RequiredAcks: kafka.RequireAll}},
		"require none":  {Topic: "t", Writer: &kafka.Writer{Addr: addr, RequiredAcks: kafka.RequireNone}},
		"zero acks":     {Topic: "t", Writer: &kafka.Writer{Addr: addr}}, // kafka-go's zero RequiredAcks is RequireNone
		"brokers too":   {Topic: "t", Brokers: []string{"127.0.0.1:9"}, Writer: &kafka.Writer{Addr: addr, RequiredAcks: kafka.RequireAll}},
		"compression":   {Topic: "t", Compression: kafka.Gzip, Writer: &kafka.Writer{Addr: addr, RequiredAcks: kafka.RequireAll}},
		"two topics":    {Topic: "t", Writer: &kafka.Writer{Addr: addr, Topic: "u", RequiredAcks: kafka.RequireAll}},
		"no topic":      {Writer: &kafka.Writer{Addr: addr, RequiredAcks: kafka.RequireAll}},
		"no writer":     {Topic: "t"},
		"bad topic":     {Topic: "no spaces", Brokers: []string{"127.0.0.1:9"}},
		"negative size": {Topic: "t", Brokers: []string{"127.0.0.1:9"}, MaxMessageBytes: -1},
	} {
		t.Run(name, func(t *testing.T) {
			ks, err := kafkasink.New(opts)
			assert.ErrorIs(t, err, kafkasink.ErrInvalidOptions)
			assert.Nil(t, ks)
		})
	}
	for name, w := range map[string]*kafka.Writer{
		"require one": {Addr: addr, RequiredAcks: kafka.RequireOne},
		"require all": {Addr: addr, RequiredAcks: kafka.RequireAll, Topic: "t"},
	} {
		t.Run(name, func(t *testing.T) {
			opts := kafkasink.Options{Writer: w}
			if w.Topic == "" {
				opts.Topic = "t"
			}
			ks, err := kafkasink.New(opts)
			require.NoError(t, err)
			require.NoError(t, ks.Close())
		})
	}
}

package kafkasink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	produceAPI "github.com/segmentio/kafka-go/protocol/produce"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// ExampleNew builds a Kafka sink; New does not connect, so this runs
// without a broker. Give ks.Config() to flagship.DeliveryOptions.Sinks,
// and close the sink after the client.
func ExampleNew() {
	ks, err := kafkasink.New(kafkasink.Options{
		Brokers: []string{"kafka-1:9092", "kafka-2:9092"},
		Topic:   "flagship-events",
		Topics:  map[hits.Kind]string{hits.KindActivation: "flagship-activations"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ks.Close()
	cfg := ks.Config()
	fmt.Println(cfg.Name, cfg.BatchSize, cfg.FlushInterval, cfg.MaxAge)

	_, err = kafkasink.New(kafkasink.Options{Brokers: []string{"kafka-1:9092"}})
	fmt.Println(errors.Is(err, kafkasink.ErrInvalidOptions))
	fmt.Println(err)
	// Output:
	// kafka 500 1s 0s
	// true
	// kafkasink: invalid options: Topic is required (or Topics for every kind)
}

// Example_message shows the message a record becomes: the visitor id as
// key, the record's creation time, four headers and the JSON value of
// schema version 1. A stand-in for the broker (a kafka.RoundTripper
// answering in memory) takes the place of a cluster so that the example
// runs offline; in production, set Options.Brokers instead of Writer.
func Example_message() {
	broker := &memoryBroker{}
	w := &kafka.Writer{
		Addr:         kafka.TCP("broker:9092"),
		Transport:    broker,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: time.Nanosecond, // Send never waits for kafka-go's batch timer
	}
	defer w.Close() // a caller's writer stays the caller's to close
	ks, err := kafkasink.New(kafkasink.Options{Writer: w, Topic: "flagship-events"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ks.Close()

	r, err := hits.NewRecord(uuid.MustParse("4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77"), "c0ffee", "customer-42", "",
		time.Date(2026, 11, 21, 9, 30, 0, 125e6, time.UTC),
		hits.Transaction{ID: "T-1001", Affiliation: "checkout", Revenue: 59.9, Currency: "EUR", ItemCount: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The queue calls Send with batches of its backlog.
	if err := ks.Send(context.Background(), []eventqueue.Record{{Record: r, Seq: 1}}); err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range broker.received() {
		fmt.Println("topic:", m.topic)
		fmt.Println("key:", string(m.key))
		fmt.Println("time:", m.time.UTC().Format(time.RFC3339Nano))
		for _, h := range m.headers {
			fmt.Printf("header: %s=%s\n", h.Key, h.Value)
		}
		fmt.Println("value:", string(m.value))
	}
	// Output:
	// topic: flagship-events
	// key: customer-42
	// time: 2026-11-21T09:30:00.125Z
	// header: fs-schema-version=1
	// header: fs-kind=hit
	// header: fs-hit-type=TRANSACTION
	// header: fs-record-id=4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77
	// value: {"schema":1,"id":"4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77","kind":"hit","type":"TRANSACTION","env_id":"c0ffee","visitor_id":"customer-42","created":"2026-11-21T09:30:00.125Z","fields":{"transaction_id":"T-1001","affiliation":"checkout","revenue":59.9,"currency":"EUR","item_count":2}}
}

// memoryBroker is a kafka.RoundTripper standing for a one-broker cluster
// whose topics have one partition: it acknowledges and keeps the messages
// it is sent.
type memoryBroker struct {
	mu       sync.Mutex
	messages []message
}

func (b *memoryBroker) received() []message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.messages)
}

type message struct {
	topic      string
	key, value []byte
	headers    []kafka.Header
	time       time.Time
}

func (b *memoryBroker) RoundTrip(ctx context.Context, _ net.Addr, req kafka.Request) (kafka.Response, error) {
	switch req := req.(type) {
	case *metadataAPI.Request:
		res := &metadataAPI.Response{Brokers: []metadataAPI.ResponseBroker{{NodeID: 1, Host: "broker", Port: 9092}}, ControllerID: 1}
		for _, name := range req.TopicNames {
			res.Topics = append(res.Topics, metadataAPI.ResponseTopic{Name: name, Partitions: []metadataAPI.ResponsePartition{
				{PartitionIndex: 0, LeaderID: 1, ReplicaNodes: []int32{1}, IsrNodes: []int32{1}},
			}})
		}
		return res, nil
	case *produceAPI.Request:
		res := &produceAPI.Response{}
		for _, t := range req.Topics {
			rt := produceAPI.ResponseTopic{Topic: t.Topic}
			for _, p := range t.Partitions {
				for {
					r, err := p.RecordSet.Records.ReadRecord()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						return nil, err
					}
					m := message{topic: t.Topic, key: readAll(r.Key), value: readAll(r.Value), time: r.Time}
					for _, h := range r.Headers {
						m.headers = append(m.headers, kafka.Header{Key: h.Key, Value: slices.Clone(h.Value)})
					}
					b.mu.Lock()
					b.messages = append(b.messages, m)
					b.mu.Unlock()
				}
				rt.Partitions = append(rt.Partitions, produceAPI.ResponsePartition{Partition: p.Partition})
			}
			res.Topics = append(res.Topics, rt)
		}
		return res, nil
	}
	return nil, fmt.Errorf("memoryBroker: unexpected request %T", req)
}

func readAll(b protocol.Bytes) []byte {
	if b == nil {
		return nil
	}
	defer b.Close()
	out, _ := io.ReadAll(b)
	return out
}

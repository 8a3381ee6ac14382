package kafkasink_test

import (
	"fmt"

	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// ExampleNew builds a Kafka sink; New does not connect, so this runs
// without a broker. Give ks.Config() to flagship.WithSink, and close the
// sink after the client.
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
	fmt.Println(cfg.Name, cfg.BatchSize, cfg.FlushInterval)

	_, err = kafkasink.New(kafkasink.Options{Brokers: []string{"kafka-1:9092"}})
	fmt.Println(err)
	// Output:
	// kafka 500 1s
	// kafkasink: invalid options: Topic is required (or Topics for every kind)
}

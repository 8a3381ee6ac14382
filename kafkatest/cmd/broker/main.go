// Command broker runs a local Kafka-protocol broker (franz-go's kfake) on
// 127.0.0.1 until interrupted, for trying the Kafka sink without Kafka:
//
//	cd kafkatest && go run ./cmd/broker [-topic flagship-events] [-partitions 4]
//
// It prints the broker's address first (give it to -brokers of
// examples/kafka-export), then runs until Ctrl-C. Data lives in a
// temporary directory removed on exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/seed27eed597/flagship-go/kafkatest"
)

func main() {
	topic := flag.String("topic", "flagship-events", "topic to create")
	partitions := flag.Int("partitions", 4, "partitions of the topic")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout, *topic, int32(*partitions))
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		os.Exit(1)
	}
}

// run starts the broker, writes its address as the first line of w, and
// stops it when ctx ends.
func run(ctx context.Context, w io.Writer, topic string, partitions int32) error {
	if partitions < 1 {
		return fmt.Errorf("-partitions %d: want at least 1", partitions)
	}
	dir, err := os.MkdirTemp("", "kafkatest-broker-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b, err := kafkatest.Start(dir, map[string]int32{topic: partitions})
	if err != nil {
		return err
	}
	defer b.Close()
	fmt.Fprintln(w, b.Addr())
	fmt.Fprintf(os.Stderr, "broker: topic %q with %d partitions at %s; Ctrl-C to stop\n", topic, partitions, b.Addr())
	<-ctx.Done()
	return nil
}

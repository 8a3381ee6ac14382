// Command demo-kafka runs the offline demo (see examples/demo) with the
// Kafka sink beside Flagship's endpoints: every hit and activation also
// goes to a topic on a local Kafka-protocol broker (kfake, on 127.0.0.1,
// started and stopped by the command).
//
//	make demo-kafka    # or: cd kafkatest && go run ./cmd/demo-kafka
//
// Half-way through, the broker is stopped for a moment and restarted on
// the same port: the Kafka backlog waits in the queue file and drains
// after the restart while Flagship's delivery goes on. At the end the
// topic's offsets are summed: the command exits 1 unless the topic holds
// exactly the records the queue delivered to Kafka, and every record
// enqueued was delivered everywhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/internal/demo"
	"github.com/seed27eed597/flagship-go/kafkatest"
)

const (
	topic      = "flagship-events"
	partitions = 4
)

func main() {
	visitors := flag.Int("visitors", 10_000, "number of simulated visitors")
	workers := flag.Int("workers", 64, "visitors served at the same time")
	outage := flag.Duration("outage", 2*time.Second, "how long the broker is down mid-run (0: no outage)")
	verbose := flag.Bool("v", false, "print the SDK's logs")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code, err := run(ctx, *visitors, *workers, *outage, *verbose)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-kafka:", err)
		code = 1
	}
	os.Exit(code)
}

func run(ctx context.Context, visitors, workers int, outage time.Duration, verbose bool) (int, error) {
	dir, err := os.MkdirTemp("", "flagship-demo-kafka-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	broker, err := kafkatest.Start(dir+"/broker", map[string]int32{topic: partitions})
	if err != nil {
		return 0, err
	}
	defer broker.Close()

	opts := demo.Options{Visitors: visitors, Workers: workers, Dir: dir + "/sdk"}
	if verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ks, err := kafkasink.New(kafkasink.Options{Brokers: []string{broker.Addr()}, Topic: topic, Logger: opts.Logger})
	if err != nil {
		return 0, err
	}
	defer ks.Close()
	sc := ks.Config()
	// The demo is short: retry quickly after the outage.
	sc.RetryInitial, sc.RetryMax = 50*time.Millisecond, 500*time.Millisecond
	opts.Sinks = append(opts.Sinks, sc)
	fmt.Printf("Kafka: topic %q, %d partitions, broker %s (kfake)\n", topic, partitions, broker.Addr())

	outageDone := make(chan error, 1)
	if outage > 0 {
		opts.OnProgress = func(done int) {
			if done != visitors/2 {
				return
			}
			broker.Stop()
			go func() {
				time.Sleep(outage)
				outageDone <- broker.Restart()
			}()
		}
	} else {
		close(outageDone)
	}

	checkTopic := func(rep *demo.Report) error {
		if err := <-outageDone; err != nil {
			return fmt.Errorf("restarting the broker: %w", err)
		}
		var sent uint64
		for _, s := range rep.Queue.Sinks {
			if s.Name == sc.Name {
				sent = s.Sent
			}
		}
		n, err := topicMessages(ctx, broker.Addr())
		if err != nil {
			return err
		}
		fmt.Printf("Kafka topic %q holds %s messages", topic, demo.Count(n))
		if outage > 0 {
			fmt.Printf(" (the broker was down for %v half-way through)", outage)
		}
		fmt.Println()
		if uint64(n) != sent {
			return fmt.Errorf("topic %q holds %d messages, the queue delivered %d", topic, n, sent)
		}
		return nil
	}
	return demo.Main(ctx, os.Stdout, opts, checkTopic), nil
}

// topicMessages sums the topic's end offsets: the number of messages
// produced to it, duplicates included.
func topicMessages(ctx context.Context, addr string) (int64, error) {
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second, Transport: tr}
	req := &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{}}
	for p := range partitions {
		req.Topics[topic] = append(req.Topics[topic], kafka.LastOffsetOf(p))
	}
	resp, err := c.ListOffsets(ctx, req)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return 0, errors.Join(fmt.Errorf("partition %d", p.Partition), p.Error)
		}
		n += p.LastOffset
	}
	return n, nil
}

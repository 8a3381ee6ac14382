// Command demo-kafka runs the offline demo (see examples/demo) with the
// Kafka sink beside Flagship's endpoints: every hit and activation also
// goes to a topic on a local Kafka-protocol broker (kfake, on 127.0.0.1,
// started and stopped by the command).
//
//	make demo-kafka    # or: cd kafkatest && go run ./cmd/demo-kafka
//
// Half-way through, the broker is stopped for -outage (2 s) and restarted
// on the same port: the Kafka backlog waits in the queue file and drains
// after the restart while Flagship's delivery goes on. At the end the
// topic's offsets are summed: the command exits 1 if the topic holds fewer
// messages than the queue delivered to Kafka (more would be duplicates of
// at-least-once delivery, which it reports), or if any record enqueued was
// not delivered everywhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/examples/demo/shop"
	"github.com/seed27eed597/flagship-go/kafkatest"
)

const (
	topic      = "flagship-events"
	partitions = 4
)

type config struct {
	visitors, workers int
	outage            time.Duration
	verbose           bool
}

// result is what a run saw of the Kafka side, for tests.
type result struct {
	sent, retried uint64 // by the Kafka sink
	messages      int64  // in the topic
}

func main() {
	var cfg config
	flag.IntVar(&cfg.visitors, "visitors", 10_000, "number of simulated visitors")
	flag.IntVar(&cfg.workers, "workers", 64, "visitors served at the same time")
	flag.DurationVar(&cfg.outage, "outage", 2*time.Second, "how long the broker is down mid-run (0: no outage)")
	flag.BoolVar(&cfg.verbose, "v", false, "print the SDK's logs")
	flag.Parse()
	if cfg.visitors < 1 || cfg.workers < 1 || cfg.outage < 0 {
		fmt.Fprintln(os.Stderr, "demo-kafka: -visitors and -workers must be at least 1, -outage not negative")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	// A second Ctrl-C kills the process.
	context.AfterFunc(ctx, stop)
	code, _, err := run(ctx, os.Stdout, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo-kafka:", err)
		code = 1
	}
	os.Exit(code)
}

func run(ctx context.Context, w io.Writer, cfg config) (int, result, error) {
	var res result
	dir, err := os.MkdirTemp("", "flagship-demo-kafka-")
	if err != nil {
		return 0, res, err
	}
	defer os.RemoveAll(dir)
	broker, err := kafkatest.Start(dir+"/broker", map[string]int32{topic: partitions})
	if err != nil {
		return 0, res, err
	}
	defer broker.Close()

	opts := shop.Options{Visitors: cfg.visitors, Workers: cfg.workers, Dir: dir + "/sdk"}
	if cfg.verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ks, err := kafkasink.New(kafkasink.Options{Brokers: []string{broker.Addr()}, Topic: topic, Logger: opts.Logger})
	if err != nil {
		return 0, res, err
	}
	defer ks.Close()
	sc := ks.Config()
	// The demo is short: retry quickly after the outage.
	sc.RetryInitial, sc.RetryMax = 50*time.Millisecond, 500*time.Millisecond
	opts.Sinks = append(opts.Sinks, sc)
	opts.FlushTimeout = cfg.outage + 20*time.Second
	fmt.Fprintf(w, "Kafka: topic %q, %d partitions, broker %s (kfake)\n", topic, partitions, broker.Addr())

	// The broker goes down once half the visitors were served, and comes
	// back after the outage (at once if the run is interrupted).
	outageDone := make(chan error, 1)
	if cfg.outage > 0 {
		half := max(1, cfg.visitors/2)
		opts.OnProgress = func(done int) {
			if done != half {
				return
			}
			broker.Stop()
			go func() {
				select {
				case <-time.After(cfg.outage):
				case <-ctx.Done():
				}
				outageDone <- broker.Restart()
			}()
		}
	} else {
		close(outageDone)
	}

	checkTopic := func(rep *shop.Report) error {
		select {
		case err := <-outageDone:
			if err != nil {
				return fmt.Errorf("restarting the broker: %w", err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, s := range rep.Queue.Sinks {
			if s.Name == sc.Name {
				res.sent, res.retried = s.Sent, s.Retried
			}
		}
		n, err := topicMessages(ctx, broker.Addr())
		if err != nil {
			return err
		}
		res.messages = n
		fmt.Fprintf(w, "Kafka topic %q holds %s messages", topic, shop.Count(n))
		if cfg.outage > 0 {
			fmt.Fprintf(w, " (the broker was down for %v half-way through)", cfg.outage)
		}
		fmt.Fprintln(w)
		switch {
		case uint64(n) < res.sent:
			return fmt.Errorf("topic %q holds %d messages, the queue delivered %d", topic, n, res.sent)
		case uint64(n) > res.sent:
			// A send Kafka stored but whose answer was lost is sent again:
			// consumers de-duplicate on the fs-record-id header.
			fmt.Fprintf(w, "  %d duplicates from at-least-once delivery\n", uint64(n)-res.sent)
		}
		return nil
	}
	return shop.Main(ctx, w, opts, checkTopic), res, nil
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

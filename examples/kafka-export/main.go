// Kafka-export shows a service exporting its Flagship hits and activations
// to Kafka, beside Flagship's own endpoints or instead of them, through
// package [github.com/seed27eed597/flagship-go/eventqueue/kafkasink].
//
// It builds a Kafka sink, gives its queue settings to flagship.WithDelivery,
// serves N simulated visitors (Synchronize, read a flag, Activate, a
// PAGEVIEW and an EVENT hit), closes the client, which flushes every
// destination, then the sink, and prints what was enqueued and what each
// destination confirmed.
//
// # Usage
//
//	go run ./examples/kafka-export -brokers HOST:PORT[,HOST:PORT...] [-topic NAME]
//	    [-kafka-only] [-visitors N] [-flag KEY] [-flagship-url URL]
//	    [-cache-dir DIR] [-create-topic] [-timeout D] [-v]
//
// The Flagship side is, in this order:
//
//   - -flagship-url URL: a local Flagship-compatible server, such as
//     "go run ./cmd/flagship serve --bucketing FILE", whose first output
//     line is its base URL (given to flagship.WithEndpoints as
//     Endpoints.Base). FLAGSHIP_ENV_ID (default "flagshiptest-env") and
//     FLAGSHIP_API_KEY (optional) name the environment.
//   - FLAGSHIP_ENV_ID and FLAGSHIP_API_KEY without -flagship-url:
//     Flagship itself. The flag read (-flag, default "btn-color") should
//     be one of the environment's; visitors without it activate nothing.
//   - neither: an in-process Flagship server on 127.0.0.1 with one A/B
//     campaign setting "btn-color" to "blue" or "green", so that the
//     program needs nothing but a broker.
//
// # A real broker
//
// Point -brokers at the cluster's bootstrap brokers. The topic must exist
// (the sink does not create topics unless -create-topic is given and the
// brokers allow it): a missing topic is retried, and the records wait in
// the queue file until -timeout ends the final flush.
//
//	kafka-topics.sh --bootstrap-server kafka-1:9092 --create --topic flagship-events --partitions 4
//	go run ./examples/kafka-export -brokers kafka-1:9092,kafka-2:9092 -visitors 1000
//
// To try it on one machine, a single-node Kafka in a container will do:
//
//	docker run --rm -p 9092:9092 apache/kafka
//	go run ./examples/kafka-export -brokers localhost:9092 -create-topic
//
// # A local broker without Kafka
//
// The kafkatest module runs a Kafka-protocol broker (franz-go's kfake) on
// 127.0.0.1, the broker `make demo-kafka` starts and stops around its
// own run. To keep one running for this program (it needs Go 1.26):
//
//	cd kafkatest && go run ./cmd/broker -topic flagship-events   # prints 127.0.0.1:PORT
//	go run ./examples/kafka-export -brokers 127.0.0.1:PORT
//
// kafkatest's TestKafkaExport builds this program and runs it against
// such a broker, with and without -kafka-only, then reads every message
// back.
//
// # Output and exit status
//
// The summary lists the records enqueued, by kind and hit type (the
// SEGMENT hits are the visitors' contexts, which Synchronize queues in
// BUCKETING mode), and per destination the records delivered, waiting
// and dead-lettered. The exit status is 1 when the run failed or left
// anything undelivered, and 2 for bad flags. A run in a temporary cache
// directory that left records undelivered keeps the directory and says
// where: run again with -cache-dir to send them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// config is what the flags and the environment ask for.
type config struct {
	brokers     []string
	topic       string
	kafkaOnly   bool
	visitors    int
	flag        string
	createTopic bool
	cacheDir    string // "" for a temporary directory
	timeout     time.Duration
	verbose     bool

	// The Flagship side: flagshipURL for a local server, envID and apiKey
	// alone for Flagship itself, none of them for an in-process server.
	flagshipURL string
	envID       string
	apiKey      string
}

// inProcess reports whether the program serves its own Flagship.
func (c *config) inProcess() bool { return c.flagshipURL == "" && c.envID == "" }

const usage = `Usage: kafka-export -brokers HOST:PORT[,...] [flags]

Kafka-export serves simulated visitors through a Flagship client whose hits
and activations also go to Kafka (or only there, with -kafka-only), then
prints what each destination received.

Flagship: -flagship-url for a local server ("flagship serve"), else the
FLAGSHIP_ENV_ID and FLAGSHIP_API_KEY environment variables for Flagship
itself, else an in-process server on 127.0.0.1.

Flags:
`

// parseConfig reads the flags in args and the FLAGSHIP_* variables of
// getenv. It returns flag.ErrHelp for -h.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("kafka-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var cfg config
	var brokers string
	fs.StringVar(&brokers, "brokers", "", "the Kafka bootstrap `brokers`, host:port separated by commas (required)")
	fs.StringVar(&cfg.topic, "topic", "flagship-events", "the Kafka `topic` of every record")
	fs.BoolVar(&cfg.kafkaOnly, "kafka-only", false, "deliver to Kafka alone, not to Flagship's endpoints")
	fs.IntVar(&cfg.visitors, "visitors", 100, "how many visitors to simulate")
	fs.StringVar(&cfg.flag, "flag", "btn-color", "the flag `key` each visitor reads and activates")
	fs.StringVar(&cfg.flagshipURL, "flagship-url", "", "base `URL` of a local Flagship server (flagship serve); default Flagship itself with FLAGSHIP_ENV_ID and FLAGSHIP_API_KEY, or an in-process server without them")
	fs.StringVar(&cfg.cacheDir, "cache-dir", "", "`directory` of the bucketing cache and queue file (default a temporary one)")
	fs.BoolVar(&cfg.createTopic, "create-topic", false, "let the brokers create a missing topic (if their auto.create.topics.enable allows)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "bound on the start-up and on the final flush")
	fs.BoolVar(&cfg.verbose, "v", false, "log the SDK's and kafka-go's debug messages to standard error")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	fail := func(format string, a ...any) (config, error) {
		err := fmt.Errorf(format, a...)
		fmt.Fprintln(stderr, "kafka-export:", err)
		fs.Usage()
		return config{}, err
	}
	if fs.NArg() > 0 {
		return fail("unexpected arguments %q", fs.Args())
	}
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.brokers = append(cfg.brokers, b)
		}
	}
	switch {
	case len(cfg.brokers) == 0:
		return fail("-brokers is required")
	case cfg.topic == "":
		return fail("-topic must not be empty")
	case cfg.visitors < 1:
		return fail("-visitors %d: want at least 1", cfg.visitors)
	case cfg.flag == "":
		return fail("-flag must not be empty")
	case cfg.timeout <= 0:
		return fail("-timeout %v: want a positive duration", cfg.timeout)
	}
	cfg.envID, cfg.apiKey = getenv("FLAGSHIP_ENV_ID"), getenv("FLAGSHIP_API_KEY")
	if cfg.flagshipURL != "" {
		if cfg.envID == "" {
			cfg.envID = flagshiptest.EnvID
		}
		return cfg, nil
	}
	if cfg.envID == "" && cfg.apiKey != "" || cfg.envID != "" && cfg.apiKey == "" {
		return fail("Flagship needs both FLAGSHIP_ENV_ID and FLAGSHIP_API_KEY (or -flagship-url for a local server, or neither for an in-process one)")
	}
	return cfg, nil
}

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err = run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "kafka-export:", err)
		os.Exit(1)
	}
}

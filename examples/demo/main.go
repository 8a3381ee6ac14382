// Command demo runs the SDK end to end, offline, in one command:
//
//	make demo          # or: go run ./examples/demo
//
// It starts a local Flagship-compatible server (package flagshiptest) on
// 127.0.0.1 serving the bundled bucketing file (examples/data), creates a
// client in BUCKETING mode with its durable queue, and runs 10,000
// simulated visitors through a shop: synchronize, read flags, activate
// what they saw, and send Page, Event, Transaction and Item hits. The
// local server fails a few requests on purpose so that retries show.
//
// It prints, per campaign, the observed split beside the configured
// allocation, the delivery counters per destination, and the decision
// latency. It exits 1 if any record enqueued was not delivered.
//
// Flags:
//
//	-visitors N   number of simulated visitors (default 10000)
//	-workers N    visitors served at the same time (default 64)
//	-v            print the SDK's logs
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

	"github.com/seed27eed597/flagship-go/examples/demo/shop"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	context.AfterFunc(ctx, stop) // a second Ctrl-C kills the process
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses the flags and runs the demo; it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	visitors := fs.Int("visitors", 10_000, "number of simulated visitors")
	workers := fs.Int("workers", 64, "visitors served at the same time")
	verbose := fs.Bool("v", false, "print the SDK's logs")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *visitors < 1 || *workers < 1 {
		fmt.Fprintln(stderr, "demo: -visitors and -workers must be at least 1")
		return 2
	}
	opts := shop.Options{Visitors: *visitors, Workers: *workers}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return shop.Main(ctx, stdout, opts)
}

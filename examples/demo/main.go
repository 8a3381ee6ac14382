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
	"flag"
	"log/slog"
	"os"
	"os/signal"

	"github.com/seed27eed597/flagship-go/internal/demo"
)

func main() {
	visitors := flag.Int("visitors", 10_000, "number of simulated visitors")
	workers := flag.Int("workers", 64, "visitors served at the same time")
	verbose := flag.Bool("v", false, "print the SDK's logs")
	flag.Parse()
	opts := demo.Options{Visitors: *visitors, Workers: *workers}
	if *verbose {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := demo.Main(ctx, os.Stdout, opts)
	stop()
	os.Exit(code)
}

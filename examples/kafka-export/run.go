package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// workers is how many visitors are served at a time, as a web server
// serves concurrent requests (concurrent enqueues share one fsync).
const workers = 8

// errUndelivered is returned by run when records were left undelivered.
var errUndelivered = errors.New("records left undelivered")

// run exports the hits and activations of cfg.visitors simulated
// visitors to Kafka, and prints a summary to stdout. Ending ctx stops the
// visitors; what they queued is still flushed, for up to cfg.timeout.
func run(ctx context.Context, cfg config, stdout io.Writer) (err error) {
	level := slog.LevelWarn
	if cfg.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir := cfg.cacheDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kafka-export-"); err != nil {
			return err
		}
		defer func() {
			if errors.Is(err, errUndelivered) {
				fmt.Fprintf(stdout, "the undelivered records are kept in %s: run again with -cache-dir %s to send them\n", dir, dir)
				return
			}
			_ = os.RemoveAll(dir)
		}()
	}

	// The Flagship side.
	var opts []flagship.Option
	var local *flagshiptest.Handler
	envID, apiKey, where := cfg.envID, cfg.apiKey, "Flagship"
	switch {
	case cfg.inProcess():
		h, url, stop, err := serveLocalFlagship()
		if err != nil {
			return err
		}
		defer stop() // after the client's Close, which delivers to it
		local, envID, apiKey = h, h.EnvID(), "local-key"
		opts = []flagship.Option{flagship.WithEndpoints(flagship.Endpoints{Base: url})}
		where = "an in-process Flagship server at " + url
	case cfg.flagshipURL != "":
		// The base URL "flagship serve" prints.
		opts = []flagship.Option{flagship.WithEndpoints(flagship.Endpoints{Base: cfg.flagshipURL})}
		where = "the Flagship server at " + cfg.flagshipURL
	}

	// The Kafka sink: closed after the client, whose Close flushes
	// through it.
	ks, err := kafkasink.New(kafkasink.Options{
		Brokers:          cfg.brokers,
		Topic:            cfg.topic,
		AutoCreateTopics: cfg.createTopic,
		Logger:           logger.With("component", "kafkasink"),
	})
	if err != nil {
		return err
	}
	ksClosed := false
	defer func() {
		if !ksClosed {
			_ = ks.Close()
		}
	}()

	opts = append(opts,
		flagship.WithMode(flagship.Bucketing),
		flagship.WithCacheDir(dir),
		flagship.WithDelivery(flagship.DeliveryOptions{
			Sinks:  []eventqueue.SinkConfig{ks.Config()},
			NoHTTP: cfg.kafkaOnly, // Kafka alone: Flagship's endpoints get nothing
		}),
		flagship.WithLogger(logger),
	)
	startCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	client, err := flagship.New(startCtx, envID, apiKey, opts...)
	if errors.Is(err, flagship.ErrNotReady) {
		_ = client.Close(context.WithoutCancel(ctx)) // nothing was queued
		return fmt.Errorf("no bucketing file from %s: %w", where, err)
	}
	if err != nil {
		return err
	}
	to := "and to Flagship's endpoints"
	if cfg.kafkaOnly {
		to = "only (-kafka-only)"
	}
	fmt.Fprintf(stdout, "kafka-export: %d visitors of environment %s, on %s\n", cfg.visitors, envID, where)
	fmt.Fprintf(stdout, "records go to Kafka topic %q at %s %s\n", cfg.topic, strings.Join(cfg.brokers, ","), to)

	tally, visitErr := serveVisitors(ctx, client, cfg)

	// Close flushes every destination; ctx may be over (interrupted), the
	// flush gets its own time.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.timeout)
	defer cancel()
	closeErr := client.Close(closeCtx)
	if closeErr != nil {
		// Close returned at the end of its flush: wait for it to close
		// the queue file, so that what is left is on disk.
		waitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = client.Close(waitCtx)
	}
	ksClosed = true
	ksErr := ks.Close()

	st := client.QueueStats()
	undelivered := printSummary(stdout, cfg, tally, st, local)
	err = errors.Join(visitErr, closeErr, ksErr)
	if undelivered > 0 {
		err = errors.Join(err, fmt.Errorf("%w: %d", errUndelivered, undelivered))
	}
	return err
}

// tally counts what the visitors queued. It is safe for concurrent use.
type tally struct {
	mu                         sync.Mutex
	pages, events, activations int
	// served counts the flag's values served, "(not set)" for visitors
	// without the flag, who activate nothing.
	served map[string]int
}

// add adds one to *n.
func (t *tally) add(n *int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	*n++
}

func (t *tally) serve(value string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.served[value]++
}

// serveVisitors runs cfg.visitors visitors, workers at a time, and
// returns what they queued. It stops at the first error.
func serveVisitors(ctx context.Context, c *flagship.Client, cfg config) (*tally, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	t := &tally{served: map[string]int{}}
	var (
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, cfg.visitors) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := serveVisitor(ctx, c, cfg.flag, i, t); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
				}
			}
		}()
	}
feed:
	for i := range cfg.visitors {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = context.Cause(ctx)
	}
	return t, firstErr
}

// plans are the visitors' contexts: with a context, Synchronize queues a
// SEGMENT hit in BUCKETING mode.
var plans = [...]string{"free", "pro", "enterprise"}

// serveVisitor is one visitor's request: decide, read and activate the
// flag, and send a page view and an event. It counts in t what it
// queued.
func serveVisitor(ctx context.Context, c *flagship.Client, flag string, i int, t *tally) error {
	id := fmt.Sprintf("visitor-%04d", i)
	v, err := c.NewVisitor(id, visitor.Attributes{"plan": plans[i%len(plans)]})
	if err != nil {
		return err
	}
	if err := v.Synchronize(ctx); err != nil {
		return err
	}
	served := "(not set)"
	if v.Has(flag) {
		served = fmt.Sprint(v.Value(flag, nil))
		if err := v.Activate(ctx, flag); err != nil {
			return err
		}
		t.add(&t.activations)
	}
	t.serve(served)
	url := fmt.Sprintf("https://shop.example/products/%d", i)
	if err := v.SendHit(ctx, hits.Page{URL: url}); err != nil {
		return err
	}
	t.add(&t.pages)
	add := hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: served, Value: int64(i%5 + 1)}
	if err := v.SendHit(ctx, add); err != nil {
		return err
	}
	t.add(&t.events)
	return nil
}

// serveLocalFlagship serves a Flagship environment with one A/B campaign
// on 127.0.0.1 until stop is called.
func serveLocalFlagship() (h *flagshiptest.Handler, url string, stop func(), err error) {
	h, err = flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("btn-color-test",
			flagshiptest.Variation("blue", 50, map[string]any{"btn-color": "blue"}),
			flagshiptest.Variation("green", 50, map[string]any{"btn-color": "green"}),
		),
	))
	if err != nil {
		return nil, "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // http.ErrServerClosed after Shutdown
	}()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}
	return h, "http://" + ln.Addr().String(), stop, nil
}

// printSummary prints what was enqueued and delivered, and returns how
// many records this run left undelivered: waiting for a destination of
// this run, dead-lettered, or refused by a full queue.
func printSummary(w io.Writer, cfg config, t *tally, st eventqueue.Stats, local *flagshiptest.Handler) (undelivered int) {
	var served []string
	for v, n := range t.served {
		served = append(served, fmt.Sprintf("%s %d", v, n))
	}
	slices.Sort(served)
	fmt.Fprintf(w, "flag %q served: %s\n", cfg.flag, strings.Join(served, ", "))

	// Synchronize queued the rest: one SEGMENT hit per visitor context.
	segments := int(st.Enqueued) - t.pages - t.events - t.activations
	fmt.Fprintf(w, "enqueued %d records: %d hits (%d PAGEVIEW, %d EVENT, %d SEGMENT), %d activations\n",
		st.Enqueued, t.pages+t.events+segments, t.pages, t.events, segments, t.activations)
	if st.RejectedFull > 0 {
		fmt.Fprintf(w, "refused (queue full): %d\n", st.RejectedFull)
		undelivered += int(st.RejectedFull)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "destination\tdelivered\twaiting\tdead-lettered\tretried")
	for _, s := range st.Sinks {
		name := s.Name
		if s.Name == kafkasink.DefaultName {
			name += " (topic " + cfg.topic + ")"
		}
		if !s.Configured {
			// A backlog an earlier run left in the -cache-dir file.
			name += " (not used by this run)"
		} else {
			undelivered += int(s.Depth) + int(s.DeadLettered)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", name, s.Sent, s.Depth, s.DeadLettered, s.Retried)
	}
	tw.Flush()
	if local != nil {
		fmt.Fprintf(w, "the in-process Flagship server received %d hits and %d activations\n",
			len(local.Hits()), len(local.Activations()))
	}
	return undelivered
}

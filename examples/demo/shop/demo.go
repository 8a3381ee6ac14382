package shop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/examples/data"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// EnvID is the environment the demo's local server serves.
const EnvID = "demo-shop-env"

// Options configures Run. The zero value runs the demo as `make demo` does.
type Options struct {
	// Visitors is the number of simulated visitors; default 10,000.
	Visitors int
	// Workers is how many visitors are served at the same time, like a
	// web server's concurrent requests; default 64.
	Workers int
	// Dir is where the client keeps its cache and queue file; default a
	// temporary directory removed when Run returns.
	Dir string
	// Bucketing is the bucketing file served; default the bundled
	// examples/data/bucketing.json.
	Bucketing []byte
	// Sinks are more destinations for every record, beside Flagship's
	// endpoints (for example Kafka).
	Sinks []eventqueue.SinkConfig
	// NoFaults turns off the failures the local server injects (two 503s
	// on the events endpoint, one dropped connection on activation) to
	// show retries.
	NoFaults bool
	// Logger receives the SDK's logs; default discarded.
	Logger *slog.Logger
	// OnProgress, if set, is called after each visitor with the number
	// of visitors done so far, from the goroutine that served it.
	OnProgress func(done int)
	// FlushTimeout bounds the final delivery; default 20 s.
	FlushTimeout time.Duration
}

// Run serves opts.Visitors visitors and returns what happened. It returns
// an error only when the demo could not run; a run that left records
// undelivered returns a Report whose Check fails.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Visitors <= 0 {
		opts.Visitors = 10_000
	}
	if opts.Workers <= 0 {
		opts.Workers = 64
	}
	if opts.Bucketing == nil {
		opts.Bucketing = data.Bucketing
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Dir == "" {
		dir, err := os.MkdirTemp("", "flagship-demo-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		opts.Dir = dir
	}

	file, err := bucketing.Parse(opts.Bucketing)
	if err != nil {
		return nil, err
	}
	cfg, err := bucketing.Compile(file)
	if err != nil {
		return nil, err
	}
	handler, err := flagshiptest.NewHandler(EnvID, flagshiptest.WithBucketingFile(opts.Bucketing))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		<-served
	}()
	baseURL := "http://" + ln.Addr().String()

	faults := 0
	if !opts.NoFaults {
		// The first two hit batches meet an unavailable collector and the
		// first activation batch a dropped connection: the queue retries.
		if err := handler.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable}); err != nil {
			return nil, err
		}
		if err := handler.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteActivate, Drop: true}); err != nil {
			return nil, err
		}
		faults = 3
	}

	clientOpts := []flagship.Option{
		flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Base: baseURL}),
		flagship.WithCacheDir(opts.Dir),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: time.Minute}),
		flagship.WithDelivery(flagship.DeliveryOptions{
			RetryInitial: 50 * time.Millisecond,
			RetryMax:     time.Second,
			Sinks:        opts.Sinks,
		}),
		flagship.WithLogger(opts.Logger),
	}
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := flagship.New(startCtx, EnvID, "demo-api-key", clientOpts...)
	if err != nil && !errors.Is(err, flagship.ErrNotReady) {
		return nil, err // nothing is left running
	}
	closed := false
	defer func() {
		if !closed {
			// An aborted run: deliver what can be in a moment, leave the
			// rest in the queue file.
			closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = client.Close(closeCtx)
		}
	}()
	if err != nil { // ErrNotReady: a client, but no bucketing file before startCtx ended
		return nil, fmt.Errorf("demo: waiting for the bucketing file: %w", err)
	}

	rep := newReport(file, opts.Visitors)
	rep.ServerURL = baseURL
	sh := &shop{client: client, explainer: bucketing.NewEngine(bucketing.Options{})}
	sh.explainer.Update(cfg)

	// The first failure stops every worker.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()
	start := time.Now()
	var (
		next    atomic.Int64
		done    atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
		runErr  error
		workers = make([]*tally, opts.Workers)
	)
	for w := range workers {
		workers[w] = newTally(rep)
		wg.Add(1)
		go func(t *tally) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= opts.Visitors || runCtx.Err() != nil {
					return
				}
				if err := sh.visit(runCtx, i, t); err != nil {
					mu.Lock()
					if runErr == nil {
						runErr = err
					}
					mu.Unlock()
					cancelRun()
					return
				}
				if opts.OnProgress != nil {
					opts.OnProgress(int(done.Add(1)))
				}
			}
		}(workers[w])
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, runErr
	}
	rep.Simulated = time.Since(start)

	// Deliver what the queue holds now rather than waiting for batches to
	// fill, then stop the client: what it delivered is final.
	if opts.FlushTimeout <= 0 {
		opts.FlushTimeout = 20 * time.Second
	}
	flushCtx, cancelFlush := context.WithTimeout(ctx, opts.FlushTimeout)
	defer cancelFlush()
	flushErr := client.Flush(flushCtx)
	closed = true
	if err := client.Close(flushCtx); err != nil {
		if flushErr == nil {
			flushErr = err
		}
		// Close gave up delivering (the rest stays in the queue file);
		// wait for the client's goroutines, which now stop promptly.
		waitCtx, cancelWait := context.WithTimeout(context.Background(), 5*time.Second)
		_ = client.Close(waitCtx)
		cancelWait()
	}
	rep.FlushErr = flushErr
	rep.Elapsed = time.Since(start)
	rep.Queue = client.QueueStats()
	if fi, err := os.Stat(filepath.Join(opts.Dir, flagship.QueueFileName)); err == nil {
		rep.QueueFileBytes = fi.Size()
	}

	for _, t := range workers {
		rep.merge(t)
	}
	rep.countServer(handler)
	if faults > 0 {
		rep.FaultsInjected = handler.FaultedRequests()
	}
	slices.Sort(rep.syncLatencies)
	slices.Sort(rep.decideLatencies)
	return rep, nil
}

// Main runs the demo with opts, prints the report to w, and returns the
// process exit code: 0 when every record was delivered, 1 otherwise.
func Main(ctx context.Context, w io.Writer, opts Options, extra ...func(*Report) error) int {
	rep, err := Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(w, "demo: %v\n", err)
		return 1
	}
	rep.Render(w)
	code := 0
	for _, check := range extra {
		if err := check(rep); err != nil {
			fmt.Fprintf(w, "FAIL: %v\n", err)
			code = 1
		}
	}
	if err := rep.Check(); err != nil {
		fmt.Fprintf(w, "FAIL: %v\n", err)
		return 1
	}
	if code == 0 {
		fmt.Fprintln(w, "OK: every record enqueued was delivered.")
	}
	return code
}

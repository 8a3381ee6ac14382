// Command prometheus serves the metrics of a Flagship client on /metrics,
// in Prometheus' text format, through OpenTelemetry's Prometheus exporter
// (go.opentelemetry.io/otel/exporters/prometheus):
//
//	go run ./examples/prometheus                          # offline, against a local Flagship server
//	go run ./examples/prometheus -env ENV_ID -key API_KEY # against Flagship
//	curl -s http://127.0.0.1:9464/metrics | grep ^flagship_
//
// The client runs in BUCKETING mode with an fsotel.Observer on a
// MeterProvider whose reader is the exporter, registered in a registry of
// its own. Without -env, the program starts a local Flagship-compatible
// server (package flagshiptest) on 127.0.0.1 with one A/B test, and
// keeps the client's files in a temporary directory. It simulates
// -visitors visitors (synchronize, read a flag, activate it, send a hit),
// flushes, prints the metrics URL, then again every -every until
// interrupted.
//
// Flags:
//
//	-addr ADDR     where to serve /metrics (default 127.0.0.1:9464)
//	-env ID        Flagship environment id ("" runs the local server)
//	-key KEY       Flagship API key (with -env)
//	-visitors N    visitors simulated each time (default 10)
//	-every D       how often to simulate them again (default 1s; 0: once)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"

	fsotel "github.com/seed27eed597/flagship-go/contrib/otel"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg, err := parse(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	} else if err != nil {
		os.Exit(2)
	}
	if err := run(ctx, cfg, os.Stderr, func(url string) { fmt.Println("metrics on", url) }); err != nil {
		fmt.Fprintln(os.Stderr, "prometheus:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	addr     string
	envID    string
	apiKey   string
	visitors int
	every    time.Duration
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("prometheus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:9464", "where to serve /metrics")
	fs.StringVar(&c.envID, "env", "", `Flagship environment id ("" runs a local server)`)
	fs.StringVar(&c.apiKey, "key", "", "Flagship API key (with -env)")
	fs.IntVar(&c.visitors, "visitors", 10, "visitors simulated each time")
	fs.DurationVar(&c.every, "every", time.Second, "how often to simulate them again (0: once)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if c.envID != "" && c.apiKey == "" {
		fmt.Fprintln(stderr, "prometheus: -env needs -key")
		return c, errors.New("-env needs -key")
	}
	return c, nil
}

// run serves the metrics of a client until ctx ends; it calls ready with
// the metrics URL once the first visitors were simulated and flushed.
func run(ctx context.Context, cfg config, logs io.Writer, ready func(metricsURL string)) (err error) {
	var wg sync.WaitGroup // the HTTP servers' goroutines
	defer wg.Wait()

	// OpenTelemetry: the exporter is the MeterProvider's reader, and
	// registers its collector in a registry of our own.
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter),
		sdkmetric.WithResource(resource.NewSchemaless(attribute.String("service.name", "flagship-example"))))
	defer func() { err = errors.Join(err, mp.Shutdown(context.Background())) }() // after the client's Close
	obs, err := fsotel.New(fsotel.Options{MeterProvider: mp})
	if err != nil {
		return err
	}

	opts := []flagship.Option{
		flagship.WithMode(flagship.Bucketing),
		flagship.WithObserver(obs),
		flagship.WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		flagship.WithDelivery(flagship.DeliveryOptions{FlushInterval: 200 * time.Millisecond}),
	}
	envID, apiKey := cfg.envID, cfg.apiKey
	if envID == "" {
		local, stopLocal, err := startLocalFlagship(&wg)
		if err != nil {
			return err
		}
		defer stopLocal()
		dir, err := os.MkdirTemp("", "flagship-prometheus-example")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		envID, apiKey = flagshiptest.EnvID, "local-api-key"
		opts = append(opts, flagshiptest.ClientOptions(local, dir)...)
	}
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := flagship.New(startCtx, envID, apiKey, opts...)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, client.Close(cctx))
	}()

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	wg.Go(func() { _ = srv.Serve(ln) })
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, srv.Shutdown(sctx))
	}()

	if err := simulate(ctx, client, cfg.visitors); err != nil {
		return err
	}
	ready("http://" + ln.Addr().String() + "/metrics")
	if cfg.every <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(cfg.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := simulate(ctx, client, cfg.visitors); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}

// simulate runs n visitors through a page, then flushes what they sent.
func simulate(ctx context.Context, c *flagship.Client, n int) error {
	for i := range n {
		v, err := c.NewVisitor("visitor-"+strconv.Itoa(i), visitor.Attributes{"plan": "gold"})
		if err != nil {
			return err
		}
		if err := v.Synchronize(ctx); err != nil {
			return err
		}
		_ = v.String("btn-color", "grey")
		if err := v.Activate(ctx, "btn-color"); err != nil {
			return err
		}
		if err := v.SendHit(ctx, hits.Page{URL: "https://shop.example/"}); err != nil {
			return err
		}
	}
	return c.Flush(ctx)
}

// startLocalFlagship serves a local Flagship API on 127.0.0.1 with one
// A/B test; it returns its base URL and the function that stops it.
func startLocalFlagship(wg *sync.WaitGroup) (string, func(), error) {
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("btn",
			flagshiptest.Variation("blue", 50, map[string]any{"btn-color": "blue"}),
			flagshiptest.Variation("green", 50, map[string]any{"btn-color": "green"}))))
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	wg.Go(func() { _ = srv.Serve(ln) })
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

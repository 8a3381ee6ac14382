// Webshop is a small shop service that uses the SDK as a backend does: a
// middleware makes each request's visitor (its id from a cookie, its
// context from the request) and synchronizes it; the handlers read flags,
// activate what they show and track page views and purchases; and the
// process shuts down gracefully, delivering the queued hits before it
// exits.
//
// Routes:
//
//	GET  /          the catalog; the cta_color and banner flags decide its look
//	GET  /checkout  the checkout flow the checkout_flow flag selects
//	POST /purchase  {"items":[{"sku":"TEE-001","quantity":2}]}: an order, tracked
//	GET  /healthz   liveness, with the SDK's status
//
// # Running it
//
// Against a local Flagship server serving this directory's campaigns:
//
//	go run ./cmd/flagship serve --bucketing examples/webshop/campaigns.json --addr 127.0.0.1:8080
//
//	FLAGSHIP_ENV_ID=flagshiptest-env FLAGSHIP_API_KEY=any \
//	FLAGSHIP_BASE_URL=http://127.0.0.1:8080 FLAGSHIP_MODE=bucketing \
//	go run ./examples/webshop -addr 127.0.0.1:8000
//
//	curl -c jar -b jar -A 'Mozilla/5.0 (iPhone) Mobile' 127.0.0.1:8000/
//	curl -c jar -b jar 127.0.0.1:8000/checkout
//	curl -c jar -b jar -d '{"items":[{"sku":"TEE-001","quantity":2}]}' 127.0.0.1:8000/purchase
//
// Without FLAGSHIP_BASE_URL it talks to Flagship itself.
//
// # Configuration
//
//	FLAGSHIP_ENV_ID    the environment id (required)
//	FLAGSHIP_API_KEY   the API key (required)
//	FLAGSHIP_MODE      decision_api (default) or bucketing
//	FLAGSHIP_BASE_URL  the base URL of a Flagship-compatible server, such as
//	                   the one "flagship serve" prints
//	FLAGSHIP_CACHE_DIR where the SDK keeps its queue and bucketing files
//	                   (default: the user's cache directory)
//	-addr              the address to listen on (default localhost:8000)
//
// SIGINT or SIGTERM stops it: the server stops accepting connections and
// finishes the requests in flight (up to 10 s), then the SDK delivers the
// queued hits and activations (up to 5 s). Whatever it could not deliver
// stays in the queue file, and the next start sends it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
)

const (
	// startTimeout bounds the wait for the first bucketing file; the
	// shop starts on default flags if it ends first.
	startTimeout = 5 * time.Second
	// shutdownTimeout bounds the wait for requests in flight at exit.
	shutdownTimeout = 10 * time.Second
	// closeTimeout bounds the delivery of queued hits at exit.
	closeTimeout = 5 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		logger.Error("webshop failed", slog.Any("err", err))
		os.Exit(1)
	}
}

// run parses the flags and the environment, starts the client and serves
// until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger) error {
	fset := flag.NewFlagSet("webshop", flag.ContinueOnError)
	addr := fset.String("addr", "localhost:8000", "the `address` to listen on")
	if err := fset.Parse(args); err != nil {
		return err
	}
	cfg, err := configFromEnv(getenv)
	if err != nil {
		return err
	}
	client, err := newClient(ctx, cfg, logger)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		return errors.Join(fmt.Errorf("webshop: %w", err), client.Close(closeCtx))
	}
	logger.Info("webshop listening", slog.String("addr", "http://"+l.Addr().String()),
		slog.String("flagship_env", cfg.envID), slog.String("flagship_mode", cfg.mode.String()))
	return serve(ctx, l, client, logger)
}

// config is the SDK's configuration, from the environment.
type config struct {
	envID    string
	apiKey   secret
	mode     flagship.Mode
	baseURL  string // "" for Flagship's own endpoints
	cacheDir string // "" for the SDK's default
}

// secret is a string that never shows in logs or formatted output.
type secret string

func (secret) String() string { return "REDACTED" }

func (secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// configFromEnv reads the FLAGSHIP_* variables through getenv.
func configFromEnv(getenv func(string) string) (config, error) {
	cfg := config{
		envID:    getenv("FLAGSHIP_ENV_ID"),
		apiKey:   secret(getenv("FLAGSHIP_API_KEY")),
		baseURL:  strings.TrimSuffix(getenv("FLAGSHIP_BASE_URL"), "/"),
		cacheDir: getenv("FLAGSHIP_CACHE_DIR"),
	}
	var errs []error
	if cfg.envID == "" {
		errs = append(errs, errors.New("FLAGSHIP_ENV_ID is not set"))
	}
	if cfg.apiKey == "" {
		errs = append(errs, errors.New("FLAGSHIP_API_KEY is not set"))
	}
	switch m := getenv("FLAGSHIP_MODE"); strings.ToLower(m) {
	case "", "decision_api":
		cfg.mode = flagship.DecisionAPI
	case "bucketing":
		cfg.mode = flagship.Bucketing
	default:
		errs = append(errs, fmt.Errorf("FLAGSHIP_MODE %q: want decision_api or bucketing", m))
	}
	if err := errors.Join(errs...); err != nil {
		return config{}, fmt.Errorf("webshop: %w", err)
	}
	return cfg, nil
}

// options returns the client options for cfg.
func (cfg config) options(logger *slog.Logger) []flagship.Option {
	opts := []flagship.Option{flagship.WithMode(cfg.mode), flagship.WithLogger(logger)}
	if cfg.baseURL != "" {
		// A Flagship-compatible server by its base URL, the one "flagship
		// serve" prints: the SDK derives every endpoint from it.
		opts = append(opts, flagship.WithEndpoints(flagship.Endpoints{Base: cfg.baseURL}))
	}
	if cfg.cacheDir != "" {
		opts = append(opts, flagship.WithCacheDir(cfg.cacheDir))
	}
	return opts
}

// newClient starts the SDK. In bucketing mode it waits up to startTimeout
// for the first bucketing file, then starts anyway: flags serve their
// defaults until the file arrives.
func newClient(ctx context.Context, cfg config, logger *slog.Logger) (*flagship.Client, error) {
	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	client, err := flagship.New(startCtx, cfg.envID, string(cfg.apiKey), cfg.options(logger)...)
	if errors.Is(err, flagship.ErrNotReady) {
		// A working client: it keeps downloading the file. The error
		// says why it has none yet (URL, status, environment).
		logger.Warn("no decision data yet: serving default flags until it arrives", "err", err)
		return client, nil
	}
	if err != nil {
		return nil, fmt.Errorf("webshop: %w", err)
	}
	return client, nil
}

// serve serves the shop on l until ctx ends, then shuts down: it stops
// accepting connections and waits up to shutdownTimeout for the requests
// in flight (http.Server.Shutdown), then closes client, which delivers
// the queued hits and activations for up to closeTimeout. serve owns l
// and client: both are closed when it returns. It returns nil after a
// clean shutdown.
func serve(ctx context.Context, l net.Listener, client *flagship.Client, logger *slog.Logger) error {
	srv := &http.Server{
		Handler:           newServer(client, logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	var errs []error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case err := <-served:
		// Serve never returns nil; ErrServerClosed only after Shutdown.
		errs = append(errs, fmt.Errorf("webshop: serve: %w", err))
		served = nil
	}

	// The signal's ctx is done: the shutdown gets its own deadlines.
	base := context.WithoutCancel(ctx)
	shutdownCtx, cancel := context.WithTimeout(base, shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("webshop: shutdown: %w", err))
		_ = srv.Close() // cut the requests still running
	}
	if served != nil {
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("webshop: serve: %w", err))
		}
	}

	// No request runs any more: nothing new reaches the queue.
	closeCtx, cancelClose := context.WithTimeout(base, closeTimeout)
	defer cancelClose()
	if err := client.Close(closeCtx); err != nil {
		errs = append(errs, fmt.Errorf("webshop: %w", err))
	}
	logger.Info("stopped")
	return errors.Join(errs...)
}

package peerbench_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	gb "github.com/growthbook/growthbook-golang"
	ld "github.com/launchdarkly/go-server-sdk/v7"
	"github.com/launchdarkly/go-server-sdk/v7/interfaces"
	"github.com/launchdarkly/go-server-sdk/v7/ldcomponents"
	"github.com/launchdarkly/go-server-sdk/v7/testhelpers/ldtestdata"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/peerbench"
	"github.com/seed27eed597/flagship-go/visitor"
)

const envID = "peerbench"

// newFlagship starts a BUCKETING client with the default options except
// the endpoints: the bucketing file and the hit and activation endpoints
// are served on 127.0.0.1 (hits are answered 200 and dropped), the cache
// directory is a temporary one, and polling is off. The SDK's warnings go
// to the test log at the end (see logTo), not to stderr, where they would
// split a benchmark's result line.
func newFlagship(tb testing.TB, flags []peerbench.Flag) *flagship.Client {
	tb.Helper()
	file := peerbench.BucketingJSON(flags)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/"+envID+"/bucketing.json" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(file)
			return
		}
		w.WriteHeader(http.StatusOK) // hits and activations
	}))
	tb.Cleanup(srv.Close)
	dir := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, envID, "peerbench-api-key",
		flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL}),
		flagship.WithCacheDir(dir),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: -1}),
		flagship.WithLogger(logTo(tb)),
	)
	if err != nil {
		tb.Fatalf("flagship.New: %v", err)
	}
	// Registered after srv.Close and TempDir, so it runs before them: the
	// queue is flushed to the server and closed before both go away.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			tb.Errorf("flagship Close: %v", err)
		}
	})
	if err := c.WaitReady(ctx); err != nil {
		tb.Fatalf("flagship WaitReady: %v", err)
	}
	return c
}

// flagshipVisitors returns one synchronized visitor per user, so that
// every user is a returning one: assignments stored, context hit queued.
func flagshipVisitors(tb testing.TB, c *flagship.Client, users []peerbench.User) []*visitor.Visitor {
	tb.Helper()
	vs := make([]*visitor.Visitor, len(users))
	for i, u := range users {
		v, err := c.NewVisitor(u.ID, u.Attrs())
		if err != nil {
			tb.Fatalf("NewVisitor(%s): %v", u.ID, err)
		}
		if err := v.Synchronize(context.Background()); err != nil {
			tb.Fatalf("Synchronize(%s): %v", u.ID, err)
		}
		vs[i] = v
	}
	return vs
}

// newLaunchDarkly starts a LaunchDarkly client on test data holding the
// flags, with events and logging off and every service endpoint on a
// loopback address nothing listens on.
func newLaunchDarkly(tb testing.TB, flags []peerbench.Flag) *ld.LDClient {
	tb.Helper()
	td := ldtestdata.DataSource()
	for _, f := range peerbench.LaunchDarklyFlags(flags) {
		td.UsePreconfiguredFlag(f)
	}
	const nowhere = "http://127.0.0.1:9"
	c, err := ld.MakeCustomClient("peerbench-sdk-key", ld.Config{
		DataSource:       td,
		Events:           ldcomponents.NoEvents(),
		DiagnosticOptOut: true,
		Logging:          ldcomponents.NoLogging(),
		ServiceEndpoints: interfaces.ServiceEndpoints{Streaming: nowhere, Polling: nowhere, Events: nowhere},
	}, 5*time.Second)
	if err != nil {
		tb.Fatalf("ld.MakeCustomClient: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	if !c.Initialized() {
		tb.Fatal("LaunchDarkly client not initialized")
	}
	return c
}

// newGrowthBook returns one GrowthBook child client per user, made with
// WithAttributes from a client holding the features.
func newGrowthBook(tb testing.TB, flags []peerbench.Flag, users []peerbench.User) []*gb.Client {
	tb.Helper()
	c, err := gb.NewClient(context.Background(), gb.WithJsonFeatures(peerbench.GrowthBookJSON(flags)))
	if err != nil {
		tb.Fatalf("growthbook.NewClient: %v", err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	out := make([]*gb.Client, len(users))
	for i, u := range users {
		if out[i], err = c.WithAttributes(peerbench.GrowthBookAttributes(u)); err != nil {
			tb.Fatalf("growthbook WithAttributes(%s): %v", u.ID, err)
		}
	}
	return out
}

// logTo returns a logger that keeps Warn and Error records (at most
// maxLog bytes of them) and writes them to tb's log when it ends.
func logTo(tb testing.TB) *slog.Logger {
	w := &logBuffer{}
	tb.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.n > 0 {
			tb.Logf("%d SDK log records (Warn and above); the first ones:\n%s", w.n, w.buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

const maxLog = 4 << 10

// logBuffer counts the records written to it and keeps the first maxLog
// bytes. It is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	n   int
	buf bytes.Buffer
}

func (w *logBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++ // the text handler writes each record in one call
	if w.buf.Len() < maxLog {
		w.buf.Write(p)
	}
	return len(p), nil
}

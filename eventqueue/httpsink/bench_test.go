package httpsink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/version"
)

const benchEnv = "bench-env"

// BenchmarkHTTP measures delivery to a local collector that discards what
// it receives, in records per second, all four variants at the same
// concurrency (b.RunParallel: GOMAXPROCS goroutines):
//
//   - batch100: Sink.Send with batches of 100 page views;
//   - batch1: Sink.Send with batches of 1, one hit per request;
//   - raw-batch100: POSTs of a 100-hit body encoded once, with a client
//     set up like the Sink's: the ceiling for batch100;
//   - direct-sync: one synchronous POST per hit, with a body built for
//     each, like flagship's former direct sender and Flagship's Go SDK v2.
func BenchmarkHTTP(b *testing.B) {
	recs := benchRecords(b, 100)
	b.Run("batch100", func(b *testing.B) { benchSink(b, recs) })
	b.Run("batch1", func(b *testing.B) { benchSink(b, recs[:1]) })
	b.Run("raw-batch100", func(b *testing.B) { benchRaw(b, recs) })
	b.Run("direct-sync", func(b *testing.B) { benchDirect(b, recs) })
}

// benchRecords returns n page views as the queue hands them to a sink.
func benchRecords(b *testing.B, n int) []eventqueue.Record {
	b.Helper()
	out := make([]eventqueue.Record, n)
	created := time.Now()
	for i := range out {
		r, err := hits.NewRecord(uuid.New(), benchEnv, fmt.Sprintf("visitor-%06d", i), "", created,
			hits.Page{URL: fmt.Sprintf("https://shop.example/catalog/item-%06d?ref=home", i)})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = eventqueue.Record{Record: r, Seq: uint64(i + 1)}
	}
	return out
}

// collector starts a server that reads and discards request bodies.
func collector(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// runParallel runs op b.N times over GOMAXPROCS goroutines and reports
// the records per second, perOp records per call.
func runParallel(b *testing.B, perOp int, op func(ctx context.Context) error) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*perOp)/elapsed.Seconds(), "records/s")
}

func benchSink(b *testing.B, batch []eventqueue.Record) {
	srv := collector(b)
	s, err := New(Options{EventsURL: srv.URL + "/events", ActivateURL: srv.URL + "/v2/activate"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	runParallel(b, len(batch), func(ctx context.Context) error { return s.Send(ctx, batch) })
}

// setHeaders sets the headers of flagship's direct sender.
func setHeaders(req *http.Request) {
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", version.UserAgent)
	req.Header.Set("x-sdk-client", "go")
	req.Header.Set("x-sdk-version", version.SDK)
}

// postOnce posts body and checks the answer, draining and closing it.
func postOnce(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	setHeaders(req)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

func benchRaw(b *testing.B, batch []eventqueue.Record) {
	srv := collector(b)
	client := httpx.NewClient(DefaultTimeout)
	defer client.CloseIdleConnections()
	recs := make([]hits.Record, len(batch))
	for i := range batch {
		recs[i] = batch[i].Record
	}
	body, err := hits.AppendEventsBatch(nil, benchEnv, recs, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	url := srv.URL + "/events"
	runParallel(b, len(batch), func(ctx context.Context) error { return postOnce(ctx, client, url, body) })
}

func benchDirect(b *testing.B, batch []eventqueue.Record) {
	srv := collector(b)
	client := httpx.NewClient(DefaultTimeout)
	defer client.CloseIdleConnections()
	url := srv.URL + "/events"
	var next atomic.Uint64
	runParallel(b, 1, func(ctx context.Context) error {
		r := batch[next.Add(1)%uint64(len(batch))].Record
		body, err := hits.AppendEventsBatch(nil, benchEnv, []hits.Record{r}, time.Now())
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
		return postOnce(ctx, client, url, body)
	})
}

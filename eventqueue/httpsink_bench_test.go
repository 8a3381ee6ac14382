package eventqueue_test

// Benchmarks of hits delivered over HTTP to a local collector that
// drains each body and answers 200, all in records/s:
//
//	BenchmarkHTTPDrain/queue-batch=100  the queue through httpsink, default batch
//	BenchmarkHTTPDrain/queue-batch=1    the same, one hit per request
//	BenchmarkHTTPDrain/raw-post-batch=100  pre-encoded bodies of 100 hits, POSTed in a loop
//	BenchmarkHTTPDrain/v2-sync-per-hit  each hit encoded and POSTed by its caller, as
//	                                    Flagship's Go SDK v2 does
//
// Targets: queue-batch=100 >= 25x queue-batch=1, and >= 50% of
// raw-post-batch=100.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/hits"
)

// perfCollector is a local collector that drains every body and answers
// 200.
type perfCollector struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newPerfCollector(tb testing.TB) *perfCollector {
	tb.Helper()
	c := &perfCollector{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		c.requests.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	tb.Cleanup(c.srv.Close)
	return c
}

// post sends body to the collector and drains the answer.
func (c *perfCollector) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.srv.URL+"/events", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// v2Hit is the body Flagship's Go SDK v2 posts for one EVENT hit.
type v2Hit struct {
	VisitorID        string  `json:"vid"`
	EnvironmentID    string  `json:"cid"`
	Type             string  `json:"t"`
	DataSource       string  `json:"ds"`
	Category         string  `json:"ec"`
	Action           string  `json:"ea"`
	Label            string  `json:"el,omitempty"`
	Value            float64 `json:"ev,omitempty"`
	Language         string  `json:"ul,omitempty"`
	ScreenResolution string  `json:"sr,omitempty"`
	SessionNumber    int     `json:"sn,omitempty"`
}

func BenchmarkHTTPDrain(b *testing.B) {
	rec := perfRecord(b)
	for _, size := range []int{eventqueue.DefaultBatchSize, 1} {
		b.Run(fmt.Sprintf("queue-batch=%d", size), func(b *testing.B) {
			col := newPerfCollector(b)
			sink, err := httpsink.New(httpsink.Options{
				EventsURL:   col.srv.URL + "/events",
				ActivateURL: col.srv.URL + "/activate",
				HTTPClient:  col.srv.Client(),
			})
			if err != nil {
				b.Fatal(err)
			}
			path := perfFillQueue(b, b.N, rec)
			perfDrainQueue(b, path, b.N, eventqueue.SinkConfig{Name: perfSink, Sink: sink, BatchSize: size, FlushInterval: time.Hour})
			if want := int64((b.N + size - 1) / size); col.requests.Load() != want {
				b.Fatalf("collector got %d requests, want %d", col.requests.Load(), want)
			}
		})
	}
	b.Run("raw-post-batch=100", func(b *testing.B) {
		col := newPerfCollector(b)
		recs := make([]hits.Record, eventqueue.DefaultBatchSize)
		for i := range recs {
			recs[i] = rec
		}
		full, err := hits.AppendEventsBatch(nil, perfEnvID, recs, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		last, err := hits.AppendEventsBatch(nil, perfEnvID, recs[:b.N%len(recs)], time.Now())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for left := b.N; left > 0; left -= len(recs) {
			body := full
			if left < len(recs) {
				body = last
			}
			if err := col.post(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	})
	b.Run("v2-sync-per-hit", func(b *testing.B) {
		col := newPerfCollector(b)
		ev := hits.Event{
			Category: hits.ActionTracking,
			Action:   "checkout-completed",
			Label:    strings.Repeat("label-", 20),
			Value:    4200,
			Common:   hits.Common{Language: "fr-fr", SessionNumber: 3, ScreenResolution: "1920x1080"},
		}
		ctx := context.Background()
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			body, err := json.Marshal(v2Hit{
				VisitorID: perfVisitor, EnvironmentID: perfEnvID, Type: "EVENT", DataSource: "APP",
				Category: string(ev.Category), Action: ev.Action, Label: ev.Label, Value: float64(ev.Value),
				Language: ev.Language, ScreenResolution: ev.ScreenResolution, SessionNumber: ev.SessionNumber,
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := col.post(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
		elapsed := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
	})
}

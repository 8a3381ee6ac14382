package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestServesMetrics runs the program on 127.0.0.1 (a free port, and its
// local Flagship server), scrapes /metrics over HTTP and checks the
// series of the visitors it simulated.
func TestServesMetrics(t *testing.T) {
	const visitors = 7
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1) // run sends once, then waits for ctx
	done := make(chan error, 1)  // run returns once
	go func() {
		done <- run(ctx, config{addr: "127.0.0.1:0", visitors: visitors}, io.Discard, func(u string) { urls <- u })
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatal(err)
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not start")
	}
	series := scrape(t, url)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("the program did not stop")
	}

	env := `flagship_env_id="flagshiptest-env"`
	want := map[string]float64{
		`flagship_client_status{` + env + `,flagship_status="READY"}`:                          1,
		`flagship_client_status{` + env + `,flagship_status="NOT_READY"}`:                      0,
		`flagship_decisions_total{` + env + `,flagship_mode="BUCKETING"}`:                      visitors,
		`flagship_queue_delivered_records_total{` + env + `,flagship_sink="http-activations"}`: visitors,
		`flagship_queue_enqueued_records_total{` + env + `,flagship_record_kind="activation"}`: visitors,
		`flagship_queue_depth{` + env + `,flagship_sink="http-hits"}`:                          0,
		`flagship_queue_depth{` + env + `,flagship_sink="http-activations"}`:                   0,
		`flagship_queue_dead_letter_count{` + env + `}`:                                        0,
		`flagship_assignment_breaker_state{flagship_breaker_state="closed",` + env + `}`:       1,
	}
	for name, v := range want {
		got, ok := series[name]
		if assert.True(t, ok, "missing %s", name) {
			assert.Equal(t, v, got, name)
		}
	}
	// Hits: the page of each visitor and what Synchronize owes (its
	// context), all delivered.
	hits := series[`flagship_queue_delivered_records_total{`+env+`,flagship_sink="http-hits"}`]
	assert.GreaterOrEqual(t, hits, float64(visitors))
	enqueued := 0.0
	for name, v := range series {
		if strings.HasPrefix(name, "flagship_queue_enqueued_records_total{") {
			enqueued += v
		}
	}
	assert.Equal(t, hits+visitors, enqueued, "every record enqueued was delivered")
	age, ok := series[`flagship_bucketing_file_age_seconds{`+env+`}`]
	assert.True(t, ok)
	assert.Less(t, age, 30.0)
	_, ok = series[`flagship_bucketing_fetch_duration_seconds_count{`+env+`}`]
	assert.True(t, ok)
}

// scrape returns the samples of the flagship_ series at url, by name
// with their labels (sorted, as the exporter writes them) but the
// exporter's otel_scope_* ones.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "flagship_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[withoutScope(line[:i])] = v
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out, "no flagship_ series")
	http.DefaultClient.CloseIdleConnections()
	return out
}

// withoutScope removes the otel_scope_* labels from a series name.
func withoutScope(series string) string {
	open := strings.IndexByte(series, '{')
	if open < 0 {
		return series
	}
	var keep []string
	for _, l := range strings.Split(strings.TrimSuffix(series[open+1:], "}"), ",") {
		if !strings.HasPrefix(l, "otel_scope_") {
			keep = append(keep, l)
		}
	}
	return series[:open] + "{" + strings.Join(keep, ",") + "}"
}

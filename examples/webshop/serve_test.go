package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// servedShop is the shop run by serve on a loopback listener, as main
// runs it.
type servedShop struct {
	flagship *flagshiptest.Server
	client   *flagship.Client
	url      string
	http     *http.Client
	stop     context.CancelFunc
	done     chan error // serve's result
}

// startServe runs serve with a client that never delivers on its own
// (batches of 1000 or one hour): whatever the Flagship server receives,
// Close delivered.
func startServe(t *testing.T) *servedShop {
	t.Helper()
	fs := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(testCampaigns()...))
	client, err := flagship.New(t.Context(), fs.EnvID(), "key", append(fs.Options(),
		flagship.WithDelivery(flagship.DeliveryOptions{BatchSize: 1000, FlushInterval: time.Hour}), flagship.WithLogger(testLogger()))...)
	require.NoError(t, err)
	// serve closes the client; closing it again is safe.
	t.Cleanup(func() { _ = client.Close(context.Background()) })

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, l, client, testLogger()) }()

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &servedShop{
		flagship: fs, client: client, url: "http://" + l.Addr().String(),
		http: &http.Client{Jar: jar, Transport: tr, Timeout: 10 * time.Second},
		stop: stop, done: done,
	}
}

// send requests path as a phone and returns the status and body.
func (s *servedShop) send(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("User-Agent", mobileUA)
	resp, err := s.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

// shutdown cancels serve's context and returns serve's result.
func (s *servedShop) shutdown(t *testing.T) error {
	t.Helper()
	s.stop()
	select {
	case err := <-s.done:
		return err
	case <-time.After(shutdownTimeout + closeTimeout + 5*time.Second):
		t.Fatal("serve did not return")
		return nil
	}
}

// TestServeShutdownDelivers checks that the hits and activations queued
// just before a shutdown are delivered by it.
func TestServeShutdownDelivers(t *testing.T) {
	s := startServe(t)

	status, _ := s.send(t, "GET", "/", "")
	require.Equal(t, http.StatusOK, status)
	status, body := s.send(t, "POST", "/purchase", `{"items":[{"sku":"MUG-002","quantity":1}]}`)
	require.Equal(t, http.StatusCreated, status)
	var order purchaseResponse
	require.NoError(t, json.Unmarshal([]byte(body), &order))

	require.Empty(t, hitTypes(s.flagship), "nothing leaves before the shutdown")
	require.Empty(t, s.flagship.Activations())
	var queued int64
	for _, st := range s.client.QueueStats().Sinks {
		queued += st.Depth
	}
	require.Equal(t, int64(5), queued, "PAGEVIEW, TRANSACTION, ITEM, EVENT and an activation")

	require.NoError(t, s.shutdown(t))

	assert.Equal(t, []string{"PAGEVIEW", "TRANSACTION", "ITEM", "EVENT"}, hitTypes(s.flagship))
	for _, h := range s.flagship.Hits() {
		if h.Type == "TRANSACTION" || h.Type == "ITEM" {
			assert.Equal(t, order.OrderID, h.Fields["tid"])
		}
	}
	require.Len(t, s.flagship.Activations(), 1)
	assert.Equal(t, "vg_mobile-cta", s.flagship.Activations()[0].VariationGroupID)

	// serve closed the client and the listener.
	assert.ErrorIs(t, s.client.Flush(context.Background()), flagship.ErrClosed)
	_, err := s.http.Get(s.url + "/healthz")
	assert.Error(t, err)
}

// TestServeShutdownWaitsForRequests checks that a request in flight when
// the shutdown starts is served, and its hits delivered.
func TestServeShutdownWaitsForRequests(t *testing.T) {
	s := startServe(t)
	// The Decision API holds the next visitor's Synchronize.
	s.flagship.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Latency: 300 * time.Millisecond})

	type result struct {
		status int
		body   string
	}
	res := make(chan result, 1)
	go func() {
		// Not s.send: require must not run outside the test goroutine.
		resp, err := s.http.Get(s.url + "/")
		if err != nil {
			res <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(data)}
	}()
	require.Eventually(t, func() bool { return s.flagship.FaultedRequests() == 1 }, 5*time.Second, time.Millisecond,
		"the request reaches the Decision API")

	require.NoError(t, s.shutdown(t))

	r := <-res
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `"cta_color":"blue"`, "Go's client sends no phone User-Agent")
	assert.Equal(t, []string{"PAGEVIEW"}, hitTypes(s.flagship))
}

package httpx_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

func TestNewTransportIsNew(t *testing.T) {
	a, b := httpx.NewTransport(), httpx.NewTransport()
	assert.NotSame(t, a, b)
	assert.NotSame(t, http.DefaultTransport, a)
	assert.Equal(t, 32, a.MaxIdleConnsPerHost)
	assert.NotNil(t, a.Proxy, "proxy from the environment, as http.DefaultTransport")
	c := httpx.NewClient(0)
	assert.NotNil(t, c.Transport)
	assert.NotNil(t, c.CheckRedirect)
}

// TestOwnedClientCloseIdle checks that CloseIdle leaves no goroutine of
// an owned client while the server is still up, keep-alive connections
// included.
func TestOwnedClientCloseIdle(t *testing.T) {
	srv, _ := newServer(t, nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	c := httpx.ClientFor(nil, 0)
	require.True(t, c.Owned())
	for range 3 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		httpx.DrainClose(resp.Body)
	}
	c.CloseIdle()
	c.CloseIdle()
}

// closeCounter is a transport that counts CloseIdleConnections calls.
type closeCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

func TestCallerClientNeverClosed(t *testing.T) {
	srv, _ := newServer(t, nil)
	tr := &closeCounter{RoundTripper: srv.Client().Transport}
	caller := &http.Client{Transport: tr}
	c := httpx.ClientFor(caller, 0)
	assert.False(t, c.Owned())
	assert.Same(t, caller, c.HTTP(), "used as is")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	httpx.DrainClose(resp.Body)
	c.CloseIdle()
	assert.Zero(t, tr.closes.Load())
	assert.Nil(t, caller.CheckRedirect, "not modified")
}

package httpsink_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
)

func TestNewInvalidOptions(t *testing.T) {
	valid := httpsink.Options{EventsURL: "https://events.flagship.io", ActivateURL: "https://decision.flagship.io/v2/activate"}
	tests := []struct {
		name string
		give func(o *httpsink.Options)
		want []string
	}{
		{name: "no events URL", give: func(o *httpsink.Options) { o.EventsURL = "" }, want: []string{"EventsURL is required"}},
		{name: "no activate URL", give: func(o *httpsink.Options) { o.ActivateURL = "" }, want: []string{"ActivateURL is required"}},
		{name: "relative URL", give: func(o *httpsink.Options) { o.EventsURL = "/events" }, want: []string{"EventsURL must be an absolute http or https URL"}},
		{name: "other scheme", give: func(o *httpsink.Options) { o.ActivateURL = "ftp://x/activate" }, want: []string{"ActivateURL must be an absolute http or https URL"}},
		{name: "no host", give: func(o *httpsink.Options) { o.EventsURL = "http:///events" }, want: []string{"EventsURL has no host"}},
		{name: "unparsable", give: func(o *httpsink.Options) { o.EventsURL = "http://[::1" }, want: []string{"EventsURL is not a valid URL"}},
		{name: "negative timeout", give: func(o *httpsink.Options) { o.Timeout = -1 }, want: []string{"Timeout -1ns is negative"}},
		{name: "negative size", give: func(o *httpsink.Options) { o.MaxBodyBytes = -1 }, want: []string{"MaxBodyBytes -1 is below 1024"}},
		{name: "tiny size", give: func(o *httpsink.Options) { o.MaxBodyBytes = 100 }, want: []string{"MaxBodyBytes 100 is below 1024"}},
		{
			name: "several",
			give: func(o *httpsink.Options) { o.EventsURL, o.ActivateURL, o.Timeout = "", "x", -1 },
			want: []string{"EventsURL is required", "ActivateURL must be", "Timeout -1ns is negative"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid
			o.APIKey = testKey
			tt.give(&o)
			s, err := httpsink.New(o)
			assert.Nil(t, s)
			require.ErrorIs(t, err, httpsink.ErrInvalidOptions)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), testKey)
		})
	}
}

func TestNewValidOptions(t *testing.T) {
	tests := []struct {
		name string
		give httpsink.Options
	}{
		{name: "defaults", give: httpsink.Options{EventsURL: "https://events.flagship.io", ActivateURL: "https://decision.flagship.io/v2/activate"}},
		{name: "upper-case scheme", give: httpsink.Options{EventsURL: "HTTP://127.0.0.1:1/events", ActivateURL: "http://127.0.0.1:1/v2/activate"}},
		{name: "smallest body", give: httpsink.Options{EventsURL: "http://a", ActivateURL: "http://b", MaxBodyBytes: 1024}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := httpsink.New(tt.give)
			require.NoError(t, err)
			s.Close()
		})
	}
}

func TestKeyNeverShows(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"message":"bad key"}`))
	})
	s := rec.sink(t, httpsink.Options{APIKey: testKey})
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		assert.NotContains(t, fmt.Sprintf(format, s), testKey, format)
	}
	var logs strings.Builder
	slog.New(slog.NewTextHandler(&logs, nil)).Info("sink", "sink", s)
	assert.NotContains(t, logs.String(), testKey)

	err := s.Send(t.Context(), queued(activation(t, env, "vg")))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), testKey)
	assert.NotContains(t, fmt.Sprintf("%+v", err), testKey)
	reqs := rec.received()
	require.Len(t, reqs, 1)
	assert.Equal(t, testKey, reqs[0].Header.Get("x-api-key"), "the key is sent")
}

// closeCounter is a transport that counts CloseIdleConnections calls.
type closeCounter struct {
	http.RoundTripper
	closes atomic.Int32
}

func (c *closeCounter) CloseIdleConnections() { c.closes.Add(1) }

func TestCloseLeavesCallersClient(t *testing.T) {
	rec := newRecorder(t, nil)
	tr := &closeCounter{RoundTripper: rec.Client().Transport}
	s := rec.sink(t, httpsink.Options{HTTPClient: &http.Client{Transport: tr}})
	require.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x"))))
	s.Close()
	s.Close()
	assert.Zero(t, tr.closes.Load())
}

func TestSendAfterClose(t *testing.T) {
	rec := newRecorder(t, nil)
	s := rec.sink(t, httpsink.Options{})
	require.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x/1"))))
	s.Close()
	s.Close()
	require.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x/2"))))
	assert.Len(t, rec.received(), 2)
}

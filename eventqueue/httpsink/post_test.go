package httpsink_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestSendStatus(t *testing.T) {
	statusErr := func(code int) *httpsink.StatusError {
		return &httpsink.StatusError{Endpoint: "events", StatusCode: code}
	}
	tests := []struct {
		name          string
		give          int
		wantErr       *httpsink.StatusError
		wantPermanent bool
		wantSystemic  bool
		wantRequests  int // the first failure ends the Send
	}{
		{name: "200", give: http.StatusOK, wantRequests: 2},
		{name: "204", give: http.StatusNoContent, wantRequests: 2},
		{name: "301", give: http.StatusMovedPermanently, wantErr: statusErr(301), wantSystemic: true, wantRequests: 1},
		{name: "304", give: http.StatusNotModified, wantErr: statusErr(304), wantSystemic: true, wantRequests: 1},
		{name: "307", give: http.StatusTemporaryRedirect, wantErr: statusErr(307), wantSystemic: true, wantRequests: 1},
		{name: "308", give: http.StatusPermanentRedirect, wantErr: statusErr(308), wantSystemic: true, wantRequests: 1},
		{name: "400", give: http.StatusBadRequest, wantErr: statusErr(400), wantPermanent: true, wantRequests: 1},
		{name: "401", give: http.StatusUnauthorized, wantErr: statusErr(401), wantSystemic: true, wantRequests: 1},
		{name: "403", give: http.StatusForbidden, wantErr: statusErr(403), wantSystemic: true, wantRequests: 1},
		{name: "404", give: http.StatusNotFound, wantErr: statusErr(404), wantSystemic: true, wantRequests: 1},
		{name: "405", give: http.StatusMethodNotAllowed, wantErr: statusErr(405), wantSystemic: true, wantRequests: 1},
		{name: "407", give: http.StatusProxyAuthRequired, wantErr: statusErr(407), wantSystemic: true, wantRequests: 1},
		{name: "408", give: http.StatusRequestTimeout, wantErr: statusErr(408), wantRequests: 1},
		{name: "410", give: http.StatusGone, wantErr: statusErr(410), wantPermanent: true, wantRequests: 1},
		{name: "413", give: http.StatusRequestEntityTooLarge, wantErr: statusErr(413), wantPermanent: true, wantRequests: 1},
		{name: "422", give: http.StatusUnprocessableEntity, wantErr: statusErr(422), wantPermanent: true, wantRequests: 1},
		{name: "429", give: http.StatusTooManyRequests, wantErr: statusErr(429), wantRequests: 1},
		{name: "500", give: http.StatusInternalServerError, wantErr: statusErr(500), wantRequests: 1},
		{name: "502", give: http.StatusBadGateway, wantErr: statusErr(502), wantRequests: 1},
		{name: "503", give: http.StatusServiceUnavailable, wantErr: statusErr(503), wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(tt.give)
			})
			s := rec.sink(t, httpsink.Options{APIKey: testKey})
			err := s.Send(t.Context(), queued(page(t, env, "https://x"), activation(t, env, "vg")))
			var se *httpsink.StatusError
			errors.As(err, &se)
			assert.Equal(t, tt.wantErr, se)
			assert.Equal(t, tt.wantErr != nil, err != nil, err)
			assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(err), err)
			assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(err), err)
			_, hasDelay := eventqueue.RetryAfterOf(err)
			assert.False(t, hasDelay)
			assert.Len(t, rec.received(), tt.wantRequests)
		})
	}
}

func TestStatusError(t *testing.T) {
	tests := []struct {
		name string
		give httpsink.StatusError
		want string
	}{
		{name: "with a reason", give: httpsink.StatusError{Endpoint: "events", StatusCode: 400, Body: `{"message":"no"}`}, want: `httpsink: events: status 400 Bad Request: {"message":"no"}`},
		{name: "without a reason", give: httpsink.StatusError{Endpoint: "activate", StatusCode: 503}, want: "httpsink: activate: status 503 Service Unavailable"},
		{name: "unknown status", give: httpsink.StatusError{Endpoint: "events", StatusCode: 599}, want: "httpsink: events: status 599"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.Error())
		})
	}
}

func TestSendStatusFromFlagshiptest(t *testing.T) {
	tests := []struct {
		name          string
		giveFault     flagshiptest.Fault
		wantPermanent bool
		wantSystemic  bool
		wantDelay     time.Duration
		wantMessage   string
	}{
		{
			name:          "activation refused",
			giveFault:     flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: 400, Body: `{"message":"Invalid cid."}`},
			wantPermanent: true,
			wantMessage:   `httpsink: activate: status 400 Bad Request: {"message":"Invalid cid."}`,
		},
		{
			name:         "activation key revoked",
			giveFault:    flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: 401, RetryAfter: 4 * time.Second, Body: `{"message":"revoked key"}`},
			wantSystemic: true,
			wantDelay:    4 * time.Second,
			wantMessage:  `httpsink: activate: status 401 Unauthorized: {"message":"revoked key"}`,
		},
		{
			name:        "events throttled",
			giveFault:   flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 429, RetryAfter: 3 * time.Second},
			wantDelay:   3 * time.Second,
			wantMessage: "httpsink: events: status 429 Too Many Requests",
		},
		{
			name:        "activation unavailable",
			giveFault:   flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: 503, RetryAfter: 2 * time.Second, Body: `{"message":"busy"}`},
			wantDelay:   2 * time.Second,
			wantMessage: `httpsink: activate: status 503 Service Unavailable: {"message":"busy"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := flagshiptest.NewServer(t)
			s := newSink(t, srv, httpsink.Options{APIKey: testKey})
			srv.FailNext(1, tt.giveFault)
			batch := queued(page(t, env, "https://x"), activation(t, env, "vg"))

			err := s.Send(t.Context(), batch)
			require.Error(t, err)
			assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(err))
			assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(err))
			d, _ := eventqueue.RetryAfterOf(err)
			assert.Equal(t, tt.wantDelay, d)
			assert.EqualError(t, err, tt.wantMessage)

			require.NoError(t, s.Send(t.Context(), batch))
		})
	}
}

func TestSendServerRejection(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	s := newSink(t, srv, httpsink.Options{})
	err := s.Send(t.Context(), queued(page(t, "not-the-env", "https://x")))
	require.Error(t, err)
	assert.True(t, eventqueue.IsPermanent(err))
	var se *httpsink.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.StatusCode)
	assert.Contains(t, se.Body, "unknown environment id")
	assert.Contains(t, err.Error(), "unknown environment id")
	assert.Len(t, srv.Refusals(), 1, "the server recorded the refusal")
}

func TestSendReason(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "empty", give: "", want: ""},
		{name: "trimmed", give: "\n  {\"message\":\"no\"}\r\n", want: `{"message":"no"}`},
		{name: "one line", give: "line one\nline\ttwo", want: "line one line two"},
		{name: "invalid UTF-8", give: "bad \xff byte", want: "bad  byte"},
		{name: "first KiB", give: strings.Repeat("x", 5000), want: strings.Repeat("x", 1024)},
		{name: "rune cut at 1 KiB", give: strings.Repeat("x", 1023) + "é and more", want: strings.Repeat("x", 1023)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(tt.give))
			})
			s := rec.sink(t, httpsink.Options{})
			err := s.Send(t.Context(), queued(page(t, env, "https://x")))
			var se *httpsink.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.want, se.Body)
		})
	}
}

func TestSendRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		giveStatus int
		giveHeader string
		wantDelay  time.Duration
		wantOK     bool
	}{
		{name: "seconds", giveStatus: 503, giveHeader: "7", wantDelay: 7 * time.Second, wantOK: true},
		{name: "seconds with spaces", giveStatus: 429, giveHeader: " 120 ", wantDelay: 2 * time.Minute, wantOK: true},
		{name: "HTTP-date", giveStatus: 429, giveHeader: now.Add(30 * time.Second).Format(http.TimeFormat), wantDelay: 30 * time.Second, wantOK: true},
		{name: "RFC 850 date", giveStatus: 503, giveHeader: now.Add(time.Minute).Format(time.RFC850), wantDelay: time.Minute, wantOK: true},
		{name: "date in the past", giveStatus: 503, giveHeader: now.Add(-time.Minute).Format(http.TimeFormat)},
		{name: "zero", giveStatus: 503, giveHeader: "0"},
		{name: "huge", giveStatus: 503, giveHeader: "99999999999999999999", wantDelay: time.Duration(1<<63 - 1), wantOK: true},
		{name: "too many seconds for a Duration", giveStatus: 503, giveHeader: "9999999999999", wantDelay: time.Duration(1<<63 - 1), wantOK: true},
		{name: "negative", giveStatus: 503, giveHeader: "-5"},
		{name: "fraction", giveStatus: 503, giveHeader: "1.5"},
		{name: "garbage", giveStatus: 503, giveHeader: "soon"},
		{name: "408", giveStatus: 408, giveHeader: "4", wantDelay: 4 * time.Second, wantOK: true},
		{name: "ignored on a permanent failure", giveStatus: 400, giveHeader: "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tt.giveHeader)
				w.WriteHeader(tt.giveStatus)
			})
			s := rec.sink(t, httpsink.Options{Now: func() time.Time { return now }})
			err := s.Send(t.Context(), queued(page(t, env, "https://x")))
			require.Error(t, err)
			d, ok := eventqueue.RetryAfterOf(err)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantDelay, d)
			var se *httpsink.StatusError
			assert.ErrorAs(t, err, &se)
		})
	}
}

func TestSendNetworkError(t *testing.T) {
	tests := []struct {
		name string
		give func(t *testing.T) string // returns the server's base URL
	}{
		{
			name: "connection refused",
			give: func(t *testing.T) string {
				l, err := net.Listen("tcp4", "127.0.0.1:0")
				require.NoError(t, err)
				addr := l.Addr().String()
				require.NoError(t, l.Close())
				return "http://" + addr
			},
		},
		{
			name: "connection dropped",
			give: func(t *testing.T) string {
				srv := flagshiptest.NewServer(t)
				srv.FailNext(1, flagshiptest.Fault{Drop: true})
				return srv.URL
			},
		},
		{
			name: "not HTTP",
			give: func(t *testing.T) string {
				rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
					conn, buf, err := http.NewResponseController(w).Hijack()
					if err != nil {
						return
					}
					_, _ = buf.WriteString("garbage\r\n\r\n")
					_ = buf.Flush()
					_ = conn.Close()
				})
				return rec.URL
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.give(t)
			s, err := httpsink.New(httpsink.Options{EventsURL: base + "/events", ActivateURL: base + "/v2/activate", APIKey: testKey})
			require.NoError(t, err)
			t.Cleanup(s.Close)
			err = s.Send(t.Context(), queued(activation(t, env, "vg")))
			require.Error(t, err)
			assert.False(t, eventqueue.IsPermanent(err), err)
			assert.True(t, strings.HasPrefix(err.Error(), "httpsink: activate: "), err)
			assert.NotContains(t, err.Error(), testKey)
		})
	}
}

func TestSendContext(t *testing.T) {
	tests := []struct {
		name    string
		give    func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{
			name: "cancelled",
			give: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return withCancelAfter(ctx, 50*time.Millisecond)
			},
			wantErr: context.Canceled,
		},
		{
			name: "deadline",
			give: func(ctx context.Context) (context.Context, context.CancelFunc) {
				return context.WithTimeout(ctx, 50*time.Millisecond)
			},
			wantErr: context.DeadlineExceeded,
		},
		{
			name: "cancelled before",
			give: func(ctx context.Context) (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return ctx, cancel
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The server answers after an hour: a Send that returns with
			// ctx's error was cut by ctx, not by the answer.
			srv := flagshiptest.NewServer(t)
			srv.FailNext(1, flagshiptest.Fault{Latency: time.Hour})
			s := newSink(t, srv, httpsink.Options{})
			ctx, cancel := tt.give(t.Context())
			defer cancel()
			batch := queued(page(t, env, "https://x"))
			err := returns(t, "Send", func() error { return s.Send(ctx, batch) })
			require.ErrorIs(t, err, tt.wantErr)
			assert.False(t, eventqueue.IsPermanent(err))
			assert.Empty(t, srv.Hits())
		})
	}
}

// withCancelAfter returns a context cancelled after d.
func withCancelAfter(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	t := time.AfterFunc(d, cancel)
	return ctx, func() { t.Stop(); cancel() }
}

// roundTripFunc adapts a function to an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSendCancelledBetweenBodies(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rec := newRecorder(t, nil)
	tr := rec.Client().Transport
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := tr.RoundTrip(r)
		cancel() // once the first body is confirmed
		return resp, err
	})}
	s := rec.sink(t, httpsink.Options{MaxBodyBytes: 1024, HTTPClient: client})
	var batch []eventqueue.Record
	for i := range 20 {
		batch = append(batch, eventqueue.Record{Record: page(t, env, fmt.Sprintf("https://x/%d/%s", i, strings.Repeat("a", 100)))})
	}
	err := s.Send(ctx, batch)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Len(t, rec.received(), 1)
}

// TestSendBodyStillRead checks that Send does not reuse a body the
// transport has not closed yet.
func TestSendBodyStillRead(t *testing.T) {
	var held []io.ReadCloser
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		held = append(held, r.Body) // read later, as a transport that answers early may
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: r}, nil
	})}
	clk := newClock(t0)
	s, err := httpsink.New(httpsink.Options{EventsURL: "http://x/events", ActivateURL: "http://x/v2/activate", HTTPClient: client, Now: clk.now})
	require.NoError(t, err)
	first, second := page(t, env, "https://x/first"), page(t, env, "https://x/second")
	require.NoError(t, s.Send(t.Context(), queued(first)))
	require.NoError(t, s.Send(t.Context(), queued(second)))

	require.Len(t, held, 2)
	for i, want := range [][]byte{eventsBody(t, env, t0, first), eventsBody(t, env, t0, second)} {
		got, err := io.ReadAll(held[i])
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got))
		require.NoError(t, held[i].Close())
	}
}

func TestSendTimeout(t *testing.T) {
	// The server answers after an hour and t.Context has no deadline: a
	// Send that returns with DeadlineExceeded was cut by Timeout.
	srv := flagshiptest.NewServer(t)
	srv.FailNext(1, flagshiptest.Fault{Latency: time.Hour})
	// A caller's client without a timeout of its own.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s := newSink(t, srv, httpsink.Options{Timeout: 50 * time.Millisecond, HTTPClient: &http.Client{Transport: tr}})
	batch := queued(page(t, env, "https://x"))
	err := returns(t, "Send", func() error { return s.Send(t.Context(), batch) })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, eventqueue.IsPermanent(err))
}

// TestSendRedirectFollowed checks that a caller's client that follows a
// redirect (as a GET, without the body) does not count as a delivery.
func TestSendRedirectFollowed(t *testing.T) {
	tests := []struct {
		name string
		give int
	}{
		{name: "301", give: http.StatusMovedPermanently},
		{name: "302", give: http.StatusFound},
		{name: "303", give: http.StatusSeeOther},
		{name: "307", give: http.StatusTemporaryRedirect},
		{name: "308", give: http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/events" {
					http.Redirect(w, r, "/moved", tt.give)
				}
			})
			client := &http.Client{Transport: rec.Client().Transport} // follows redirects
			s := rec.sink(t, httpsink.Options{HTTPClient: client})
			err := s.Send(t.Context(), queued(page(t, env, "https://x")))
			require.Error(t, err)
			assert.True(t, eventqueue.IsSystemic(err), err)
			assert.False(t, eventqueue.IsPermanent(err), "nothing was delivered, and the records are not at fault")
		})
	}
}

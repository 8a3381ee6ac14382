package flagship_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

func TestNewInvalidConfig(t *testing.T) {
	tests := []struct {
		name     string
		giveEnv  string
		giveKey  string
		giveOpts []flagship.Option
		want     string
	}{
		{name: "empty env", giveEnv: "", giveKey: "k", want: "empty environment id"},
		{name: "env with slash", giveEnv: "../etc", giveKey: "k", want: "environment id"},
		{name: "empty key in decision API mode", giveEnv: "env", giveKey: "", want: "empty API key"},
		{name: "unknown mode", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithMode(7)}, want: "unknown mode"},
		{name: "nil HTTP client", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithHTTPClient(nil)}, want: "nil HTTP client"},
		{name: "negative decision timeout", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithDecisionAPI(flagship.DecisionAPIOptions{Timeout: -1})}, want: "DecisionAPIOptions.Timeout -1ns: want a positive duration"},
		{name: "negative fetch timeout", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithBucketing(flagship.BucketingOptions{FetchTimeout: -time.Second})}, want: "BucketingOptions.FetchTimeout -1s"},
		{name: "short polling interval", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: time.Nanosecond})}, want: "BucketingOptions.PollingInterval 1ns: want at least 50ms"},
		{name: "empty cache dir", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithCacheDir("")}, want: "empty cache directory"},
		{name: "nil clock", giveEnv: "env", giveKey: "k", giveOpts: []flagship.Option{flagship.WithClock(nil)}, want: "nil clock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := flagship.New(context.Background(), tt.giveEnv, tt.giveKey, tt.giveOpts...)
			require.ErrorIs(t, err, flagship.ErrInvalidConfig)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			goleak.VerifyNone(t)
		})
	}
}

func TestNewInvalidConfigReportsEveryProblem(t *testing.T) {
	_, err := flagship.New(context.Background(), "", "", flagship.WithEndpoints(flagship.Endpoints{Events: "x"}),
		flagship.WithDelivery(flagship.DeliveryOptions{HitTimeout: -1}))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	for _, want := range []string{"Endpoints.Events", "DeliveryOptions.HitTimeout", "empty environment id", "empty API key"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestNewUnwritableCacheDirLeavesNothingRunning(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	c, err := flagship.New(context.Background(), "env", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithCacheDir(filepath.Join(file, "sub")), flagship.WithEndpoints(flagship.Endpoints{Bucketing: "http://127.0.0.1:1"}))
	require.ErrorIs(t, err, flagship.ErrStorage)
	assert.NotErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "WithCacheDir")
	assert.Nil(t, c)
	goleak.VerifyNone(t)
}

func TestDecisionAPIModeIsReadyAtOnce(t *testing.T) {
	c, err := flagship.New(context.Background(), "env", "key", flagship.WithEndpoints(flagship.Endpoints{Base: "http://127.0.0.1:1"}))
	require.NoError(t, err)
	assert.Equal(t, flagship.StatusReady, c.Status())
	assert.Equal(t, flagship.DecisionAPI, c.Mode())
	assert.Equal(t, "env", c.EnvID())
	require.NoError(t, c.WaitReady(context.Background()))
	require.NoError(t, c.Close(context.Background()))
	require.NoError(t, c.Close(context.Background()), "Close is idempotent")
	_, err = c.NewVisitor("v", nil)
	require.ErrorIs(t, err, flagship.ErrClosed)
	require.ErrorIs(t, c.WaitReady(context.Background()), flagship.ErrClosed)
}

func TestCloseStopsPollingPromptly(t *testing.T) {
	var slow atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.Load() {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	slow.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c, err := flagship.New(ctx, "env", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Bucketing: srv.URL}), flagship.WithCacheDir(t.TempDir()),
		flagship.WithBucketing(flagship.BucketingOptions{FetchTimeout: time.Hour}))
	require.ErrorIs(t, err, flagship.ErrNotReady, "a client that is not ready when ctx ends comes with an error")
	require.NotNil(t, c, "and is usable")
	assert.Contains(t, err.Error(), "has not ended", "the first download is still running")
	assert.Equal(t, flagship.StatusNotReady, c.Status())
	// Close must not wait for the hour-long fetch: one that did would hang.
	require.NoError(t, returns(t, "Close during an hour-long fetch", func() error { return c.Close(context.Background()) }))
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

func TestWaitReadyHonoursContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	// New waits while its ctx is live, whatever the failures: then it
	// returns a working client that is not ready.
	newCtx, cancelNew := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancelNew()
	start := time.Now()
	c, err := flagship.New(newCtx, "env", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Bucketing: srv.URL}), flagship.WithCacheDir(t.TempDir()))
	require.ErrorIs(t, err, flagship.ErrNotReady)
	require.NotNil(t, c)
	assert.GreaterOrEqual(t, time.Since(start), 1400*time.Millisecond, "New waited until its ctx ended")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = c.WaitReady(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.False(t, c.Ready())

	// Close wakes a WaitReady that has no deadline.
	waited := make(chan error, 1)
	go func() { waited <- c.WaitReady(context.Background()) }()
	require.NoError(t, c.Close(context.Background()))
	select {
	case err := <-waited:
		require.ErrorIs(t, err, flagship.ErrClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("WaitReady still blocked after Close")
	}
}

func TestNewLoadsCacheEvenWithDoneContext(t *testing.T) {
	srv := abServer(t)
	dir := t.TempDir()
	c1, err := flagship.New(context.Background(), srv.EnvID(), "", append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithCacheDir(dir))...)
	require.NoError(t, err)
	require.NoError(t, c1.Close(context.Background()))
	srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2, err := flagship.New(ctx, srv.EnvID(), "", append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithCacheDir(dir))...)
	require.NoError(t, err)
	defer c2.Close(context.Background())
	assert.Equal(t, flagship.StatusReady, c2.Status())
}

func TestCloseHonoursContext(t *testing.T) {
	srv := abServer(t)
	block := make(chan struct{})
	blocked := make(chan struct{}, 1)
	h := flagship.NotificationFunc(func(_ context.Context, e flagship.Notification) {
		if e.Kind == flagship.NotifyBucketingFailed {
			select {
			case blocked <- struct{}{}:
			default:
			}
			<-block // a handler that does not return quickly
		}
	})
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(h))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 500})
	<-blocked
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	close(block)
}

func TestCallerHTTPClientRedirectsStayOnOrigin(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			leaked.Store(true)
		}
		_, _ = w.Write([]byte(`{"visitorId":"v1","campaigns":[]}`))
	}))
	defer other.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	c, err := flagship.New(context.Background(), "env", "secret-key", flagship.WithEndpoints(flagship.Endpoints{DecisionAPI: redirect.URL}),
		flagship.WithHTTPClient(&http.Client{}))
	require.NoError(t, err)
	defer c.Close(context.Background())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.Error(t, v.Synchronize(context.Background()), "the redirect is not followed")
	assert.False(t, leaked.Load(), "the API key reached another origin")
}

func TestUnauthorizedFirstDownloadIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, "env", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Bucketing: srv.URL}), flagship.WithCacheDir(t.TempDir()))
	require.ErrorIs(t, err, flagship.ErrUnauthorized)
	assert.Nil(t, c)
	goleak.VerifyNone(t, goleak.IgnoreCurrent())
}

// TestAPIKeyNeverLogged runs a client through failures that log and
// return errors, and checks that the key appears in neither.
func TestAPIKeyNeverLogged(t *testing.T) {
	const key = "secret-api-key-4242"
	var logs bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"bad key `+r.Header.Get("x-api-key")+`"}`, http.StatusInternalServerError)
	}))
	defer srv.Close()
	var handled []string
	h := flagship.NotificationFunc(func(_ context.Context, e flagship.Notification) {
		if e.Err != nil {
			handled = append(handled, e.Err.Error())
		}
	})
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := flagship.New(context.Background(), "env", key, flagship.WithLogger(logger),
		flagship.WithNotifications(h), flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL}))
	require.NoError(t, err)
	defer c.Close(context.Background())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	var errs []string
	if err := v.Synchronize(context.Background()); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, strings.Join(handled, "\n"))
	logger.Info("client", "client", c)
	all := logs.String() + strings.Join(errs, "\n")
	require.NotEmpty(t, errs[0], "the failing server must produce an error")
	assert.NotContains(t, all, key)
}

func TestModeAndStatusStrings(t *testing.T) {
	assert.Equal(t, "DECISION_API", flagship.DecisionAPI.String())
	assert.Equal(t, "BUCKETING", flagship.Bucketing.String())
	assert.Equal(t, "NOT_READY", flagship.StatusNotReady.String())
	assert.Equal(t, "READY", flagship.StatusReady.String())
	assert.Equal(t, "PANIC", flagship.StatusPanic.String())
	assert.Equal(t, "CLOSED", flagship.StatusClosed.String())
	assert.Equal(t, "synchronize failed", flagship.NotifySynchronizeFailed.String())
	assert.True(t, errors.Is(flagship.ErrUnauthorized, flagship.ErrUnauthorized))
}

func TestCloseWithDoneContextStillCloses(t *testing.T) {
	c, err := flagship.New(context.Background(), "env", "key", flagship.WithEndpoints(flagship.Endpoints{Base: "http://127.0.0.1:1"}))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = c.Close(ctx) // may report ctx's error, but the client is closed now
	_, err = c.NewVisitor("v", nil)
	require.ErrorIs(t, err, flagship.ErrClosed)
	require.NoError(t, c.Close(context.Background()), "a second Close waits for the release")
}

func TestLaterUnauthorizedFailsNew(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, "env", "", flagship.WithMode(flagship.Bucketing),
		flagship.WithEndpoints(flagship.Endpoints{Bucketing: srv.URL}), flagship.WithCacheDir(t.TempDir()))
	require.ErrorIs(t, err, flagship.ErrUnauthorized)
	assert.Nil(t, c)
}

// TestHandlerMayCallBack synchronizes from the status event handler; a
// handler called under the client's status lock would deadlock here.
func TestHandlerMayCallBack(t *testing.T) {
	srv := abServer(t)
	srv.SetPanic(true)
	var v atomic.Pointer[visitor.Visitor]
	h := flagship.NotificationFunc(func(ctx context.Context, e flagship.Notification) {
		if e.Kind == flagship.NotifyStatusChanged && e.Status == flagship.StatusPanic {
			srv.SetPanic(false)
			_ = v.Load().Synchronize(ctx) // moves the status back to READY
		}
	})
	c := newClient(t, srv, flagship.WithNotifications(h))
	vis, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	v.Store(vis)
	done := make(chan error, 1)
	go func() { done <- vis.Synchronize(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("deadlock: the handler's Synchronize never returned")
	}
	assert.Equal(t, flagship.StatusReady, c.Status())
}

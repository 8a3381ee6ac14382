package flagship_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// hookLogger returns a logger, enabled at Debug, whose records h keeps.
func hookLogger(h *hookRecords) *slog.Logger {
	return slog.New(flagship.LogHook(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), h.hook))
}

// logLines returns the records of h at level whose message contains
// part, each rendered as "message key=value ...".
func logLines(h *hookRecords, level slog.Level, part string) []string {
	var out []string
	for _, r := range h.all() {
		if r.Level != level || !strings.Contains(r.Message, part) {
			continue
		}
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.Key + "=" + a.Value.String())
			return true
		})
		out = append(out, b.String())
	}
	return out
}

// TestNewNotReadyIsLoudAndRecovers: in BUCKETING mode, against a server
// that answers 404 for the bucketing file (as Flagship's CDN does for a
// wrong environment id), New returns when its ctx ends with a working
// client and an error naming the URL, the status and the environment;
// one Warn line says the same, however often the client retries;
// Synchronize says why it fails; and when the server serves the file,
// the client becomes READY and decides.
func TestNewNotReadyIsLoudAndRecovers(t *testing.T) {
	const key = "secret-key-4242"
	srv := abServer(t)
	srv.FailNext(1<<30, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: http.StatusNotFound, Body: `{"message":"not found"}`})
	var logs hookRecords
	events := &syncEvents{}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), key, append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithLogger(hookLogger(&logs)), flagship.WithNotifications(events))...)
	require.NotNil(t, c, "a client comes with the error")
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })

	fileURL := srv.URL + "/" + srv.EnvID() + "/bucketing.json"
	require.ErrorIs(t, err, flagship.ErrNotReady)
	var fe *bucketing.FetchError
	require.ErrorAs(t, err, &fe, "New's error wraps the last download's")
	assert.Equal(t, http.StatusNotFound, fe.StatusCode)
	assert.Equal(t, fileURL, fe.URL)
	assert.Equal(t, srv.EnvID(), fe.EnvID)
	for _, want := range []string{fileURL, "status 404", "(env " + srv.EnvID() + ")"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), key)
	assert.Equal(t, flagship.StatusNotReady, c.Status())
	assert.False(t, c.Ready())

	// Synchronize before the first file says why.
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	err = v.Synchronize(context.Background())
	require.ErrorIs(t, err, flagship.ErrNotReady)
	require.ErrorIs(t, err, bucketing.ErrNoConfig)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, http.StatusNotFound, fe.StatusCode)
	assert.Contains(t, err.Error(), fileURL)

	// The client keeps trying (every PollingInterval, 100 ms, here): after
	// several more failures, one Warn line names the URL and the status.
	require.Eventually(t, func() bool { return len(events.of(flagship.NotifyBucketingFailed)) >= 5 }, hangLimit, 10*time.Millisecond)
	warns := logLines(&logs, slog.LevelWarn, "bucketing file fetch failed")
	require.Len(t, warns, 1, "one Warn line per run of failures; got %q", warns)
	assert.Contains(t, warns[0], fileURL)
	assert.Contains(t, warns[0], "status 404")
	assert.Contains(t, warns[0], "component=bucketing")
	assert.NotContains(t, warns[0], key)

	// The server starts serving the file: the client becomes READY.
	srv.Reset() // drops the pending faults
	waitCtx, cancelWait := context.WithTimeout(context.Background(), hangLimit)
	defer cancelWait()
	require.NoError(t, c.WaitReady(waitCtx))
	assert.Equal(t, flagship.StatusReady, c.Status())
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Equal(t, "green", v.String("btn-color", "blue"))
	// The recovery is logged once the download that brought the file ends.
	require.Eventually(t, func() bool { return len(logLines(&logs, slog.LevelInfo, "bucketing file fetched again")) == 1 },
		hangLimit, 10*time.Millisecond, "the recovery is logged")
	assert.Len(t, logLines(&logs, slog.LevelWarn, "bucketing file fetch failed"), 1, "still one Warn line")
}

// TestNewNotReadyWhenServerUnreachable: nothing listens at the bucketing
// URL. New's error names the URL and the transport's failure.
func TestNewNotReadyWhenServerUnreachable(t *testing.T) {
	srv := abServer(t)
	url := srv.URL
	srv.Close() // the port is free now: connections are refused
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "", flagship.WithMode(flagship.Bucketing), flagship.WithCacheDir(t.TempDir()),
		flagship.WithEndpoints(flagship.Endpoints{Base: url}))
	require.NotNil(t, c)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	require.ErrorIs(t, err, flagship.ErrNotReady)
	var fe *bucketing.FetchError
	require.ErrorAs(t, err, &fe)
	assert.Zero(t, fe.StatusCode, "no answer")
	assert.Contains(t, err.Error(), url+"/"+srv.EnvID()+"/bucketing.json")
	assert.Contains(t, err.Error(), "connection refused")
}

// TestWrongEnvWarnsWithinOneFetch: with a wrong environment id, the Warn
// line naming the URL and the status comes with the first failed
// download, not with the retry the backoff schedules a second later.
func TestWrongEnvWarnsWithinOneFetch(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1<<30, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: http.StatusNotFound, Body: `{"message":"not found"}`})
	var logs hookRecords
	events := &syncEvents{}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: time.Hour}),
		flagship.WithLogger(hookLogger(&logs)), flagship.WithNotifications(events))...)
	require.NotNil(t, c)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	require.ErrorIs(t, err, flagship.ErrNotReady)

	require.Eventually(t, func() bool { return len(logLines(&logs, slog.LevelWarn, "bucketing file fetch failed")) == 1 },
		hangLimit, time.Millisecond, "a Warn line for the first failed download")
	assert.Len(t, events.of(flagship.NotifyBucketingFailed), 1, "the Warn came before any retry")
	warn := logLines(&logs, slog.LevelWarn, "bucketing file fetch failed")[0]
	assert.Contains(t, warn, srv.URL+"/"+srv.EnvID()+"/bucketing.json")
	assert.Contains(t, warn, "status 404")
}

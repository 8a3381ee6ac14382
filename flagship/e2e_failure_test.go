package flagship_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestOfflineRestart starts a client that caches the file, then a second
// one on the same cache directory with the CDN down: it is READY at once
// and decides the same.
func TestOfflineRestart(t *testing.T) {
	dir := t.TempDir()
	srv := abServer(t)
	ctx := context.Background()
	c1, err := flagship.New(ctx, srv.EnvID(), "", append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithCacheDir(dir))...)
	require.NoError(t, err)
	require.NoError(t, c1.WaitReady(ctx))
	require.NoError(t, c1.Close(ctx))
	srv.Close()

	events := &syncEvents{}
	c2, err := flagship.New(ctx, srv.EnvID(), "", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithCacheDir(dir), flagship.WithNotifications(events))...)
	require.NoError(t, err)
	defer c2.Close(ctx)
	assert.Equal(t, flagship.StatusReady, c2.Status(), "ready from the cached file, without network")
	v, err := c2.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	assert.Equal(t, "green", v.String("btn-color", "blue"))
	updates := events.of(flagship.NotifyBucketingUpdated)
	require.NotEmpty(t, updates)
	assert.Equal(t, "disk", updates[0].Source)
}

// TestCorruptDownloadKeepsGoodFile serves a good file, then a broken one:
// the client keeps deciding on the good one and reports the failure.
func TestCorruptDownloadKeepsGoodFile(t *testing.T) {
	srv := abServer(t)
	events := &syncEvents{}
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(events))
	srv.FailNext(1000, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: http.StatusOK, Body: `{"campaigns":[{"id":`})
	require.Eventually(t, func() bool { return len(events.of(flagship.NotifyBucketingFailed)) > 0 }, 5*time.Second, 10*time.Millisecond)
	failed := events.of(flagship.NotifyBucketingFailed)[0]
	require.ErrorIs(t, failed.Err, bucketing.ErrInvalidFile)
	assert.Equal(t, flagship.StatusReady, c.Status())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(context.Background()))
	assert.Equal(t, "green", v.String("btn-color", "blue"))
}

func TestPollingPicksUpChanges(t *testing.T) {
	srv := abServer(t)
	events := &syncEvents{}
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(events))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, v.Synchronize(ctx))
	require.Equal(t, "green", v.String("btn-color", "blue"))
	srv.SetCampaigns(flagshiptest.Campaign("checkout", flagshiptest.Variation("var_red", 100, map[string]any{"btn-color": "red"})))
	require.Eventually(t, func() bool {
		require.NoError(t, v.Synchronize(ctx))
		return v.String("btn-color", "blue") == "red"
	}, 5*time.Second, 20*time.Millisecond)
	assert.GreaterOrEqual(t, len(events.of(flagship.NotifyBucketingUpdated)), 2)
}

func TestSynchronizeFailureKeepsFlags(t *testing.T) {
	srv := abServer(t)
	events := &syncEvents{}
	c := newClient(t, srv, flagship.WithNotifications(events))
	ctx := context.Background()
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: http.StatusInternalServerError, Body: `{"message":"boom"}`})
	err = v.Synchronize(ctx)
	var apiErr *decision.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusInternalServerError, apiErr.StatusCode)
	assert.Equal(t, "green", v.String("btn-color", "blue"), "previous flags kept")
	failed := events.of(flagship.NotifySynchronizeFailed)
	require.Len(t, failed, 1)
	assert.Equal(t, "v1", failed[0].VisitorID)
}

func TestSlowDecisionAPIIsBounded(t *testing.T) {
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithDecisionAPI(flagship.DecisionAPIOptions{Timeout: 100 * time.Millisecond}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	// The API answers after an hour and the caller's ctx has no deadline:
	// a Synchronize that returns DeadlineExceeded was cut by the decision
	// timeout; one that waited for the answer would hang.
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Latency: time.Hour})
	err = returns(t, "Synchronize against a slow API", func() error { return v.Synchronize(context.Background()) })
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestDroppedConnectionIsRetriedAndRefusalDeadLettered(t *testing.T) {
	h := &syncEvents{}
	srv := abServer(t)
	c := newClient(t, srv, flagship.WithNotifications(h),
		flagship.WithDelivery(flagship.DeliveryOptions{RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}))
	ctx := context.Background()
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Drop: true})
	require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://x.example/"}))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteActivate, Status: http.StatusBadRequest, Body: `{"message":"bad caid"}`})
	require.NoError(t, v.Activate(ctx, "btn-color"))
	flush(t, c)
	pages := 0
	for _, hit := range srv.Hits() {
		if hit.Type == "PAGEVIEW" {
			pages++
		}
	}
	assert.Equal(t, 1, pages, "the dropped request was retried")
	assert.Empty(t, srv.Activations(), "a 400 is final")
	dead := h.of(flagship.NotifyDeadLettered)
	require.Len(t, dead, 1)
	assert.Equal(t, flagship.SinkHTTPActivations, dead[0].Sink)
	assert.Contains(t, dead[0].Reason, "bad caid")
	assert.EqualValues(t, 1, c.QueueStats().DeadLetters)
}

func TestUnreachableDecisionAPI(t *testing.T) {
	l := httptest.NewServer(http.NotFoundHandler())
	url := l.URL
	l.Close() // nothing listens there any more
	c, err := flagship.New(context.Background(), "env", "key", flagship.WithEndpoints(flagship.Endpoints{Base: url}))
	require.NoError(t, err)
	defer c.Close(context.Background())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	err = v.Synchronize(context.Background())
	require.Error(t, err)
	assert.Equal(t, "blue", v.String("btn-color", "blue"))
}

func TestOversizedDecisionResponse(t *testing.T) {
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"visitorId":"v1","campaigns":[],"pad":"` + strings.Repeat("x", 2<<20) + `"}`))
	}))
	defer big.Close()
	c, err := flagship.New(context.Background(), "env", "key", flagship.WithEndpoints(flagship.Endpoints{DecisionAPI: big.URL}))
	require.NoError(t, err)
	defer c.Close(context.Background())
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.ErrorIs(t, v.Synchronize(context.Background()), decision.ErrResponseTooLarge)
}

func TestBadInput(t *testing.T) {
	srv := abServer(t)
	c := newClient(t, srv)
	_, err := c.NewVisitor("", nil)
	require.ErrorIs(t, err, visitor.ErrEmptyID)
	_, err = c.NewVisitor("v1", visitor.Attributes{"tags": []string{"a"}})
	var ae *visitor.AttributeError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "tags", ae.Key)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	err = v.SendHit(context.Background(), hits.Page{URL: "not a url"})
	var ve *hits.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "dl", ve.Field)
	err = v.SendHit(context.Background(), hits.Event{Category: "clicks", Action: "x"})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "ec", ve.Field)
	assert.Empty(t, srv.Bodies(flagshiptest.RouteEvents))
}

package fsopenfeature_test

import (
	"context"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestShutdownKeepsUsersClient checks that Shutdown leaves a client given
// to New open and working, and that the provider is done.
func TestShutdownKeepsUsersClient(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		require.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
		require.NoError(t, e.api.Shutdown(t.Context()))

		assert.Equal(t, flagship.StatusReady, e.client.Status())
		v, err := e.client.NewVisitor("u1", nil)
		require.NoError(t, err)
		require.NoError(t, v.Synchronize(t.Context()))
		assert.True(t, v.Bool("enabled", false))

		_, open := <-e.provider.EventChannel()
		assert.False(t, open, "the event channel is closed")
		d := e.provider.BooleanEvaluation(t.Context(), "enabled", false, openfeature.FlattenedContext{openfeature.TargetingKey: "u1"})
		assert.Equal(t, openfeature.GeneralCode, d.ResolutionDetail().ErrorCode)
		err = e.provider.InitWithContext(t.Context(), openfeature.EvaluationContext{})
		require.ErrorIs(t, err, fsopenfeature.ErrShutdown)
		assertFatal(t, err)
		require.NoError(t, e.provider.ShutdownWithContext(t.Context()), "a second Shutdown")
	})
}

// TestOpen checks that a provider made by Open serves flags, closes its
// client on Shutdown and leaves no goroutine behind.
func TestOpen(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(campaigns()...))
		leaks := goleak.IgnoreCurrent()
		p, err := fsopenfeature.Open(t.Context(), srv.EnvID(), "api-key", fsopenfeature.Options{},
			append(srv.Options(), flagship.WithMode(mode), flagship.WithLogger(quietLogger()))...)
		require.NoError(t, err)
		api := isolated.NewAPI()
		require.NoError(t, api.SetProviderAndWait(t.Context(), p))
		of := api.NewClient()
		assert.True(t, of.Boolean(t.Context(), "enabled", false, userCtx("u1")))
		of.Track(t.Context(), "checkout", userCtx("u1"), openfeature.NewTrackingEventDetails(3))

		require.NoError(t, api.Shutdown(t.Context()))
		assert.Equal(t, flagship.StatusClosed, p.Client().Status())
		// Close delivered what was queued, the exposure the provider
		// still held included.
		assert.Len(t, eventHits(srv), 1)
		assert.Equal(t, []string{"u1 vg_feature/var_feature"}, activated(srv))
		goleak.VerifyNone(t, leaks)
	})
}

func TestOpenFails(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 403})
	leaks := goleak.IgnoreCurrent()
	p, err := fsopenfeature.Open(t.Context(), srv.EnvID(), "api-key", fsopenfeature.Options{},
		append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithLogger(quietLogger()))...)
	require.ErrorIs(t, err, flagship.ErrUnauthorized)
	assert.Nil(t, p)

	p, err = fsopenfeature.Open(t.Context(), "", "api-key", fsopenfeature.Options{}, srv.Options()...)
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Nil(t, p)
	goleak.VerifyNone(t, leaks)
}

// TestOpenNotReady checks that a client Open could not get ready in time
// is not an error: Init waits again.
func TestOpenNotReady(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(campaigns()...))
	srv.FailNext(3, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 503})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	p, err := fsopenfeature.Open(ctx, srv.EnvID(), "api-key", fsopenfeature.Options{},
		append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithLogger(quietLogger()))...)
	require.NoError(t, err)
	assert.False(t, p.Client().Ready())
	api, _ := newAPI(t)
	require.NoError(t, api.SetProviderAndWait(t.Context(), p))
	assert.True(t, api.NewClient().Boolean(t.Context(), "enabled", false, userCtx("u1")))
}

// TestShutdownEndsInit checks that Shutdown ends an Init waiting for a
// client that does not get ready.
func TestShutdownEndsInit(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	srv.FailNext(1_000_000, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 503})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "api-key", append(srv.Options(), flagship.WithMode(flagship.Bucketing), flagship.WithLogger(quietLogger()))...)
	require.ErrorIs(t, err, flagship.ErrNotReady)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	p := fsopenfeature.New(c, fsopenfeature.Options{})
	done := make(chan error, 1)
	go func() { done <- p.Init(openfeature.EvaluationContext{}) }()
	time.Sleep(50 * time.Millisecond)
	p.Shutdown()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, fsopenfeature.ErrShutdown)
		assertFatal(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Init still waiting after Shutdown")
	}
	assert.NotEqual(t, flagship.StatusClosed, c.Status())
}

// assertFatal asserts that err is a fatal ProviderInitError.
func assertFatal(t *testing.T, err error) {
	t.Helper()
	var initErr *openfeature.ProviderInitError
	if assert.ErrorAs(t, err, &initErr) {
		assert.Equal(t, openfeature.ProviderFatalCode, initErr.ErrorCode)
	}
}

func TestNilClient(t *testing.T) {
	p := fsopenfeature.New(nil, fsopenfeature.Options{Logger: quietLogger()})
	api, _ := newAPI(t)
	err := api.SetProviderAndWait(t.Context(), p)
	require.ErrorIs(t, err, fsopenfeature.ErrNoClient)
	assertFatal(t, err)
	d := p.StringEvaluation(t.Context(), "f", "def", openfeature.FlattenedContext{openfeature.TargetingKey: "u1"})
	assert.Equal(t, "def", d.Value)
	assert.Equal(t, openfeature.GeneralCode, d.ResolutionDetail().ErrorCode)
	p.Track(t.Context(), "x", userCtx("u1"), openfeature.TrackingEventDetails{})
}

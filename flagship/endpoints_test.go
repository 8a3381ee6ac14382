package flagship_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// exercise runs one visitor through every endpoint: Synchronize (the
// Decision API, or the bucketing file downloaded by New), an activation
// and a hit, then flushes, and returns the flag it read.
func exercise(t *testing.T, c *flagship.Client) string {
	t.Helper()
	ctx := t.Context()
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	color := v.String("btn-color", "blue")
	require.NoError(t, v.Activate(ctx, "btn-color"))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	flush(t, c)
	return color
}

// TestEndpointsBaseSetsEveryEndpoint: a client given only the base URL of
// a flagshiptest server (and a cache directory) decides through it, in
// both modes, and delivers activations and hits to it.
func TestEndpointsBaseSetsEveryEndpoint(t *testing.T) {
	tests := []struct {
		giveMode      flagship.Mode
		wantDecisions int
	}{
		{giveMode: flagship.DecisionAPI, wantDecisions: 1},
		{giveMode: flagship.Bucketing, wantDecisions: 0},
	}
	for _, tt := range tests {
		t.Run(tt.giveMode.String(), func(t *testing.T) {
			srv := abServer(t)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := flagship.New(ctx, srv.EnvID(), "key", flagship.WithMode(tt.giveMode),
				flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL}), flagship.WithCacheDir(t.TempDir()))
			require.NoError(t, err)
			t.Cleanup(func() { closeClient(t, c) })
			require.NoError(t, c.WaitReady(ctx))

			assert.Equal(t, "green", exercise(t, c), "the flag comes from the server")
			assert.Len(t, srv.DecisionRequests(), tt.wantDecisions)
			assert.Equal(t, tt.wantDecisions == 0, srv.BucketingRequests() > 0, "bucketing file downloads")
			assert.Len(t, srv.Bodies(flagshiptest.RouteActivate), 1)
			assert.NotEmpty(t, srv.Bodies(flagshiptest.RouteEvents))
		})
	}
}

// TestEndpointsOverrideWins: a field set beside Base sends its requests
// to its own URL, and only those.
func TestEndpointsOverrideWins(t *testing.T) {
	tests := []struct {
		name     string
		giveMode flagship.Mode
		give     func(other string) flagship.Endpoints
		want     string // the route the other server must receive, and the base none of
	}{
		{name: "DecisionAPI", giveMode: flagship.DecisionAPI, want: flagshiptest.RouteDecision,
			give: func(other string) flagship.Endpoints { return flagship.Endpoints{DecisionAPI: other + "/v2"} }},
		{name: "Bucketing", giveMode: flagship.Bucketing, want: flagshiptest.RouteBucketing,
			give: func(other string) flagship.Endpoints { return flagship.Endpoints{Bucketing: other} }},
		{name: "Activate", giveMode: flagship.DecisionAPI, want: flagshiptest.RouteActivate,
			give: func(other string) flagship.Endpoints { return flagship.Endpoints{Activate: other + "/v2/activate"} }},
		{name: "Events", giveMode: flagship.DecisionAPI, want: flagshiptest.RouteEvents,
			give: func(other string) flagship.Endpoints { return flagship.Endpoints{Events: other + "/events"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base, other := abServer(t), abServer(t)
			e := tt.give(other.URL)
			e.Base = base.URL
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := flagship.New(ctx, base.EnvID(), "key", flagship.WithMode(tt.giveMode),
				flagship.WithEndpoints(e), flagship.WithCacheDir(t.TempDir()))
			require.NoError(t, err)
			t.Cleanup(func() { closeClient(t, c) })
			require.NoError(t, c.WaitReady(ctx))
			assert.Equal(t, "green", exercise(t, c))

			got := func(s *flagshiptest.Server) map[string]bool {
				return map[string]bool{
					flagshiptest.RouteDecision:  len(s.DecisionRequests()) > 0,
					flagshiptest.RouteBucketing: s.BucketingRequests() > 0,
					flagshiptest.RouteActivate:  len(s.Bodies(flagshiptest.RouteActivate)) > 0,
					flagshiptest.RouteEvents:    len(s.Bodies(flagshiptest.RouteEvents)) > 0,
				}
			}
			atOther, atBase := got(other), got(base)
			for route, reached := range atOther {
				assert.Equal(t, route == tt.want, reached, "the overriding server received %s requests: %v", route, reached)
			}
			assert.False(t, atBase[tt.want], "the base server received %s requests", tt.want)
		})
	}
}

// TestEndpointsInvalidURLs: New refuses a URL that is not an absolute
// http or https URL with an error naming the field.
func TestEndpointsInvalidURLs(t *testing.T) {
	tests := []struct {
		name string
		give flagship.Endpoints
		want string
	}{
		{name: "relative base", give: flagship.Endpoints{Base: "/flagship"}, want: `Endpoints.Base "/flagship": want an absolute http or https URL`},
		{name: "base with a query", give: flagship.Endpoints{Base: "http://127.0.0.1:1/?x=1"}, want: "Endpoints.Base \"http://127.0.0.1:1/?x=1\": want a root URL without query or fragment"},
		{name: "relative decision API", give: flagship.Endpoints{DecisionAPI: "/v2"}, want: `Endpoints.DecisionAPI "/v2"`},
		{name: "unparsable activate", give: flagship.Endpoints{Activate: "::"}, want: "Endpoints.Activate: want an absolute http or https URL"},
		{name: "ftp events", give: flagship.Endpoints{Base: "http://127.0.0.1:1", Events: "ftp://x"}, want: `Endpoints.Events "ftp://x"`},
		{name: "bucketing without scheme", give: flagship.Endpoints{Bucketing: "cdn"}, want: `Endpoints.Bucketing "cdn"`},
		{name: "credentials redacted", give: flagship.Endpoints{Events: "ftp://user:secret@x"}, want: `Endpoints.Events "ftp://user:xxxxx@x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := flagship.New(context.Background(), "env", "k", flagship.WithEndpoints(tt.give))
			require.ErrorIs(t, err, flagship.ErrInvalidConfig)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "secret")
			goleak.VerifyNone(t)
		})
	}
}

// TestEndpointsEveryBadURLReported: each bad field is reported, in one
// error.
func TestEndpointsEveryBadURLReported(t *testing.T) {
	_, err := flagship.New(context.Background(), "env", "k", flagship.WithEndpoints(flagship.Endpoints{
		Base: "x", DecisionAPI: "y", Activate: "z", Events: "w", Bucketing: "v"}))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	for _, want := range []string{"Endpoints.Base", "Endpoints.DecisionAPI", "Endpoints.Activate", "Endpoints.Events", "Endpoints.Bucketing"} {
		assert.Contains(t, err.Error(), want)
	}
}

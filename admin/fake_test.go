package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// These tests run the client against the management API of package
// flagshiptest, the fake the project ships.

func TestFakeRateLimitedLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out rate limits")
	}
	srv := flagshiptest.NewServer(t)
	c := srv.AdminClient()
	for i := range 5 {
		_, err := c.CreateFlag(t.Context(), admin.Flag{Name: fmt.Sprintf("flag-%d", i), Type: admin.FlagBoolean, Description: "d"})
		require.NoError(t, err)
	}
	srv.SetAdminRateLimit(4, 2)
	before := len(srv.AdminRequests())

	for range 8 {
		got, err := admin.Collect(c.ListFlags(t.Context()))
		require.NoError(t, err)
		assert.Len(t, got, 5)
	}

	// Every 429 was waited out: the next request came no earlier than the
	// fake's shortest Retry-After, 1 s.
	var reqs []flagshiptest.AdminRequest
	for _, r := range srv.AdminRequests()[before:] {
		if r.Route == flagshiptest.RouteAdmin {
			reqs = append(reqs, r)
		}
	}
	limited := 0
	for i, r := range reqs {
		if r.Status != http.StatusTooManyRequests {
			continue
		}
		limited++
		require.Less(t, i+1, len(reqs), "the last request was refused")
		assert.GreaterOrEqual(t, reqs[i+1].Received.Sub(r.Received), time.Second, "retried before Retry-After")
	}
	assert.Positive(t, limited, "the loop was rate limited")
	// Nothing was sent twice but the refused requests: 8 lists of one page.
	assert.Len(t, reqs, 8+limited)
}

func countRoute(reqs []flagshiptest.AdminRequest, route string) int {
	n := 0
	for _, r := range reqs {
		if r.Route == route {
			n++
		}
	}
	return n
}

func TestFakeContextShorterThanRetryAfter(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	c := srv.AdminClient()
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteAdmin, Status: 429, RetryAfter: 10 * time.Second})
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	_, err := admin.Collect(c.ListProjects(ctx))
	assert.ErrorIs(t, err, admin.ErrRateLimited)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestFakeTokens(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	c := srv.AdminClient()
	_, err := admin.Collect(c.ListProjects(t.Context()))
	require.NoError(t, err)

	srv.ExpireAdminTokens()
	_, err = admin.Collect(c.ListProjects(t.Context()))
	require.NoError(t, err, "an expired token is refreshed")
	assert.Equal(t, 2, countRoute(srv.AdminRequests(), flagshiptest.RouteToken))

	srv.RevokeAdminAccess()
	_, err = admin.Collect(c.ListProjects(t.Context()))
	assert.ErrorIs(t, err, admin.ErrUnauthorized)
	assert.Equal(t, 3, countRoute(srv.AdminRequests(), flagshiptest.RouteToken), "one refresh attempt")
	assert.False(t, errors.Is(err, admin.ErrValidation))
}

func TestFakeServerValidation(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	c := srv.AdminClient()
	_, err := c.CreateFlag(t.Context(), admin.Flag{Name: "dup", Type: admin.FlagString, Description: "d"})
	require.NoError(t, err)
	_, err = c.CreateFlag(t.Context(), admin.Flag{Name: "DUP", Type: admin.FlagString, Description: "d"})
	var ae *admin.APIError
	require.ErrorAs(t, err, &ae)
	assert.ErrorIs(t, err, admin.ErrValidation)
	assert.NotEmpty(t, ae.Message, "the server's message")
	t.Log(err)
}

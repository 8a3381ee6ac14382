package httpsink_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// TestSendRedirectToAnotherOrigin checks that the Sink's own client
// never takes a request, nor its API key, to another origin, and that
// the failure is systemic like every redirect's.
func TestSendRedirectToAnotherOrigin(t *testing.T) {
	tests := []struct {
		name        string
		give        int
		wantRefused bool // refused by the redirect rule, not returned as a 3xx
	}{
		{name: "302 refused", give: http.StatusFound, wantRefused: true},
		{name: "301 refused", give: http.StatusMovedPermanently, wantRefused: true},
		{name: "307 returned", give: http.StatusTemporaryRedirect}, // the body cannot be re-sent
		{name: "308 returned", give: http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newRecorder(t, nil)
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, tt.give)
			})
			s := rec.sink(t, httpsink.Options{APIKey: testKey})
			err := s.Send(t.Context(), queued(activation(t, env, "vg")))
			require.Error(t, err)
			assert.True(t, eventqueue.IsSystemic(err), err)
			assert.False(t, eventqueue.IsPermanent(err), err)
			assert.Equal(t, tt.wantRefused, errors.Is(err, httpx.ErrCrossOriginRedirect), err)
			assert.NotContains(t, err.Error(), testKey)
			assert.Len(t, rec.received(), 1)
			assert.Empty(t, other.received(), "nothing, and no API key, reaches another origin")
		})
	}
}

// TestCloseClosesOwnConnections checks that Close leaves no goroutine of
// the Sink's own client while the server is still up, keep-alive
// connections included.
func TestCloseClosesOwnConnections(t *testing.T) {
	rec := newRecorder(t, nil)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := httpsink.New(httpsink.Options{EventsURL: rec.URL + "/events", ActivateURL: rec.URL + "/v2/activate"})
	require.NoError(t, err)
	for range 3 {
		require.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x"), activation(t, env, "vg"))))
	}
	s.Close()
}

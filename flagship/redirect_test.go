package flagship_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// TestOwnHTTPClientRedirectsStayOnOrigin checks that the SDK's own HTTP
// client refuses, in both modes, a redirect to another origin with an
// error saying so, and that the API key never reaches it.
func TestOwnHTTPClientRedirectsStayOnOrigin(t *testing.T) {
	tests := []struct {
		name       string
		giveMode   flagship.Mode
		giveURL    func(redirect, collector string) flagship.Endpoints
		wantNewErr error // a BUCKETING client without its file when New's ctx ends is not ready
	}{
		{name: "DECISION_API", giveMode: flagship.DecisionAPI, giveURL: func(redirect, collector string) flagship.Endpoints {
			return flagship.Endpoints{Base: collector, DecisionAPI: redirect}
		}},
		{name: "BUCKETING", giveMode: flagship.Bucketing, wantNewErr: flagship.ErrNotReady, giveURL: func(redirect, collector string) flagship.Endpoints {
			return flagship.Endpoints{Base: collector, Bucketing: redirect}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var reached atomic.Int32
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Add(1)
			}))
			t.Cleanup(other.Close)
			redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
			}))
			t.Cleanup(redirect.Close)
			collector := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			t.Cleanup(collector.Close)
			refused := make(chan error, 1)
			h := flagship.NotificationFunc(func(_ context.Context, e flagship.Notification) {
				if errors.Is(e.Err, httpx.ErrCrossOriginRedirect) {
					select {
					case refused <- e.Err:
					default:
					}
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			c, err := flagship.New(ctx, "env", "secret-key", flagship.WithMode(tt.giveMode),
				flagship.WithEndpoints(tt.giveURL(redirect.URL, collector.URL)),
				flagship.WithCacheDir(t.TempDir()), flagship.WithNotifications(h))
			require.ErrorIs(t, err, tt.wantNewErr)
			require.NotNil(t, c)
			t.Cleanup(func() { _ = c.Close(context.Background()) })
			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			_ = v.Synchronize(context.Background()) // fails in DECISION_API mode, serves nothing in BUCKETING mode

			select {
			case err := <-refused:
				assert.Contains(t, err.Error(), "redirect to another origin refused")
				assert.NotContains(t, err.Error(), "secret-key")
			case <-time.After(5 * time.Second):
				t.Fatal("no notification reported the refused redirect")
			}
			assert.Zero(t, reached.Load(), "nothing, and no API key, reaches another origin")
		})
	}
}

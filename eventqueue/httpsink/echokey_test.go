package httpsink_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
)

// A server that echoes the API key in its refusal: the key reaches
// neither the error nor, through it, a log line or a dead letter's reason.
func TestRefusalEchoingTheKeyIsRedacted(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "unknown key "+r.Header.Get("x-api-key")+" for this environment", status)
			})
			s := rec.sink(t, httpsink.Options{APIKey: testKey})
			err := s.Send(context.Background(), queued(activation(t, "env", "vg-1")))
			require.Error(t, err)
			require.Equal(t, testKey, rec.received()[0].Header.Get("x-api-key"), "the key was sent")
			assert.NotContains(t, err.Error(), testKey)
			assert.Contains(t, err.Error(), "unknown key REDACTED for this environment")
			var se *httpsink.StatusError
			require.True(t, errors.As(err, &se))
			assert.NotContains(t, se.Body, testKey)
		})
	}
}

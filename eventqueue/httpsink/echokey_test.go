package httpsink_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
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

// A key echoed across the cut of the reason (1 KiB) leaves no part of it
// in the error: it is redacted before the reason is cut.
func TestKeyAcrossTheReasonCutIsRedacted(t *testing.T) {
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(strings.Repeat("x", 1024-5) + " " + r.Header.Get("x-api-key") + " tail"))
	})
	s := rec.sink(t, httpsink.Options{APIKey: testKey})
	err := s.Send(context.Background(), queued(activation(t, "env", "vg-1")))
	require.Error(t, err)
	var se *httpsink.StatusError
	require.True(t, errors.As(err, &se))
	assert.NotContains(t, se.Body, testKey[:4], "no part of the key")
	assert.LessOrEqual(t, len(se.Body), 1024)
}

package fsotel

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagship"
)

func TestErrorType(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		want   string
	}{
		{errors.New("x"), 503, "503"},
		{fmt.Errorf("decision: fetch campaigns: %w", &decision.APIError{StatusCode: 500, Message: "m"}), 0, "500"},
		{&httpsink.StatusError{Endpoint: "events", StatusCode: 400}, 0, "400"},
		{&bucketing.FetchError{StatusCode: 404}, 0, "404"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), 0, "timeout"},
		{context.Canceled, 0, "canceled"},
		{flagship.ErrClosed, 0, "closed"},
		{fmt.Errorf("%w: %w", flagship.ErrNotReady, &bucketing.FetchError{Err: errors.New("dial")}), 0, "not_ready"},
		{decision.ErrResponseTooLarge, 0, "response_too_large"},
		{decision.ErrBadResponse, 0, "bad_response"},
		{decision.ErrInvalidRequest, 0, "invalid_request"},
		{eventqueue.Systemic(errors.New("revoked")), 0, "destination_refused"},
		{eventqueue.Permanent(errors.New("bad")), 0, "refused"},
		{errors.New("who knows"), 0, "_OTHER"},
	} {
		assert.Equal(t, tc.want, errorType(tc.err, tc.status), "%v", tc.err)
	}
}

// TestRedact: what servers said about a request is left out of span
// messages, wherever it is wrapped; the rest is kept.
func TestRedact(t *testing.T) {
	api := &decision.APIError{StatusCode: 400, Message: "visitor user-42 is invalid"}
	sink := &httpsink.StatusError{Endpoint: "events", StatusCode: 400, Body: `{"message":"h[0].vid: user-42"}`}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("decision: fetch campaigns: %w", api), "decision: fetch campaigns: decision: status 400 Bad Request"},
		{sink, "httpsink: events: status 400 Bad Request"},
		{eventqueue.Permanent(fmt.Errorf("wrapped: %w", sink)), "wrapped: httpsink: events: status 400 Bad Request"},
		{errors.Join(errors.New("first"), sink), "first\nhttpsink: events: status 400 Bad Request"},
		{fmt.Errorf("%w: context: key plan: value user-42", decision.ErrInvalidRequest), "decision: invalid request"},
		{errors.New("dial tcp 127.0.0.1:1: connection refused"), "dial tcp 127.0.0.1:1: connection refused"},
	} {
		got := redact(tc.err)
		assert.Equal(t, tc.want, got)
		assert.NotContains(t, got, "user-42")
	}
}

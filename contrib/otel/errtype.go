package fsotel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagship"
)

// errorOther is error.type's fallback value (semantic conventions).
const errorOther = "_OTHER"

// errorType returns the error.type of a failed operation: a few fixed
// words fit for a metric attribute. An HTTP status (status, or one the
// error carries) gives its code, as the semantic conventions of HTTP
// clients do.
func errorType(err error, status int) string {
	if status == 0 {
		status = statusOf(err)
	}
	if status >= 400 || (status > 0 && status < 200) {
		return strconv.Itoa(status)
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, flagship.ErrClosed), errors.Is(err, eventqueue.ErrClosed):
		return "closed"
	case errors.Is(err, flagship.ErrNotReady), errors.Is(err, bucketing.ErrNoConfig):
		return "not_ready"
	case errors.Is(err, decision.ErrResponseTooLarge):
		return "response_too_large"
	case errors.Is(err, decision.ErrBadResponse), errors.Is(err, bucketing.ErrInvalidFile):
		return "bad_response"
	case errors.Is(err, decision.ErrInvalidRequest):
		return "invalid_request"
	case eventqueue.IsSystemic(err):
		return "destination_refused"
	case eventqueue.IsPermanent(err):
		return "refused"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.As(err, &netErr):
		return "network"
	}
	return errorOther
}

// statusOf returns the HTTP status an error of the SDK carries, 0 if
// none.
func statusOf(err error) int {
	var api *decision.APIError
	var sink *httpsink.StatusError
	var fetch *bucketing.FetchError
	switch {
	case errors.As(err, &api):
		return api.StatusCode
	case errors.As(err, &sink):
		return sink.StatusCode
	case errors.As(err, &fetch):
		return fetch.StatusCode
	}
	return 0
}

// redact returns err's message without what servers said about the
// request, which may quote it (a visitor id, a hit's fields): the
// message of a *decision.APIError and the body of a
// *httpsink.StatusError, wherever they are in err's tree, and the
// detail of a decision.ErrInvalidRequest (a context value). The rest
// holds no secret: the SDK's errors never include the API key.
func redact(err error) string {
	msg := err.Error()
	walk(err, func(e error) bool {
		switch e := e.(type) {
		case *decision.APIError:
			if e.Message != "" {
				msg = strings.ReplaceAll(msg, e.Error(), (&decision.APIError{StatusCode: e.StatusCode}).Error())
			}
		case *httpsink.StatusError:
			if e.Body != "" {
				msg = strings.ReplaceAll(msg, e.Error(), (&httpsink.StatusError{Endpoint: e.Endpoint, StatusCode: e.StatusCode}).Error())
			}
		}
		return true
	})
	if errors.Is(err, decision.ErrInvalidRequest) {
		return decision.ErrInvalidRequest.Error()
	}
	return msg
}

// walk calls f with every error of err's tree, depth first, while f
// returns true.
func walk(err error, f func(error) bool) bool {
	if err == nil {
		return true
	}
	if !f(err) {
		return false
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), f)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !walk(e, f) {
				return false
			}
		}
	}
	return true
}

// exceptionType is the exception.type of err, as span.RecordError
// names it: its Go type.
func exceptionType(err error) string {
	return fmt.Sprintf("%T", err)
}

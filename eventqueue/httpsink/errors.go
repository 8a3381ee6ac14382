package httpsink

import (
	"errors"
	"net/http"
	"strconv"
)

// ErrInvalidOptions is wrapped by the error [New] returns for invalid
// [Options]; the message names the field at fault.
var ErrInvalidOptions = errors.New("httpsink: invalid options")

// StatusError reports an answer from a Flagship endpoint whose status is
// not 2xx. [Sink.Send] returns it marked with [eventqueue.Systemic] for a
// refusal of the destination (3xx, 401, 403, 404, 405, 407), plain for a
// retryable status (408, 429, 5xx), and marked with
// [eventqueue.Permanent] for any other (400, 413, 422, ...). Find it with
// errors.As. It is a plain value, safe for concurrent reads.
type StatusError struct {
	// Endpoint is the endpoint that answered: "events" or "activate". The
	// URL is left out on purpose.
	Endpoint string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Body is the server's reason: the first KiB of the answer's body,
	// with control characters turned into spaces, invalid UTF-8 removed
	// and surrounding space trimmed. It may be empty.
	Body string
}

// Error returns "httpsink: <endpoint>: status <code> <text>: <body>",
// for example `httpsink: events: status 400 Bad Request: {"message":"h[0].dl: required"}`.
func (e *StatusError) Error() string {
	msg := "httpsink: " + e.Endpoint + ": status " + strconv.Itoa(e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		msg += " " + t
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

package httpx

import (
	"fmt"
	"io"
	"net/http"
)

// DrainLimit is how much of an unread body [DrainClose] discards before
// closing it: enough for the error pages and leftovers that let the
// connection be reused, little enough that a huge body cannot hold the
// caller up (the connection is then abandoned).
const DrainLimit = 64 << 10

// TooLargeError reports a body larger than the limit given to
// [ReadBody]. Nothing of it is returned: a body is never silently
// truncated.
type TooLargeError struct {
	// Limit is the largest body accepted, in bytes.
	Limit int64
	// Size is the body's announced length (Content-Length), or -1 when it
	// was not announced and the body was found larger while reading it.
	Size int64
}

// Error returns "response body of N bytes, more than LIMIT" or, when the
// size is unknown, "response body of more than LIMIT bytes".
func (e *TooLargeError) Error() string {
	if e.Size >= 0 {
		return fmt.Sprintf("response body of %d bytes, more than %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("response body of more than %d bytes", e.Limit)
}

// ReadBody reads resp's body, which must hold at most limit bytes. A body
// announced larger (Content-Length) is not read; otherwise at most
// limit+1 bytes are read, the extra byte telling that the body is larger.
// Either way it returns a [*TooLargeError]. A read error is returned as
// is. ReadBody neither drains nor closes the body: see [DrainClose].
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit, Size: resp.ContentLength}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Limit: limit, Size: -1}
	}
	return b, nil
}

// DrainClose discards at most [DrainLimit] bytes of what is left of body,
// so that its connection can be reused, and closes it.
func DrainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, DrainLimit))
	_ = body.Close()
}

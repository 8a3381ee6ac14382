package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// maxErrorBody bounds what is read of an error answer.
const maxErrorBody = 64 << 10

// request is one HTTP request of a call, sent again on retries.
type request struct {
	method    string
	url       string // absolute
	path      string // the URL's escaped path, for errors and logs
	body      []byte // nil: none
	token     Secret // the bearer token; "" for the token endpoint
	tokenCall bool   // the token endpoint: a refusal means ErrUnauthorized
}

func newRequest(method, u string, body []byte) request {
	path := u
	if p, err := url.Parse(u); err == nil {
		path = p.EscapedPath()
	}
	return request{method: method, url: u, path: path, body: body}
}

// response is a 2xx answer, its body read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do runs one API call: method on path (relative to the base URL) with
// query, in encoded as the JSON body when non-nil, and the answer's body
// decoded into out when out is non-nil and the body is not empty. It gets
// a token first and, when the API refuses it (401), gets a new one and
// sends the request once more.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if c.closed.Load() {
		return ErrClosed
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("admin: %s %s: encode request: %w", method, path, err)
		}
	}
	u := c.base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	r := newRequest(method, u, body)
	for replayed := false; ; replayed = true {
		tok, err := c.token(ctx)
		if err != nil {
			return err
		}
		r.token = tok
		resp, err := c.send(ctx, r)
		var ae *APIError
		if !replayed && errors.As(err, &ae) && ae.StatusCode == http.StatusUnauthorized {
			c.log.LogAttrs(ctx, slog.LevelDebug, "token refused, refreshing",
				slog.String("method", method), slog.String("path", r.path))
			c.auth.invalidate(tok)
			continue
		}
		if err != nil {
			return err
		}
		return decodeJSON(r, resp.body, out)
	}
}

// decodeJSON decodes body into out, unless out is nil or body empty.
// Unknown fields are ignored.
func decodeJSON(r request, body []byte, out any) error {
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("admin: %s %s: decode response: %w", r.method, r.path, err)
	}
	return nil
}

// finalError is an error of [Client.once] that no retry can mend.
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }

// once sends r one time. It returns the answer with its body read, a
// transport error, or a [*finalError] (a body too large).
func (c *Client) once(ctx context.Context, r request) (response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return response{}, &finalError{fmt.Errorf("admin: %s %s: %w", r.method, r.path, err)}
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.ua)
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+string(r.token))
	}
	hr, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer httpx.DrainClose(hr.Body)
	limit := int64(MaxResponseSize)
	if hr.StatusCode < 200 || hr.StatusCode > 299 {
		limit = maxErrorBody
	}
	b, err := httpx.ReadBody(hr, limit)
	var tooLarge *httpx.TooLargeError
	switch {
	case errors.As(err, &tooLarge) && limit == maxErrorBody:
		b = nil // an error answer: its status is enough
	case errors.As(err, &tooLarge):
		return response{}, &finalError{fmt.Errorf("admin: %s %s: %d: %w", r.method, r.path, hr.StatusCode, err)}
	case err != nil:
		return response{}, fmt.Errorf("read response: %w", err)
	}
	return response{status: hr.StatusCode, header: hr.Header, body: b}, nil
}

// apiError builds the error of a non-2xx answer. The server's message is
// capped, and cleared of the secret and the token should it echo them.
func (c *Client) apiError(r request, resp response) *APIError {
	// Redacted before it is cut: a secret the cut splits would survive.
	msg := httpx.RedactToken(serverMessage(resp.body), string(c.auth.secret))
	msg = httpx.RedactToken(msg, string(r.token))
	msg = truncate(msg, maxMessage)
	return &APIError{
		StatusCode: resp.status,
		Method:     r.method,
		Path:       r.path,
		Message:    msg,
		auth:       r.tokenCall,
	}
}

// serverMessage returns the message of an error body: the "message" (or
// OAuth's "error_description", "error") of a JSON object, with its
// "errors" appended, or else the body's text.
func serverMessage(body []byte) string {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ""
	}
	var v struct {
		Message          string          `json:"message"`
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		Errors           json.RawMessage `json:"errors"`
	}
	if body[0] != '{' || json.Unmarshal(body, &v) != nil {
		return strings.ToValidUTF8(string(body), "�")
	}
	msg := v.Message
	if msg == "" {
		msg = v.ErrorDescription
	}
	if msg == "" && len(v.Error) > 0 {
		var s string
		if json.Unmarshal(v.Error, &s) == nil {
			msg = s
		} else {
			msg = string(v.Error)
		}
	}
	if e := bytes.TrimSpace(v.Errors); len(e) > 0 && !bytes.Equal(e, []byte("null")) {
		var compact bytes.Buffer
		if json.Compact(&compact, e) == nil {
			e = compact.Bytes()
		}
		if msg != "" {
			msg += " "
		}
		msg += string(e)
	}
	if msg == "" {
		return string(body)
	}
	return msg
}

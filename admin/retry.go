package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// send sends r until it gets a 2xx answer or an error that the retry rule
// of the package documentation does not retry, for at most
// RetryPolicy.MaxAttempts requests, all bounded by ctx.
func (c *Client) send(ctx context.Context, r request) (response, error) {
	p := c.retry
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.initialBackoff()),
		backoff.WithMaxInterval(p.maxBackoff()),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0), // bounded by attempts and ctx instead
	)
	// A token request creates nothing: asking again is harmless.
	idem := idempotent(r.method) || r.tokenCall
	ambiguous := false // an earlier attempt may have been applied
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, r)
		var fe *finalError
		if errors.As(err, &fe) {
			return response{}, fe.err
		}
		var last error
		var wait time.Duration
		if err != nil {
			last = fmt.Errorf("admin: %s %s: %w", r.method, r.path, err)
			if ctx.Err() != nil || !(idem || notSent(err)) || attempt >= p.maxAttempts() {
				return response{}, last
			}
			ambiguous = ambiguous || !notSent(err)
			wait = b.NextBackOff()
		} else {
			if resp.status >= 200 && resp.status <= 299 {
				return resp, nil
			}
			if resp.status == http.StatusNotFound && r.method == http.MethodDelete && ambiguous {
				return response{status: http.StatusNoContent}, nil // deleted by an earlier attempt
			}
			ae := c.apiError(r, resp)
			ra, hasRA := retryAfter(resp.header.Get("Retry-After"), time.Now())
			if hasRA && (resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable) {
				ae.RetryAfter = ra
			}
			if !retryableStatus(resp.status, idem) || attempt >= p.maxAttempts() {
				return response{}, ae
			}
			last = ae
			ambiguous = ambiguous || resp.status != http.StatusTooManyRequests
			switch {
			case ae.RetryAfter > p.maxRetryWait():
				return response{}, ae // longer than we may wait: the caller decides
			case hasRA && ae.RetryAfter >= 0 && (resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable):
				wait = ae.RetryAfter
			default:
				wait = b.NextBackOff()
			}
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return response{}, fmt.Errorf("%w; the retry in %s would pass the context deadline: %w",
				last, wait.Round(time.Millisecond), context.DeadlineExceeded)
		}
		c.log.LogAttrs(ctx, slog.LevelDebug, "retrying",
			slog.String("method", r.method), slog.String("path", r.path),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.String("err", last.Error()))
		if err := sleep(ctx, wait); err != nil {
			return response{}, fmt.Errorf("%w; gave up waiting %s to retry: %w", last, wait.Round(time.Millisecond), err)
		}
	}
}

// idempotent reports whether sending a request of method twice has the
// effect of sending it once (spec §7.1): everything but POST, which
// creates.
func idempotent(method string) bool { return method != http.MethodPost }

// retryableStatus reports whether an answer of status is retried: 429
// always (the request was refused, not processed), 502, 503 and 504 for
// idempotent requests only (it may have been processed).
func retryableStatus(status int, idem bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idem
	}
	return false
}

// notSent reports whether a transport error happened before the request
// could reach the server (the connection could not be opened), so that
// sending it again cannot repeat it.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// retryAfter parses a Retry-After header: delta-seconds or an HTTP date
// (RFC 9110 §10.2.3), relative to now. A date in the past means 0.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second) // no overflow; longer than any MaxRetryWait anyway
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	// HTTP dates have a resolution of one second: round the wait up, so
	// that the retry is never early.
	d := t.Sub(now.Truncate(time.Second))
	return max(d, 0), true
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

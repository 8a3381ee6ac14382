package flagshiptest

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"
)

// AdminRequest is one request the management or token routes answered.
type AdminRequest struct {
	// Route is [RouteAdmin] or [RouteToken].
	Route string
	// Method and Path are the request's; Path is unescaped, without the
	// query.
	Method string
	Path   string
	// Query is the request's query; an access_token value reads
	// "REDACTED".
	Query url.Values
	// Headers are the request's headers without Authorization.
	Headers http.Header
	// Body is the request's body, nil if it had none; nil on the token
	// route, whose body holds the secret.
	Body []byte
	// Status is the status answered, a fault's included; 0 for a dropped
	// connection or a client that left during a fault's latency.
	Status int
	// Received is when the handler received it.
	Received time.Time
}

func (r AdminRequest) clone() AdminRequest {
	r.Query = url.Values(http.Header(r.Query).Clone())
	r.Headers = r.Headers.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}

// AdminRequests returns copies of the requests the management API and the
// token route answered, in arrival order. Unlike the SDK routes' records,
// it holds every answered request: refused ones (400, 401, 404, 429...)
// and faulted ones too, so that tests can count a client's retries.
// [Handler.Reset] forgets them.
func (h *Handler) AdminRequests() []AdminRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]AdminRequest, len(h.adm.requests))
	for i := range h.adm.requests {
		out[i] = h.adm.requests[i].clone()
	}
	return out
}

// SetAdminRateLimit limits the management API (not the token route) to
// perSecond requests a second on average, with bursts of burst requests
// (a token bucket, full at first). A request over the limit is answered
// 429 with a Retry-After header in whole seconds, at least 1. perSecond
// 0 removes the limit (the default). It returns an error wrapping
// [ErrInvalidOptions] and changes nothing if perSecond is negative or
// not finite, or burst is below 1 with a limit; [Server.SetAdminRateLimit]
// fails the test instead.
func (h *Handler) SetAdminRateLimit(perSecond float64, burst int) error {
	if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) || perSecond > 0 && burst < 1 {
		return fmt.Errorf("%w: rate limit %v/s, burst %d", ErrInvalidOptions, perSecond, burst)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adm.limiter = rateLimiter{rate: perSecond, burst: float64(burst), tokens: float64(burst), last: h.now()}
	return nil
}

// SetPublicationDelay makes the changes made through the management API
// reach the bucketing file and the Decision API d after they are made,
// like Flagship's CDN: management reads see them at once, SDKs later.
// The bucketing file's Last-Modified is then the publication time.
// Changes made in code (SetCampaigns, SetBucketingFile, SetPanic) are
// served at once, with those pending. 0, the default, publishes at once.
// It applies to changes made after it. It returns an error wrapping
// [ErrInvalidOptions] if d is negative; [Server.SetPublicationDelay]
// fails the test instead.
func (h *Handler) SetPublicationDelay(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%w: negative publication delay %v", ErrInvalidOptions, d)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adm.delay = d
	return nil
}

// rateLimiter is a token bucket on the handler's clock. The zero value
// lets everything through.
type rateLimiter struct {
	rate, burst, tokens float64
	last                time.Time
}

// take takes a token at now, or reports how long until one is there.
func (l *rateLimiter) take(now time.Time) (ok bool, wait time.Duration) {
	if l.rate <= 0 {
		return true, 0
	}
	if now.After(l.last) {
		l.tokens = math.Min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
		l.last = now
	}
	if l.tokens >= 1 {
		l.tokens--
		return true, 0
	}
	return false, time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
}

// retryAfter returns d as a Retry-After value: whole seconds, rounded up,
// at least 1.
func retryAfter(d time.Duration) string {
	secs := max(int64((d+time.Second-1)/time.Second), 1)
	return fmt.Sprint(secs)
}

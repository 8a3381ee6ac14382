package httpsink

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Defaults for [Options].
const (
	// DefaultMaxBodyBytes bounds a request body: Flagship's SDKs stop
	// adding hits to a batch at 2.5 MB of JSON (spec §7.1).
	DefaultMaxBodyBytes = 2_500_000
	// DefaultMaxAge is the age beyond which Flagship's SDKs drop a hit
	// instead of sending it (spec §7.6). The queue wiring uses it as the
	// MaxAge of this sink's configuration; the Sink itself sends whatever
	// it is given.
	DefaultMaxAge = 4 * time.Hour
	// DefaultTimeout bounds each request.
	DefaultTimeout = 10 * time.Second
)

// minMaxBodyBytes is the smallest MaxBodyBytes accepted: below it, a
// sink would refuse as too large, and so dead-letter, ordinary hits.
const minMaxBodyBytes = 1024

// Options configures a [Sink]. EventsURL and ActivateURL are required;
// the zero value of every other field means its default. [New] copies
// what it needs: changing Options afterwards has no effect.
type Options struct {
	// EventsURL is the events endpoint, e.g. https://events.flagship.io.
	// Required; an absolute http or https URL.
	EventsURL string
	// ActivateURL is the activation endpoint, e.g.
	// https://decision.flagship.io/v2/activate. Required; an absolute
	// http or https URL.
	ActivateURL string
	// APIKey is sent as the x-api-key header of activation requests, and
	// never on events requests. Empty means no header.
	APIKey string
	// HTTPClient sends the requests, possibly from several goroutines at
	// once; it is used as is and never closed. nil means a client of the
	// Sink's own, on a transport of its own whose idle connections
	// [Sink.Close] closes, with Timeout as its timeout; it refuses, with
	// an error, redirects to another origin (scheme, host or port), so
	// that the API key never reaches another host. A body is never
	// re-sent: see the package documentation for what a redirect does.
	HTTPClient *http.Client
	// Timeout bounds each request, also on a caller's HTTPClient.
	// 0 means DefaultTimeout; it must not be negative.
	Timeout time.Duration
	// MaxBodyBytes bounds the size of a request body. 0 means
	// DefaultMaxBodyBytes; otherwise it must be at least 1024.
	MaxBodyBytes int
	// Now returns the current time, from which the queue time (qt) of
	// each record is computed, and Retry-After dates are measured. It is
	// called from the goroutines that call Send, so it must be safe for
	// concurrent use. nil means time.Now.
	Now func() time.Time
}

// validate returns an error wrapping ErrInvalidOptions that names every
// problem. It never quotes a URL, which may hold credentials.
func (o *Options) validate() error {
	var errs []error
	for _, f := range [...]struct{ name, url string }{
		{"EventsURL", o.EventsURL},
		{"ActivateURL", o.ActivateURL},
	} {
		if problem := checkURL(f.url); problem != "" {
			errs = append(errs, errors.New(f.name+" "+problem))
		}
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("option Timeout %v is negative", o.Timeout))
	}
	if o.MaxBodyBytes != 0 && o.MaxBodyBytes < minMaxBodyBytes {
		errs = append(errs, fmt.Errorf("MaxBodyBytes %d is below %d", o.MaxBodyBytes, minMaxBodyBytes))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return nil
}

// checkURL returns what is wrong with an endpoint URL, or "".
func checkURL(s string) string {
	if s == "" {
		return "is required"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "is not a valid URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an absolute http or https URL"
	case u.Host == "":
		return "has no host"
	}
	return ""
}

func (o *Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

func (o *Options) maxBodyBytes() int {
	if o.MaxBodyBytes > 0 {
		return o.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

func (o *Options) now() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

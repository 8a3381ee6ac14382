package httpsink

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/version"
)

// apiKey holds the API key; it never prints.
type apiKey string

// String returns "REDACTED".
func (apiKey) String() string { return "REDACTED" }

// LogValue returns "REDACTED", so that slog never shows the key.
func (apiKey) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// Sink delivers batches of queued records to Flagship's events and
// activation endpoints (see the package documentation). Build one with
// [New]; the zero Sink is not usable.
//
// A Sink is safe for concurrent use: Send may be called by several
// dispatchers at once.
type Sink struct {
	eventsURL   string
	activateURL string
	key         *apiKey      // a pointer, so that printing the Sink shows no key
	client      httpx.Client // made by New when Options.HTTPClient is nil
	timeout     time.Duration
	maxBody     int
	now         func() time.Time
	scratch     sync.Pool // of *scratch, so that concurrent Sends reuse buffers
}

var _ eventqueue.Sink = (*Sink)(nil)

// New returns a Sink configured by opts. It returns an error wrapping
// [ErrInvalidOptions], naming each bad field, if a URL is missing or not
// an absolute http or https URL, if Timeout is negative, or if
// MaxBodyBytes is negative or below 1024.
func New(opts Options) (*Sink, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	k := apiKey(opts.APIKey)
	s := &Sink{
		eventsURL:   opts.EventsURL,
		activateURL: opts.ActivateURL,
		key:         &k,
		timeout:     opts.timeout(),
		maxBody:     opts.maxBodyBytes(),
		now:         opts.now(),
	}
	s.client = httpx.ClientFor(opts.HTTPClient, s.timeout)
	return s, nil
}

// Send delivers batch: the hit and consent records to the events
// endpoint, the activation records to the activation endpoint, in bodies
// of at most Options.MaxBodyBytes, one request after the other. It
// returns nil once every request was answered with a 2xx status, and nil
// at once for an empty batch.
//
// A 207 Multi-Status answer whose body names the items it refused
// ({"refused": [{"index": i, "reason": "..."}], the answer of
// flagshiptest and "flagship serve" to a batch refused in part) confirms
// the others: Send then goes on with the next request and returns an
// [eventqueue.Partial] error, with an entry per record of batch, nil for
// the records delivered and a [*StatusError] (status 207, the item's
// reason as Body) marked [eventqueue.Permanent] for each record refused,
// so that the queue dead-letters exactly those and re-sends nothing. A
// 207 whose body names no item (or can't be read, or names an item the
// request did not have) is a 2xx like another: every record is taken as
// delivered.
//
// The first failure ends the Send. A non-2xx answer gives an error
// wrapping a [*StatusError]. A refusal of the destination (a redirect,
// 401, 403, 404, 405, 407) is marked with [eventqueue.Systemic]; a
// retryable failure (network error, timeout, 408, 429, 5xx) is a plain
// error; both are wrapped with [eventqueue.RetryAfter] for the delay of a
// Retry-After header. Any other status is marked with
// [eventqueue.Permanent], and so are a record that hits refuses to encode
// (the error wraps [hits.ErrInvalidRecord]) and a record too large for a
// body on its own; both errors name the record's ID. When ctx ends, Send
// returns promptly with an error wrapping ctx.Err(). After a 207, a
// failure is returned inside the Partial error, for the records not
// confirmed (those of the failed request and of the requests after it).
// Send does not modify batch, nor keep it after it returns.
func (s *Sink) Send(ctx context.Context, batch []eventqueue.Record) error {
	if len(batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("httpsink: %w", err)
	}
	sc := s.getScratch()
	defer s.putScratch(sc)
	sc.split(batch)
	for _, g := range sc.groups {
		if err := s.sendGroup(ctx, sc, g); err != nil {
			return sc.result(err, sc.failAt)
		}
	}
	return sc.result(nil, 0)
}

// Close closes the idle connections of the HTTP client the Sink made; it
// does nothing to a caller's Options.HTTPClient. The Sink stays usable:
// a later Send opens new connections. Close is safe to call more than
// once.
func (s *Sink) Close() {
	s.client.CloseIdle()
}

// url returns the URL of ep.
func (s *Sink) url(ep endpoint) string {
	if ep == activateEndpoint {
		return s.activateURL
	}
	return s.eventsURL
}

// header returns the headers of a request to ep (spec §1).
func (s *Sink) header(ep endpoint) http.Header {
	h := make(http.Header, 5)
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{version.UserAgent}
	h["X-Sdk-Client"] = []string{"go"}
	h["X-Sdk-Version"] = []string{version.SDK}
	if ep == activateEndpoint && *s.key != "" {
		h["X-Api-Key"] = []string{string(*s.key)}
	}
	return h
}

// tooLarge returns the permanent error for a record whose body alone
// exceeds the limit.
func (s *Sink) tooLarge(r *hits.Record, size int) error {
	return eventqueue.Permanent(fmt.Errorf("httpsink: record %s: body of %d bytes exceeds MaxBodyBytes %d", r.ID(), size, s.maxBody))
}

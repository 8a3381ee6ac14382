package flagship

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Mode selects where decisions are made.
type Mode uint8

const (
	// DecisionAPI asks the Flagship Decision API for each visitor's
	// campaigns on every [visitor.Visitor.Synchronize]. It is the default.
	DecisionAPI Mode = iota
	// Bucketing decides locally from the environment's bucketing file,
	// downloaded at start, cached on disk and polled.
	Bucketing
)

// String returns "DECISION_API" or "BUCKETING", the names Flagship's
// documentation uses.
func (m Mode) String() string {
	switch m {
	case DecisionAPI:
		return "DECISION_API"
	case Bucketing:
		return "BUCKETING"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Defaults used when an option is not given.
const (
	// DefaultDecisionAPIURL is the base URL of the Decision API.
	DefaultDecisionAPIURL = decision.DefaultAPIURL
	// DefaultActivateURL is the activation endpoint (spec §3).
	DefaultActivateURL = "https://decision.flagship.io/v2/activate"
	// DefaultEventsURL is the hits (data collection) endpoint (spec §7).
	DefaultEventsURL = "https://events.flagship.io"
	// DefaultBucketingURL is the CDN base URL; the file is fetched from
	// {DefaultBucketingURL}/{envID}/bucketing.json.
	DefaultBucketingURL = "https://cdn.flagship.io"
	// DefaultDecisionTimeout bounds one Decision API call.
	DefaultDecisionTimeout = decision.DefaultTimeout
	// DefaultFetchTimeout bounds one download of the bucketing file.
	DefaultFetchTimeout = bucketing.DefaultFetchTimeout
	// DefaultHitTimeout bounds one delivery of hits or activations.
	DefaultHitTimeout = 5 * time.Second
	// DefaultPollingInterval is how often the bucketing file is polled.
	DefaultPollingInterval = bucketing.DefaultPollInterval
	// MinPollingInterval is the shortest polling interval accepted, so
	// that a typo cannot flood the CDN.
	MinPollingInterval = 50 * time.Millisecond
)

// An Option configures a [Client] in [New].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set; New validates it in one place.
type config struct {
	mode             Mode
	decisionAPIURL   string
	activateURL      string
	eventsURL        string
	bucketingURL     string
	httpClient       *http.Client
	decisionTimeout  time.Duration
	fetchTimeout     time.Duration
	hitTimeout       time.Duration
	pollingInterval  time.Duration
	logger           *slog.Logger
	handler          EventHandler
	cacheDir         string
	tracker          visitor.Tracker
	store            assignment.Store
	cacheOpts        assignment.CacheOptions
	contextHitWindow time.Duration
	queuePath        string
	sinks            []eventqueue.SinkConfig
	noHTTPDelivery   bool
	batchSize        int
	flushInterval    time.Duration
	hitMaxAge        time.Duration
	maxRecords       int
	maxBytes         int64
	bufferDelay      time.Duration
	retryInitial     time.Duration
	retryMax         time.Duration
	now              func() time.Time
	clockSet         bool    // WithClock was given
	errs             []error // problems found while applying options
}

func defaultConfig() config {
	return config{
		mode:            DecisionAPI,
		decisionAPIURL:  DefaultDecisionAPIURL,
		activateURL:     DefaultActivateURL,
		eventsURL:       DefaultEventsURL,
		bucketingURL:    DefaultBucketingURL,
		decisionTimeout: DefaultDecisionTimeout,
		fetchTimeout:    DefaultFetchTimeout,
		hitTimeout:      DefaultHitTimeout,
		pollingInterval: DefaultPollingInterval,
		batchSize:       eventqueue.DefaultBatchSize,
		flushInterval:   eventqueue.DefaultFlushInterval,
		hitMaxAge:       DefaultHitMaxAge,
		maxRecords:      eventqueue.DefaultMaxRecords,
		maxBytes:        eventqueue.DefaultMaxBytes,
		retryInitial:    eventqueue.DefaultRetryInitial,
		retryMax:        eventqueue.DefaultRetryMax,
		now:             time.Now,
	}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// WithMode selects [DecisionAPI] (the default) or [Bucketing].
func WithMode(m Mode) Option {
	return optionFunc(func(c *config) {
		if m != DecisionAPI && m != Bucketing {
			c.fail("unknown mode %d", uint8(m))
			return
		}
		c.mode = m
	})
}

// WithDecisionAPIURL sets the Decision API base URL, for a self-hosted
// decision API or a local server. Default [DefaultDecisionAPIURL].
func WithDecisionAPIURL(u string) Option {
	return optionFunc(func(c *config) { c.decisionAPIURL = c.checkURL("decision API URL", u) })
}

// WithActivateURL sets the activation endpoint. Default [DefaultActivateURL].
func WithActivateURL(u string) Option {
	return optionFunc(func(c *config) { c.activateURL = c.checkURL("activate URL", u) })
}

// WithEventsURL sets the hits endpoint. Default [DefaultEventsURL].
func WithEventsURL(u string) Option {
	return optionFunc(func(c *config) { c.eventsURL = c.checkURL("events URL", u) })
}

// WithBucketingURL sets the base URL the bucketing file is fetched from,
// as {u}/{envID}/bucketing.json. Default [DefaultBucketingURL].
func WithBucketingURL(u string) Option {
	return optionFunc(func(c *config) { c.bucketingURL = c.checkURL("bucketing URL", u) })
}

func (c *config) checkURL(what, u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		c.fail("%s %q: want an absolute http or https URL", what, u)
		return u
	}
	return u
}

// WithHTTPClient sets the HTTP client for every call the SDK makes. It
// stays the caller's: the SDK never closes its idle connections nor
// modifies it, and sends through a shallow copy whose CheckRedirect
// refuses, with an error, redirects to another origin (scheme, host or
// port), so that the API key header never reaches another host, and
// leaves the others to h.CheckRedirect. Default: the SDK's own client, one
// per [Client] on a transport of its own, whose connections [Client.Close]
// closes; each call is bounded by the timeouts below, and it follows
// redirects only within the origin of the URL called.
func WithHTTPClient(h *http.Client) Option {
	return optionFunc(func(c *config) {
		if h == nil {
			c.fail("nil HTTP client")
			return
		}
		c.httpClient = h
	})
}

// WithDecisionTimeout bounds each Decision API call. Default
// [DefaultDecisionTimeout].
func WithDecisionTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.decisionTimeout = c.positive("decision timeout", d) })
}

// WithFetchTimeout bounds each download of the bucketing file. Default
// [DefaultFetchTimeout].
func WithFetchTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.fetchTimeout = c.positive("fetch timeout", d) })
}

// WithHitTimeout bounds each request delivering hits or activations.
// Default [DefaultHitTimeout].
func WithHitTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.hitTimeout = c.positive("hit timeout", d) })
}

func (c *config) positive(what string, d time.Duration) time.Duration {
	if d <= 0 {
		c.fail("%s %v: want a positive duration", what, d)
	}
	return d
}

// WithPollingInterval sets how often the bucketing file is polled in
// [Bucketing] mode; each wait is jittered by ±10%. A negative interval
// disables polling (the file is fetched once at start). Zero means
// [DefaultPollingInterval]; a positive interval below [MinPollingInterval]
// is refused.
func WithPollingInterval(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d == 0 {
			d = DefaultPollingInterval
		}
		if d > 0 && d < MinPollingInterval {
			c.fail("polling interval %v: want at least %v (or negative to disable polling)", d, MinPollingInterval)
		}
		c.pollingInterval = d
	})
}

// WithLogger sets the logger. nil, the default, means [slog.Default].
// The SDK logs routine activity at Debug, degraded states at Warn and data
// loss at Error, and never logs the API key.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithEventHandler sets the handler that receives the SDK's events and log
// records (see [EventHandler]). Default: none.
func WithEventHandler(h EventHandler) Option {
	return optionFunc(func(c *config) { c.handler = h })
}

// WithCacheDir sets the directory where the SDK keeps its files: the last
// good bucketing file (so a restart works offline), the queue file
// ([QueueFileName]: hits not yet delivered) and, in [Bucketing] mode, the
// default assignment store ([AssignmentsFileName]). It is created with
// mode 0700 if missing. Default: {os.UserCacheDir()}/flagship/{envID}.
func WithCacheDir(dir string) Option {
	return optionFunc(func(c *config) {
		if dir == "" {
			c.fail("empty cache directory")
			return
		}
		c.cacheDir = dir
	})
}

// WithTracker replaces the SDK's delivery of hits and activations: every
// record a visitor emits goes to t.Enqueue instead of the durable queue.
// It stays the caller's; if it is a [visitor.AsyncTracker], the records
// the SDK sends on its own go to its EnqueueAsync. The queue file is
// still opened for sinks given by [WithSink]. Default: records go through
// the durable queue to the events and activation endpoints.
func WithTracker(t visitor.Tracker) Option {
	return optionFunc(func(c *config) {
		if t == nil {
			c.fail("nil tracker")
			return
		}
		c.tracker = t
	})
}

// WithAssignmentStore sets where [Bucketing] mode keeps assignments
// (Flagship's visitor cache, spec §8), which make them sticky: a visitor
// keeps its variation when allocations change, and one-visitor-one-test
// and anonymous-to-authenticated continuity hold. A store shared by the
// replicas of a service (the Redis store of module
// github.com/seed27eed597/flagship-go/contrib/redis) makes them hold
// across replicas. The store stays the caller's: Close does not close it.
//
// Decisions read the store through an [assignment.Cache] (see
// [WithAssignmentCache]), except an [*assignment.Memory] or an
// [*assignment.Cache] of the caller's, used as they are.
//
// Default: an [assignment.File] in the cache directory
// ([AssignmentsFileName]), so assignments survive restarts; it keeps
// [assignment.DefaultFileMaxEntries] visitors for
// [assignment.DefaultFileTTL].
func WithAssignmentStore(s assignment.Store) Option {
	return optionFunc(func(c *config) {
		if s == nil {
			c.fail("nil assignment store")
			return
		}
		c.store = s
	})
}

// WithAssignmentCache configures the cache in front of the assignment
// store: its size and TTL, the time a decision waits for the store on a
// miss (ReadBudget, default 20 ms), the breaker, and whether a store
// failure fails decisions (FailClosed) or lets them go on without the
// visitor's assignments (the default). Its Logger and Now are the
// client's; its OnEvent, if set, is called besides the client's events.
// Default: [assignment.CacheOptions]{} (every field at its default).
func WithAssignmentCache(o assignment.CacheOptions) Option {
	return optionFunc(func(c *config) { c.cacheOpts = o })
}

// WithContextHitWindow sets how long an unchanged context is not sent
// again in a context hit for the same visitor id, whatever Visitor value
// synchronizes (a service that makes a Visitor per request would
// otherwise send one per request). A changed context is always sent.
// Default [visitor.DefaultContextHitWindow] (30 minutes).
func WithContextHitWindow(d time.Duration) Option {
	return optionFunc(func(c *config) { c.contextHitWindow = c.positive("context hit window", d) })
}

// WithClock sets the clock used to stamp hits. Default [time.Now].
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now == nil {
			c.fail("nil clock")
			return
		}
		c.now, c.clockSet = now, true
	})
}

// resolveCacheDir returns the cache directory, the default one if none was
// given (under os.TempDir() when the user has no cache directory).
func (c *config) resolveCacheDir(envID string) string {
	if c.cacheDir != "" {
		return c.cacheDir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "flagship", envID)
}

// DefaultHitMaxAge is how long a hit or activation may wait for delivery
// to Flagship before it is moved to the dead letters as expired (spec
// §7.6: Flagship's SDKs drop them after 4 hours).
const DefaultHitMaxAge = 4 * time.Hour

// WithQueueFile sets the path of the queue file, which holds the hits
// and activations not yet delivered and the dead letters. One
// process at a time may use a file: New fails with an error wrapping
// [eventqueue.ErrQueueLocked] when another holds it. Default
// {cache directory}/[QueueFileName].
func WithQueueFile(path string) Option {
	return optionFunc(func(c *config) {
		if path == "" {
			c.fail("empty queue file path")
			return
		}
		c.queuePath = path
	})
}

// WithBatching sets how the HTTP delivery batches: a request leaves when
// it holds size records or interval after its first record, whichever is
// first. Defaults [eventqueue.DefaultBatchSize] (100) and
// [eventqueue.DefaultFlushInterval] (5 s).
func WithBatching(size int, interval time.Duration) Option {
	return optionFunc(func(c *config) {
		if size < 1 || size > 1000 {
			c.fail("batch size %d: want 1 to 1000", size)
		}
		c.batchSize = size
		c.flushInterval = c.positive("flush interval", interval)
	})
}

// WithHitMaxAge sets how long a record may wait for delivery to Flagship
// before it is moved to the dead letters as expired. Default
// [DefaultHitMaxAge].
func WithHitMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { c.hitMaxAge = c.positive("hit max age", d) })
}

// WithQueueLimits bounds the queue: at most maxRecords records waiting
// per destination and maxBytes stored bytes in all. Beyond them,
// SendHit and Activate fail at once with an error wrapping
// [eventqueue.ErrQueueFull]. Defaults [eventqueue.DefaultMaxRecords] and
// [eventqueue.DefaultMaxBytes].
func WithQueueLimits(maxRecords int, maxBytes int64) Option {
	return optionFunc(func(c *config) {
		if maxRecords < 1 || maxBytes < 1 {
			c.fail("queue limits %d records, %d bytes: want positive limits", maxRecords, maxBytes)
		}
		c.maxRecords, c.maxBytes = maxRecords, maxBytes
	})
}

// WithBufferedDelivery trades durability for latency: SendHit and Activate
// return before the record is on disk, and the queue commits within
// delay. A crash loses what was not yet committed; Close commits it.
// Default: durable, each call returns once its record is fsynced (calls
// made at the same time share one fsync).
func WithBufferedDelivery(delay time.Duration) Option {
	return optionFunc(func(c *config) { c.bufferDelay = c.positive("buffer delay", delay) })
}

// WithSink adds a destination: every record of the kinds s takes is also
// delivered through s.Sink, with its own backlog and progress in the queue
// file, so that a slow destination never holds back another. Its Name
// must be stable across restarts and differ from [SinkHTTPHits] and
// [SinkHTTPActivations].
func WithSink(s eventqueue.SinkConfig) Option {
	return optionFunc(func(c *config) {
		if s.Sink == nil {
			c.fail("sink %q: nil Sink", s.Name)
			return
		}
		if s.Name == SinkHTTPHits || s.Name == SinkHTTPActivations {
			c.fail("sink name %q is reserved", s.Name)
			return
		}
		c.sinks = append(c.sinks, s)
	})
}

// WithoutHTTPDelivery stops delivering hits and activations to Flagship's
// events and activation endpoints: records go only to the sinks given by
// [WithSink], which must take every kind between them (hits, activations,
// consents), or to a tracker given by [WithTracker]; for example to Kafka
// alone (see package
// [github.com/seed27eed597/flagship-go/eventqueue/kafkasink]). Flagship's
// reports then see none of this client's traffic. Backlogs the HTTP sinks
// left in the queue file are kept and counted, not sent. Default: the HTTP
// delivery runs, beside any WithSink sink.
func WithoutHTTPDelivery() Option {
	return optionFunc(func(c *config) { c.noHTTPDelivery = true })
}

// WithRetryBackoff sets the waits between attempts to deliver a batch that
// failed: exponential from initial, jittered by ±50%, capped at max, and
// never shorter than a Retry-After the server asked for. Attempts go on
// until delivery or expiry ([WithHitMaxAge]). Defaults
// [eventqueue.DefaultRetryInitial] (1 s) and [eventqueue.DefaultRetryMax]
// (1 min).
func WithRetryBackoff(initial, max time.Duration) Option {
	return optionFunc(func(c *config) {
		c.retryInitial = c.positive("retry initial delay", initial)
		c.retryMax = c.positive("retry max delay", max)
		if max < initial {
			c.fail("retry max delay %v is below the initial delay %v", max, initial)
		}
	})
}

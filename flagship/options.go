package flagship

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
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

// Defaults used when an option, or a field of an options struct, is not
// given (is zero).
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
	// DefaultHitMaxAge is how long a hit or activation may wait for
	// delivery to Flagship before it is moved to the dead letters as
	// expired (spec §7.6: Flagship's SDKs drop them after 4 hours).
	DefaultHitMaxAge = 4 * time.Hour
)

// An Option configures a [Client] in [New]. Options are applied in
// order; an option given twice keeps the last value, and the options
// taking a struct replace the whole struct (a field left zero takes its
// default, not the value of an earlier call).
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set; New validates it in one place.
type config struct {
	mode        Mode
	endpoints   Endpoints // as given; New resolves it
	httpClient  *http.Client
	decisionAPI DecisionAPIOptions
	bucketing   BucketingOptions
	delivery    DeliveryOptions
	assignments AssignmentOptions
	cacheDir    string
	logger      *slog.Logger
	notify      NotificationHandler
	observer    Observer
	now         func() time.Time
	clockSet    bool    // WithClock was given
	errs        []error // problems found while applying options
}

func defaultConfig() config {
	return config{mode: DecisionAPI, now: time.Now}
}

func (c *config) fail(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// check returns every problem of the options, New's one place of
// validation, and resolves the endpoints.
func (c *config) check() []error {
	errs := c.errs
	ep, err := c.endpoints.resolve()
	if err != nil {
		errs = append(errs, err)
	}
	c.endpoints = ep
	errs = append(errs, c.decisionAPI.check()...)
	errs = append(errs, c.bucketing.check()...)
	errs = append(errs, c.delivery.check()...)
	return errs
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

// WithEndpoints sets where the SDK sends its requests: the root URL of a
// Flagship-compatible server (Endpoints.Base, e.g. the URL "flagship
// serve" prints), and any endpoint of its own. Default: the zero
// [Endpoints], Flagship's production endpoints.
func WithEndpoints(e Endpoints) Option {
	return optionFunc(func(c *config) { c.endpoints = e })
}

// WithHTTPClient sets the HTTP client for every call the SDK makes. It
// stays the caller's: the SDK never closes its idle connections nor
// modifies it, and sends through a shallow copy whose CheckRedirect
// refuses, with an error, redirects to another origin (scheme, host or
// port), so that the API key header never reaches another host, and
// leaves the others to h.CheckRedirect. Default: the SDK's own client, one
// per [Client] on a transport of its own, whose connections [Client.Close]
// closes; each call is bounded by the timeouts of [DecisionAPIOptions],
// [BucketingOptions] and [DeliveryOptions], and it follows redirects only
// within the origin of the URL called.
func WithHTTPClient(h *http.Client) Option {
	return optionFunc(func(c *config) {
		if h == nil {
			c.fail("nil HTTP client")
			return
		}
		c.httpClient = h
	})
}

// DecisionAPIOptions configures [DecisionAPI] mode. The zero value is
// valid: every field at its default.
type DecisionAPIOptions struct {
	// Timeout bounds each Decision API call. 0 means
	// [DefaultDecisionTimeout]; negative is refused.
	Timeout time.Duration
}

func (o DecisionAPIOptions) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultDecisionTimeout
}

func (o DecisionAPIOptions) check() []error {
	return nonNegative(nil, "DecisionAPIOptions.Timeout", o.Timeout)
}

// WithDecisionAPI configures [DecisionAPI] mode. Default: the zero
// [DecisionAPIOptions].
func WithDecisionAPI(o DecisionAPIOptions) Option {
	return optionFunc(func(c *config) { c.decisionAPI = o })
}

// BucketingOptions configures [Bucketing] mode's download of the
// bucketing file. The zero value is valid: every field at its default.
type BucketingOptions struct {
	// PollingInterval is how often the bucketing file is polled; each
	// wait is jittered by ±10%. 0 means [DefaultPollingInterval]; a
	// negative interval disables polling (the file is fetched once at
	// start); a positive one below [MinPollingInterval] is refused.
	PollingInterval time.Duration
	// FetchTimeout bounds each download of the bucketing file. 0 means
	// [DefaultFetchTimeout]; negative is refused.
	FetchTimeout time.Duration
}

func (o BucketingOptions) pollingInterval() time.Duration {
	if o.PollingInterval != 0 {
		return o.PollingInterval
	}
	return DefaultPollingInterval
}

func (o BucketingOptions) fetchTimeout() time.Duration {
	if o.FetchTimeout > 0 {
		return o.FetchTimeout
	}
	return DefaultFetchTimeout
}

func (o BucketingOptions) check() []error {
	var errs []error
	if d := o.PollingInterval; d > 0 && d < MinPollingInterval {
		errs = append(errs, fmt.Errorf("BucketingOptions.PollingInterval %v: want at least %v (or negative to disable polling, 0 for the default)", d, MinPollingInterval))
	}
	return nonNegative(errs, "BucketingOptions.FetchTimeout", o.FetchTimeout)
}

// WithBucketing configures [Bucketing] mode's download of the bucketing
// file. Default: the zero [BucketingOptions].
func WithBucketing(o BucketingOptions) Option {
	return optionFunc(func(c *config) { c.bucketing = o })
}

// WithDelivery configures the delivery of hits and activations: the
// queue file, batching, timeouts, retries, bounds, durability, extra
// sinks, or a tracker replacing it all. Default: the zero
// [DeliveryOptions].
func WithDelivery(o DeliveryOptions) Option {
	return optionFunc(func(c *config) { c.delivery = o })
}

// AssignmentOptions configures [Bucketing] mode's sticky assignments
// (Flagship's visitor cache, spec §8), which keep a visitor on its
// variation when allocations change, and make one-visitor-one-test and
// anonymous-to-authenticated continuity hold. The zero value is valid:
// every field at its default.
type AssignmentOptions struct {
	// Store is where assignments are kept. A store shared by the replicas
	// of a service (the Redis store of module
	// github.com/seed27eed597/flagship-go/contrib/redis) makes them hold
	// across replicas. It stays the caller's: Close does not close it.
	// Decisions read it through an [assignment.Cache] configured by Cache,
	// except an [*assignment.Memory] or an [*assignment.Cache] of the
	// caller's, used as they are. nil means an [assignment.File] in the
	// cache directory ([AssignmentsFileName]), so assignments survive
	// restarts; it keeps [assignment.DefaultFileMaxEntries] visitors for
	// [assignment.DefaultFileTTL].
	Store assignment.Store
	// Cache configures the cache in front of Store: its size and TTL, the
	// time a decision waits for the store on a miss (ReadBudget, default
	// 20 ms), the breaker, and whether a store failure fails decisions
	// (FailClosed) or lets them go on without the visitor's assignments
	// (the default). Its Logger and Now are the client's; its OnEvent, if
	// set, is called besides the client's notifications. The zero value
	// sets every field to its default.
	Cache assignment.CacheOptions
}

// WithAssignments configures [Bucketing] mode's sticky assignments.
// Default: the zero [AssignmentOptions].
func WithAssignments(o AssignmentOptions) Option {
	return optionFunc(func(c *config) { c.assignments = o })
}

// WithCacheDir sets the directory where the SDK keeps its files: the last
// good bucketing file (so a restart works offline), the queue file
// ([QueueFileName]: hits not yet delivered) and, in [Bucketing] mode, the
// default assignment store ([AssignmentsFileName]). It is created with
// mode 0700 if missing. Default: {os.UserCacheDir()}/flagship/{envID};
// without a user cache directory (no $HOME) there is no default, and New
// fails with an error wrapping [ErrStorage] unless this option or
// [DeliveryOptions].InMemory is given. A directory that cannot be
// created, or a file in it that cannot be opened, fails New the same way.
func WithCacheDir(dir string) Option {
	return optionFunc(func(c *config) {
		if dir == "" {
			c.fail("empty cache directory")
			return
		}
		c.cacheDir = dir
	})
}

// WithLogger sets the logger, the only place the SDK's logs go. nil, the
// default, means [slog.Default]. The SDK logs routine activity at Debug,
// degraded states at Warn and data loss at Error, and never logs the API
// key. [LogHook] adapts a hook on every record (Flagship's on_log).
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithNotifications sets the handler that receives the SDK's
// notifications, failures included (see [NotificationHandler]). Default:
// none (nil).
func WithNotifications(h NotificationHandler) Option {
	return optionFunc(func(c *config) { c.notify = h })
}

// WithClock sets the clock used to stamp hits and age records. Default
// [time.Now].
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now == nil {
			c.fail("nil clock")
			return
		}
		c.now, c.clockSet = now, true
	})
}

// nonNegative appends to errs an error naming field if d is negative.
func nonNegative(errs []error, field string, d time.Duration) []error {
	if d < 0 {
		errs = append(errs, fmt.Errorf("%s %v: want a positive duration, or 0 for the default", field, d))
	}
	return errs
}

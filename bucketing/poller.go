package bucketing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
	"github.com/seed27eed597/flagship-go/internal/httpx"
	"github.com/seed27eed597/flagship-go/internal/version"
)

// Defaults of [PollerOptions].
const (
	// DefaultFetchTimeout bounds one request for the bucketing file, body
	// included (Flagship's Go SDK v2 uses 10 s).
	DefaultFetchTimeout = 10 * time.Second
	// DefaultPollInterval is the mean wait between two fetches in
	// [Poller.Run] (Flagship's Go and Python SDKs poll every 60 s).
	DefaultPollInterval = 60 * time.Second
	// DefaultPollJitter is the fraction of the interval by which each wait
	// of [Poller.Run] varies, so that many processes started together do
	// not fetch together.
	DefaultPollJitter = 0.1
	// DefaultMaxFileBytes is the largest bucketing file accepted, after
	// content decoding: 32 MiB.
	DefaultMaxFileBytes = 32 << 20
)

// PollerOptions configures a [Poller]. Only URL is required; every other
// zero value means the documented default.
type PollerOptions struct {
	// URL is the full URL of the bucketing file, for example
	// https://cdn.flagship.io/{envId}/bucketing.json. It must be an
	// absolute http or https URL.
	URL string
	// EnvID is the environment id, named by fetch errors and logs. ""
	// means the ENV of a URL whose path ends in /ENV/bucketing.json, as
	// Flagship's are; with another URL, errors then name only the URL.
	EnvID string
	// HTTPClient sends the requests. It is the caller's, used as is and
	// never closed. nil means a client of the poller's own, on a transport
	// of its own whose idle connections [Poller.Close] closes, with
	// Timeout as its overall timeout; it follows redirects only within the
	// origin (scheme, host and port) of URL, so that Header never reaches
	// another host: a redirect elsewhere fails the fetch with an error
	// saying so.
	HTTPClient *http.Client
	// Timeout bounds each fetch, body included. 0 means
	// DefaultFetchTimeout; negative is invalid.
	Timeout time.Duration
	// Interval is the mean wait between two fetches in [Poller.Run], and
	// the longest mean wait before retrying a failed one (see Run).
	// 0 means DefaultPollInterval; negative disables polling (Run then
	// only waits for its ctx).
	Interval time.Duration
	// Jitter is the fraction of Interval by which each wait varies: every
	// wait is drawn uniformly in Interval ± Jitter×Interval. 0 means
	// DefaultPollJitter, negative means no jitter; 1 or more is invalid.
	Jitter float64
	// MaxFileBytes is the largest bucketing file accepted; a larger
	// download fails with an error wrapping ErrInvalidFile. 0 means
	// DefaultMaxFileBytes; negative is invalid.
	MaxFileBytes int64
	// CachePath names the file that keeps the last good download across
	// restarts (see [Poller.LoadCache]). "" disables the disk cache. Its
	// directory is created (mode 0700) if missing.
	CachePath string
	// Header holds extra request headers, for example x-sdk-client,
	// x-sdk-version or x-api-key. It is copied by NewPoller, and is never
	// logged, written to disk or included in errors. A User-Agent it lacks
	// is the SDK's, flagship-go/{version}.
	Header http.Header
	// Logger receives the failures no caller sees: those of [Poller.Run],
	// the first of each run of failed fetches at Warn and the others at
	// Debug, with the recovery at Info; and failed cache writes at Warn.
	// Updates go at Debug. nil means slog.Default().
	Logger *slog.Logger
	// OnUpdate, when set, is called after a new Config was installed in
	// the engine, from disk or network. It runs synchronously in the
	// goroutine that called LoadCache, Fetch or Run, never concurrently
	// with itself or OnError; it must return quickly, must not call the
	// poller's LoadCache or Fetch, and panics in it are not recovered.
	OnUpdate func(ctx context.Context, u Update)
	// OnError, when set, is called with every failure of a fetch (whether
	// Fetch was called by Run or directly, but not when the failure is
	// only ctx ending) and of a cache write; the engine keeps its previous
	// Config. It runs under the same contract as OnUpdate.
	OnError func(ctx context.Context, err error)
	// StartFetch, when set, is called as each download begins, on the
	// goroutine making it, for tracing and metrics: the download runs
	// under the context it returns, and the function it returns is called
	// once when the download ends (a download cut short by its caller's
	// ctx included). It must return quickly; panics in it are not
	// recovered.
	StartFetch func(ctx context.Context) (context.Context, func(FetchResult))
	// Rand returns the random numbers in [0, 1) used for jitter. It is
	// called by Run, so it must be safe for concurrent use only if Run is.
	// nil means math/rand/v2's Float64.
	Rand func() float64
}

// Source tells where an installed bucketing file came from.
type Source uint8

// Sources of an [Update]. The zero Source is not a valid source.
const (
	SourceDisk    Source = iota + 1 // the cache file at PollerOptions.CachePath
	SourceNetwork                   // a download from PollerOptions.URL
)

// String returns "disk" or "network".
func (s Source) String() string {
	switch s {
	case SourceDisk:
		return "disk"
	case SourceNetwork:
		return "network"
	}
	return "Source(" + strconv.Itoa(int(s)) + ")"
}

// Update describes a bucketing file that a [Poller] installed in its engine.
type Update struct {
	Source Source
	// Config is the configuration now used by the engine; Config.Panic
	// reports panic mode.
	Config *Config
	// Previous is the configuration it replaced, nil if none (see
	// [ChangedFlags]).
	Previous *Config
	// LastModified and ETag are the validators served with the file ("" if
	// none).
	LastModified string
	ETag         string
	// Bytes is the size of the file.
	Bytes int
}

// Poller keeps an [Engine]'s Config up to date from the bucketing file at
// a URL, with conditional requests, and keeps the last good file on disk
// so that a restart without network still decides.
//
// A Poller starts no goroutine: its owner calls [Poller.LoadCache] and
// [Poller.Fetch] at start-up, then runs [Poller.Run] in a goroutine it
// owns and stops by cancelling Run's ctx, and finally calls
// [Poller.Close]. A Poller is safe for concurrent use; fetches and cache
// loads are serialized.
type Poller struct {
	engine    *Engine
	url       string
	client    httpx.Client
	timeout   time.Duration
	interval  time.Duration
	jitter    float64
	maxBytes  int64
	cachePath string
	header    http.Header
	log       *slog.Logger
	onUpdate  func(context.Context, Update)
	onError   func(context.Context, error)
	rand      func() float64
	// startFetch is PollerOptions.StartFetch.
	startFetch func(context.Context) (context.Context, func(FetchResult))
	fileURL    string // url as errors show it (see reportedURL)
	envID      string
	// wait blocks for d or until ctx is done and reports whether d
	// elapsed: sleep, or a fake clock in tests.
	wait func(ctx context.Context, d time.Duration) bool

	// sem serializes LoadCache and Fetch; a channel of size 1 rather than
	// a mutex, so that waiting for it honours ctx. The fields below it are
	// only used while holding it.
	sem         chan struct{}
	installed   *Config  // the Config this poller last installed
	sum         [32]byte // SHA-256 of installed's file, surrounding spaces trimmed
	fromNetwork bool     // installed was downloaded, not loaded from disk
	cacheStale  bool     // the cache file does not hold installed and its validators

	mu           sync.Mutex
	lastModified string
	etag         string
	loaded       bool      // a file was installed (see PollerStatus)
	checked      time.Time // last successful fetch (see PollerStatus)
	failures     int       // failed fetches in a row
	lastErr      error     // error of the last fetch, nil after a success
	warned       bool      // Run logged the current run of failures at Warn
}

// NewPoller returns a poller that installs the bucketing files it loads
// or downloads in e. It fails with an error wrapping [ErrInvalidOptions] if
// e is nil or an option is invalid.
func NewPoller(e *Engine, o PollerOptions) (*Poller, error) {
	if e == nil {
		return nil, errfmt.Errorf("bucketing: new poller: %w: nil engine", ErrInvalidOptions)
	}
	u, err := url.Parse(o.URL)
	switch {
	case err != nil:
		return nil, errfmt.Errorf("bucketing: new poller: %w: URL does not parse", ErrInvalidOptions)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return nil, errfmt.Errorf("bucketing: new poller: %w: URL %q is not an absolute http or https URL", ErrInvalidOptions, u.Redacted())
	case o.Timeout < 0:
		return nil, errfmt.Errorf("bucketing: new poller: %w: negative Timeout", ErrInvalidOptions)
	case math.IsNaN(o.Jitter) || o.Jitter >= 1:
		return nil, errfmt.Errorf("bucketing: new poller: %w: Jitter %v not below 1", ErrInvalidOptions, o.Jitter)
	case o.MaxFileBytes < 0:
		return nil, errfmt.Errorf("bucketing: new poller: %w: negative MaxFileBytes", ErrInvalidOptions)
	}
	p := &Poller{
		engine:     e,
		url:        u.String(),
		timeout:    o.Timeout,
		interval:   o.Interval,
		jitter:     o.Jitter,
		maxBytes:   o.MaxFileBytes,
		cachePath:  o.CachePath,
		header:     o.Header.Clone(),
		log:        o.Logger,
		onUpdate:   o.OnUpdate,
		onError:    o.OnError,
		startFetch: o.StartFetch,
		rand:       o.Rand,
		fileURL:    httpx.PublicURL(u),
		envID:      o.EnvID,
		wait:       sleep,
		sem:        make(chan struct{}, 1),
	}
	if p.envID == "" {
		p.envID = envFromPath(u.Path)
	}
	if p.timeout == 0 {
		p.timeout = DefaultFetchTimeout
	}
	if p.interval == 0 {
		p.interval = DefaultPollInterval
	}
	switch {
	case p.jitter == 0:
		p.jitter = DefaultPollJitter
	case p.jitter < 0:
		p.jitter = 0
	}
	if p.maxBytes == 0 {
		p.maxBytes = DefaultMaxFileBytes
	}
	if p.header == nil {
		p.header = http.Header{}
	}
	if p.header.Get("User-Agent") == "" {
		p.header.Set("User-Agent", version.UserAgent)
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	p.log = p.log.With(slog.String("component", "bucketing"))
	if p.rand == nil {
		p.rand = rand.Float64
	}
	p.client = httpx.ClientFor(o.HTTPClient, p.timeout)
	return p, nil
}

// Close closes the idle connections of the HTTP client the poller made
// when PollerOptions.HTTPClient was nil, so that none of its goroutines
// outlives the owner's use of the poller; it does nothing to a caller's
// HTTPClient. Call it once Run has returned. The poller stays usable: a
// later Fetch opens a new connection. Close is safe to call more than
// once.
func (p *Poller) Close() {
	p.client.CloseIdle()
}

// Validators returns the Last-Modified and ETag of the installed file, as
// served with it or remembered in the cache file ("" if none). They are
// sent back as If-Modified-Since and If-None-Match.
func (p *Poller) Validators() (lastModified, etag string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastModified, p.etag
}

func (p *Poller) setValidators(lastModified, etag string) (changed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed = p.lastModified != lastModified || p.etag != etag
	p.lastModified, p.etag = lastModified, etag
	return changed
}

func (p *Poller) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Poller) release() { <-p.sem }

// Fetch makes one conditional GET of the bucketing file, with
// If-None-Match and If-Modified-Since when validators are known (see
// [Poller.Validators]), and reports whether a new Config was installed.
//
// A 304 answer, or a 200 answer carrying the installed file byte for
// byte, changes nothing and returns (false, nil). A 2xx answer carrying a
// valid file installs it in the engine, remembers its validators, writes
// it to the cache file, calls OnUpdate and returns (true, nil); a failed
// cache write is reported to OnError and logged, not returned, since the
// new file is in use.
//
// Otherwise the engine and the cache file are left untouched and the
// error is returned (and passed to OnError unless ctx ended). It is a
// [*FetchError] naming the URL and the environment, never the headers:
// for any other status it carries the status and matches [ErrFetch] (and
// [ErrUnauthorized] for 401 and 403); otherwise it wraps the cause: an
// error wrapping [ErrInvalidFile] for a body that is not a valid
// bucketing file or is larger than MaxFileBytes, or the transport error,
// which matches context.DeadlineExceeded when Timeout expired and says
// "redirect to another origin refused" when the poller's own client
// refused to follow a redirect away from URL's scheme, host and port.
// The request, body included, never outlasts Timeout; Fetch first waits,
// while ctx is live, for a concurrent Fetch or LoadCache to end.
//
// Unless ctx ended, the outcome is recorded for [Poller.Status] and for
// Run's retry delays, and the first success after failures logged by Run
// is logged at Info.
func (p *Poller) Fetch(ctx context.Context) (changed bool, err error) {
	if err := p.acquire(ctx); err != nil {
		return false, p.fetchError(0, err)
	}
	defer p.release()
	var status int
	if p.startFetch != nil {
		var done func(FetchResult)
		ctx, done = p.startFetch(ctx)
		defer func() { done(FetchResult{StatusCode: status, Changed: changed, Err: err}) }()
	}
	changed, status, err = p.fetch(ctx)
	if err != nil && ctx.Err() != nil {
		return changed, err // the caller gave up: nothing learnt about the server
	}
	p.record(ctx, err)
	if err != nil && p.onError != nil {
		p.onError(ctx, err)
	}
	return changed, err
}

// FetchResult is the outcome of one download, for
// PollerOptions.StartFetch.
type FetchResult struct {
	// StatusCode is the HTTP status of the answer, 0 if none came.
	StatusCode int
	// Changed reports that a new file was installed.
	Changed bool
	// Err is the download's error, as [Poller.Fetch] returns it.
	Err error
}

func (p *Poller) fetch(ctx context.Context) (bool, int, error) {
	rctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, p.url, nil)
	if err != nil {
		return false, 0, p.fetchError(0, err)
	}
	req.Header = p.header.Clone()
	lastModified, etag := p.Validators()
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return false, 0, p.fetchError(0, err)
	}
	defer httpx.DrainClose(resp.Body)
	switch {
	case resp.StatusCode == http.StatusNotModified:
		p.log.LogAttrs(ctx, slog.LevelDebug, "bucketing file not modified")
		return false, resp.StatusCode, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return false, resp.StatusCode, p.fetchError(resp.StatusCode, nil)
	}
	data, err := p.readBody(resp)
	if err == nil {
		var changed bool
		changed, err = p.installDownload(ctx, data, resp.Header.Get("Last-Modified"), resp.Header.Get("ETag"))
		if err == nil {
			return changed, resp.StatusCode, nil
		}
	}
	return false, resp.StatusCode, p.fetchError(resp.StatusCode, err)
}

func (p *Poller) readBody(resp *http.Response) ([]byte, error) {
	data, err := httpx.ReadBody(resp, p.maxBytes)
	var tooLarge *httpx.TooLargeError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidFile, err)
	}
	if err != nil {
		return nil, fmt.Errorf("reading body: %w", err)
	}
	return data, nil
}

// installDownload installs a downloaded file unless it is the installed
// one. The caller holds sem.
func (p *Poller) installDownload(ctx context.Context, data []byte, lastModified, etag string) (bool, error) {
	sum := sha256.Sum256(bytes.TrimSpace(data))
	if p.installed != nil && sum == p.sum && p.engine.Config() == p.installed {
		if p.setValidators(lastModified, etag) {
			p.cacheStale = true
		}
		if p.cacheStale {
			p.saveCache(ctx, data, lastModified, etag)
		}
		p.log.LogAttrs(ctx, slog.LevelDebug, "bucketing file unchanged")
		return false, nil
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return false, err
	}
	u := Update{Source: SourceNetwork, Config: cfg, LastModified: lastModified, ETag: etag, Bytes: len(data)}
	p.install(ctx, sum, &u)
	if p.onUpdate != nil {
		p.onUpdate(ctx, u)
	}
	p.cacheStale = true
	p.saveCache(ctx, data, lastModified, etag)
	return true, nil
}

// install makes u.Config the engine's configuration. The caller holds sem.
func (p *Poller) install(ctx context.Context, sum [32]byte, u *Update) {
	cfg := u.Config
	u.Previous = p.engine.Config()
	p.engine.Update(cfg)
	p.installed, p.sum = cfg, sum
	p.fromNetwork = p.fromNetwork || u.Source == SourceNetwork
	p.setValidators(u.LastModified, u.ETag)
	p.mu.Lock()
	p.loaded = true
	p.mu.Unlock()
	p.log.LogAttrs(ctx, slog.LevelDebug, "bucketing file installed",
		slog.String("source", u.Source.String()), slog.Int("bytes", u.Bytes),
		slog.Int("campaigns", cfg.NumCampaigns()), slog.Bool("panic", cfg.Panic()))
}

// saveCache writes the cache file if there is one, reporting failures to
// OnError and the log since no caller sees them. The caller holds sem.
func (p *Poller) saveCache(ctx context.Context, data []byte, lastModified, etag string) {
	if p.cachePath == "" {
		return
	}
	if err := writeCache(p.cachePath, data, lastModified, etag); err != nil {
		p.log.LogAttrs(ctx, slog.LevelWarn, "bucketing cache write failed; the previous cache file stays", slog.Any("err", err))
		if p.onError != nil {
			p.onError(ctx, err)
		}
		return
	}
	p.cacheStale = false
}

// Run polls the bucketing file until ctx is done, then returns nil. Each
// round waits and calls [Poller.Fetch]; a failed fetch keeps the current
// file, is passed to OnError by Fetch, and the next round retries. Run
// does not fetch before its first wait: the owner calls Fetch at start-up.
// With a negative Interval, Run only waits for ctx.
//
// After a success the wait is Interval ± Jitter×Interval. After n failed
// fetches in a row (counting the owner's), it backs off: 1 s (or Interval
// if shorter) doubled n-1 times, capped at Interval, ± the same Jitter;
// so with the default 60 s, a failure at start-up is retried after about
// 1, 2, 4, ... 32, then every 60 s, and a retry never waits longer than a
// regular poll. The first failure of such a run is logged at Warn (a run
// begun by the owner's Fetch, when Run starts), the others at Debug, and
// the first success after it at Info.
func (p *Poller) Run(ctx context.Context) error {
	if p.interval < 0 {
		<-ctx.Done()
		return nil
	}
	d := p.nextWait()
	// A run of failures the owner's Fetch began (the download at start-up)
	// is reported now, not one wait later: a wrong environment id or an
	// unreachable server shows in the log within one fetch.
	p.mu.Lock()
	n, last := p.failures, p.lastErr
	p.mu.Unlock()
	if n > 0 && last != nil && ctx.Err() == nil {
		p.logFailure(ctx, last, d)
	}
	for p.wait(ctx, d) {
		_, err := p.Fetch(ctx)
		d = p.nextWait()
		if err != nil && ctx.Err() == nil {
			p.logFailure(ctx, err, d)
		}
	}
	return nil
}

// jitteredWait returns interval ± jitter×interval, r in [0, 1] choosing
// where in that range (out-of-range r are clamped).
func jitteredWait(interval time.Duration, jitter, r float64) time.Duration {
	switch {
	case !(r >= 0): // negative or NaN
		r = 0
	case r > 1:
		r = 1
	}
	d := float64(interval) * (1 + jitter*(2*r-1))
	if d < 1 {
		d = 1
	}
	return time.Duration(d)
}

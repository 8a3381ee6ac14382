package fsopenfeature

import (
	"log/slog"
	"time"
)

// Defaults of [Options].
const (
	// DefaultCacheSize is how many evaluation contexts the decision cache
	// holds: room for the distinct users a busy service sees within
	// [DefaultCacheTTL].
	DefaultCacheSize = 10_000
	// DefaultCacheTTL is how long a decision is reused for the same
	// evaluation context: long enough for the flags of one request, short
	// enough that a change of a user's context or of the configuration
	// shows at once in practice (and configuration changes empty the
	// cache anyway).
	DefaultCacheTTL = time.Second
	// DefaultShutdownTimeout bounds Shutdown, which takes no context: the
	// time a client opened by [Open] has to deliver what it queued.
	DefaultShutdownTimeout = 10 * time.Second
)

// ProviderName is the provider's name in its [openfeature.Metadata].
const ProviderName = "flagship"

// Options configures a [Provider]. The zero value is valid: every field
// at its default. The provider keeps a copy: changing an Options after
// [New] or [Open] changes nothing.
type Options struct {
	// Logger receives what no caller sees: failed Track calls (at Error)
	// and a failed ctx-less Shutdown (at Warn). nil means slog.Default().
	Logger *slog.Logger
	// CacheSize bounds the decision cache, in evaluation contexts (least
	// recently used first out). 0 means [DefaultCacheSize]; negative
	// disables the cache: every evaluation makes its own decision.
	CacheSize int
	// CacheTTL is how long a decision is reused for the same evaluation
	// context. 0 means [DefaultCacheTTL]; negative disables the cache.
	CacheTTL time.Duration
	// NoActivation stops evaluations from activating the variation they
	// serve. By default an evaluation served by a campaign tells Flagship
	// that the visitor saw its variation (an exposure), as Flagship's
	// getValue does with visitorExposed; with NoActivation, report
	// exposures yourself (flagship's Visitor.Activate) or not at all.
	NoActivation bool
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

func (o Options) cacheSize() int {
	switch {
	case o.CacheSize < 0 || o.CacheTTL < 0:
		return 0
	case o.CacheSize == 0:
		return DefaultCacheSize
	}
	return o.CacheSize
}

func (o Options) cacheTTL() time.Duration {
	if o.CacheTTL == 0 {
		return DefaultCacheTTL
	}
	return o.CacheTTL
}

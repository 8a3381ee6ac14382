package fsredis

import (
	"fmt"
	"log/slog"
	"time"
)

// DefaultTTL is how long a key lives after its last save when [WithTTL]
// is not given: 90 days, as in Flagship's self-hosted decision API.
const DefaultTTL = 90 * 24 * time.Hour

// An Option configures a [Store] in [New].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	prefix    string
	prefixSet bool
	ttl       time.Duration
	logger    *slog.Logger
	now       func() time.Time
}

// WithKeyPrefix sets the string put before every key to name its Redis
// hash. The default is "fs:" + envID + ":", so that several environments
// and other data can share a database. An empty prefix gives the exact
// keys of Flagship's self-hosted decision API (the bare visitor id), to
// share its data.
func WithKeyPrefix(p string) Option {
	return optionFunc(func(c *config) { c.prefix, c.prefixSet = p, true })
}

// WithTTL sets how long a key lives after its last save (the expiry is
// refreshed by every save, not by loads). The default is [DefaultTTL].
// It must be at least a millisecond, or [New] fails.
func WithTTL(d time.Duration) Option {
	return optionFunc(func(c *config) { c.ttl = d })
}

// WithLogger sets where the store reports what no caller sees: stored
// values skipped because they cannot be decoded (at Warn). nil, the
// default, means [slog.Default]. Records carry component=fsredis.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.logger = l })
}

// WithClock sets the clock that stamps each save (the "ts" field). nil,
// the default, means [time.Now].
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

func newConfig(envID string, opts []Option) (config, error) {
	c := config{ttl: DefaultTTL}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if !c.prefixSet {
		c.prefix = "fs:" + envID + ":"
	}
	if c.ttl < time.Millisecond {
		return c, fmt.Errorf("%w: TTL %v is under a millisecond", ErrInvalidOptions, c.ttl)
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

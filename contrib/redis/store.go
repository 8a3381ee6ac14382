package fsredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/seed27eed597/flagship-go/assignment"
)

// tsField is the hash field that holds the time of the last save, in
// unix milliseconds. It is not a variation group.
const tsField = "ts"

// Store keeps assignments in Redis, one hash per key, in the layout of
// Flagship's self-hosted decision API (see the package doc). It is safe
// for concurrent use, starts no goroutines and holds no resources of its
// own: the client stays the caller's, to close after the last call.
type Store struct {
	client redis.UniversalClient
	prefix string
	ttlMS  int64
	now    func() time.Time
	log    *slog.Logger
	merge  *redis.Script
}

var _ assignment.Store = (*Store)(nil)

// New returns a Store that keeps the assignments of environment envID
// through client: a standalone, sentinel (failover), ring or cluster
// client. The Store never closes client. New makes no call to Redis.
//
// It returns an error wrapping [ErrInvalidOptions] if client is nil,
// envID is empty or an option is invalid.
func New(client redis.UniversalClient, envID string, opts ...Option) (*Store, error) {
	if isNil(client) {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidOptions)
	}
	if envID == "" {
		return nil, fmt.Errorf("%w: empty environment id", ErrInvalidOptions)
	}
	c, err := newConfig(envID, opts)
	if err != nil {
		return nil, err
	}
	return &Store{
		client: client,
		prefix: c.prefix,
		ttlMS:  c.ttl.Milliseconds(),
		now:    c.now,
		log:    c.logger.With("component", "fsredis"),
		merge:  redis.NewScript(mergeScript),
	}, nil
}

// isNil reports whether client is nil or a nil pointer (a nil
// *redis.Client in the interface), which would panic on first use.
func isNil(client redis.UniversalClient) bool {
	if client == nil {
		return true
	}
	v := reflect.ValueOf(client)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// wireAssignment is the JSON of one variation group's field, with the Go
// field names the decision API writes: {"VariationID":"…","Activated":b}.
// It is kept apart from assignment.Assignment so that the stored layout
// does not change if that type grows.
type wireAssignment struct {
	VariationID string
	Activated   bool
}

// Load sets into[i] to the assignments stored under keys[i], or nil if
// there are none, with one HGETALL per key sent in one pipeline: one
// round trip (one per node with a cluster client). The "ts" field is not
// a variation group. A field that cannot be decoded, or a key that holds
// another type than a hash, is skipped (and reported at Warn once per
// call); it never fails the load. Errors wrap the client's.
func (s *Store) Load(ctx context.Context, keys []string, into []assignment.Assignments) error {
	if len(into) < len(keys) {
		return fmt.Errorf("fsredis: load: %d keys into %d elements", len(keys), len(into))
	}
	if len(keys) == 0 {
		return nil
	}
	clear(into[:len(keys)])
	pipe := s.client.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGetAll(ctx, s.prefix+k)
	}
	if err := execPipe(ctx, pipe); err != nil {
		return fmt.Errorf("fsredis: load: %w", err)
	}
	var bad corruption
	for i, cmd := range cmds {
		fields, err := cmd.Result()
		if err == nil && fields == nil {
			err = errNoReply // an empty hash is a non-nil empty map
		}
		if err != nil {
			if redis.HasErrorPrefix(err, "WRONGTYPE") {
				bad.add(keys[i], "", err)
				continue
			}
			return fmt.Errorf("fsredis: load: %w", err)
		}
		into[i] = decode(keys[i], fields, &bad)
	}
	bad.report(ctx, s.log)
	return nil
}

// errNoReply is the error of a pipelined command that got neither a
// reply nor an error. go-redis up to v9.21 leaves a pipeline's commands so
// when it runs out of retries on a connection error, with the error only
// returned by Exec; with a cluster client that error may be hidden behind
// another node's.
var errNoReply = errors.New("no reply from redis")

// execPipe runs pipe and returns the error that makes none of its commands'
// results trustworthy (a connection failure, ctx), or nil if the commands
// were answered, each with a reply or an error of its own (Exec returns
// the first such error: the caller looks at each command).
func execPipe(ctx context.Context, pipe redis.Pipeliner) error {
	_, err := pipe.Exec(ctx)
	var reply redis.Error
	if err == nil || errors.As(err, &reply) {
		return nil
	}
	return err
}

// decode returns the assignments of one hash, nil if it has none.
func decode(key string, fields map[string]string, bad *corruption) assignment.Assignments {
	var out assignment.Assignments
	for vg, v := range fields {
		if vg == tsField {
			continue
		}
		var w wireAssignment
		if err := json.Unmarshal([]byte(v), &w); err != nil {
			bad.add(key, vg, err)
			continue
		}
		if w.VariationID == "" {
			bad.add(key, vg, errors.New("no VariationID"))
			continue
		}
		if out == nil {
			out = make(assignment.Assignments, len(fields))
		}
		out[vg] = assignment.Assignment{VariationID: w.VariationID, Activated: w.Activated}
	}
	return out
}

// corruption counts what one Load skipped, to log it once.
type corruption struct {
	n          int
	key, field string
	err        error
}

func (c *corruption) add(key, field string, err error) {
	if c.n == 0 {
		c.key, c.field, c.err = key, field, err
	}
	c.n++
}

func (c *corruption) report(ctx context.Context, log *slog.Logger) {
	if c.n == 0 {
		return
	}
	log.LogAttrs(ctx, slog.LevelWarn, "skipped undecodable stored assignments",
		slog.Int("count", c.n),
		slog.String("first_key", c.key),
		slog.String("first_field", c.field),
		slog.Any("err", fmt.Errorf("%w: %w", assignment.ErrCorrupt, c.err)))
}

// Delete removes the hashes of keys, with one DEL per key sent in one
// pipeline (so keys may be in different cluster slots). Missing keys are
// not an error. Errors wrap the client's.
func (s *Store) Delete(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	pipe := s.client.Pipeline()
	for _, k := range keys {
		pipe.Del(ctx, s.prefix+k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("fsredis: delete: %w", err)
	}
	return nil
}

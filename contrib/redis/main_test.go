package fsredis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
)

func TestMain(m *testing.M) {
	// go-redis logs every failed dial to stderr; the fault tests make many.
	redis.SetLogger(quiet{})
	goleak.VerifyTestMain(m)
}

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// clientOptions are those of every test client: ctx deadlines bound each
// call, and a dead server is reported after one retry of one dial, not
// three retries of five dials. MaxRetries 1 is also what exposes the
// go-redis bug that errNoReply works around.
func clientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		DialTimeout:           time.Second,
		DialerRetries:         1,
	}
}

// newClient returns a client of addr closed by t.Cleanup.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(clientOptions(addr))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// newMini starts a miniredis and returns it with a client of it.
func newMini(t testing.TB) (*miniredis.Miniredis, *redis.Client) {
	t.Helper()
	mr := miniredis.RunT(t)
	return mr, newClient(t, mr.Addr())
}

// newReal starts a redis-server (or skips, see redistest) and returns it
// with a client of it.
func newReal(t testing.TB) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	return srv, newClient(t, srv.Addr())
}

// backend is a fresh empty Redis to run a test against.
type backend struct {
	name string
	new  func(t *testing.T) *redis.Client
}

// backends are miniredis and a real redis-server: the Lua script must
// behave the same on both.
func backends() []backend {
	return []backend{
		{name: "miniredis", new: func(t *testing.T) *redis.Client { _, c := newMini(t); return c }},
		{name: "redis-server", new: func(t *testing.T) *redis.Client { _, c := newReal(t); return c }},
	}
}

// counter is a hook counting the calls a client makes: single commands
// and pipelines (one round trip each, to a single node).
type counter struct {
	cmds, pipelines atomic.Int64
	pipelined       atomic.Int64 // commands sent in pipelines
}

func (*counter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.pipelines.Add(1)
		c.pipelined.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func (c *counter) reset() {
	c.cmds.Store(0)
	c.pipelines.Store(0)
	c.pipelined.Store(0)
}

// roundTrips returns the calls counted since the last reset.
func (c *counter) roundTrips() int64 { return c.cmds.Load() + c.pipelines.Load() }

// countCalls adds a counter to client after a PING has opened and
// initialized its connection, so that the handshake is not counted.
func countCalls(t testing.TB, client redis.UniversalClient) *counter {
	t.Helper()
	require.NoError(t, client.Ping(context.Background()).Err())
	c := &counter{}
	client.AddHook(c)
	return c
}

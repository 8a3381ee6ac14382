package fsredis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
	"github.com/seed27eed597/flagship-go/contrib/redis/internal/redistest"
)

// slack is what a failing call may take past its ctx deadline.
const slack = 300 * time.Millisecond

// ops runs each Store call once.
func ops(s *fsredis.Store) map[string]func(context.Context) error {
	e := []assignment.Entry{{Key: "v", Assignments: assignment.Assignments{"vg": {VariationID: "a", Activated: true}}}}
	return map[string]func(context.Context) error{
		"Save":   func(ctx context.Context) error { return s.Save(ctx, e) },
		"Load":   func(ctx context.Context) error { return s.Load(ctx, []string{"v"}, make([]assignment.Assignments, 1)) },
		"Delete": func(ctx context.Context) error { return s.Delete(ctx, []string{"v"}) },
	}
}

func TestServerKilledAndRestarted(t *testing.T) {
	tests := []struct {
		name         string
		giveClient   func(addr string) *redis.Options
		giveDeadline time.Duration
	}{
		// With one retry, go-redis v9.17 left the pipeline's commands
		// without error: Save and Load returned nil (see errNoReply).
		{name: "test client", giveClient: clientOptions, giveDeadline: 2 * time.Second},
		// With its defaults, go-redis retries dials until ctx is done.
		{name: "go-redis defaults", giveClient: func(addr string) *redis.Options { return &redis.Options{Addr: addr} }, giveDeadline: 500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t)
			client := redis.NewClient(tt.giveClient(srv.Addr()))
			t.Cleanup(func() { _ = client.Close() })
			s, err := fsredis.New(client, "env")
			require.NoError(t, err)
			calls := ops(s)
			for _, name := range []string{"Save", "Load", "Delete"} {
				require.NoError(t, calls[name](t.Context()), name)
			}

			srv.Stop()
			deadline := tt.giveDeadline
			for _, name := range []string{"Save", "Load", "Delete"} {
				ctx, cancel := context.WithTimeout(t.Context(), deadline)
				start := time.Now()
				err := calls[name](ctx)
				took := time.Since(start)
				cancel()
				require.Error(t, err, name)
				assert.Contains(t, err.Error(), "fsredis: "+map[string]string{"Save": "save", "Load": "load", "Delete": "delete"}[name])
				assert.Less(t, took, deadline+slack, "%s took %v", name, took)
				t.Logf("%s with the server down: %v after %v", name, err, took)
			}

			srv.Restart() // empty, and without the script
			for _, name := range []string{"Save", "Load", "Delete"} {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				require.NoError(t, calls[name](ctx), "%s after restart", name)
				cancel()
			}
			require.NoError(t, calls["Save"](t.Context()))
			into := make([]assignment.Assignments, 1)
			require.NoError(t, s.Load(t.Context(), []string{"v"}, into))
			assert.Equal(t, assignment.Assignments{"vg": {VariationID: "a", Activated: true}}, into[0])
		})
	}
}

// TestPausedServer checks that ctx bounds a call to a server that does
// not answer, when the client has ContextTimeoutEnabled (see Caveats).
func TestPausedServer(t *testing.T) {
	srv, client := newReal(t)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	calls := ops(s)
	require.NoError(t, calls["Save"](t.Context())) // load the script, open a connection

	for _, name := range []string{"Save", "Load", "Delete"} {
		srv.Pause(400 * time.Millisecond)
		const deadline = 100 * time.Millisecond
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		start := time.Now()
		err := calls[name](ctx)
		took := time.Since(start)
		cancel()
		require.Error(t, err, name)
		assert.Less(t, took, deadline+slack, "%s took %v", name, took)
		// The next call waits out the pause (CLIENT UNPAUSE would too).
		require.NoError(t, calls[name](t.Context()), "%s after the pause", name)
	}
}

func TestCluster(t *testing.T) {
	cluster := redistest.StartCluster(t, 3)
	client := newClusterClient(t, cluster.Addrs())
	s, err := fsredis.New(client, "env", fsredis.WithTTL(time.Hour))
	require.NoError(t, err)
	ctx := t.Context()

	const n = 60
	keys := make([]string, n)
	entries := make([]assignment.Entry, n)
	for i := range keys {
		keys[i] = "visitor-" + strconv.Itoa(i)
		entries[i] = assignment.Entry{Key: keys[i], Assignments: assignment.Assignments{"vg": {VariationID: "a", Activated: true}}}
	}
	require.NoError(t, s.Save(ctx, entries)) // NOSCRIPT from each node, then EVAL
	for i := range entries {
		entries[i].Assignments = assignment.Assignments{"vg": {VariationID: "a"}, "vg2": {VariationID: "c"}}
	}
	require.NoError(t, s.Save(ctx, entries))

	for _, node := range cluster.Nodes {
		size, err := node.Do("DBSIZE")
		require.NoError(t, err)
		assert.NotEqual(t, "0", size, "node %s holds no key: the keys should span the slots", node.Addr())
	}
	into := make([]assignment.Assignments, n)
	require.NoError(t, s.Load(ctx, keys, into))
	for i := range into {
		assert.Equal(t, assignment.Assignments{"vg": {VariationID: "a", Activated: true}, "vg2": {VariationID: "c"}}, into[i], keys[i])
	}

	require.NoError(t, s.Delete(ctx, keys))
	require.NoError(t, s.Load(ctx, keys, into))
	for i := range into {
		assert.Nil(t, into[i], keys[i])
	}
}

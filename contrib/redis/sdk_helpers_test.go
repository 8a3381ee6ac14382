package fsredis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// These helpers run the SDK (flagship.Client in BUCKETING mode, fed by a
// flagshiptest server) on top of a real redis-server through the Store:
// each replica is a Client with its own cache directory and queue file
// and its own go-redis client, as separate processes would have.

// keyPrefix is the Store's default prefix for flagshiptest's environment.
const keyPrefix = "fs:" + flagshiptest.EnvID + ":"

// settings are a bucketing file's accountSettings.
type settings struct {
	XPC, OneVisitorOneTest bool
}

// bucketingFile returns the file flagshiptest serves for cs, with the
// account settings s (Server.SetCampaigns leaves them off).
func bucketingFile(t testing.TB, s settings, cs ...bucketing.Campaign) []byte {
	t.Helper()
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(cs...))
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+flagshiptest.EnvID+"/bucketing.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var f map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &f))
	f["accountSettings"] = map[string]bool{"enabledXPC": s.XPC, "enabled1V1T": s.OneVisitorOneTest}
	out, err := json.Marshal(f)
	require.NoError(t, err)
	return out
}

// abCampaign is an A/B test id, targeting everyone, whose variations
// id+"_a" and id+"_b" set flag key to "a" and "b" and get pctA and
// 100-pctA percent of the visitors. It has two variations, so the
// engine always consults the store.
func abCampaign(id, key string, pctA int) bucketing.Campaign {
	return flagshiptest.Campaign(id,
		flagshiptest.Variation(id+"_a", pctA, map[string]any{key: "a"}),
		flagshiptest.Variation(id+"_b", 100-pctA, map[string]any{key: "b"}))
}

// patientBudget is the read budget of tests about what Redis holds
// rather than about the budget: under -race on a busy machine a read may
// take longer than the default 20 ms, and a decision that did not wait
// for its read saves nothing (fail-open), which would make them flaky.
const patientBudget = 5 * time.Second

// patient returns cache options with the patient read budget.
func patient() assignment.CacheOptions {
	return assignment.CacheOptions{ReadBudget: patientBudget}
}

// events records a client's notifications; it is safe for concurrent use.
type events struct {
	mu  sync.Mutex
	all []flagship.Notification
}

func (e *events) handler() flagship.NotificationHandler {
	return flagship.NotificationFunc(func(_ context.Context, ev flagship.Notification) {
		e.mu.Lock()
		e.all = append(e.all, ev)
		e.mu.Unlock()
	})
}

// of returns the events of kind k, oldest first.
func (e *events) of(k flagship.NotificationKind) []flagship.Notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []flagship.Notification
	for _, ev := range e.all {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// states returns the breaker states reported, oldest first.
func (e *events) states() []string {
	var out []string
	for _, ev := range e.of(flagship.NotifyAssignmentStoreState) {
		out = append(out, ev.Reason)
	}
	return out
}

// replica is one process of a service: a flagship client whose
// assignments live in the shared Redis through its own go-redis client.
type replica struct {
	*flagship.Client
	rdb    *redis.Client
	events *events
}

// newReplica starts a replica on the flagshiptest server fs and the Redis
// at addr, with cache options o. Cleanup closes the client, then the
// go-redis client.
func newReplica(t testing.TB, fs *flagshiptest.Server, addr string, o assignment.CacheOptions) *replica {
	t.Helper()
	rdb := newClient(t, addr) // closed after the flagship client (cleanups run last in, first out)
	store, err := fsredis.New(rdb, flagshiptest.EnvID)
	require.NoError(t, err)
	ev := &events{}
	opts := append(fs.Options(), // a fresh cache directory, so a queue file of its own
		flagship.WithMode(flagship.Bucketing),
		flagship.WithAssignments(flagship.AssignmentOptions{Store: store, Cache: o}),
		flagship.WithNotifications(ev.handler()),
		flagship.WithLogger(slog.New(slog.DiscardHandler)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, flagshiptest.EnvID, "api-key", opts...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("close replica: %v", err)
		}
	})
	require.NoError(t, c.WaitReady(ctx))
	return &replica{Client: c, rdb: rdb, events: ev}
}

// synced returns the visitor id, synchronized on r.
func (r *replica) synced(t testing.TB, id string, opts ...visitor.Option) *visitor.Visitor {
	t.Helper()
	v, err := r.NewVisitor(id, nil, opts...)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	return v
}

// waitWritten waits until r has written every assignment it saved.
func (r *replica) waitWritten(t testing.TB) {
	t.Helper()
	require.Eventually(t, func() bool { return r.AssignmentStats().PendingWrites == 0 },
		5*time.Second, 5*time.Millisecond, "writes still waiting: %+v", r.AssignmentStats())
}

// waitForFile waits until r decides from the file that ok recognizes,
// asking with fresh visitors (whose assignments it stores).
func (r *replica) waitForFile(t testing.TB, ok func(*visitor.Visitor) bool) {
	t.Helper()
	n := 0
	require.Eventually(t, func() bool {
		n++
		v, err := r.NewVisitor(fmt.Sprintf("probe-%d", n), nil)
		return err == nil && v.Synchronize(context.Background()) == nil && ok(v)
	}, 5*time.Second, 20*time.Millisecond, "the replica did not pick up the new bucketing file")
}

// stored is one variation group's field as the Store writes it.
type stored struct {
	VariationID string
	Activated   bool
}

// hash returns the variation groups of the visitor's hash in Redis,
// decoded strictly: the JSON must be exactly the decision API's layout.
// It fails the test if the hash has no "ts".
func hash(t testing.TB, rdb *redis.Client, id string) map[string]stored {
	t.Helper()
	fields, err := rdb.HGetAll(t.Context(), keyPrefix+id).Result()
	require.NoError(t, err)
	if len(fields) == 0 {
		return nil
	}
	require.Contains(t, fields, "ts", "hash of %s", id)
	out := make(map[string]stored, len(fields))
	for vg, v := range fields {
		if vg == "ts" {
			continue
		}
		var s stored
		require.NoError(t, json.Unmarshal([]byte(v), &s), "%s %s: %s", id, vg, v)
		want, err := json.Marshal(s)
		require.NoError(t, err)
		require.JSONEq(t, string(want), v, "%s %s: not the decision API's layout", id, vg)
		out[vg] = s
	}
	return out
}

// waitStored waits until the visitor's hash holds want for vg.
func waitStored(t testing.TB, rdb *redis.Client, id, vg string, want stored) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, err := rdb.HGet(t.Context(), keyPrefix+id, vg).Result()
		var s stored
		if err == nil && json.Unmarshal([]byte(v), &s) == nil && s == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: want %+v, have %q (%v)", id, vg, want, v, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// exists reports whether the visitor has a hash in Redis.
func exists(t testing.TB, rdb *redis.Client, id string) bool {
	t.Helper()
	n, err := rdb.Exists(t.Context(), keyPrefix+id).Result()
	require.NoError(t, err)
	return n == 1
}

// calls is a go-redis hook that records the names of the commands of
// every call: a single command or a pipeline, one round trip each.
type calls struct {
	mu  sync.Mutex
	all [][]string
}

func (*calls) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *calls) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.add([]redis.Cmder{cmd})
		return next(ctx, cmd)
	}
}

func (c *calls) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.add(cmds)
		return next(ctx, cmds)
	}
}

func (c *calls) add(cmds []redis.Cmder) {
	names := make([]string, len(cmds))
	for i, cmd := range cmds {
		names[i] = cmd.Name()
	}
	c.mu.Lock()
	c.all = append(c.all, names)
	c.mu.Unlock()
}

// split returns the round trips made so far that read (only HGETALL)
// and the others.
func (c *calls) split() (reads, others [][]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, names := range c.all {
		if !slices.ContainsFunc(names, func(n string) bool { return n != "hgetall" }) {
			reads = append(reads, names)
		} else {
			others = append(others, names)
		}
	}
	return reads, others
}

// count returns the number of round trips made so far.
func (c *calls) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.all)
}

// recordCalls adds a calls hook to rdb once a PING has opened and set up
// its connection, so that the handshake is not recorded.
func recordCalls(t testing.TB, rdb *redis.Client) *calls {
	t.Helper()
	require.NoError(t, rdb.Ping(t.Context()).Err())
	c := &calls{}
	rdb.AddHook(c)
	return c
}

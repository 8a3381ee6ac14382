package flagship_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	assign "github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// testTimeout bounds every wait of these tests: far above what a wait
// needs, so that a hang fails instead of blocking the run.
const testTimeout = 10 * time.Second

// startIn starts a client of srv whose files are in dir, waits until it
// is ready, and closes it at the end of the test.
func startIn(t *testing.T, srv *flagshiptest.Server, dir string, opts ...flagship.Option) *flagship.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", append(flagshiptest.ClientOptions(srv.URL, dir), opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { closeClient(t, c) })
	require.NoError(t, c.WaitReady(ctx))
	return c
}

// closeClient closes c with a fresh context bounded by testTimeout.
func closeClient(t *testing.T, c *flagship.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	require.NoError(t, c.Close(ctx))
}

// splitServer serves one A/B test splitting visitors between var_a and
// var_b (two variations: decisions use the assignment store).
func splitServer(t *testing.T, a, b int) *flagshiptest.Server {
	t.Helper()
	return flagshiptest.NewServer(t, flagshiptest.WithCampaigns(splitCampaign(a, b)))
}

func splitCampaign(a, b int) bucketing.Campaign {
	return flagshiptest.Campaign("checkout",
		flagshiptest.Variation("var_a", a, map[string]any{"color": "a"}),
		flagshiptest.Variation("var_b", b, map[string]any{"color": "b"}))
}

// synced makes a visitor of c and synchronizes it.
func synced(t *testing.T, c *flagship.Client, id string, attrs visitor.Attributes, opts ...visitor.Option) *visitor.Visitor {
	t.Helper()
	v, err := c.NewVisitor(id, attrs, opts...)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(context.Background()))
	return v
}

// stored returns what s holds under key.
func stored(t *testing.T, s assign.Store, key string) assign.Assignments {
	t.Helper()
	var into [1]assign.Assignments
	require.NoError(t, s.Load(context.Background(), []string{key}, into[:]))
	return into[0]
}

// openAssignmentsFile opens the default store a closed client left in
// dir, and closes it at the end of the test.
func openAssignmentsFile(t *testing.T, dir string) *assign.File {
	t.Helper()
	f, err := assign.OpenFile(filepath.Join(dir, flagship.AssignmentsFileName), assign.FileOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// TestAssignmentsStickyThroughTheDefaultFile: with default options, a
// BUCKETING client keeps assignments in {cache dir}/assignments.db, so
// that visitors keep their variation when the allocation changes between
// two runs, without the queue file or the cached bucketing file.
func TestAssignmentsStickyThroughTheDefaultFile(t *testing.T) {
	srv := splitServer(t, 50, 50)
	dir := t.TempDir()
	colors := func(c *flagship.Client) map[string]string {
		out := map[string]string{}
		for i := range 40 {
			v := synced(t, c, "visitor-"+strconv.Itoa(i), nil)
			out[v.ID()] = v.String("color", "")
		}
		return out
	}
	c := startIn(t, srv, dir, flagship.WithMode(flagship.Bucketing))
	before := colors(c)
	closeClient(t, c)
	require.Contains(t, before, "visitor-0")
	require.Contains(t, before, "visitor-39")
	require.Contains(t, slices.Collect(maps.Values(before)), "a", "some visitors have var_a, which no newcomer gets below")
	require.FileExists(t, filepath.Join(dir, flagship.AssignmentsFileName))
	// Neither the queue file nor the cached bucketing file carries them.
	require.NoError(t, os.Remove(filepath.Join(dir, flagship.QueueFileName)))
	require.NoError(t, os.Remove(filepath.Join(dir, "bucketing.json")))

	srv.SetCampaigns(splitCampaign(0, 100))
	c = startIn(t, srv, dir, flagship.WithMode(flagship.Bucketing))
	assert.Equal(t, "b", synced(t, c, "newcomer", nil).String("color", ""), "the new allocation is in use")
	assert.Equal(t, before, colors(c), "every visitor kept its variation across the restart")
	closeClient(t, c)

	f := openAssignmentsFile(t, dir)
	assert.Equal(t, assign.Assignment{VariationID: "var_" + before["visitor-0"]}, stored(t, f, "visitor-0")["vg_checkout"])
	assert.GreaterOrEqual(t, f.Len(), 41)
}

// TestConsentWithdrawalDeletesAssignments: SetConsent(ctx, false)
// deletes what the store holds for the visitor id and its anonymous id,
// and nothing of other visitors', with a store of the caller's and with
// the default file.
func TestConsentWithdrawalDeletesAssignments(t *testing.T) {
	t.Run("memory store", func(t *testing.T) {
		srv := splitServer(t, 50, 50)
		mem := assign.NewMemory(0)
		c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), flagship.WithAssignments(flagship.AssignmentOptions{Store: mem}))
		v := synced(t, c, "user-1", nil, visitor.WithAnonymousID("anon-1"))
		synced(t, c, "user-2", nil)
		for _, key := range []string{"user-1", "anon-1", "user-2"} {
			require.NotEmpty(t, stored(t, mem, key), key)
		}
		require.NoError(t, v.SetConsent(context.Background(), false))
		assert.Nil(t, stored(t, mem, "user-1"))
		assert.Nil(t, stored(t, mem, "anon-1"))
		assert.NotEmpty(t, stored(t, mem, "user-2"), "other visitors keep theirs")
		assert.Zero(t, c.AssignmentStats(), "no SDK cache in front of a Memory")

		// Without consent nothing is written back, nor for a visitor who
		// never consented.
		require.NoError(t, v.Synchronize(context.Background()))
		assert.Contains(t, []string{"a", "b"}, v.String("color", ""), "decisions go on without consent")
		synced(t, c, "user-3", nil, visitor.WithConsent(false))
		assert.Nil(t, stored(t, mem, "user-1"))
		assert.Nil(t, stored(t, mem, "anon-1"))
		assert.Nil(t, stored(t, mem, "user-3"))
	})
	t.Run("default file", func(t *testing.T) {
		srv := splitServer(t, 50, 50)
		dir := t.TempDir()
		c := startIn(t, srv, dir, flagship.WithMode(flagship.Bucketing))
		v := synced(t, c, "user-1", nil, visitor.WithAnonymousID("anon-1"))
		synced(t, c, "user-2", nil)
		require.NoError(t, v.SetConsent(context.Background(), false))
		closeClient(t, c)
		f := openAssignmentsFile(t, dir)
		assert.Nil(t, stored(t, f, "user-1"))
		assert.Nil(t, stored(t, f, "anon-1"))
		assert.NotEmpty(t, stored(t, f, "user-2"), "other visitors keep theirs")
	})
}

// TestEraseVisitorData: EraseVisitorData deletes the visitors'
// assignments and their queued hits and activations, but not their
// consent records, nor anything of other visitors.
func TestEraseVisitorData(t *testing.T) {
	srv := splitServer(t, 50, 50)
	mem := assign.NewMemory(0)
	// Nothing is sent before the Flush below, so no batch is out while
	// the erasure runs (a batch already being sent is not recalled):
	// batches wait an hour, once the dispatchers have sent the first one
	// (a backlog they find on their first look goes out at once).
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), flagship.WithAssignments(flagship.AssignmentOptions{Store: mem}),
		flagship.WithDelivery(flagship.DeliveryOptions{BatchSize: 1000, FlushInterval: time.Hour}))
	ctx := context.Background()
	warm := synced(t, c, "warm-up", nil)
	require.NoError(t, warm.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, warm.Activate(ctx, "color"))
	flush(t, c)
	srv.Handler.Reset()

	v := synced(t, c, "user-1", visitor.Attributes{"plan": "gold"}, visitor.WithAnonymousID("anon-1"), visitor.WithConsent(true))
	other := synced(t, c, "user-2", nil)
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, v.Activate(ctx, "color"))
	require.NoError(t, other.SendHit(ctx, hits.Screen{Name: "home"}))
	require.NoError(t, other.Activate(ctx, "color"))
	require.Empty(t, srv.Hits(), "all still queued")

	require.NoError(t, c.EraseVisitorData(ctx, "user-1", "anon-1"))
	assert.Nil(t, stored(t, mem, "user-1"))
	assert.Nil(t, stored(t, mem, "anon-1"))
	assert.NotEmpty(t, stored(t, mem, "user-2"))

	flush(t, c)
	var got []string
	for _, h := range srv.Hits() {
		got = append(got, fmt.Sprintf("%s %s %v", h.VisitorID, h.Type, h.Fields["ea"]))
	}
	assert.ElementsMatch(t, []string{"anon-1 EVENT fs_consent", "user-2 SCREENVIEW <nil>"}, got,
		"user-1's context hit and screen view are gone; its consent record is kept")
	acts := srv.Activations()
	require.Len(t, acts, 1, "user-1's activation is gone")
	assert.Equal(t, "user-2", acts[0].VisitorID)

	closeClient(t, c)
	require.ErrorIs(t, c.EraseVisitorData(ctx, "user-2"), flagship.ErrClosed)
}

// loadFailingStore is a Store whose reads fail; it counts them.
type loadFailingStore struct {
	loads atomic.Int32
}

var errStoreDown = errors.New("store down")

func (s *loadFailingStore) Load(context.Context, []string, []assign.Assignments) error {
	s.loads.Add(1)
	return errStoreDown
}

func (s *loadFailingStore) Save(context.Context, []assign.Entry) error { return nil }
func (s *loadFailingStore) Delete(context.Context, []string) error     { return nil }

// blockingStore is a Store whose reads wait for their ctx to end.
type blockingStore struct {
	loads atomic.Int32
}

func (s *blockingStore) Load(ctx context.Context, _ []string, _ []assign.Assignments) error {
	s.loads.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

func (s *blockingStore) Save(context.Context, []assign.Entry) error { return nil }
func (s *blockingStore) Delete(context.Context, []string) error     { return nil }

// quiet discards the logs of a store failing on purpose.
func quiet() flagship.Option { return flagship.WithLogger(slog.New(slog.DiscardHandler)) }

// storeEvents returns the Reasons of the assignment store events h saw.
func storeEvents(h *syncEvents, k flagship.NotificationKind) []string {
	var out []string
	for _, e := range h.of(k) {
		out = append(out, e.Reason)
	}
	return out
}

// syncUntilBreakerOpens synchronizes a visitor until h saw the breaker
// open.
func syncUntilBreakerOpens(t *testing.T, c *flagship.Client, h *syncEvents) {
	t.Helper()
	for deadline := time.Now().Add(testTimeout); ; {
		synced(t, c, "v1", nil)
		if slices.Contains(storeEvents(h, flagship.NotifyAssignmentStoreState), "open") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the breaker never opened")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAssignmentStoreFailureIsFailOpen: with default options, a store
// whose reads fail does not fail decisions: visitors get their campaigns
// without history, the failures are events and counters, and repeated
// failures open the breaker.
func TestAssignmentStoreFailureIsFailOpen(t *testing.T) {
	srv := splitServer(t, 50, 50)
	h := &syncEvents{}
	store := &loadFailingStore{}
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), quiet(), flagship.WithAssignments(flagship.AssignmentOptions{Store: store}),
		flagship.WithNotifications(h))

	v := synced(t, c, "v1", nil)
	assert.Contains(t, []string{"a", "b"}, v.String("color", ""), "campaigns are returned without history")
	require.Eventually(t, func() bool { return len(h.of(flagship.NotifyAssignmentStoreFailed)) > 0 },
		testTimeout, time.Millisecond, "no NotifyAssignmentStoreFailed")
	failed := h.of(flagship.NotifyAssignmentStoreFailed)[0]
	assert.Equal(t, "load", failed.Reason)
	assert.Equal(t, 1, failed.N)
	require.ErrorIs(t, failed.Err, errStoreDown)
	st := c.AssignmentStats()
	assert.Positive(t, st.LoadFailures)
	assert.Positive(t, st.Misses)
	assert.Positive(t, st.Degraded)

	syncUntilBreakerOpens(t, c, h)
	assert.Equal(t, assign.BreakerOpen, c.AssignmentStats().State)
	assert.GreaterOrEqual(t, int(store.loads.Load()), assign.DefaultBreakerThreshold)
	assert.GreaterOrEqual(t, len(h.of(flagship.NotifyAssignmentStoreFailed)), assign.DefaultBreakerThreshold)
	v = synced(t, c, "v2", nil)
	assert.Contains(t, []string{"a", "b"}, v.String("color", ""), "decisions go on while the breaker is open")
	assert.Empty(t, h.of(flagship.NotifySynchronizeFailed))
}

// TestAssignmentStoreBreakerStopsReads: once the breaker is open, the
// store is not read until the cooldown ends.
func TestAssignmentStoreBreakerStopsReads(t *testing.T) {
	srv := splitServer(t, 50, 50)
	h := &syncEvents{}
	store := &loadFailingStore{}
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), quiet(), flagship.WithNotifications(h),
		flagship.WithAssignments(flagship.AssignmentOptions{
			Store: store,
			// Every decision waits for its read, so that no read is still
			// to start once the breaker is open.
			Cache: assign.CacheOptions{ReadBudget: testTimeout, BreakerThreshold: 3, BreakerCooldown: time.Hour},
		}))
	syncUntilBreakerOpens(t, c, h)
	loads := store.loads.Load()
	assert.GreaterOrEqual(t, int(loads), 3)
	for i := range 5 {
		synced(t, c, "other-"+strconv.Itoa(i), nil)
	}
	assert.Equal(t, loads, store.loads.Load(), "no read while the breaker is open")
	assert.Equal(t, []string{"open"}, storeEvents(h, flagship.NotifyAssignmentStoreState))
}

// TestAssignmentStoreFailureFailClosed: with FailClosed, a failed read
// fails Synchronize with an error wrapping assignment.ErrUnavailable, and
// the visitor gets no campaign.
func TestAssignmentStoreFailureFailClosed(t *testing.T) {
	srv := splitServer(t, 50, 50)
	h := &syncEvents{}
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), quiet(), flagship.WithNotifications(h),
		flagship.WithAssignments(flagship.AssignmentOptions{Store: &loadFailingStore{}, Cache: assign.CacheOptions{FailClosed: true}}))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	err = v.Synchronize(context.Background())
	require.ErrorIs(t, err, assign.ErrUnavailable)
	assert.Empty(t, v.Flags())
	assert.Equal(t, "default", v.String("color", "default"))
	syncFailed := h.of(flagship.NotifySynchronizeFailed)
	require.Len(t, syncFailed, 1)
	assert.ErrorIs(t, syncFailed[0].Err, assign.ErrUnavailable)
	assert.Positive(t, c.AssignmentStats().Degraded)
}

// TestBlockingAssignmentStore: a store that does not answer holds a
// decision for the read budget only (not the longer LoadTimeout): fail-
// open, the decision goes on without history; fail-closed, it fails.
// Close ends the pending read.
func TestBlockingAssignmentStore(t *testing.T) {
	tests := []struct {
		name       string
		giveClosed bool
		wantErr    error
		wantColor  []string
	}{
		{name: "fail-open", giveClosed: false, wantErr: nil, wantColor: []string{"a", "b"}},
		{name: "fail-closed", giveClosed: true, wantErr: assign.ErrUnavailable, wantColor: []string{"default"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := splitServer(t, 50, 50)
			store := &blockingStore{}
			c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), quiet(), flagship.WithAssignments(flagship.AssignmentOptions{
				Store: store, Cache: assign.CacheOptions{LoadTimeout: time.Hour, FailClosed: tt.giveClosed}}))
			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			done := make(chan error, 1)
			go func() { done <- v.Synchronize(context.Background()) }()
			select {
			case err := <-done:
				require.ErrorIs(t, err, tt.wantErr) // errors.Is(nil, nil) holds
			case <-time.After(testTimeout):
				t.Fatal("Synchronize waited for a store that does not answer")
			}
			assert.Contains(t, tt.wantColor, v.String("color", "default"))
			require.Eventually(t, func() bool { return store.loads.Load() == 1 }, testTimeout, time.Millisecond, "one read, still waiting")
			assert.Positive(t, c.AssignmentStats().Degraded)
			closeClient(t, c) // ends the read in flight; goleak checks it returned
		})
	}
}

// TestDecisionAPIModeHasNoAssignmentStore: in DECISION_API mode (the
// Decision API keeps assignments) no assignment file is opened and the
// stats are zero.
func TestDecisionAPIModeHasNoAssignmentStore(t *testing.T) {
	srv := splitServer(t, 50, 50)
	dir := t.TempDir()
	c := startIn(t, srv, dir)
	v := synced(t, c, "v1", nil)
	assert.Contains(t, []string{"a", "b"}, v.String("color", ""))
	require.NoError(t, c.EraseVisitorData(context.Background(), "v1"))
	assert.Zero(t, c.AssignmentStats())
	closeClient(t, c)
	assert.NoFileExists(t, filepath.Join(dir, flagship.AssignmentsFileName))
	assert.FileExists(t, filepath.Join(dir, flagship.QueueFileName), "the cache dir is the one in use")
}

// saveFailingStore is a Store whose writes fail and whose read of the
// key "stuck" waits for unblock, whatever its ctx (a store that does not
// honour ctx).
type saveFailingStore struct {
	unblock chan struct{}
	stuck   atomic.Bool // the read of "stuck" started
}

func (s *saveFailingStore) Load(_ context.Context, keys []string, _ []assign.Assignments) error {
	if keys[0] == "stuck" {
		s.stuck.Store(true)
		<-s.unblock
	}
	return nil
}

func (s *saveFailingStore) Save(context.Context, []assign.Entry) error { return errStoreDown }
func (s *saveFailingStore) Delete(context.Context, []string) error     { return nil }

// TestCloseWaitsWhenAssignmentsCannotBeWritten: when the assignments
// waiting cannot be written, Close reports it, but still waits for what
// the client started (here a read of the store) while its ctx is live.
func TestCloseWaitsWhenAssignmentsCannotBeWritten(t *testing.T) {
	srv := splitServer(t, 50, 50)
	store := &saveFailingStore{unblock: make(chan struct{})}
	c := startIn(t, srv, t.TempDir(), flagship.WithMode(flagship.Bucketing), quiet(), flagship.WithAssignments(flagship.AssignmentOptions{Store: store}))
	// First the read that does not end, before failed writes open the
	// breaker, which would refuse it.
	synced(t, c, "stuck", nil)
	require.Eventually(t, store.stuck.Load, testTimeout, time.Millisecond)
	synced(t, c, "v1", nil) // an assignment to write
	require.Positive(t, c.AssignmentStats().PendingWrites)

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- c.Close(ctx) }()
	select {
	case err := <-closed:
		close(store.unblock)
		t.Fatalf("Close returned (%v) while the client's read of the store was still running", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(store.unblock)
	select {
	case err := <-closed:
		require.ErrorIs(t, err, errStoreDown, "the assignments not written are reported")
	case <-time.After(testTimeout):
		t.Fatal("Close did not return")
	}
}

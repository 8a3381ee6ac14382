package flagship_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// opKey marks the context StartOp returns, to check that the operation
// runs under it.
type opKey struct{}

// recordingObserver records what a client reports to its Observer.
type recordingObserver struct {
	syncEvents
	attached atomic.Pointer[flagship.Client]
	attaches atomic.Int32
	detaches atomic.Int32

	mu      sync.Mutex
	started []flagship.Op
	ended   []flagship.OpResult
}

func (o *recordingObserver) Attach(c *flagship.Client) func() {
	o.attaches.Add(1)
	o.attached.Store(c)
	return func() { o.detaches.Add(1) }
}

func (o *recordingObserver) StartOp(ctx context.Context, op flagship.Op) (context.Context, func(flagship.OpResult)) {
	o.mu.Lock()
	o.started = append(o.started, op)
	o.mu.Unlock()
	return context.WithValue(ctx, opKey{}, op.Kind), func(r flagship.OpResult) {
		o.mu.Lock()
		o.ended = append(o.ended, r)
		o.mu.Unlock()
	}
}

func (o *recordingObserver) results(k flagship.OpKind) []flagship.OpResult {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []flagship.OpResult
	for _, r := range o.ended {
		if r.Op.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// ctxCheckingTransport counts the requests made under a context StartOp
// returned, by operation kind.
type ctxCheckingTransport struct {
	mu     sync.Mutex
	byKind map[flagship.OpKind]int
}

func (t *ctxCheckingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if k, ok := r.Context().Value(opKey{}).(flagship.OpKind); ok {
		t.mu.Lock()
		t.byKind[k]++
		t.mu.Unlock()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func (t *ctxCheckingTransport) count(k flagship.OpKind) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKind[k]
}

// TestObserverDecisionAPI: in DECISION_API mode each Synchronize is an
// OpDecide whose context the Decision API request carries, with the
// campaigns, the status of a refusal and no secret in the URL; hits are
// OpEnqueue then OpSendBatch; Attach comes first and detach last.
func TestObserverDecisionAPI(t *testing.T) {
	srv := abServer(t)
	obs := &recordingObserver{}
	tr := &ctxCheckingTransport{byKind: map[flagship.OpKind]int{}}
	c, err := flagship.New(t.Context(), srv.EnvID(), "secret-key-42", append(srv.Options(),
		flagship.WithObserver(obs), flagship.WithHTTPClient(&http.Client{Transport: tr}))...)
	require.NoError(t, err)
	assert.Same(t, c, obs.attached.Load())
	assert.EqualValues(t, 1, obs.attaches.Load())

	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 503})
	require.Error(t, v.Synchronize(t.Context()))

	decides := obs.results(flagship.OpDecide)
	require.Len(t, decides, 2)
	ok, failed := decides[0], decides[1]
	assert.Equal(t, flagship.DecisionAPI, ok.Op.Mode)
	assert.Equal(t, srv.EnvID(), ok.Op.EnvID)
	assert.Equal(t, srv.URL+"/v2/"+srv.EnvID()+"/campaigns", ok.Op.URL)
	assert.Equal(t, 2, ok.Campaigns)
	assert.NoError(t, ok.Err)
	assert.Positive(t, ok.Duration)
	assert.False(t, ok.Start.IsZero())
	assert.Equal(t, 503, failed.StatusCode)
	assert.Error(t, failed.Err)
	assert.Equal(t, 2, tr.count(flagship.OpDecide), "the Decision API requests run under StartOp's context")

	require.NoError(t, v.SendHit(t.Context(), hits.Event{Category: hits.ActionTracking, Action: "buy"}))
	require.NoError(t, c.Flush(t.Context()))
	enq := obs.results(flagship.OpEnqueue)
	require.NotEmpty(t, enq)
	last := enq[len(enq)-1]
	assert.Equal(t, hits.KindHit, last.Op.Record)
	assert.False(t, last.Op.Async, "SendHit waits for the disk")
	assert.NoError(t, last.Err)
	sends := obs.results(flagship.OpSendBatch)
	require.NotEmpty(t, sends)
	assert.Equal(t, flagship.SinkHTTPHits, sends[len(sends)-1].Op.Sink)
	assert.Equal(t, 1, sends[len(sends)-1].Op.N)
	assert.Positive(t, tr.count(flagship.OpSendBatch), "the sink's requests run under StartOp's context")

	require.NoError(t, c.Close(context.Background()))
	assert.EqualValues(t, 1, obs.detaches.Load())
	obs.mu.Lock()
	defer obs.mu.Unlock()
	assert.Len(t, obs.ended, len(obs.started), "every op started ended")
	for _, op := range obs.started {
		assert.NotContains(t, op.URL, "secret-key-42")
	}
}

// TestObserverBucketing: downloads are OpFetchBucketing with their status
// and whether the file changed, decisions are OpDecide in BUCKETING mode,
// activations on read are async OpEnqueue, and notifications reach the
// observer.
func TestObserverBucketing(t *testing.T) {
	srv := abServer(t)
	obs := &recordingObserver{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(),
		flagship.WithMode(flagship.Bucketing), flagship.WithObserver(obs))...)
	require.NoError(t, err)
	require.NoError(t, c.WaitReady(t.Context()))
	// The download ends just after the file it brought is in use.
	require.Eventually(t, func() bool { return len(obs.results(flagship.OpFetchBucketing)) > 0 }, 5*time.Second, time.Millisecond)
	fetches := obs.results(flagship.OpFetchBucketing)
	assert.Equal(t, 200, fetches[0].StatusCode)
	assert.True(t, fetches[0].Changed)
	assert.Equal(t, srv.URL+"/"+srv.EnvID()+"/bucketing.json", fetches[0].Op.URL)

	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 500})
	require.Eventually(t, func() bool {
		for _, f := range obs.results(flagship.OpFetchBucketing) {
			if f.StatusCode == 500 && errors.Is(f.Err, bucketing.ErrFetch) {
				return true
			}
		}
		return false
	}, 5*time.Second, 5*time.Millisecond)

	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	d := obs.results(flagship.OpDecide)
	require.Len(t, d, 1)
	assert.Equal(t, flagship.Bucketing, d[0].Op.Mode)
	assert.Empty(t, d[0].Op.URL)
	assert.Equal(t, 2, d[0].Campaigns)

	assert.Equal(t, "green", v.Activating(t.Context()).String("btn-color", "blue"))
	require.NoError(t, c.Flush(t.Context()))
	var act *flagship.OpResult
	for _, r := range obs.results(flagship.OpEnqueue) {
		if r.Op.Record == hits.KindActivation {
			act = &r
		}
	}
	require.NotNil(t, act, "the activation on read is an OpEnqueue")
	assert.True(t, act.Op.Async)
	assert.True(t, obs.saw(flagship.NotifyStatusChanged, flagship.StatusReady), "notifications reach the observer")
	require.NoError(t, c.Close(context.Background()))
}

// TestObserverRefusedEnqueue: a record the queue refuses ends its
// OpEnqueue with the error, which RefusalReason names.
func TestObserverRefusedEnqueue(t *testing.T) {
	srv := abServer(t)
	obs := &recordingObserver{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithObserver(obs),
		flagship.WithDelivery(flagship.DeliveryOptions{MaxRecords: 1, FlushInterval: time.Hour, BatchSize: 100}))...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://a.example/"}))
	err = v.SendHit(t.Context(), hits.Page{URL: "https://a.example/2"})
	require.ErrorIs(t, err, eventqueue.ErrQueueFull)
	enq := obs.results(flagship.OpEnqueue)
	require.Len(t, enq, 2)
	assert.Empty(t, flagship.RefusalReason(enq[0].Err))
	assert.Equal(t, flagship.RefusedFull, flagship.RefusalReason(enq[1].Err))
	require.NoError(t, c.Close(context.Background()))
}

func TestRefusalReason(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{eventqueue.ErrQueueFull, flagship.RefusedFull},
		{&eventqueue.RecordTooLargeError{Sink: "s", Size: 2, Limit: 1}, flagship.RefusedTooLarge},
		{eventqueue.ErrInvalidRecord, flagship.RefusedInvalid},
		{flagship.ErrClosed, flagship.RefusedClosed},
		{eventqueue.ErrClosed, flagship.RefusedClosed},
		{flagship.ErrStorage, flagship.RefusedStorage},
		{errors.New("disk on fire"), flagship.RefusedOther},
	} {
		assert.Equal(t, tc.want, flagship.RefusalReason(tc.err), "%v", tc.err)
	}
}

func TestWithObserverNil(t *testing.T) {
	_, err := flagship.New(t.Context(), "env", "key", flagship.WithObserver(nil))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "nil Observer")
}

// TestObserverDetachedWhenNewFails: a client New gives up on still
// detaches its observer.
func TestObserverDetachedWhenNewFails(t *testing.T) {
	obs := &recordingObserver{}
	_, err := flagship.New(t.Context(), "env", "key", flagship.WithObserver(obs), flagship.WithCacheDir(t.TempDir()),
		flagship.WithDelivery(flagship.DeliveryOptions{QueueFile: t.TempDir()})) // a directory: cannot open
	require.Error(t, err)
	assert.EqualValues(t, 1, obs.attaches.Load())
	assert.EqualValues(t, 1, obs.detaches.Load())
}

// TestSubscribe: a subscribed handler gets the notifications until it is
// cancelled, in addition to the one of WithNotifications.
func TestSubscribe(t *testing.T) {
	srv := abServer(t)
	base := &syncEvents{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(),
		flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(base))...)
	require.NoError(t, err)
	defer c.Close(context.Background())
	sub1, sub2 := &syncEvents{}, &syncEvents{}
	cancel1 := c.Subscribe(sub1)
	cancel2 := c.Subscribe(sub2)
	srv.SetCampaigns(flagshiptest.Toggle("banner", map[string]any{"show-banner": false}))
	require.Eventually(t, func() bool { return len(sub1.of(flagship.NotifyBucketingUpdated)) > 0 }, 5*time.Second, 5*time.Millisecond)
	assert.NotEmpty(t, sub2.of(flagship.NotifyBucketingUpdated))
	cancel1()
	cancel1() // twice is harmless
	n1 := len(sub1.of(flagship.NotifyBucketingUpdated))
	srv.SetCampaigns(flagshiptest.Toggle("banner", map[string]any{"show-banner": true}))
	require.Eventually(t, func() bool { return len(sub2.of(flagship.NotifyBucketingUpdated)) > 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Len(t, sub1.of(flagship.NotifyBucketingUpdated), n1, "a cancelled subscription gets nothing")
	cancel2()
	assert.GreaterOrEqual(t, len(base.of(flagship.NotifyBucketingUpdated)), 3, "WithNotifications' handler still gets them all")
	c.Subscribe(nil)() // a nil handler is a no-op
}

// TestBucketingUpdatedKeys: an update names the flag keys it changed: all
// of them first, then only those whose campaign changed.
func TestBucketingUpdatedKeys(t *testing.T) {
	srv := abServer(t)
	h := &syncEvents{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(),
		flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(h))...)
	require.NoError(t, err)
	defer c.Close(context.Background())
	require.NoError(t, c.WaitReady(t.Context()))
	first := h.of(flagship.NotifyBucketingUpdated)[0]
	assert.Equal(t, []string{"btn-color", "discount", "show-banner"}, first.Keys)

	srv.SetCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green", "discount": 10.0})),
		flagshiptest.Toggle("banner", map[string]any{"show-banner": false}),
	)
	require.Eventually(t, func() bool { return len(h.of(flagship.NotifyBucketingUpdated)) > 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, []string{"show-banner"}, h.of(flagship.NotifyBucketingUpdated)[1].Keys)
}

// TestFlagDefined: BUCKETING mode tells a key no campaign sets from one
// the visitor is not assigned; DECISION_API mode cannot tell.
func TestFlagDefined(t *testing.T) {
	srv := abServer(t)
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing))...)
	require.NoError(t, err)
	defer c.Close(context.Background())
	def, known := c.FlagDefined("btn-color")
	assert.True(t, def)
	assert.True(t, known)
	def, known = c.FlagDefined("nope")
	assert.False(t, def)
	assert.True(t, known)

	api, err := flagship.New(t.Context(), srv.EnvID(), "key", srv.Options()...)
	require.NoError(t, err)
	defer api.Close(context.Background())
	def, known = api.FlagDefined("btn-color")
	assert.False(t, def)
	assert.False(t, known)
}

// TestBucketingRecovered: after failed downloads, the next success is a
// NotifyBucketingRecovered counting them, and BucketingStatus follows.
func TestBucketingRecovered(t *testing.T) {
	srv := abServer(t)
	h := &syncEvents{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(),
		flagship.WithMode(flagship.Bucketing), flagship.WithNotifications(h))...)
	require.NoError(t, err)
	defer c.Close(context.Background())
	require.NoError(t, c.WaitReady(t.Context()))
	// The download is recorded just after the file it brought is in use.
	require.Eventually(t, func() bool { st, _ := c.BucketingStatus(); return !st.Checked.IsZero() }, 5*time.Second, time.Millisecond)
	st, ok := c.BucketingStatus()
	require.True(t, ok)
	assert.True(t, st.Loaded)
	assert.Equal(t, 2, st.Campaigns)
	assert.Empty(t, h.of(flagship.NotifyBucketingRecovered))

	srv.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 503})
	require.Eventually(t, func() bool { return len(h.of(flagship.NotifyBucketingRecovered)) > 0 }, 10*time.Second, 5*time.Millisecond)
	rec := h.of(flagship.NotifyBucketingRecovered)[0]
	assert.Equal(t, 2, rec.N)
	assert.Len(t, h.of(flagship.NotifyBucketingFailed), 2)
	st, _ = c.BucketingStatus()
	assert.NoError(t, st.Err)
	assert.Zero(t, st.Failures)

	api, err := flagship.New(t.Context(), srv.EnvID(), "key", srv.Options()...)
	require.NoError(t, err)
	defer api.Close(context.Background())
	_, ok = api.BucketingStatus()
	assert.False(t, ok, "DECISION_API mode has no bucketing file")
}

func TestOpKindString(t *testing.T) {
	assert.Equal(t, "send batch", flagship.OpSendBatch.String())
	assert.True(t, strings.HasPrefix(flagship.OpKind(99).String(), "OpKind"))
}

// TestObserverInMemoryQueue: the in-memory queue's sends are reported as
// the queue file's are.
func TestObserverInMemoryQueue(t *testing.T) {
	srv := abServer(t)
	obs := &recordingObserver{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithObserver(obs),
		flagship.WithDelivery(flagship.DeliveryOptions{InMemory: true}))...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://a.example/"}))
	require.NoError(t, c.Flush(t.Context()))
	sends := obs.results(flagship.OpSendBatch)
	require.Len(t, sends, 1)
	assert.Equal(t, flagship.SinkHTTPHits, sends[0].Op.Sink)
	assert.NoError(t, sends[0].Err)
	require.NoError(t, c.Close(context.Background()))
}

// nilEndObserver wants no outcome: StartOp returns a nil function.
type nilEndObserver struct{ starts atomic.Int32 }

func (*nilEndObserver) Attach(*flagship.Client) func() { return nil }
func (o *nilEndObserver) StartOp(ctx context.Context, _ flagship.Op) (context.Context, func(flagship.OpResult)) {
	o.starts.Add(1)
	return ctx, nil
}
func (*nilEndObserver) OnNotification(context.Context, flagship.Notification) {}

// TestObserverNilEnd: an observer may return a nil end function (and a
// nil detach): the operations run as usual.
func TestObserverNilEnd(t *testing.T) {
	srv := abServer(t)
	obs := &nilEndObserver{}
	h := &syncEvents{}
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(flagship.Bucketing),
		flagship.WithObserver(obs), flagship.WithNotifications(h))...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(t.Context()))
	assert.Equal(t, "green", v.String("btn-color", "blue"))
	require.NoError(t, v.SendHit(t.Context(), hits.Page{URL: "https://a.example/"}))
	require.NoError(t, c.Close(context.Background()))
	assert.GreaterOrEqual(t, obs.starts.Load(), int32(3), "fetch, decide, enqueue, send")
	for _, n := range h.of(flagship.NotifyStatusChanged) {
		assert.Equal(t, srv.EnvID(), n.EnvID, "notifications name their environment")
	}
}

// pollingObserver reads the client's state from its own goroutine from
// Attach until detach, as a metrics reader may.
type pollingObserver struct {
	nilEndObserver
	reads atomic.Int64
}

func (o *pollingObserver) Attach(c *flagship.Client) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = c.Status()
			_ = c.QueueStats()
			_ = c.AssignmentStats()
			_, _ = c.BucketingStatus()
			_, _ = c.FlagDefined("btn-color")
			o.reads.Add(1)
			runtime.Gosched()
		}
	}()
	return func() { close(stop); <-done }
}

// TestObserverReadsWhileNewBuilds: an Observer may read the client's
// state from another goroutine as soon as Attach is called, while New
// still opens the queue, the assignment store and the bucketing file
// (run with -race).
func TestObserverReadsWhileNewBuilds(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Latency: 50 * time.Millisecond})
	for _, mode := range []flagship.Mode{flagship.Bucketing, flagship.DecisionAPI} {
		obs := &pollingObserver{}
		c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithMode(mode), flagship.WithObserver(obs))...)
		require.NoError(t, err)
		require.NoError(t, c.Close(context.Background()))
		assert.Positive(t, obs.reads.Load())
	}
}

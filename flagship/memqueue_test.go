package flagship_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// The tests of DeliveryOptions.InMemory's queue run a client against
// flagshiptest, or against a sink of DeliveryOptions.Sinks (with NoHTTP)
// when the test needs to see each Send.

// fastRetries are DeliveryOptions for quick retries, in memory.
func fastRetries() flagship.DeliveryOptions {
	return flagship.DeliveryOptions{InMemory: true, RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}
}

// sinkStats returns the stats of the sink named name.
func sinkStats(t *testing.T, c *flagship.Client, name string) eventqueue.SinkStats {
	t.Helper()
	for _, s := range c.QueueStats().Sinks {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sink %q in %+v", name, c.QueueStats())
	return eventqueue.SinkStats{}
}

// TestInMemoryRetriesThenDelivers: the events endpoint fails three
// times; the hits are retried with backoff and delivered; the run of
// failures is logged once at Warn and its end at Info.
func TestInMemoryRetriesThenDelivers(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(3, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	var logs hookRecords
	c := newClient(t, srv, flagship.WithDelivery(fastRetries()), flagship.WithLogger(hookLogger(&logs)))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	for _, name := range []string{"a", "b", "c"} {
		require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: name}))
	}
	flush(t, c)
	var got []string
	for _, h := range srv.Hits() {
		got = append(got, h.Fields["dl"].(string))
	}
	assert.Equal(t, []string{"a", "b", "c"}, got, "delivered once each, in order")
	st := sinkStats(t, c, flagship.SinkHTTPHits)
	assert.EqualValues(t, 3, st.Sent)
	assert.Positive(t, st.Retried)
	assert.Zero(t, st.Depth)
	assert.Len(t, logLines(&logs, slog.LevelWarn, "send failed"), 1, "one Warn line for the run of failures")
	assert.Len(t, logLines(&logs, slog.LevelInfo, "sink delivers again"), 1)
}

// TestInMemoryIsBounded: with the events endpoint down, the queue holds
// DeliveryOptions.MaxRecords hits; the next SendHit fails with
// ErrQueueFull, reported once. A Close cut short loses what is left, and
// says so.
func TestInMemoryIsBounded(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1<<30, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	var logs hookRecords
	events := &syncEvents{}
	d := fastRetries()
	d.MaxRecords = 2
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "key", append(srv.Options(), flagship.WithDelivery(d),
		flagship.WithLogger(hookLogger(&logs)), flagship.WithNotifications(events))...)
	require.NoError(t, err)
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "a"}))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "b"}))
	require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "c"}), flagship.ErrQueueFull)
	require.ErrorIs(t, v.SendHit(ctx, hits.Screen{Name: "d"}), flagship.ErrQueueFull)
	st := c.QueueStats()
	assert.EqualValues(t, 2, st.Enqueued)
	assert.EqualValues(t, 2, st.RejectedFull)
	assert.Len(t, events.of(flagship.NotifyQueueFull), 1, "reported once per episode")
	assert.Len(t, logLines(&logs, slog.LevelWarn, "queue full"), 1)

	closeCtx, cancelClose := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelClose()
	err = c.Close(closeCtx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "lost")
	require.NoError(t, c.Close(context.Background()), "the second Close waits for the release")
	lost := logLines(&logs, slog.LevelError, "they are lost")
	require.Len(t, lost, 1)
	assert.Contains(t, lost[0], "records=2")
}

// recordingSink is a Sink whose answer to each Send is decided by
// answer, called with the send's number (from 1) and its batch; it
// records the batches it accepted.
type recordingSink struct {
	answer func(n int, batch []eventqueue.Record) error

	mu        sync.Mutex
	sends     int
	delivered []string // dl of each record accepted
	attempts  map[string]int
}

func (s *recordingSink) Send(_ context.Context, batch []eventqueue.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends++
	if s.attempts == nil {
		s.attempts = map[string]int{}
	}
	for _, r := range batch {
		s.attempts[screenName(r)]++
	}
	err := s.answer(s.sends, batch)
	var perRecord interface{ Unwrap() []error }
	for i, r := range batch {
		if err == nil || errors.As(err, &perRecord) && len(perRecord.Unwrap()) == len(batch) && perRecord.Unwrap()[i] == nil {
			s.delivered = append(s.delivered, screenName(r))
		}
	}
	return err
}

func (s *recordingSink) got() (delivered []string, attempts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.delivered...), s.attempts
}

// screenName returns the name of a SCREENVIEW record (its dl).
func screenName(r eventqueue.Record) string {
	f := r.Fields()
	i := bytes.Index(f, []byte(`"dl":"`))
	if i < 0 {
		return ""
	}
	f = f[i+len(`"dl":"`):]
	return string(f[:bytes.IndexByte(f, '"')])
}

// sinkClient returns a client delivering, in memory, only to sink,
// whose batches wait for Flush.
func sinkClient(t *testing.T, sink eventqueue.Sink, opts ...flagship.Option) *flagship.Client {
	t.Helper()
	srv := abServer(t)
	d := fastRetries()
	d.NoHTTP = true
	d.Sinks = []eventqueue.SinkConfig{{Name: "mine", Sink: sink, FlushInterval: time.Hour,
		RetryInitial: time.Millisecond, RetryMax: 5 * time.Millisecond}}
	return newClient(t, srv, append([]flagship.Option{flagship.WithDelivery(d)}, opts...)...)
}

// sendScreens sends one SCREENVIEW hit per name, as visitor v1.
func sendScreens(t *testing.T, c *flagship.Client, names ...string) {
	t.Helper()
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	for _, n := range names {
		require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: n}))
	}
}

// TestInMemoryDropsTheRecordRefused: a sink refuses, for good, a batch
// holding one bad record. The batch is split to find it: the others are
// delivered, it is dropped, counted, reported and logged at Error.
func TestInMemoryDropsTheRecordRefused(t *testing.T) {
	sink := &recordingSink{answer: func(_ int, batch []eventqueue.Record) error {
		for _, r := range batch {
			if screenName(r) == "bad" {
				return eventqueue.Permanent(errors.New("400: bad item"))
			}
		}
		return nil
	}}
	var logs hookRecords
	events := &syncEvents{}
	c := sinkClient(t, sink, flagship.WithLogger(hookLogger(&logs)), flagship.WithNotifications(events))
	sendScreens(t, c, "a", "bad", "c", "d")
	flush(t, c)
	delivered, _ := sink.got()
	assert.ElementsMatch(t, []string{"a", "c", "d"}, delivered)
	st := sinkStats(t, c, "mine")
	assert.EqualValues(t, 1, st.DeadLettered)
	assert.EqualValues(t, 1, c.QueueStats().DeadLetters)
	assert.Zero(t, st.Depth)
	dead := events.of(flagship.NotifyDeadLettered)
	require.Len(t, dead, 1)
	assert.Equal(t, 1, dead[0].N)
	assert.Contains(t, dead[0].Reason, "400: bad item")
	assert.Len(t, logLines(&logs, slog.LevelError, "refused for good"), 1)
}

// TestInMemoryKeepsRecordsRefusedAlike: a destination that refuses
// every record alike refuses itself, not the records: nothing is
// dropped, the refusal is reported, and the records are delivered once
// it accepts them.
func TestInMemoryKeepsRecordsRefusedAlike(t *testing.T) {
	const refusals = 8 // the isolation of the first attempt, then whole batches
	sink := &recordingSink{answer: func(n int, _ []eventqueue.Record) error {
		if n <= refusals {
			return eventqueue.Permanent(errors.New("400: bad api key"))
		}
		return nil
	}}
	events := &syncEvents{}
	c := sinkClient(t, sink, flagship.WithNotifications(events))
	sendScreens(t, c, "a", "b", "c")
	flush(t, c)
	delivered, _ := sink.got()
	assert.Equal(t, []string{"a", "b", "c"}, delivered)
	st := sinkStats(t, c, "mine")
	assert.Zero(t, st.DeadLettered, "nothing dropped")
	assert.EqualValues(t, 3, st.Sent)
	assert.Len(t, events.of(flagship.NotifyDestinationRefused), 1, "reported once")
}

// TestInMemoryPartialDelivery: a sink that confirms part of a batch
// (eventqueue.Partial) gets only the rest again.
func TestInMemoryPartialDelivery(t *testing.T) {
	sink := &recordingSink{answer: func(n int, batch []eventqueue.Record) error {
		if n > 1 {
			return nil
		}
		errs := make([]error, len(batch))
		errs[1] = errors.New("partition leader moved")
		return eventqueue.Partial(errs)
	}}
	c := sinkClient(t, sink)
	sendScreens(t, c, "a", "b", "c")
	flush(t, c)
	delivered, attempts := sink.got()
	assert.ElementsMatch(t, []string{"a", "b", "c"}, delivered)
	assert.Equal(t, map[string]int{"a": 1, "b": 2, "c": 1}, attempts, "only the record not confirmed is sent again")
	assert.EqualValues(t, 3, sinkStats(t, c, "mine").Sent)
}

// TestInMemoryExpires: a record older than its sink's MaxAge is dropped
// as expired instead of being sent.
func TestInMemoryExpires(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	sink := &recordingSink{answer: func(int, []eventqueue.Record) error { return nil }}
	srv := abServer(t)
	d := fastRetries()
	d.NoHTTP = true
	d.Sinks = []eventqueue.SinkConfig{{Name: "mine", Sink: sink, FlushInterval: time.Hour, MaxAge: time.Hour}}
	events := &syncEvents{}
	c := newClient(t, srv, flagship.WithDelivery(d), flagship.WithClock(clock), flagship.WithNotifications(events))
	sendScreens(t, c, "old")
	now.Add(int64(2 * time.Hour))
	flush(t, c)
	delivered, _ := sink.got()
	assert.Empty(t, delivered)
	st := sinkStats(t, c, "mine")
	assert.EqualValues(t, 1, st.Expired)
	assert.EqualValues(t, 1, st.DeadLettered)
	// Reported by the dispatcher right after the backlog shrank.
	require.Eventually(t, func() bool { return len(events.of(flagship.NotifyDeadLettered)) == 1 }, hangLimit, time.Millisecond)
	assert.Equal(t, eventqueue.ReasonExpired, events.of(flagship.NotifyDeadLettered)[0].Reason)
}

// TestInMemoryPurgeOnConsentWithdrawal: withdrawing consent drops the
// visitor's queued hits, but the consent hit.
func TestInMemoryPurgeOnConsentWithdrawal(t *testing.T) {
	srv := abServer(t)
	srv.FailNext(1<<30, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusServiceUnavailable})
	c := newClient(t, srv, flagship.WithDelivery(fastRetries()))
	v, err := c.NewVisitor("v1", nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "a"}))
	require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "b"}))
	require.NoError(t, v.SetConsent(ctx, false))
	srv.Reset() // the events endpoint is back
	flush(t, c)
	var types []string
	for _, h := range srv.Hits() {
		types = append(types, h.Type)
	}
	assert.Equal(t, []string{"EVENT"}, types, "only the consent hit was delivered")
	assert.Equal(t, "fs_consent", srv.Hits()[0].Fields["ea"])
}

// TestInMemoryPartialOfTheWrongLength: a Partial that does not have one
// entry per record tells nothing of the records at fault, even when its
// entries are permanent: the whole batch is retried, as the queue file
// does, and nothing is dropped.
func TestInMemoryPartialOfTheWrongLength(t *testing.T) {
	sink := &recordingSink{answer: func(n int, batch []eventqueue.Record) error {
		if n > 3 {
			return nil
		}
		return eventqueue.Partial([]error{eventqueue.Permanent(errors.New("bad item"))}) // one entry for three records
	}}
	c := sinkClient(t, sink)
	sendScreens(t, c, "a", "b", "c")
	flush(t, c)
	delivered, attempts := sink.got()
	assert.ElementsMatch(t, []string{"a", "b", "c"}, delivered)
	assert.Equal(t, map[string]int{"a": 4, "b": 4, "c": 4}, attempts, "retried whole, never split")
	st := sinkStats(t, c, "mine")
	assert.Zero(t, st.DeadLettered)
	assert.EqualValues(t, 3, st.Sent)
}

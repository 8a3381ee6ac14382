package eventqueue_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// sizedSink is a recorder that carries records of at most max bytes of
// their wire size.
type sizedSink struct {
	recorder
	max int
}

var _ eventqueue.RecordSizer = (*sizedSink)(nil)

func (s *sizedSink) RecordSize(r hits.Record) int { return r.WireSize() }
func (s *sizedSink) MaxRecordSize() int           { return s.max }

// screenRecord returns a SCREEN hit record whose wire size is exactly
// size (at least that of an empty name).
func screenRecord(tb testing.TB, size int) hits.Record {
	tb.Helper()
	r := recordOf(tb, testEnv, "v1", "", time.Now(), hits.Screen{Name: "x"})
	r = recordOf(tb, testEnv, "v1", "", time.Now(), hits.Screen{Name: strings.Repeat("x", 1+size-r.WireSize())})
	require.Equal(tb, size, r.WireSize())
	return r
}

// TestEnqueueRefusesRecordsTooLargeForASink: a record larger than the
// limit of a sink that takes it is refused at Enqueue with a
// *RecordTooLargeError naming the sink, the size and the limit, and is
// stored for no sink; a record at the limit, or too large only for a sink
// that does not take its kind, is stored.
func TestEnqueueRefusesRecordsTooLargeForASink(t *testing.T) {
	small := &sizedSink{max: 400}
	large := &sizedSink{max: 1000}
	activations := &sizedSink{max: 100}
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{
		{Name: "small", Sink: small, Kinds: []hits.Kind{hits.KindHit}},
		{Name: "large", Sink: large, Kinds: []hits.Kind{hits.KindHit}},
		{Name: "activations", Sink: activations, Kinds: []hits.Kind{hits.KindActivation}},
		{Name: "plain", Sink: &recorder{}, Kinds: []hits.Kind{hits.KindHit}},
	}})
	ctx := context.Background()

	over := screenRecord(t, 401)
	err := q.Enqueue(ctx, over)
	require.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
	require.ErrorIs(t, err, hits.ErrInvalidRecord)
	var tooLarge *eventqueue.RecordTooLargeError
	require.ErrorAs(t, err, &tooLarge)
	assert.Equal(t, eventqueue.RecordTooLargeError{Sink: "small", RecordID: over.ID().String(), Size: 401, Limit: 400}, *tooLarge)
	assert.EqualError(t, err, "eventqueue: invalid record: record "+over.ID().String()+` is 401 bytes for sink "small", over its limit of 400 bytes`)
	require.ErrorIs(t, q.EnqueueAsync(ctx, over), eventqueue.ErrInvalidRecord, "EnqueueAsync refuses it too")

	tooLarge = nil
	require.ErrorAs(t, q.Enqueue(ctx, screenRecord(t, 1001)), &tooLarge)
	assert.Equal(t, "small", tooLarge.Sink, "the first sink over its limit is named")

	st := q.Stats()
	assert.Zero(t, st.Enqueued, "nothing was enqueued")
	for _, s := range st.Sinks {
		assert.Zero(t, s.Depth, "sink %s stores nothing", s.Name)
	}

	atLimit := screenRecord(t, 400)
	require.NoError(t, q.Enqueue(ctx, atLimit))
	activation := activationRecord(t, "v1")
	require.Greater(t, activation.WireSize(), 0)
	require.Less(t, activation.WireSize(), 400)
	require.NoError(t, q.Enqueue(ctx, activation), "only the activation sink's limit applies")
	for _, s := range q.Stats().Sinks {
		assert.EqualValues(t, 1, s.Depth, "sink %s", s.Name)
	}
}

// TestOversizeHitThroughHTTP: with an HTTP sink to a local Flagship
// server, a hit whose body would exceed MaxBodyBytes is refused by
// Enqueue, naming its size and the limit; it is never acknowledged, so
// never dead-lettered, and the hits around it are delivered.
func TestOversizeHitThroughHTTP(t *testing.T) {
	tests := []struct {
		name         string
		giveMaxBody  int
		giveHit      hits.Hit
		wantLimitMsg string
	}{
		{name: "a screen name over a 1 KiB body limit", giveMaxBody: 1024,
			giveHit: hits.Screen{Name: strings.Repeat("s", 2000)}, wantLimitMsg: "over its limit of 1024 bytes"},
		{name: "a 3 MB context hit over the default limit",
			giveHit:      hits.Segment{Context: map[string]any{"a": strings.Repeat("x", 1_500_000), "b": strings.Repeat("\x01", 300_000)}},
			wantLimitMsg: "over its limit of " + strconv.Itoa(httpsink.DefaultMaxBodyBytes) + " bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := flagshiptest.NewServer(t)
			sink, err := httpsink.New(httpsink.Options{EventsURL: srv.URL + "/events", ActivateURL: srv.URL + "/v2/activate", MaxBodyBytes: tt.giveMaxBody})
			require.NoError(t, err)
			defer sink.Close()
			q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{fastSink("http", sink)}})
			startRun(t, q)
			ctx := context.Background()

			before := recordOf(t, srv.EnvID(), "v1", "", time.Now(), hits.Event{Category: hits.ActionTracking, Action: "before"})
			big := recordOf(t, srv.EnvID(), "v1", "", time.Now(), tt.giveHit)
			after := recordOf(t, srv.EnvID(), "v1", "", time.Now(), hits.Event{Category: hits.ActionTracking, Action: "after"})
			require.NoError(t, q.Enqueue(ctx, before))
			err = q.Enqueue(ctx, big)
			require.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
			assert.ErrorContains(t, err, "is "+strconv.Itoa(big.WireSize())+" bytes")
			assert.ErrorContains(t, err, tt.wantLimitMsg)
			require.NoError(t, q.Enqueue(ctx, after))
			flush(t, q)

			var actions []string
			for _, h := range srv.Hits() {
				actions = append(actions, h.Fields["ea"].(string))
			}
			assert.Equal(t, []string{"before", "after"}, actions)
			dead, err := q.DeadLetters(10)
			require.NoError(t, err)
			assert.Empty(t, dead)
			st := q.Stats()
			assert.Zero(t, st.DeadLetters)
			assert.EqualValues(t, 2, st.Enqueued)
		})
	}
}

// TestRecordTooLargeErrorIsInvalidRecord: the error wraps both packages'
// ErrInvalidRecord, and nothing else.
func TestRecordTooLargeErrorIsInvalidRecord(t *testing.T) {
	var err error = &eventqueue.RecordTooLargeError{Sink: "s", RecordID: "id", Size: 2, Limit: 1}
	assert.ErrorIs(t, err, eventqueue.ErrInvalidRecord)
	assert.ErrorIs(t, err, hits.ErrInvalidRecord)
	assert.False(t, errors.Is(err, eventqueue.ErrQueueFull))
}

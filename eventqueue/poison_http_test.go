package eventqueue_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestPoisonHitThroughHTTP: one hit the events endpoint refuses in a batch
// of 100 → the server answers 207 naming it, the 99 others are delivered,
// in order, in that one request, and the refused one is in the dead
// letters with the server's reason: nothing is split, nothing sent twice.
func TestPoisonHitThroughHTTP(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	sink, err := httpsink.New(httpsink.Options{EventsURL: srv.URL + "/events", ActivateURL: srv.URL + "/v2/activate"})
	require.NoError(t, err)
	defer sink.Close()
	cfg := fastSink("http", sink)
	cfg.BatchSize = 100
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}})

	var recs []hits.Record
	for i := range 100 {
		r, err := hits.NewRecord(uuid.New(), srv.EnvID(), "v1", "", time.Now(),
			hits.Event{Category: hits.ActionTracking, Action: "step", Label: strconv.Itoa(i)})
		require.NoError(t, err)
		if i == 42 {
			// Valid for the queue (an intact stored record), refused by
			// the server: an unknown event category, as a buggy or older
			// SDK could have stored.
			r = withStoredFields(t, r, `{"ec":"Bogus Category","ea":"step","el":"42"}`)
		}
		recs = append(recs, r)
	}
	enqueueAll(t, q, recs...) // before Run: one batch of 100
	startRun(t, q)
	flush(t, q)

	got := srv.Hits()
	require.Len(t, got, 99)
	want := 0
	for _, h := range got {
		if want == 42 {
			want++
		}
		assert.Equal(t, strconv.Itoa(want), h.Fields["el"], "neighbours delivered in order, none twice")
		want++
	}
	assert.Len(t, srv.Bodies(flagshiptest.RouteEvents), 1, "one request: nothing split or sent again")
	refused := srv.Refusals()
	require.Len(t, refused, 1)
	assert.Equal(t, 42, refused[0].Index)
	assert.Equal(t, http.StatusMultiStatus, refused[0].Status)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, recs[42].ID(), dead[0].Record.ID())
	assert.Contains(t, dead[0].Reason, "207")
	assert.Contains(t, dead[0].Reason, "h[42].ec", "the server's reason names the field")
	st := sinkStats(t, q, "http")
	assert.EqualValues(t, 99, st.Sent)
	assert.EqualValues(t, 1, st.DeadLettered)
}

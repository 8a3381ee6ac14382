package eventqueue_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestLeftoverBacklogSurvivesWrites: a backlog left by a sink no longer
// configured stays readable (Stats, Peek) after the file has changed: the
// queue must not keep the bucket name bbolt lent it during Open, which
// points into pages later rewritten.
func TestLeftoverBacklogSurvivesWrites(t *testing.T) {
	const oldName = "old-sink-with-a-long-name"
	path := queuePath(t)
	old := fastSink(oldName, &recorder{})
	old.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{old}})
	act := activationRecord(t, "v")
	enqueueAll(t, q, act)
	require.NoError(t, q.Close())

	rec := &recorder{}
	opts := oneSink("new", rec)
	opts.Logger = testLogger(t)
	// Not openQueue: after a panic in a read transaction, Close would
	// wait forever for it.
	q, err := eventqueue.Open(path, opts)
	require.NoError(t, err)
	stop := startRun(t, q)
	stats := func() (st eventqueue.Stats, panicked any) {
		defer func() { panicked = recover() }()
		return q.Stats(), nil
	}
	for i := range 40 { // commits that rewrite the root bucket's page
		enqueueAll(t, q, pageRecords(t, 5)...)
		flush(t, q)
		st, p := stats()
		if p != nil {
			t.Fatalf("round %d: Stats panicked: %v", i, p)
		}
		require.Len(t, st.Sinks, 2, "round %d", i)
		assert.Equal(t, oldName, st.Sinks[1].Name)
		assert.EqualValues(t, 1, st.Sinks[1].Depth)
		assert.Positive(t, st.Sinks[1].OldestAge, "round %d: the oldest record read from the file", i)
	}
	entries, err := q.Peek(oldName, 10)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, act.ID(), entries[0].Record.ID())
	assert.Equal(t, 200, rec.count())
	require.NoError(t, stop())
	require.NoError(t, q.Close())
}

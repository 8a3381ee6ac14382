package eventqueue_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestDeadSinkHoldsBackHealthyOne: the Kafka sink's doc and the
// README said a Kafka outage never holds back Flagship's delivery. It does
// once the dead sink's backlog reaches MaxRecords (or the queue's
// MaxBytes): Enqueue then refuses the record for every sink, the healthy
// one included. (The docs now say so; this pins the behaviour they
// describe.)
func TestDeadSinkHoldsBackHealthyOne(t *testing.T) {
	down := &recorder{fail: func(context.Context, []eventqueue.Record) error { return errors.New("kafka down") }}
	up := &recorder{}
	q := openQueue(t, queuePath(t), eventqueue.Options{
		Sinks:      []eventqueue.SinkConfig{fastSink("http", up), fastSink("kafka", down)},
		MaxRecords: 10,
	})
	startRun(t, q)
	ctx := context.Background()
	for i := range 10 {
		require.NoError(t, q.Enqueue(ctx, pageRecord(t, "v"+string(rune('a'+i)))))
	}
	err := q.Enqueue(ctx, pageRecord(t, "late"))
	assert.ErrorIs(t, err, eventqueue.ErrQueueFull, "the dead sink's full backlog refuses the record for the healthy sink too")
}

package kafkasink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestRecordSizeIsWhatSendMeasures: a record of RecordSize n is produced
// by a sink whose MaxMessageBytes is n, and refused by one whose limit is
// n-1, so the queue refuses at Enqueue exactly what Send would.
func TestRecordSizeIsWhatSendMeasures(t *testing.T) {
	authenticated, err := hits.NewRecord(uuid.New(), "env\u2028", "user-\"42\"", "anon\x01", time.Now(),
		hits.Transaction{ID: "T-1", Affiliation: "shop", Revenue: 12.5, Currency: "EUR"})
	require.NoError(t, err)
	tests := []struct {
		name string
		give eventqueue.Record
	}{
		{name: "page", give: pageOf(t, "visitor-1")},
		{name: "authenticated transaction", give: eventqueue.Record{Record: authenticated}},
		{name: "activation", give: queueRecord(t, "v", hits.Activation{VariationGroupID: "vg", VariationID: "var"})},
		{name: "consent", give: queueRecord(t, "v", hits.Consent{Consented: true})},
		{name: "segment", give: queueRecord(t, "v", hits.Segment{Context: map[string]any{"plan": "gold", "bio": strings.Repeat("\x01é", 500)}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probe, err := New(Options{Writer: fakeWriter(t, &fakeKafka{partitions: 1}), Topic: "events"})
			require.NoError(t, err)
			n := probe.RecordSize(tt.give.Record)
			require.Positive(t, n)
			assert.Equal(t, DefaultMaxMessageBytes, probe.MaxRecordSize())

			f := &fakeKafka{partitions: 1}
			fits, err := New(Options{Writer: fakeWriter(t, f), Topic: "events", MaxMessageBytes: n})
			require.NoError(t, err)
			assert.Equal(t, n, fits.MaxRecordSize())
			require.NoError(t, fits.Send(context.Background(), []eventqueue.Record{tt.give}))
			assert.Len(t, f.records(), 1)

			over, err := New(Options{Writer: fakeWriter(t, &fakeKafka{partitions: 1}), Topic: "events", MaxMessageBytes: n - 1})
			require.NoError(t, err)
			err = over.Send(context.Background(), []eventqueue.Record{tt.give})
			require.Error(t, err)
			assert.True(t, eventqueue.IsPermanent(err), "refused for good: %v", err)
			assert.ErrorContains(t, err, "exceeds MaxMessageBytes")
		})
	}
}

// TestRecordSizeOfTheZeroRecord: a record the sink cannot encode measures
// 0, and Send reports it.
func TestRecordSizeOfTheZeroRecord(t *testing.T) {
	s, err := New(Options{Writer: fakeWriter(t, &fakeKafka{partitions: 1}), Topic: "events"})
	require.NoError(t, err)
	assert.Zero(t, s.RecordSize(hits.Record{}))
}

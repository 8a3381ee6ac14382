package kafkasink

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestQueueRetriesRefusedAuthorization: through the queue, a cluster that
// denies the sink's authorization on every partition dead-letters
// nothing: the refusal is reported once as EventDestinationRefused,
// Flush does not return nil while it lasts, and once the ACL is fixed
// every record is stored once.
func TestQueueRetriesRefusedAuthorization(t *testing.T) {
	tests := []struct {
		name     string
		giveCode kafka.Error
	}{
		{name: "topic", giveCode: kafka.TopicAuthorizationFailed},
		{name: "cluster", giveCode: kafka.ClusterAuthorizationFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var denied atomic.Bool
			denied.Store(true)
			f := &fakeKafka{partitions: 3, reject: func(string, int32, []producedRecord) kafka.Error {
				if denied.Load() {
					return tt.giveCode
				}
				return 0
			}}
			s, err := New(Options{Writer: fakeWriter(t, f), Topic: "events"})
			require.NoError(t, err)
			cfg := s.Config()
			cfg.FlushInterval = 5 * time.Millisecond
			cfg.RetryInitial, cfg.RetryMax = time.Millisecond, 4*time.Millisecond
			var mu sync.Mutex
			var refused []eventqueue.Event
			var failed atomic.Int32
			q, err := eventqueue.Open(t.TempDir()+"/queue.db", eventqueue.Options{
				Sinks:  []eventqueue.SinkConfig{cfg},
				Logger: slog.New(slog.DiscardHandler),
				OnEvent: func(_ context.Context, e eventqueue.Event) {
					switch e.Kind {
					case eventqueue.EventDestinationRefused:
						mu.Lock()
						refused = append(refused, e)
						mu.Unlock()
					case eventqueue.EventBatchFailed:
						failed.Add(1)
					}
				},
			})
			require.NoError(t, err)
			defer q.Close()
			var recs []hits.Record
			for range 30 {
				r := pageOf(t, "visitor-"+uuid.NewString()[:8])
				recs = append(recs, r.Record)
				require.NoError(t, q.Enqueue(context.Background(), r.Record))
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- q.Run(ctx) }()
			defer func() {
				cancel()
				<-done
			}()

			require.Eventually(t, func() bool { return failed.Load() >= 3 }, 30*time.Second, time.Millisecond, "the sends are retried")
			short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancelShort()
			err = q.Flush(short)
			require.ErrorIs(t, err, context.DeadlineExceeded, "no nil Flush while the cluster refuses")
			assert.Empty(t, f.records())
			dead, err := q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead, "a refused authorization dead-letters nothing")
			mu.Lock()
			require.Len(t, refused, 1, "reported once per episode")
			ev := refused[0]
			mu.Unlock()
			assert.Equal(t, DefaultName, ev.Sink)
			assert.True(t, eventqueue.IsSystemic(ev.Err), ev.Err)
			assert.ErrorIs(t, ev.Err, tt.giveCode)
			assert.Equal(t, 30, ev.N)

			denied.Store(false)
			fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer fcancel()
			require.NoError(t, q.Flush(fctx))
			count := map[string]int{}
			for _, m := range f.records() {
				count[string(m.Headers[3].Value)]++
			}
			for _, r := range recs {
				assert.Equal(t, 1, count[r.ID().String()], "record %s stored once", r.ID())
			}
			dead, err = q.DeadLetters(100)
			require.NoError(t, err)
			assert.Empty(t, dead)
		})
	}
}

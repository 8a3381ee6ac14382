package kafkatest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/kafkatest"
)

func TestSmoke(t *testing.T) {
	b, err := kafkatest.Start(t.TempDir(), map[string]int32{"events": 4})
	require.NoError(t, err)
	defer b.Close()
	ks, err := kafkasink.New(kafkasink.Options{Brokers: []string{b.Addr()}, Topic: "events"})
	require.NoError(t, err)
	defer ks.Close()
	q, err := eventqueue.Open(filepath.Join(t.TempDir(), "q.db"), eventqueue.Options{Sinks: []eventqueue.SinkConfig{ks.Config()}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	for i := 0; i < 100; i++ {
		r, err := hits.NewRecord(uuid.New(), "env", fmt.Sprintf("v%d", i%7), "", time.Now(), hits.Event{Category: hits.ActionTracking, Action: fmt.Sprint("a", i)})
		require.NoError(t, err)
		require.NoError(t, q.Enqueue(ctx, r))
	}
	start := time.Now()
	require.NoError(t, q.Flush(ctx))
	t.Log("flush", time.Since(start))
	cancel()
	<-done
	require.NoError(t, q.Close())
	rd := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "events", Partition: 0, MaxWait: 100 * time.Millisecond})
	defer rd.Close()
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer rcancel()
	m, err := rd.ReadMessage(rctx)
	require.NoError(t, err)
	t.Logf("%s %s %v", m.Key, m.Value, m.Headers)
}

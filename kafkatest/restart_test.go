package kafkatest_test

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestBrokerRestart: the broker stops while visitors send hits and
// restarts on the same port with its data. Meanwhile the Kafka backlog
// grows in the queue file and the HTTP delivery goes on; afterwards
// every record reaches Kafka (duplicates only from retries, counted),
// each visitor's in the order sent.
func TestBrokerRestart(t *testing.T) {
	const topic, visitors = "events", 8
	b := startTestBroker(t, map[string]int32{topic: 4})
	srv := abServer(t)
	ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: topic, WriteTimeout: 2 * time.Second,
		MaxAttempts: 1}) // each failed produce comes back to the queue, which retries
	c := newClient(t, srv, flagship.WithDelivery(flagship.DeliveryOptions{
		Sinks:         []eventqueue.SinkConfig{testSinkConfig(ks)},
		BatchSize:     20,
		FlushInterval: 10 * time.Millisecond,
		RetryInitial:  20 * time.Millisecond,
		RetryMax:      200 * time.Millisecond,
	}))
	kafkaStats := func() (depth, bytes int64, sent, retried uint64) {
		s := sinkStats(t, c.QueueStats(), kafkasink.DefaultName)
		return s.Depth, s.Bytes, s.Sent, s.Retried
	}

	// Each visitor sends EVENT hits labelled 0, 1, 2, ... until stop;
	// counts[i] is how many of visitor i's SendHit calls returned.
	var counts [visitors]atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	ctx := timeout(t)
	for i := range visitors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.NewVisitor(visitorName(i), nil)
			if !assert.NoError(t, err) {
				return
			}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if !assert.NoError(t, v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "step", Label: strconv.Itoa(n)})) {
					return
				}
				counts[i].Store(int64(n + 1))
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	stopSenders := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopSenders()
	snapshot := func() (out [visitors]int64) {
		for i := range counts {
			out[i] = counts[i].Load()
		}
		return out
	}
	waitMore := func(from [visitors]int64, more int64) {
		require.Eventually(t, func() bool {
			now := snapshot()
			for i := range now {
				if now[i] < from[i]+more {
					return false
				}
			}
			return true
		}, testTimeout, 5*time.Millisecond, "the visitors keep sending")
	}

	require.Eventually(t, func() bool { _, _, sent, _ := kafkaStats(); return sent >= 40 }, testTimeout, 5*time.Millisecond,
		"records flow to Kafka")
	b.Stop()
	// Labels from stopped[i]+1 on were sent after SendHit(stopped[i]-1)
	// returned, which was after the broker stopped.
	stopped := snapshot()
	waitMore(stopped, 15)
	now := snapshot()
	var afterStop int64
	for i := range now {
		afterStop += now[i] - stopped[i] - 1
	}
	depth, bytes, _, _ := kafkaStats()
	t.Logf("broker stopped: %d records sent since, Kafka backlog %d records, %d bytes", afterStop, depth, bytes)
	assert.GreaterOrEqual(t, depth, afterStop, "the records sent while the broker is down wait in the queue file")
	assert.Positive(t, bytes)
	// The HTTP delivery goes on meanwhile.
	require.Eventually(t, func() bool {
		got := map[string]int{}
		for _, h := range srv.Hits() {
			if h.Type == "EVENT" {
				if n, err := strconv.Atoi(h.Fields["el"].(string)); err == nil && n > got[h.VisitorID] {
					got[h.VisitorID] = n
				}
			}
		}
		for i := range visitors {
			if int64(got[visitorName(i)]) < stopped[i]+10 {
				return false
			}
		}
		return true
	}, testTimeout, 5*time.Millisecond, "Flagship receives the hits sent after the broker stopped")
	require.Eventually(t, func() bool { _, _, _, retried := kafkaStats(); return retried > 0 }, testTimeout, 5*time.Millisecond,
		"the sends to the stopped broker fail and are retried")
	require.Nil(t, b.Cluster(), "the broker is still down")
	if d, _, _, _ := kafkaStats(); d < depth {
		t.Fatalf("the Kafka backlog shrank from %d to %d while the broker was down", depth, d)
	}

	require.NoError(t, b.Restart())
	waitMore(snapshot(), 10)
	stopSenders()
	final := snapshot()
	require.NoError(t, c.Flush(timeout(t)))
	_, _, sent, retried := kafkaStats()

	msgs := checkMessages(t, readTopic(t, b.Addr(), topic, nil))
	total := int64(0)
	for _, n := range final {
		total += n
	}
	byKey := requireKeyInOnePartition(t, msgs)
	require.Len(t, byKey, visitors)
	seen := map[string]bool{}
	duplicates := 0
	for i := range visitors {
		key := visitorName(i)
		var order []int
		labels := map[int]string{}
		for _, m := range byKey[key] {
			n, err := strconv.Atoi(label(t, m))
			require.NoError(t, err)
			if id, ok := labels[n]; ok {
				require.Equal(t, id, m.ID, "%s: label %d sent once, as one record", key, n)
			}
			if seen[m.ID] {
				duplicates++
				continue
			}
			seen[m.ID] = true
			labels[n] = m.ID
			order = append(order, n)
		}
		want := make([]int, final[i])
		for n := range want {
			want[n] = n
		}
		require.Equal(t, want, order, "%s: every record, first occurrences in the order sent", key)
	}
	t.Logf("%d records, %d messages, %d duplicates (redelivered after a failed send); queue: sent %d, retried %d",
		total, len(msgs), duplicates, sent, retried)
	assert.Len(t, seen, int(total))
	assert.Equal(t, len(msgs), len(seen)+duplicates)
	if duplicates > 0 {
		assert.Positive(t, retried, "duplicates come only from retries")
	}

	// And Flagship got every hit once.
	http := map[string]int{}
	for _, h := range srv.Hits() {
		if h.Type == "EVENT" {
			http[fmt.Sprintf("%s/%s", h.VisitorID, h.Fields["el"])]++
		}
	}
	assert.Len(t, http, int(total))
	for k, n := range http {
		assert.Equal(t, 1, n, "HTTP hit %s", k)
	}
}

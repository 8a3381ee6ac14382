package kafkatest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/kafkatest"
)

// testTimeout bounds every wait of a test: nothing may hang.
const testTimeout = 20 * time.Second

func timeout(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// testLogger logs warnings and errors to t until the test's cleanups are
// done (registered first, its cleanup runs last).
func testLogger(t testing.TB) *slog.Logger {
	w := &logWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type logWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

// startTestBroker starts a broker with its data in a temporary directory and
// stops it when the test ends.
func startTestBroker(t testing.TB, topics map[string]int32, opts ...kfake.Opt) *kafkatest.Broker {
	t.Helper()
	b, err := kafkatest.Start(t.TempDir(), topics, opts...)
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// newTestSink builds a Kafka sink closed when the test ends (after the
// queues and clients made later, which flush through it).
func newTestSink(t testing.TB, opts kafkasink.Options) *kafkasink.Sink {
	t.Helper()
	ks, err := kafkasink.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ks.Close()) })
	return ks
}

// testSinkConfig is ks.Config() with short retries and flush interval.
func testSinkConfig(ks *kafkasink.Sink) eventqueue.SinkConfig {
	cfg := ks.Config()
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.RetryInitial, cfg.RetryMax = 20*time.Millisecond, 200*time.Millisecond
	return cfg
}

// eventLog collects a queue's pipeline events.
type eventLog struct {
	mu     sync.Mutex
	events []eventqueue.Event
}

func (l *eventLog) add(_ context.Context, e eventqueue.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) count(sink string, k eventqueue.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.events {
		if e.Sink == sink && e.Kind == k {
			n++
		}
	}
	return n
}

func (l *eventLog) last(sink string, k eventqueue.EventKind) eventqueue.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.events) - 1; i >= 0; i-- {
		if e := l.events[i]; e.Sink == sink && e.Kind == k {
			return e
		}
	}
	return eventqueue.Event{}
}

// openQueue opens a buffered queue file (Flush commits first, and an
// enqueue waits for no fsync) in a temporary directory with the sinks,
// runs its dispatchers, and stops and closes it when the test ends.
func openQueue(t testing.TB, events *eventLog, sinks ...eventqueue.SinkConfig) *eventqueue.Queue {
	t.Helper()
	return openQueueWith(t, events, eventqueue.Options{Sinks: sinks, Durability: eventqueue.Buffered, BufferDelay: 5 * time.Millisecond})
}

// openQueueWith is openQueue with opts.
func openQueueWith(t testing.TB, events *eventLog, opts eventqueue.Options) *eventqueue.Queue {
	t.Helper()
	opts.Logger = testLogger(t)
	if events != nil {
		opts.OnEvent = events.add
	}
	q, err := eventqueue.Open(filepath.Join(t.TempDir(), "queue.db"), opts)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, q.Run(ctx))
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		assert.NoError(t, q.Close())
	})
	return q
}

func flushQueue(t testing.TB, q *eventqueue.Queue) {
	t.Helper()
	require.NoError(t, q.Flush(timeout(t)))
}

// sinkStats returns the stats of the queue's sink name.
func sinkStats(t testing.TB, st eventqueue.Stats, name string) eventqueue.SinkStats {
	t.Helper()
	for _, s := range st.Sinks {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no sink %q in %+v", name, st)
	return eventqueue.SinkStats{}
}

// eventRecord returns an EVENT hit record of visitorID labelled label.
func eventRecord(t testing.TB, visitorID, label string) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(uuid.New(), "env-kafka", visitorID, "", time.Now(), hits.Event{Category: hits.ActionTracking, Action: "step", Label: label})
	require.NoError(t, err)
	return r
}

// enqueue enqueues the records concurrently (a durable enqueue waits for
// its fsync; concurrent ones share it), keeping each visitor's order.
func enqueue(t testing.TB, q *eventqueue.Queue, recs []hits.Record) {
	t.Helper()
	byVisitor := map[string][]hits.Record{}
	for _, r := range recs {
		byVisitor[r.VisitorID()] = append(byVisitor[r.VisitorID()], r)
	}
	ctx := timeout(t)
	var wg sync.WaitGroup
	for _, rs := range byVisitor {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range rs {
				if !assert.NoError(t, q.Enqueue(ctx, r)) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// newClient returns a client of srv with opts, closed when the test ends
// (before the sinks made earlier).
func newClient(t testing.TB, srv *flagshiptest.Server, opts ...flagship.Option) *flagship.Client {
	t.Helper()
	ctx := timeout(t)
	all := append(srv.Options(), flagship.WithLogger(testLogger(t)))
	c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", append(all, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		assert.NoError(t, c.Close(ctx))
	})
	require.NoError(t, c.WaitReady(ctx))
	return c
}

// readTopic reads every message of every partition of topic, from its
// first offset to its last, in partition then offset order.
func readTopic(t testing.TB, addr, topic string, dialer *kafka.Dialer) []kafka.Message {
	t.Helper()
	ctx := timeout(t)
	if dialer == nil {
		dialer = &kafka.Dialer{Timeout: 5 * time.Second}
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	require.NoError(t, err)
	parts, err := conn.ReadPartitions(topic)
	require.NoError(t, conn.Close())
	require.NoError(t, err)
	require.NotEmpty(t, parts)
	sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
	var out []kafka.Message
	for _, p := range parts {
		lc, err := dialer.DialLeader(ctx, "tcp", addr, topic, p.ID)
		require.NoError(t, err)
		first, last, err := lc.ReadOffsets()
		require.NoError(t, lc.Close())
		require.NoError(t, err)
		if last <= first {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers: []string{addr}, Topic: topic, Partition: p.ID, Dialer: dialer,
			MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 50 * time.Millisecond,
		})
		require.NoError(t, r.SetOffset(first))
		for {
			m, err := r.ReadMessage(ctx)
			if !assert.NoError(t, err, "partition %d: read up to offset %d", p.ID, last) {
				break
			}
			out = append(out, m)
			if m.Offset >= last-1 {
				break
			}
		}
		require.NoError(t, r.Close())
	}
	return out
}

// message is a Kafka message whose value and headers checkMessage found
// to follow the documented schema.
type message struct {
	kafka.Message
	ID, Kind, Type, EnvID, VisitorID, AnonymousID string
	HasAnonymousID                                bool
	Created                                       time.Time
	Fields                                        map[string]any
}

var (
	uuidRE    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	createdRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
)

// checkMessage checks that m follows the documented schema version 1 and
// returns its decoded members: key, headers, timestamp and value.
func checkMessage(t testing.TB, m kafka.Message) message {
	t.Helper()
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(m.Value, &raw), "value %s", m.Value)
	want := []string{"created", "env_id", "fields", "id", "kind", "schema", "type", "visitor_id"}
	if _, ok := raw["anonymous_id"]; ok {
		want = append(want, "anonymous_id")
		sort.Strings(want)
	}
	var got []string
	for k := range raw {
		got = append(got, k)
	}
	sort.Strings(got)
	require.Equal(t, want, got, "members of %s", m.Value)
	str := func(name string) string {
		var s string
		require.NoError(t, json.Unmarshal(raw[name], &s), "%s of %s", name, m.Value)
		return s
	}
	assert.JSONEq(t, "1", string(raw["schema"]), "schema")
	out := message{
		Message: m, ID: str("id"), Kind: str("kind"), Type: str("type"),
		EnvID: str("env_id"), VisitorID: str("visitor_id"),
	}
	if _, ok := raw["anonymous_id"]; ok {
		out.AnonymousID, out.HasAnonymousID = str("anonymous_id"), true
		assert.NotEmpty(t, out.AnonymousID, "anonymous_id is present only for an authenticated visitor")
	}
	assert.Regexp(t, uuidRE, out.ID)
	assert.Contains(t, []string{"hit", "activation", "consent"}, out.Kind)
	created := str("created")
	require.Regexp(t, createdRE, created, "created: RFC 3339, UTC, milliseconds")
	var err error
	out.Created, err = time.Parse(time.RFC3339Nano, created)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw["fields"], &out.Fields), "fields of %s", m.Value)
	require.NotNil(t, out.Fields, "fields is an object")

	assert.Equal(t, out.VisitorID, string(m.Key), "the key is the visitor id")
	assert.True(t, m.Time.Equal(out.Created), "message timestamp %v is the record's creation %v", m.Time, out.Created)
	headers := map[string]string{}
	for _, h := range m.Headers {
		_, dup := headers[h.Key]
		assert.False(t, dup, "header %s repeated", h.Key)
		headers[h.Key] = string(h.Value)
	}
	assert.Equal(t, map[string]string{
		kafkasink.HeaderSchemaVersion: "1",
		kafkasink.HeaderKind:          out.Kind,
		kafkasink.HeaderHitType:       out.Type,
		kafkasink.HeaderRecordID:      out.ID,
	}, headers)
	assert.Equal(t, "fs-schema-version", kafkasink.HeaderSchemaVersion)
	assert.Equal(t, "fs-kind", kafkasink.HeaderKind)
	assert.Equal(t, "fs-hit-type", kafkasink.HeaderHitType)
	assert.Equal(t, "fs-record-id", kafkasink.HeaderRecordID)
	return out
}

// checkMessages checks every message and returns them decoded.
func checkMessages(t testing.TB, msgs []kafka.Message) []message {
	t.Helper()
	out := make([]message, len(msgs))
	for i, m := range msgs {
		out[i] = checkMessage(t, m)
	}
	return out
}

// requireExactlyOnce requires that msgs hold exactly the records recs
// (each once, nothing else), and that each message's value and headers
// carry its record: kind, type, ids, creation time and fields under
// their readable names.
func requireExactlyOnce(t testing.TB, recs []hits.Record, msgs []message) {
	t.Helper()
	byID := map[string]message{}
	for _, m := range msgs {
		_, dup := byID[m.ID]
		require.False(t, dup, "record %s delivered twice", m.ID)
		byID[m.ID] = m
	}
	for _, r := range recs {
		m, ok := byID[r.ID().String()]
		if !assert.True(t, ok, "record %s (%s of %s) missing", r.ID(), r.Type(), r.VisitorID()) {
			continue
		}
		delete(byID, r.ID().String())
		checkRecord(t, r, m)
	}
	require.Empty(t, byID, "unexpected messages")
}

// checkRecord checks that m is the message of r.
func checkRecord(t testing.TB, r hits.Record, m message) {
	t.Helper()
	assert.Equal(t, r.ID().String(), m.ID)
	assert.Equal(t, r.Kind().String(), m.Kind)
	assert.Equal(t, string(r.Type()), m.Type)
	assert.Equal(t, r.EnvID(), m.EnvID)
	assert.Equal(t, r.VisitorID(), m.VisitorID)
	assert.Equal(t, r.AnonymousID(), m.AnonymousID)
	assert.Equal(t, r.AnonymousID() != "", m.HasAnonymousID)
	assert.True(t, r.Created().Truncate(time.Millisecond).Equal(m.Created), "created %v, want %v", m.Created, r.Created())
	var wire map[string]any
	require.NoError(t, json.Unmarshal(r.Fields(), &wire))
	assert.Equal(t, readable(t, string(r.Type()), wire), m.Fields)
}

// readableNames are the documented readable names of the wire members,
// by hit type (package kafkasink's doc).
var readableNames = func() map[string]map[string]string {
	common := map[string]string{"uip": "user_ip", "sr": "screen_resolution", "ul": "language", "sn": "session_number", "cst": "session_timestamp"}
	with := func(m map[string]string) map[string]string {
		for k, v := range common {
			m[k] = v
		}
		return m
	}
	return map[string]map[string]string{
		"PAGEVIEW":   with(map[string]string{"dl": "url"}),
		"SCREENVIEW": with(map[string]string{"dl": "name"}),
		"TRANSACTION": with(map[string]string{"tid": "transaction_id", "ta": "affiliation", "tr": "revenue", "ts": "shipping",
			"tt": "tax", "tc": "currency", "tcc": "coupon_code", "pm": "payment_method", "sm": "shipping_method", "icn": "item_count"}),
		"ITEM":       with(map[string]string{"tid": "transaction_id", "in": "name", "ic": "code", "ip": "price", "iq": "quantity", "iv": "category"}),
		"EVENT":      with(map[string]string{"ec": "category", "ea": "action", "el": "label", "ev": "value"}),
		"SEGMENT":    {"s": "context"},
		"ACTIVATION": {"caid": "variation_group_id", "vaid": "variation_id"},
	}
}()

// readable renames wire members to their readable names.
func readable(t testing.TB, typ string, wire map[string]any) map[string]any {
	t.Helper()
	names, ok := readableNames[typ]
	require.True(t, ok, "hit type %q", typ)
	out := make(map[string]any, len(wire))
	for k, v := range wire {
		if n, ok := names[k]; ok {
			k = n
		}
		_, dup := out[k]
		require.False(t, dup, "member %s twice", k)
		out[k] = v
	}
	return out
}

// requireKeyInOnePartition requires that each key's messages share one
// partition, and returns each key's messages in offset order.
func requireKeyInOnePartition(t testing.TB, msgs []message) map[string][]message {
	t.Helper()
	partitionOf := map[string]int{}
	out := map[string][]message{}
	for _, m := range msgs {
		k := string(m.Key)
		if p, ok := partitionOf[k]; ok {
			require.Equal(t, p, m.Partition, "key %s in partitions %d and %d", k, p, m.Partition)
		}
		partitionOf[k] = m.Partition
		out[k] = append(out[k], m)
	}
	for k, ms := range out {
		for i := 1; i < len(ms); i++ {
			require.Less(t, ms[i-1].Offset, ms[i].Offset, "key %s: offsets in order", k)
		}
	}
	return out
}

// label returns an EVENT message's label.
func label(t testing.TB, m message) string {
	t.Helper()
	l, ok := m.Fields["label"].(string)
	require.True(t, ok, "label of %s", m.Value)
	return l
}

func visitorName(i int) string { return fmt.Sprintf("visitor-%02d", i) }

// producedBatch is a record batch of a produce request the broker got.
type producedBatch struct {
	Topic       string
	Partition   int32
	Acks        int16
	Compression int8 // the batch's codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd
	Records     int32
}

// produceLog records the produce requests of a broker.
type produceLog struct {
	mu      sync.Mutex
	batches []producedBatch
}

// watchProduce records the record batches of the produce requests b
// handles from now on (until it is stopped), without changing them.
func watchProduce(t testing.TB, b *kafkatest.Broker) *produceLog {
	t.Helper()
	l := &produceLog{}
	c := b.Cluster()
	require.NotNil(t, c)
	c.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		pr := req.(*kmsg.ProduceRequest)
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, tp := range pr.Topics {
			for _, p := range tp.Partitions {
				var rb kmsg.RecordBatch
				pb := producedBatch{Topic: tp.Topic, Partition: p.Partition, Acks: pr.Acks, Compression: -1, Records: -1}
				if rb.ReadFrom(p.Records) == nil {
					pb.Compression, pb.Records = int8(rb.Attributes&0x07), rb.NumRecords
				}
				l.batches = append(l.batches, pb)
			}
		}
		return nil, nil, false // observed only: the broker handles it
	})
	return l
}

// take returns the batches recorded since the last take.
func (l *produceLog) take() []producedBatch {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.batches
	l.batches = nil
	return out
}

// javaPartition is the partition Java's default partitioner picks for
// key among n: toPositive(murmur2(key)) % n (Kafka's Utils.murmur2).
func javaPartition(key []byte, n int) int {
	const seed, m, r = uint32(0x9747b28c), uint32(0x5bd1e995), 24
	h := seed ^ uint32(len(key))
	for i := 0; i+4 <= len(key); i += 4 {
		k := uint32(key[i]) | uint32(key[i+1])<<8 | uint32(key[i+2])<<16 | uint32(key[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := key[len(key)&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int(h&0x7fffffff) % n
}

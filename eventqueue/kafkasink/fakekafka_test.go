package kafkasink

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	produceAPI "github.com/segmentio/kafka-go/protocol/produce"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// fakeKafka is a kafka.RoundTripper standing for a cluster: it answers
// metadata requests with partitions topics of its partition count, and
// stores the records of produce requests, unless reject refuses the
// partition's batch with an error code.
type fakeKafka struct {
	partitions int
	// metaErr, if set, is the error code of every topic's metadata.
	metaErr kafka.Error
	// reject, if set, returns the error a produce request of records to
	// topic and partition gets (0 to accept it).
	reject func(topic string, partition int32, recs []producedRecord) kafka.Error

	mu       sync.Mutex
	stored   []producedRecord
	produces int
}

// producedRecord is a record of a produce request.
type producedRecord struct {
	Topic     string
	Partition int32
	Key       []byte
	Value     []byte
	Headers   []kafka.Header
	Time      time.Time
}

func readBytes(b protocol.Bytes) []byte {
	if b == nil {
		return nil
	}
	defer b.Close()
	out, _ := io.ReadAll(b)
	return out
}

func (f *fakeKafka) RoundTrip(ctx context.Context, _ net.Addr, req kafka.Request) (kafka.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	switch req := req.(type) {
	case *metadataAPI.Request:
		res := &metadataAPI.Response{Brokers: []metadataAPI.ResponseBroker{{NodeID: 1, Host: "fake", Port: 9092}}, ControllerID: 1}
		for _, name := range req.TopicNames {
			t := metadataAPI.ResponseTopic{Name: name, ErrorCode: int16(f.metaErr)}
			for p := range f.partitions {
				t.Partitions = append(t.Partitions, metadataAPI.ResponsePartition{PartitionIndex: int32(p), LeaderID: 1, ReplicaNodes: []int32{1}, IsrNodes: []int32{1}})
			}
			res.Topics = append(res.Topics, t)
		}
		return res, nil
	case *produceAPI.Request:
		res := &produceAPI.Response{}
		for _, t := range req.Topics {
			rt := produceAPI.ResponseTopic{Topic: t.Topic}
			for _, p := range t.Partitions {
				var recs []producedRecord
				for {
					r, err := p.RecordSet.Records.ReadRecord()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						return nil, err
					}
					recs = append(recs, producedRecord{Topic: t.Topic, Partition: p.Partition, Key: readBytes(r.Key), Value: readBytes(r.Value),
						Headers: cloneHeaders(r.Headers), Time: r.Time})
				}
				var code kafka.Error
				if f.reject != nil {
					code = f.reject(t.Topic, p.Partition, recs)
				}
				f.mu.Lock()
				f.produces++
				if code == 0 {
					f.stored = append(f.stored, recs...)
				}
				f.mu.Unlock()
				rt.Partitions = append(rt.Partitions, produceAPI.ResponsePartition{Partition: p.Partition, ErrorCode: int16(code)})
			}
			res.Topics = append(res.Topics, rt)
		}
		return res, nil
	}
	return nil, errors.New("fakeKafka: unexpected request")
}

func (f *fakeKafka) records() []producedRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.stored)
}

// fakeWriter returns a synchronous writer producing to f, built as New
// builds its own (Murmur2, no waiting for batch timers), and closes it at
// the end of the test.
func fakeWriter(t *testing.T, f *fakeKafka) *kafka.Writer {
	w := &kafka.Writer{
		Addr:         kafka.TCP("fake:9092"),
		Transport:    f,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    writerBatchSize,
		BatchTimeout: time.Nanosecond,
		MaxAttempts:  1,
	}
	t.Cleanup(func() { _ = w.Close() })
	return w
}

// partitionOf returns the partition the Murmur2 balancer gives key.
func partitionOf(key string, n int) int {
	parts := make([]int, n)
	for i := range parts {
		parts[i] = i
	}
	return (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(key)}, parts...)
}

// TestSendProducesOneMessagePerRecord: the messages Kafka receives, as
// documented: the visitor id as key, the record's creation time, the
// value of appendValue, the four headers, the topic of the record's kind.
func TestSendProducesOneMessagePerRecord(t *testing.T) {
	f := &fakeKafka{partitions: 3}
	s, err := New(Options{Writer: fakeWriter(t, f), Topic: "events", Topics: map[hits.Kind]string{hits.KindActivation: "activations"}})
	require.NoError(t, err)
	batch := []eventqueue.Record{
		pageOf(t, "visitor-1"),
		queueRecord(t, "visitor-2", hits.Activation{VariationGroupID: "vg", VariationID: "var"}),
		queueRecord(t, "visitor-3", hits.Consent{Consented: false}),
		queueRecord(t, "visitor-1", hits.Event{Category: hits.ActionTracking, Action: "click"}),
	}
	require.NoError(t, s.Send(context.Background(), batch))

	got := f.records()
	require.Len(t, got, len(batch))
	byID := map[string]producedRecord{}
	for _, r := range got {
		var id string
		for _, h := range r.Headers {
			if h.Key == HeaderRecordID {
				id = string(h.Value)
			}
		}
		byID[id] = r
	}
	wantTopic := []string{"events", "activations", "events", "events"}
	wantKind := []string{"hit", "activation", "consent", "hit"}
	wantType := []string{"PAGEVIEW", "ACTIVATION", "EVENT", "EVENT"}
	for i, rec := range batch {
		m, ok := byID[rec.ID().String()]
		require.True(t, ok, "record %d produced", i)
		assert.Equal(t, wantTopic[i], m.Topic, "record %d", i)
		assert.Equal(t, rec.VisitorID(), string(m.Key))
		assert.EqualValues(t, partitionOf(rec.VisitorID(), 3), m.Partition, "a visitor's messages share the Murmur2 partition")
		assert.True(t, m.Time.Equal(rec.Created()), "the creation time: %v, want %v", m.Time, rec.Created())
		want, err := appendValue(nil, &rec.Record)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(m.Value))
		assert.Equal(t, []kafka.Header{
			{Key: HeaderSchemaVersion, Value: []byte("1")},
			{Key: HeaderKind, Value: []byte(wantKind[i])},
			{Key: HeaderHitType, Value: []byte(wantType[i])},
			{Key: HeaderRecordID, Value: []byte(rec.ID().String())},
		}, m.Headers)
	}
}

// TestSendPartitionRejected: Kafka refuses one partition's batch; the
// records of that partition come back in a Partial, permanent or
// retryable as Kafka's error is, the others are delivered; records
// rejected before the writer keep their own index.
func TestSendPartitionRejected(t *testing.T) {
	tests := []struct {
		name          string
		giveCode      kafka.Error
		wantPermanent bool
		wantSystemic  bool
	}{
		{name: "message too large", giveCode: kafka.MessageSizeTooLarge, wantPermanent: true},
		{name: "invalid record", giveCode: kafka.InvalidRecord, wantPermanent: true},
		{name: "not leader", giveCode: kafka.NotLeaderForPartition},
		{name: "not enough replicas", giveCode: kafka.NotEnoughReplicas},
		{name: "topic authorization failed", giveCode: kafka.TopicAuthorizationFailed, wantSystemic: true},
		{name: "cluster authorization failed", giveCode: kafka.ClusterAuthorizationFailed, wantSystemic: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const rejected = 1
			f := &fakeKafka{partitions: 2, reject: func(_ string, p int32, _ []producedRecord) kafka.Error {
				if p == rejected {
					return tt.giveCode
				}
				return 0
			}}
			s, err := New(Options{Writer: fakeWriter(t, f), Topic: "events"})
			require.NoError(t, err)
			var batch []eventqueue.Record
			for i := range 12 {
				batch = append(batch, pageOf(t, "visitor-"+uuid.NewString()[:8]))
				if i == 4 {
					// A record the sink refuses: the zero Record, the only
					// invalid one (an unknown kind cannot be built).
					bad := pageOf(t, "bad")
					bad.Record = hits.Record{}
					batch = append(batch, bad)
				}
			}
			parts := map[int]bool{}
			for _, r := range batch {
				parts[partitionOf(r.VisitorID(), 2)] = true
			}
			if len(parts) < 2 {
				t.Skip("every visitor on one partition") // 2^-11
			}

			err = s.Send(context.Background(), batch)
			require.Error(t, err)
			errs := partsOf(err)
			require.Len(t, errs, len(batch))
			var delivered []string
			for i, r := range batch {
				switch {
				case r.IsZero():
					assert.True(t, eventqueue.IsPermanent(errs[i]), "record %d", i)
				case partitionOf(r.VisitorID(), 2) == rejected:
					require.Error(t, errs[i], "record %d", i)
					assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(errs[i]), "record %d: %v", i, errs[i])
					assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(errs[i]), "record %d: %v", i, errs[i])
					assert.ErrorIs(t, errs[i], tt.giveCode)
					assert.Contains(t, errs[i].Error(), "kafkasink: produce to events: ")
				default:
					assert.NoError(t, errs[i], "record %d", i)
					delivered = append(delivered, r.ID().String())
				}
			}
			var stored []string
			for _, m := range f.records() {
				stored = append(stored, string(m.Headers[3].Value))
			}
			assert.ElementsMatch(t, delivered, stored)
		})
	}
}

// TestSendMetadataErrorIsRetryable: a topic Kafka does not know, or will
// not show, fails the whole Send retryably: an operator can fix it.
func TestSendMetadataErrorIsRetryable(t *testing.T) {
	for _, code := range []kafka.Error{kafka.UnknownTopicOrPartition, kafka.TopicAuthorizationFailed, kafka.LeaderNotAvailable} {
		t.Run(code.Title(), func(t *testing.T) {
			f := &fakeKafka{partitions: 1, metaErr: code}
			s, err := New(Options{Writer: fakeWriter(t, f), Topic: "events"})
			require.NoError(t, err)
			err = s.Send(context.Background(), []eventqueue.Record{pageOf(t, "v1"), pageOf(t, "v2")})
			require.Error(t, err)
			assert.False(t, eventqueue.IsPermanent(err))
			assert.Equal(t, code == kafka.TopicAuthorizationFailed, eventqueue.IsSystemic(err), "a refused authorization is systemic")
			assert.ErrorIs(t, err, code)
			assert.Nil(t, partsOf(err), "the whole batch failed")
			assert.Empty(t, f.records())
		})
	}
}

// TestQueueIsolatesMessageTooLarge: through the queue, a broker that
// refuses a partition's whole batch for one message too large for it
// costs only that record, dead-lettered with Kafka's reason; every other
// record is stored once.
func TestQueueIsolatesMessageTooLarge(t *testing.T) {
	poisonURL := "https://shop.example/POISON"
	f := &fakeKafka{partitions: 2, reject: func(_ string, _ int32, recs []producedRecord) kafka.Error {
		for _, r := range recs {
			if bytes.Contains(r.Value, []byte("POISON")) {
				return kafka.MessageSizeTooLarge
			}
		}
		return 0
	}}
	s, err := New(Options{Writer: fakeWriter(t, f), Topic: "events"})
	require.NoError(t, err)
	cfg := s.Config()
	cfg.FlushInterval = 5 * time.Millisecond
	cfg.RetryInitial, cfg.RetryMax = time.Millisecond, 4*time.Millisecond
	q, err := eventqueue.Open(t.TempDir()+"/queue.db", eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer q.Close()

	var recs []hits.Record
	var poison uuid.UUID
	for i := range 40 {
		url := "https://shop.example/" + uuid.NewString()
		if i == 23 {
			url = poisonURL
		}
		r, err := hits.NewRecord(uuid.New(), "env", "visitor-"+uuid.NewString()[:6], "", time.Now(), hits.Page{URL: url})
		require.NoError(t, err)
		if i == 23 {
			poison = r.ID()
		}
		recs = append(recs, r)
		require.NoError(t, q.Enqueue(context.Background(), r))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer fcancel()
	require.NoError(t, q.Flush(fctx))

	count := map[string]int{}
	for _, m := range f.records() {
		count[string(m.Headers[3].Value)]++
	}
	for _, r := range recs {
		if r.ID() == poison {
			assert.Zero(t, count[r.ID().String()])
			continue
		}
		assert.Equal(t, 1, count[r.ID().String()], "record %s stored once", r.ID())
	}
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, poison, dead[0].Record.ID())
	assert.Equal(t, DefaultName, dead[0].Sink)
	assert.Contains(t, dead[0].Reason, "kafkasink: produce to events: [10] Message Size Too Large")
	var st eventqueue.SinkStats
	for _, ss := range q.Stats().Sinks {
		if ss.Name == DefaultName {
			st = ss
		}
	}
	assert.EqualValues(t, 39, st.Sent)
	assert.EqualValues(t, 1, st.DeadLettered)
	assert.Zero(t, st.Retried)
}

// cloneHeaders copies headers deeply: the sink reuses the memory of a
// Send once its writes completed (a real connection has written the
// bytes by then).
func cloneHeaders(hs []kafka.Header) []kafka.Header {
	out := slices.Clone(hs)
	for i := range out {
		out[i].Value = bytes.Clone(out[i].Value)
	}
	return out
}

package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// queueRecord returns a queued record of visitor vid holding h.
func queueRecord(tb testing.TB, vid string, h hits.Hit) eventqueue.Record {
	tb.Helper()
	r, err := hits.NewRecord(uuid.New(), "env", vid, "", time.Now(), h)
	require.NoError(tb, err)
	return eventqueue.Record{Record: r}
}

func pageOf(tb testing.TB, vid string) eventqueue.Record {
	return queueRecord(tb, vid, hits.Page{URL: "https://shop.example/" + vid})
}

// deadAddr returns a loopback address nobody listens on.
func deadAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	addr := l.Addr().String()
	require.NoError(tb, l.Close())
	return addr
}

// silentBroker returns a loopback address that accepts connections and
// never answers, and a channel closed once it accepted one.
func silentBroker(tb testing.TB) (addr string, accepted <-chan struct{}) {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	acc := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if conns = append(conns, c); len(conns) == 1 {
				close(acc)
			}
		}
	}()
	tb.Cleanup(func() {
		_ = l.Close()
		<-done
	})
	return l.Addr().String(), acc
}

// hangLimit bounds a call a test expects to return: far above what the
// call needs, it turns a hang into a failure without timing the call.
const hangLimit = 30 * time.Second

// returns calls f on a goroutine of its own and returns its error,
// failing tb as hung if f has not returned within hangLimit.
func returns(tb testing.TB, what string, f func() error) error {
	tb.Helper()
	done := make(chan error, 1) // buffered: a hung f's goroutine never blocks on it
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		tb.Fatalf("%s hung: no return after %v", what, hangLimit)
		return nil
	}
}

// partsOf returns the entries of a Partial error, or nil.
func partsOf(err error) []error {
	if u, ok := err.(interface{ Unwrap() []error }); ok {
		return u.Unwrap()
	}
	return nil
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name          string
		give          error
		wantPermanent bool
		wantSystemic  bool
		wantIs        error // what errors.Is finds; default give
	}{
		{name: "message size too large", give: kafka.MessageSizeTooLarge, wantPermanent: true},
		{name: "record list too large", give: kafka.RecordListTooLarge, wantPermanent: true},
		{name: "invalid record", give: kafka.InvalidRecord, wantPermanent: true},
		{name: "invalid timestamp", give: kafka.InvalidTimestamp, wantPermanent: true},
		{name: "message too large error", give: kafka.MessageTooLargeError{Message: kafka.Message{Value: []byte("x")}}, wantPermanent: true, wantIs: kafka.MessageSizeTooLarge},
		{name: "wrapped message size too large", give: fmt.Errorf("produce: %w", kafka.MessageSizeTooLarge), wantPermanent: true},
		{name: "connection refused", give: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}},
		{name: "connection reset", give: fmt.Errorf("read: %w", syscall.ECONNRESET)},
		{name: "unexpected EOF", give: io.ErrUnexpectedEOF},
		{name: "closed writer", give: io.ErrClosedPipe},
		{name: "deadline", give: context.DeadlineExceeded},
		{name: "not leader", give: kafka.NotLeaderForPartition},
		{name: "leader not available", give: kafka.LeaderNotAvailable},
		{name: "unknown topic", give: kafka.UnknownTopicOrPartition},
		{name: "topic authorization failed", give: kafka.TopicAuthorizationFailed, wantSystemic: true},
		{name: "wrapped topic authorization failed", give: fmt.Errorf("metadata: %w", kafka.TopicAuthorizationFailed), wantSystemic: true},
		{name: "group authorization failed", give: kafka.GroupAuthorizationFailed, wantSystemic: true},
		{name: "cluster authorization failed", give: kafka.ClusterAuthorizationFailed, wantSystemic: true},
		{name: "transactional id authorization failed", give: kafka.TransactionalIDAuthorizationFailed, wantSystemic: true},
		{name: "broker authorization failed", give: kafka.BrokerAuthorizationFailed, wantSystemic: true},
		{name: "delegation token authorization failed", give: kafka.DelegationTokenAuthorizationFailed, wantSystemic: true},
		{name: "SASL authentication failed", give: kafka.SASLAuthenticationFailed, wantSystemic: true},
		{name: "unsupported SASL mechanism", give: kafka.UnsupportedSASLMechanism, wantSystemic: true},
		{name: "illegal SASL state", give: kafka.IllegalSASLState, wantSystemic: true},
		{name: "security disabled", give: kafka.SecurityDisabled, wantSystemic: true},
		{name: "invalid principal type", give: kafka.InvalidPrincipalType, wantSystemic: true},
		{name: "principal deserialization failure", give: kafka.PrincipalDeserializationFailure, wantSystemic: true},
		{name: "not enough replicas", give: kafka.NotEnoughReplicas},
		{name: "request timed out", give: kafka.RequestTimedOut},
		{name: "other", give: errors.New("something else")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("events", tt.give)
			require.Error(t, err)
			assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(err))
			assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(err))
			if tt.wantIs == nil {
				tt.wantIs = tt.give
			}
			assert.ErrorIs(t, err, tt.wantIs, "the cause is kept")
			assert.Equal(t, "kafkasink: produce to events: "+tt.give.Error(), err.Error())

			err = classify("", tt.give)
			assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(err))
			assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(err))
			assert.Equal(t, "kafkasink: produce: "+tt.give.Error(), err.Error())
		})
	}
}

// kafkaGoSize is kafka-go v0.4.51's (*Message).totalSize, which
// WriteMessages compares with BatchBytes (message.go): size() plus
// headerSize().
func kafkaGoSize(m *kafka.Message) int {
	varInt := func(i int64) int { // write.go varIntLen
		u := uint64((i << 1) ^ (i >> 63))
		n := 0
		for u >= 0x80 {
			u >>= 7
			n++
		}
		return n + 1
	}
	size := 4 + 1 + 1 + (4 + len(m.Key)) + (4 + len(m.Value)) + 8
	headers := varInt(int64(len(m.Headers)))
	for _, h := range m.Headers {
		headers += varInt(int64(len(h.Key))) + len(h.Key) + varInt(int64(len(h.Value))) + len(h.Value)
	}
	return headers + size
}

// tooLargeForKafkaGo reports whether kafka-go's WriteMessages refuses m
// for a BatchBytes of limit. It never reaches the network: a message
// within the limit fails next on its topic, set on both the writer and
// the message.
func tooLargeForKafkaGo(t *testing.T, m kafka.Message, limit int) bool {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1"), Topic: "w", BatchBytes: int64(limit)}
	defer w.Close()
	m.Topic = "m"
	err := w.WriteMessages(context.Background(), m)
	require.Error(t, err)
	var tooLarge kafka.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return true
	}
	require.Contains(t, err.Error(), "Topic must not be specified for both", "no network")
	return false
}

func testMessage(keyLen, valueLen int, headers ...int) kafka.Message {
	m := kafka.Message{Value: make([]byte, valueLen)}
	if keyLen >= 0 {
		m.Key = make([]byte, keyLen)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		var v []byte
		if headers[i+1] >= 0 {
			v = make([]byte, headers[i+1])
		}
		m.Headers = append(m.Headers, kafka.Header{Key: strings.Repeat("k", headers[i]), Value: v})
	}
	return m
}

// TestMessageSizeBoundsKafkaGo: messageSize is never below kafka-go's
// own size of a message (so that a message it lets through never makes
// WriteMessages fail the whole call), and not far above it.
func TestMessageSizeBoundsKafkaGo(t *testing.T) {
	var many []int
	for range 70 {
		many = append(many, 3, 1)
	}
	msgs := []kafka.Message{
		testMessage(-1, 0),
		testMessage(0, 0),
		testMessage(1, 1),
		testMessage(63, 63, 63, 63),
		testMessage(64, 64, 64, 64),
		testMessage(8191, 8192, 8191, 8192),
		testMessage(36, 600, len(HeaderSchemaVersion), 1, len(HeaderKind), 10, len(HeaderHitType), 11, len(HeaderRecordID), 36),
		testMessage(10, 1<<20, 5, -1),
		testMessage(10, 100, many...),
		testMessage(0, 2_097_152, 1_048_576, 0),
	}
	for i, m := range msgs {
		got, want := messageSize(&m), kafkaGoSize(&m)
		assert.GreaterOrEqual(t, got, want, "message %d", i)
		assert.LessOrEqual(t, got-want, 4+8*len(m.Headers), "message %d: a tight bound", i)
	}
	// The replicated formula is kafka-go's: one byte less is refused.
	for i, m := range msgs[:9] {
		n := kafkaGoSize(&m)
		assert.False(t, tooLargeForKafkaGo(t, m, n), "message %d at its size", i)
		assert.True(t, tooLargeForKafkaGo(t, m, n-1), "message %d a byte over", i)
		assert.False(t, tooLargeForKafkaGo(t, m, messageSize(&m)), "message %d at messageSize", i)
	}
}

func FuzzMessageSize(f *testing.F) {
	f.Add(uint32(0), uint32(0), uint8(0), uint32(0), uint32(0))
	f.Add(uint32(36), uint32(600), uint8(4), uint32(14), uint32(36))
	f.Add(uint32(64), uint32(8192), uint8(200), uint32(63), uint32(64))
	f.Fuzz(func(t *testing.T, keyLen, valueLen uint32, nHeaders uint8, hKey, hValue uint32) {
		m := kafka.Message{Key: make([]byte, keyLen%(1<<21)), Value: make([]byte, valueLen%(1<<22))}
		for i := range int(nHeaders) {
			m.Headers = append(m.Headers, kafka.Header{Key: strings.Repeat("k", int(hKey>>i)%(1<<15)), Value: make([]byte, int(hValue>>(i%8))%(1<<17))})
		}
		got, want := messageSize(&m), kafkaGoSize(&m)
		if got < want {
			t.Fatalf("messageSize %d < kafka-go's %d", got, want)
		}
	})
}

// TestMessageSizeRandom compares the two sizes on random messages.
func TestMessageSizeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		m := kafka.Message{Key: make([]byte, rng.IntN(300)), Value: make([]byte, rng.IntN(1<<rng.IntN(21)+1))}
		for range rng.IntN(10) {
			m.Headers = append(m.Headers, kafka.Header{Key: strings.Repeat("h", rng.IntN(200)), Value: make([]byte, rng.IntN(1<<rng.IntN(16)+1))})
		}
		require.GreaterOrEqual(t, messageSize(&m), kafkaGoSize(&m))
	}
}

// TestSendAfterCloseIsRetryable: a closed sink fails its Sends
// retryably, at once, and the records stay queued. (Its ctx never ends:
// a Send that waited for anything but the closed writer would hang.)
func TestSendAfterCloseIsRetryable(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	batch := []eventqueue.Record{pageOf(t, "v1"), pageOf(t, "v2")}
	err = returns(t, "Send on a closed sink", func() error { return s.Send(context.Background(), batch) })
	require.Error(t, err)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.ErrorIs(t, err, io.ErrClosedPipe)
	assert.Nil(t, partsOf(err), "a whole-batch failure, not a Partial")
}

// TestSendUnreachableBrokerIsRetryable: no broker listening: Send fails
// retryably, within its context.
func TestSendUnreachableBrokerIsRetryable(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events"}) // the default attempts and timeouts
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	batch := []eventqueue.Record{pageOf(t, "v1"), queueRecord(t, "v2", hits.Activation{VariationGroupID: "vg", VariationID: "v"})}
	err = returns(t, "Send to an unreachable broker", func() error { return s.Send(ctx, batch) })
	require.Error(t, err)
	t.Logf("Send: %v", err)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Contains(t, err.Error(), "kafkasink: produce to events")
}

// TestSendHonoursContext: a broker that accepts connections and never
// answers holds Send until its ctx ends, not until the writer's own
// timeouts (an hour here): Send returns ctx's error, retryably.
func TestSendHonoursContext(t *testing.T) {
	addr, accepted := silentBroker(t)
	s, err := New(Options{Brokers: []string{addr}, Topic: "events", WriteTimeout: time.Hour})
	require.NoError(t, err)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-accepted: // the writer is waiting for the broker
		case <-ctx.Done():
		}
		cancel()
	}()
	batch := []eventqueue.Record{pageOf(t, "v1")}
	err = returns(t, "Send to a silent broker", func() error { return s.Send(ctx, batch) })
	require.ErrorIs(t, err, context.Canceled, "Send returned because its ctx ended")
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Contains(t, err.Error(), "kafkasink: produce to events")
}

// TestSendLocalRejections: records that cannot become a message (a
// message too large, the zero Record, fields that are no JSON object) are
// permanent failures in a Partial, at their own index; the others keep
// the writer's retryable error. (A record of an unknown kind cannot be
// built any more, not even from a stored form: UnmarshalBinary refuses
// it. Fields that are no JSON object can only come from a stored form
// with a valid checksum, as an older or buggy SDK could have written.)
func TestSendLocalRejections(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events", MaxMessageBytes: 1000})
	require.NoError(t, err)
	require.NoError(t, s.Close()) // the writer fails at once: io.ErrClosedPipe

	big := queueRecord(t, "v-big", hits.Page{URL: "https://shop.example/" + strings.Repeat("x", 1000)})
	zero := pageOf(t, "v-zero")
	zero.Record = hits.Record{}
	badFields := pageOf(t, "v-fields")
	f := formOf(badFields.Record)
	f.fields = `{"dl":[1,2}`
	badFields.Record = forged(t, f)
	badObject := pageOf(t, "v-object")
	f = formOf(badObject.Record)
	f.fields = `{"dl"}`
	badObject.Record = forged(t, f)
	batch := []eventqueue.Record{pageOf(t, "v0"), big, pageOf(t, "v2"), zero, badObject, badFields, pageOf(t, "v6")}

	err = s.Send(context.Background(), batch)
	require.Error(t, err)
	errs := partsOf(err)
	require.Len(t, errs, len(batch), "a Partial, one entry per record")
	for _, i := range []int{0, 2, 6} {
		require.Error(t, errs[i], "record %d", i)
		assert.False(t, eventqueue.IsPermanent(errs[i]), "record %d", i)
		assert.ErrorIs(t, errs[i], io.ErrClosedPipe, "record %d", i)
	}
	for _, i := range []int{1, 3, 4, 5} {
		assert.True(t, eventqueue.IsPermanent(errs[i]), "record %d: %v", i, errs[i])
	}
	assert.Contains(t, errs[1].Error(), "exceeds MaxMessageBytes (1000)")
	assert.Contains(t, errs[3].Error(), "record kind")
	assert.ErrorIs(t, errs[4], errMalformedFields)
	assert.ErrorIs(t, errs[5], errMalformedFields)

	// Only local rejections: a Partial of permanent errors, the writer
	// never called.
	err = s.Send(context.Background(), []eventqueue.Record{big})
	require.True(t, eventqueue.IsPermanent(err))
	require.Len(t, partsOf(err), 1)
}

func TestSendEmptyBatch(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events"})
	require.NoError(t, err)
	defer s.Close()
	assert.NoError(t, s.Send(context.Background(), nil))
}

// TestCloseIdempotent: Close twice is fine; the second returns the
// first's result.
func TestCloseIdempotent(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events"})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	err = s.w.WriteMessages(context.Background(), kafka.Message{Topic: "events", Value: []byte("x")})
	assert.ErrorIs(t, err, io.ErrClosedPipe, "the built writer is closed")
}

// TestCloseLeavesCallersWriterOpen: a writer given in Options stays the
// caller's: Close does not close it.
func TestCloseLeavesCallersWriterOpen(t *testing.T) {
	w := syncWriter("w")
	s, err := New(Options{Writer: w})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	// A message naming a topic of its own fails on that, before the
	// network: the writer is still open.
	err = w.WriteMessages(context.Background(), kafka.Message{Topic: "other", Value: []byte("x")})
	require.Error(t, err)
	assert.NotErrorIs(t, err, io.ErrClosedPipe, "the caller's writer is still open")
	require.NoError(t, w.Close())
	err = w.WriteMessages(context.Background(), kafka.Message{Topic: "other", Value: []byte("x")})
	assert.ErrorIs(t, err, io.ErrClosedPipe)
}

func TestSendCallersWriterClosed(t *testing.T) {
	w := syncWriter("w")
	s, err := New(Options{Writer: w})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	err = s.Send(context.Background(), []eventqueue.Record{pageOf(t, "v1")})
	require.Error(t, err)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Contains(t, err.Error(), "kafkasink: produce:", "the writer's own topic: no topic named")
}

func TestStats(t *testing.T) {
	s, err := New(Options{Brokers: []string{deadAddr(t)}, Topic: "events"})
	require.NoError(t, err)
	defer s.Close()
	st := s.Stats()
	assert.Zero(t, st.Messages)
	assert.Zero(t, st.Errors)
}

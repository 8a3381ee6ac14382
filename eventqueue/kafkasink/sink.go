package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// sendBuffers are the memory of one Send, reused by the next.
type sendBuffers struct {
	arena   []byte
	msgs    []kafka.Message
	headers []kafka.Header
	index   []int
}

// grow returns s with room for n elements.
func grow[S ~[]E, E any](s S, n int) S {
	if cap(s) < n {
		return make(S, 0, n)
	}
	return s
}

// writerBatchSize is the built writer's largest produce request per
// partition, in messages, and the most messages a Send hands kafka-go in
// one call: a default Send is one call. kafka-go allocates room for this
// many messages in every batch, so more would only cost memory.
const writerBatchSize = DefaultBatchSize

// Sink produces queued records to Kafka, one message per record. It is
// safe for concurrent use.
type Sink struct {
	w         *kafka.Writer
	transport *kafka.Transport // nil unless built here
	owned     bool             // w was built here: Close closes it
	topics    [4]string        // by hits.Kind; "" leaves the writer's topic
	maxBytes  int
	// A WriteMessages call gets at most batchSize messages of at most
	// batchBytes bytes in all, the writer's BatchSize and BatchBytes, so
	// that kafka-go makes at most one batch per partition of them.
	batchSize  int
	batchBytes int
	// sendTimeout leaves kafka-go time for its own attempts at a batch.
	sendTimeout time.Duration

	bufs sync.Pool // *sendBuffers

	closeOnce sync.Once
	closeErr  error
}

// New returns a Sink configured by opts. It does not connect: the first
// Send does, and a broker that cannot be reached is retried by the queue.
// Errors wrap [ErrInvalidOptions].
func New(opts Options) (*Sink, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sink{maxBytes: o.MaxMessageBytes}
	for _, k := range []hits.Kind{hits.KindHit, hits.KindActivation, hits.KindConsent} {
		t := o.Topics[k]
		if t == "" {
			t = o.Topic
		}
		if t != "" && !validTopic(t) {
			return nil, fmt.Errorf("%w: topic %q: want 1 to 249 of [a-zA-Z0-9._-], other than \".\" and \"..\"", ErrInvalidOptions, t)
		}
		s.topics[k] = t
	}
	if o.Writer != nil {
		s.w = o.Writer
		s.batchSize, s.batchBytes = writerLimits(o.Writer)
		s.sendTimeout = sendTimeout(o.Writer)
		if o.Writer.Balancer == nil {
			o.Logger.Warn("kafkasink: the writer has no Balancer (kafka-go round-robins): a visitor's messages may land on different partitions and lose their order")
		}
		if t := o.Writer.BatchTimeout; t <= 0 || t > 10*time.Millisecond {
			if t <= 0 {
				t = time.Second // kafka-go's default
			}
			o.Logger.Warn("kafkasink: batches smaller than the writer's BatchSize wait for its BatchTimeout before they are produced", slog.Duration("batch_timeout", t))
		}
		return s, nil
	}
	acks := kafka.RequireAll
	if o.RequiredAcks == AcksLeader {
		acks = kafka.RequireOne
	}
	log := o.Logger
	s.transport = &kafka.Transport{TLS: o.TLS, SASL: o.SASL, ClientID: o.ClientID}
	s.w = &kafka.Writer{
		Addr: kafka.TCP(o.Brokers...),
		// Java's default partitioner: a visitor's messages share a
		// partition, the same one a Java producer would pick.
		Balancer:    &kafka.Murmur2Balancer{},
		MaxAttempts: o.MaxAttempts,
		// kafka-go's batches are per partition and a batch short of
		// BatchSize waits for BatchTimeout. Send hands its messages over
		// in calls of at most BatchSize messages and BatchBytes bytes,
		// and kafka-go appends a call's messages for a partition under
		// that partition's lock, so a batch's timer, firing at once,
		// queues it right after the call: a Send never waits for a
		// timer.
		BatchSize:              writerBatchSize,
		BatchTimeout:           time.Nanosecond,
		BatchBytes:             int64(o.MaxMessageBytes),
		ReadTimeout:            o.WriteTimeout,
		WriteTimeout:           o.WriteTimeout,
		RequiredAcks:           acks,
		Compression:            o.Compression,
		AllowAutoTopicCreation: o.AutoCreateTopics,
		Transport:              s.transport,
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			if log.Enabled(context.Background(), slog.LevelDebug) {
				log.Debug("kafka-go: " + fmt.Sprintf(msg, args...))
			}
		}),
	}
	s.owned = true
	s.batchSize, s.batchBytes = writerLimits(s.w)
	s.sendTimeout = sendTimeout(s.w)
	return s, nil
}

// sendTimeout returns how long a Send may take before the queue gives up
// on it: kafka-go's metadata request (ReadTimeout), then its attempts at a
// batch (MaxAttempts produce requests of WriteTimeout, with backoffs of
// at most WriteBackoffMax in between), plus a margin. A Send cut shorter
// leaves the batch in flight: it may still be stored, and its records are
// sent again.
func sendTimeout(w *kafka.Writer) time.Duration {
	or := func(d, def time.Duration) time.Duration {
		if d > 0 {
			return d
		}
		return def
	}
	attempts := w.MaxAttempts
	if attempts <= 0 {
		attempts = 10
	}
	d := or(w.ReadTimeout, 10*time.Second) + time.Duration(attempts)*or(w.WriteTimeout, 10*time.Second) +
		time.Duration(attempts-1)*or(w.WriteBackoffMax, time.Second)
	return max(d+5*time.Second, eventqueue.DefaultSendTimeout)
}

// writerLimits returns w's BatchSize and BatchBytes, or kafka-go's
// defaults for zeros.
func writerLimits(w *kafka.Writer) (size, bytes int) {
	size, bytes = w.BatchSize, int(w.BatchBytes)
	if size <= 0 {
		size = 100
	}
	if bytes <= 0 {
		bytes = 1 << 20
	}
	return size, bytes
}

// validTopic reports whether t is a legal Kafka topic name.
func validTopic(t string) bool {
	if len(t) == 0 || len(t) > 249 || t == "." || t == ".." {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Config returns the queue settings for this sink: name [DefaultName],
// batches of [DefaultBatchSize] records or [DefaultFlushInterval], no
// expiry, and a SendTimeout that leaves the writer time for its own
// attempts (MaxAttempts × WriteTimeout and backoffs; 47 s with the
// defaults). Give it to flagship.DeliveryOptions.Sinks, or adjust it
// first.
func (s *Sink) Config() eventqueue.SinkConfig {
	return eventqueue.SinkConfig{
		Name:          DefaultName,
		Sink:          s,
		BatchSize:     DefaultBatchSize,
		FlushInterval: DefaultFlushInterval,
		SendTimeout:   s.sendTimeout,
	}
}

// Stats returns the writer's counters since the last call (kafka-go's
// [kafka.Writer.Stats]).
func (s *Sink) Stats() kafka.WriterStats { return s.w.Stats() }

// Close closes the writer New built, waiting for the batches a cancelled
// Send left in flight (kafka-go gives each its MaxAttempts of
// WriteTimeout: with brokers that do not answer, about 30 s with the
// defaults), and its connections. It never closes a writer given in
// [Options]. Sends after Close fail, and their records stay queued.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		if s.owned {
			s.closeErr = s.w.Close()
			s.transport.CloseIdleConnections()
		}
	})
	return s.closeErr
}

var (
	schemaHeader = []byte("1")
	kindHeader   = [4][]byte{nil, []byte("hit"), []byte("activation"), []byte("consent")}
	typeHeader   = map[hits.Type][]byte{}
)

func init() {
	for t := range fieldNames {
		typeHeader[t] = []byte(t)
	}
}

// Send produces one message per record and waits for Kafka's
// acknowledgements. Records Kafka rejects for good (a message too large,
// an invalid record) come back [eventqueue.Permanent] within an
// [eventqueue.Partial] result, those the cluster refuses to take from
// this client (authorization, SASL) [eventqueue.Systemic], the others
// retryable; the records of the partitions that acknowledged are
// delivered.
func (s *Sink) Send(ctx context.Context, batch []eventqueue.Record) error {
	size := 0
	for i := range batch {
		r := &batch[i].Record
		size += 256 + 2*r.BinarySize()
	}
	// The buffers come from a pool and go back to it only if every write
	// completed: a write cut short by ctx leaves kafka-go's batches, which
	// point into them, in flight.
	buf, _ := s.bufs.Get().(*sendBuffers)
	if buf == nil {
		buf = &sendBuffers{}
	}
	reuse := s.owned || s.w.Completion == nil // a Completion callback may keep the messages
	defer func() {
		if reuse {
			s.bufs.Put(buf)
		}
	}()
	arena := grow(buf.arena[:0], size)
	msgs := grow(buf.msgs[:0], len(batch))
	headers := grow(buf.headers[:0], 4*len(batch))
	index := grow(buf.index[:0], len(batch)) // msgs[j] is batch[index[j]]
	defer func() { buf.arena, buf.msgs, buf.headers, buf.index = arena, msgs, headers, index }()
	var errs []error
	fail := func(i int, err error) {
		if errs == nil {
			errs = make([]error, len(batch))
		}
		errs[i] = err
	}
	for i := range batch {
		r := &batch[i].Record
		// The errors about a record name it: the queue tells them from
		// a refusal of every record alike.
		if r.Kind() < 1 || int(r.Kind()) >= len(s.topics) {
			fail(i, eventqueue.Permanent(fmt.Errorf("kafkasink: record %s: record kind %v", r.ID(), r.Kind())))
			continue
		}
		start := len(arena)
		var err error
		if arena, err = appendValue(arena, r); err != nil {
			fail(i, eventqueue.Permanent(errfmt.Errorf("kafkasink: record %s: %w", r.ID(), err)))
			continue
		}
		value := arena[start:len(arena):len(arena)]
		start = len(arena)
		arena = append(arena, r.VisitorID()...)
		key := arena[start:len(arena):len(arena)]
		start = len(arena)
		arena = appendUUID(arena, r)
		id := arena[start:len(arena):len(arena)]
		typ, ok := typeHeader[r.Type()]
		if !ok {
			typ = []byte(r.Type())
		}
		h := len(headers)
		headers = append(headers,
			kafka.Header{Key: HeaderSchemaVersion, Value: schemaHeader},
			kafka.Header{Key: HeaderKind, Value: kindHeader[r.Kind()]},
			kafka.Header{Key: HeaderHitType, Value: typ},
			kafka.Header{Key: HeaderRecordID, Value: id},
		)
		m := kafka.Message{Topic: s.topics[r.Kind()], Key: key, Value: value, Headers: headers[h:len(headers):len(headers)], Time: r.Created()}
		if n := messageSize(&m); n > s.maxBytes {
			fail(i, eventqueue.Permanent(fmt.Errorf("kafkasink: record %s: message of %d bytes exceeds MaxMessageBytes (%d)", r.ID(), n, s.maxBytes)))
			continue
		}
		msgs = append(msgs, m)
		index = append(index, i)
	}
	// kafka-go acknowledges each of its batches on its own, and the
	// messages of a partition beyond BatchSize or BatchBytes make several
	// batches: a visitor's later batch could be stored while an earlier
	// one fails, and then overtake it on the retry. So WriteMessages gets
	// at most one batch per partition at a time, and a visitor whose
	// message failed has its later messages held back, failed with the
	// same error, to be retried after it.
	var failedKeys map[string]error
	for start := 0; start < len(msgs); {
		end, size := start, 0
		for end < len(msgs) && end-start < s.batchSize {
			n := messageSize(&msgs[end])
			if end > start && size+n > s.batchBytes {
				break
			}
			size += n
			end++
		}
		chunk, at := msgs[start:end], index[start:end]
		first := start == 0
		start = end
		if failedKeys != nil {
			k := 0
			for j := range chunk {
				if e, ok := failedKeys[string(chunk[j].Key)]; ok {
					fail(at[j], errfmt.Errorf("kafkasink: held back behind an earlier message of the visitor: %w", e))
					continue
				}
				chunk[k], at[k] = chunk[j], at[j]
				k++
			}
			if chunk, at = chunk[:k], at[:k]; k == 0 {
				continue
			}
		}
		err := s.w.WriteMessages(ctx, chunk...)
		var werrs kafka.WriteErrors
		if err != nil && !errors.As(err, &werrs) {
			reuse = false
		}
		switch {
		case err == nil:
		case errors.As(err, &werrs) && len(werrs) == len(chunk):
			failed, retry := 0, error(nil)
			for j, e := range werrs {
				if e == nil {
					continue
				}
				e = classify(chunk[j].Topic, e)
				fail(at[j], e)
				if failedKeys == nil {
					failedKeys = map[string]error{}
				}
				if _, ok := failedKeys[string(chunk[j].Key)]; !ok {
					failedKeys[string(chunk[j].Key)] = e
				}
				if failed++; retry == nil && !eventqueue.IsPermanent(e) {
					retry = e
				}
			}
			if failed == len(chunk) && retry != nil {
				// Every partition failed, and not for its messages: the
				// brokers are down or unreachable, the next calls would
				// fail too.
				for _, i := range index[end:] {
					fail(i, retry)
				}
				start = len(msgs)
			}
		case first && errs == nil:
			return classify(topicOf(msgs), err) // nothing delivered, nothing rejected here
		default:
			// The call failed as a whole (brokers unreachable, metadata,
			// ctx, Close): so would the next ones.
			e := classify(topicOf(chunk), err)
			for _, i := range at {
				fail(i, e)
			}
			for _, i := range index[end:] {
				fail(i, e)
			}
			start = len(msgs)
		}
	}
	return eventqueue.Partial(errs)
}

func topicOf(msgs []kafka.Message) string {
	t := msgs[0].Topic
	for _, m := range msgs[1:] {
		if m.Topic != t {
			return "" // several
		}
	}
	return t
}

// classify wraps a produce error and sorts it by the queue's rule
// (eventqueue's "Refusals"): [eventqueue.Permanent] for an error about
// the record itself, which no retry fixes; [eventqueue.Systemic] for a
// refusal of the sink by the cluster (authorization, SASL), which an
// operator must fix and no record is at fault for; plain, and retried,
// for everything else (brokers unreachable, leaders moving, a missing
// topic). Neither a configuration mistake nor a denied authorization
// ever sends records to the dead letters.
func classify(topic string, err error) error {
	if topic != "" {
		err = fmt.Errorf("kafkasink: produce to %s: %w", topic, err)
	} else {
		err = fmt.Errorf("kafkasink: produce: %w", err)
	}
	var ke kafka.Error
	var tooLarge kafka.MessageTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return eventqueue.Permanent(err)
	case errors.As(err, &ke):
		switch ke {
		case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge, kafka.InvalidRecord, kafka.InvalidTimestamp:
			return eventqueue.Permanent(err)
		case kafka.TopicAuthorizationFailed, kafka.GroupAuthorizationFailed, kafka.ClusterAuthorizationFailed,
			kafka.TransactionalIDAuthorizationFailed, kafka.BrokerAuthorizationFailed,
			kafka.DelegationTokenAuthorizationFailed, kafka.SASLAuthenticationFailed,
			kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState, kafka.SecurityDisabled,
			kafka.InvalidPrincipalType, kafka.PrincipalDeserializationFailure:
			return eventqueue.Systemic(err)
		}
	}
	return err
}

// messageSize returns an upper bound of kafka-go's size of m, which it
// compares with BatchBytes: a message this check passes never makes
// WriteMessages fail the whole call with a MessageTooLargeError.
func messageSize(m *kafka.Message) int {
	n := 4 + 1 + 1 + 4 + len(m.Key) + 4 + len(m.Value) + 8 + 5
	for _, h := range m.Headers {
		n += 5 + len(h.Key) + 5 + len(h.Value)
	}
	return n
}

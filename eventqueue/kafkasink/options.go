package kafkasink

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/seed27eed597/flagship-go/hits"
)

// Defaults of [Options] and of the queue settings [Sink.Config] returns.
const (
	// DefaultName is the sink's backlog name in the queue file.
	DefaultName = "kafka"
	// DefaultBatchSize is how many records one Send produces: Kafka takes
	// large batches cheaply.
	DefaultBatchSize = 500
	// DefaultFlushInterval is how long a partial batch waits for more
	// records.
	DefaultFlushInterval = time.Second
	// DefaultMaxMessageBytes is the largest message produced (kafka-go's
	// default batch bytes, under the broker's default message.max.bytes).
	DefaultMaxMessageBytes = 1 << 20
	// DefaultWriteTimeout bounds one produce request.
	DefaultWriteTimeout = 10 * time.Second
)

// ErrInvalidOptions is wrapped by the errors [New] returns for options it
// cannot work with.
var ErrInvalidOptions = errors.New("kafkasink: invalid options")

// Acks is how many replicas must store a message before Kafka
// acknowledges it, and the queue deletes the record.
type Acks int

const (
	// AcksAll waits for every in-sync replica (acks=all). The default.
	AcksAll Acks = iota
	// AcksLeader waits for the partition leader only (acks=1): faster,
	// but a leader lost before replication loses the messages.
	AcksLeader
)

// String returns "all" or "leader".
func (a Acks) String() string {
	switch a {
	case AcksAll:
		return "all"
	case AcksLeader:
		return "leader"
	}
	return fmt.Sprintf("Acks(%d)", int(a))
}

// Options configures a [Sink]. Either Brokers, or a caller-owned Writer,
// must be set.
type Options struct {
	// Brokers are the bootstrap brokers, "host:port".
	Brokers []string
	// Topic receives every record whose kind Topics does not name.
	Topic string
	// Topics routes records by kind (hits, activations, consents) to
	// their own topics, overriding Topic.
	Topics map[hits.Kind]string

	// RequiredAcks is the acknowledgement a record waits for before it
	// leaves the queue. Default [AcksAll]. There is no acks=0: the queue
	// exists so that no record is lost.
	RequiredAcks Acks
	// Compression compresses produced batches: kafka.Gzip, kafka.Snappy,
	// kafka.Lz4 or kafka.Zstd (other values are refused). Default none.
	Compression kafka.Compression
	// TLS, when set, connects to the brokers over TLS.
	TLS *tls.Config
	// SASL, when set, authenticates with this mechanism (see
	// github.com/segmentio/kafka-go/sasl/plain and .../sasl/scram).
	SASL sasl.Mechanism
	// ClientID names the client to the brokers. Default "flagship-go".
	ClientID string
	// MaxMessageBytes is the largest message produced, and the largest
	// produce request per partition. A record whose message is larger is
	// refused by the queue's Enqueue ([Sink.RecordSize]); one stored
	// before goes to the dead letters. Keep it at or under the topic's
	// max.message.bytes. Default [DefaultMaxMessageBytes]; with Writer,
	// its BatchBytes (kafka-go's 1 MiB if zero), which is also the most
	// it may be.
	MaxMessageBytes int
	// WriteTimeout bounds one produce request. Default
	// [DefaultWriteTimeout].
	WriteTimeout time.Duration
	// AutoCreateTopics lets the brokers create a missing topic on first
	// use, if their auto.create.topics.enable allows it. Default false: a
	// missing topic fails the sends, and records wait in the queue.
	AutoCreateTopics bool
	// MaxAttempts is how many times the writer tries one produce request
	// before Send fails and the queue backs off (kafka-go backs off 100 ms
	// to 1 s between its attempts). Default 3.
	MaxAttempts int

	// Writer, when set, is used instead of a writer built from the
	// options above, which must then be unset (the topic settings may be
	// set only if Writer.Topic is empty). It stays the caller's: Close
	// never closes it. It must be synchronous (Async false) and require
	// acknowledgements (RequiredAcks RequireOne or RequireAll). Its
	// BatchTimeout is waited for by every batch smaller than its
	// BatchSize: set it low (the built writer uses 1 ns) or flushes wait
	// for it. Send hands it at most BatchSize messages and BatchBytes
	// bytes per WriteMessages call (so that each partition gets one
	// batch per call), and expects to be its only user.
	Writer *kafka.Writer

	// Logger receives kafka-go's error logs at debug level (the queue
	// logs failed sends itself). Default: discarded.
	Logger *slog.Logger
}

func (o *Options) withDefaults() (Options, error) {
	c := *o
	if c.Writer != nil {
		if len(c.Brokers) > 0 || c.TLS != nil || c.SASL != nil || c.Compression != 0 || c.RequiredAcks != AcksAll || c.ClientID != "" || c.MaxAttempts != 0 || c.WriteTimeout != 0 || c.AutoCreateTopics {
			return c, fmt.Errorf("%w: Writer is set: configure the writer itself, not Brokers, TLS, SASL, Compression, RequiredAcks, ClientID, MaxAttempts, WriteTimeout or AutoCreateTopics", ErrInvalidOptions)
		}
		if c.Writer.Addr == nil {
			return c, fmt.Errorf("%w: Writer.Addr is nil", ErrInvalidOptions)
		}
		if c.Writer.Async {
			return c, fmt.Errorf("%w: Writer.Async is true: an asynchronous writer cannot confirm delivery", ErrInvalidOptions)
		}
		if c.Writer.RequiredAcks == kafka.RequireNone {
			return c, fmt.Errorf("%w: Writer.RequiredAcks is RequireNone: records would leave the queue before Kafka stored them; use RequireOne or RequireAll", ErrInvalidOptions)
		}
		if c.Writer.Topic != "" && (c.Topic != "" || len(c.Topics) > 0) {
			return c, fmt.Errorf("%w: Writer.Topic is set: Topic and Topics must be empty", ErrInvalidOptions)
		}
		if c.Writer.Topic == "" && c.Topic == "" && !coversAllKinds(c.Topics) {
			return c, fmt.Errorf("%w: Topic is required (or Topics for every kind) unless Writer.Topic is set", ErrInvalidOptions)
		}
		if !knownCompression(c.Writer.Compression) {
			return c, fmt.Errorf("%w: Writer.Compression %d: want none, kafka.Gzip, kafka.Snappy, kafka.Lz4 or kafka.Zstd", ErrInvalidOptions, c.Writer.Compression)
		}
		_, batchBytes := writerLimits(c.Writer)
		if c.MaxMessageBytes == 0 {
			c.MaxMessageBytes = batchBytes
		}
		if c.MaxMessageBytes > batchBytes {
			return c, fmt.Errorf("%w: MaxMessageBytes %d exceeds Writer.BatchBytes (%d), which kafka-go holds every message to", ErrInvalidOptions, c.MaxMessageBytes, batchBytes)
		}
	} else {
		if len(c.Brokers) == 0 {
			return c, fmt.Errorf("%w: Brokers is required (or Writer)", ErrInvalidOptions)
		}
		for _, b := range c.Brokers {
			if b == "" {
				return c, fmt.Errorf("%w: empty broker address", ErrInvalidOptions)
			}
		}
		if c.Topic == "" && !coversAllKinds(c.Topics) {
			return c, fmt.Errorf("%w: Topic is required (or Topics for every kind)", ErrInvalidOptions)
		}
		if !knownCompression(c.Compression) {
			return c, fmt.Errorf("%w: Compression %d: want none, kafka.Gzip, kafka.Snappy, kafka.Lz4 or kafka.Zstd", ErrInvalidOptions, c.Compression)
		}
		if c.RequiredAcks != AcksAll && c.RequiredAcks != AcksLeader {
			return c, fmt.Errorf("%w: RequiredAcks %v", ErrInvalidOptions, c.RequiredAcks)
		}
		if c.ClientID == "" {
			c.ClientID = "flagship-go"
		}
		if c.MaxAttempts == 0 {
			c.MaxAttempts = 3
		}
		if c.WriteTimeout == 0 {
			c.WriteTimeout = DefaultWriteTimeout
		}
	}
	for k, t := range c.Topics {
		if k != hits.KindHit && k != hits.KindActivation && k != hits.KindConsent {
			return c, fmt.Errorf("%w: Topics: unknown kind %v", ErrInvalidOptions, k)
		}
		if t == "" {
			return c, fmt.Errorf("%w: Topics: empty topic for %v", ErrInvalidOptions, k)
		}
	}
	if c.MaxMessageBytes == 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxMessageBytes < 0 || c.MaxAttempts < 0 || c.WriteTimeout < 0 {
		return c, fmt.Errorf("%w: negative MaxMessageBytes, MaxAttempts or WriteTimeout", ErrInvalidOptions)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// knownCompression reports whether kafka-go has a codec for c (or c is
// none): it sends the codec number of any other value, uncompressed.
func knownCompression(c kafka.Compression) bool {
	return c >= 0 && c <= kafka.Zstd
}

func coversAllKinds(m map[hits.Kind]string) bool {
	return m[hits.KindHit] != "" && m[hits.KindActivation] != "" && m[hits.KindConsent] != ""
}

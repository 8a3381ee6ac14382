package kafkasink

import (
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// syncWriter returns a caller-owned writer that New accepts: synchronous,
// acknowledged.
func syncWriter(topic string) *kafka.Writer {
	return &kafka.Writer{Addr: kafka.TCP("127.0.0.1:1"), Topic: topic, RequiredAcks: kafka.RequireAll, Balancer: &kafka.Hash{}, BatchTimeout: time.Millisecond}
}

func allKinds(hit, act, consent string) map[hits.Kind]string {
	return map[hits.Kind]string{hits.KindHit: hit, hits.KindActivation: act, hits.KindConsent: consent}
}

func TestNewInvalidOptions(t *testing.T) {
	brokers := []string{"127.0.0.1:1"}
	async := syncWriter("w")
	async.Async = true
	noAcks := syncWriter("w")
	noAcks.RequiredAcks = kafka.RequireNone
	tests := []struct {
		name string
		give Options
		want string
	}{
		{name: "nothing", give: Options{}, want: "Brokers is required"},
		{name: "no brokers nor writer", give: Options{Topic: "t"}, want: "Brokers is required"},
		{name: "empty broker", give: Options{Brokers: []string{"127.0.0.1:1", ""}, Topic: "t"}, want: "empty broker"},
		{name: "no topic", give: Options{Brokers: brokers}, want: "Topic is required"},
		{name: "topics miss consent", give: Options{Brokers: brokers, Topics: map[hits.Kind]string{hits.KindHit: "h", hits.KindActivation: "a"}}, want: "Topic is required"},
		{name: "topics miss hit", give: Options{Brokers: brokers, Topics: map[hits.Kind]string{hits.KindActivation: "a", hits.KindConsent: "c"}}, want: "Topic is required"},
		{name: "topics with an empty one", give: Options{Brokers: brokers, Topics: allKinds("h", "", "c")}, want: "Topic is required"},
		{name: "unknown kind", give: Options{Brokers: brokers, Topic: "t", Topics: map[hits.Kind]string{hits.Kind(7): "x"}}, want: "unknown kind"},
		{name: "zero kind", give: Options{Brokers: brokers, Topic: "t", Topics: map[hits.Kind]string{0: "x"}}, want: "unknown kind"},
		{name: "empty topic for a kind", give: Options{Brokers: brokers, Topic: "t", Topics: map[hits.Kind]string{hits.KindActivation: ""}}, want: "empty topic"},
		{name: "topic with a space", give: Options{Brokers: brokers, Topic: "flagship events"}, want: "topic"},
		{name: "topic with a slash", give: Options{Brokers: brokers, Topic: "a/b"}, want: "topic"},
		{name: "topic dot", give: Options{Brokers: brokers, Topic: "."}, want: "topic"},
		{name: "topic dot dot", give: Options{Brokers: brokers, Topic: ".."}, want: "topic"},
		{name: "topic too long", give: Options{Brokers: brokers, Topic: strings.Repeat("a", 250)}, want: "topic"},
		{name: "topic not ASCII", give: Options{Brokers: brokers, Topic: "événements"}, want: "topic"},
		{name: "invalid kind topic", give: Options{Brokers: brokers, Topic: "t", Topics: map[hits.Kind]string{hits.KindConsent: "con sent"}}, want: "topic"},
		{name: "unknown acks", give: Options{Brokers: brokers, Topic: "t", RequiredAcks: Acks(5)}, want: "RequiredAcks"},
		{name: "negative MaxMessageBytes", give: Options{Brokers: brokers, Topic: "t", MaxMessageBytes: -1}, want: "negative"},
		{name: "negative MaxAttempts", give: Options{Brokers: brokers, Topic: "t", MaxAttempts: -1}, want: "negative"},
		{name: "negative WriteTimeout", give: Options{Brokers: brokers, Topic: "t", WriteTimeout: -time.Second}, want: "negative"},
		{name: "writer and brokers", give: Options{Writer: syncWriter("w"), Brokers: brokers}, want: "Writer is set"},
		{name: "writer and TLS", give: Options{Writer: syncWriter("w"), TLS: &tls.Config{}}, want: "Writer is set"},
		{name: "writer and SASL", give: Options{Writer: syncWriter("w"), SASL: plain.Mechanism{Username: "u", Password: "p"}}, want: "Writer is set"},
		{name: "writer and compression", give: Options{Writer: syncWriter("w"), Compression: kafka.Gzip}, want: "Writer is set"},
		{name: "writer and acks", give: Options{Writer: syncWriter("w"), RequiredAcks: AcksLeader}, want: "Writer is set"},
		{name: "writer and client id", give: Options{Writer: syncWriter("w"), ClientID: "me"}, want: "Writer is set"},
		{name: "writer and max attempts", give: Options{Writer: syncWriter("w"), MaxAttempts: 2}, want: "Writer is set"},
		{name: "writer and write timeout", give: Options{Writer: syncWriter("w"), WriteTimeout: time.Second}, want: "Writer is set"},
		{name: "writer and auto create", give: Options{Writer: syncWriter("w"), AutoCreateTopics: true}, want: "Writer is set"},
		{name: "async writer", give: Options{Writer: async}, want: "Async"},
		{name: "writer without address", give: Options{Writer: &kafka.Writer{Topic: "t", RequiredAcks: kafka.RequireAll}}, want: "Addr"},
		{name: "writer without acks", give: Options{Writer: noAcks}, want: "RequireNone"},
		{name: "writer topic and Topic", give: Options{Writer: syncWriter("w"), Topic: "t"}, want: "Writer.Topic is set"},
		{name: "writer topic and Topics", give: Options{Writer: syncWriter("w"), Topics: map[hits.Kind]string{hits.KindHit: "h"}}, want: "Writer.Topic is set"},
		{name: "writer without any topic", give: Options{Writer: syncWriter("")}, want: "Topic is required"},
		{name: "writer with partial Topics", give: Options{Writer: syncWriter(""), Topics: map[hits.Kind]string{hits.KindHit: "h"}}, want: "Topic is required"},
		{name: "writer and invalid topic", give: Options{Writer: syncWriter(""), Topic: "bad topic"}, want: "topic"},
		{name: "writer and negative MaxMessageBytes", give: Options{Writer: syncWriter("w"), MaxMessageBytes: -1}, want: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.give)
			require.ErrorIs(t, err, ErrInvalidOptions)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValidTopic(t *testing.T) {
	for _, ok := range []string{"a", "flagship-events", "Flagship_Events.v1", "0", "...", strings.Repeat("x", 249)} {
		assert.True(t, validTopic(ok), ok)
	}
	for _, bad := range []string{"", ".", "..", "a b", "a/b", "a:b", "é", "a\x00", strings.Repeat("x", 250)} {
		assert.False(t, validTopic(bad), "%q", bad)
	}
}

func TestNewDefaults(t *testing.T) {
	s, err := New(Options{Brokers: []string{"127.0.0.1:1", "127.0.0.1:2"}, Topic: "events"})
	require.NoError(t, err)
	defer s.Close()
	require.True(t, s.owned)
	w := s.w
	assert.Equal(t, "127.0.0.1:1,127.0.0.1:2", w.Addr.String())
	assert.Empty(t, w.Topic, "the topic goes on each message")
	assert.Equal(t, kafka.RequireAll, w.RequiredAcks, "acks=all by default")
	assert.Equal(t, 3, w.MaxAttempts)
	assert.Equal(t, DefaultWriteTimeout, w.WriteTimeout)
	assert.Equal(t, DefaultWriteTimeout, w.ReadTimeout)
	assert.EqualValues(t, DefaultMaxMessageBytes, w.BatchBytes)
	assert.Equal(t, DefaultMaxMessageBytes, s.maxBytes)
	assert.Equal(t, writerBatchSize, w.BatchSize)
	assert.Equal(t, time.Nanosecond, w.BatchTimeout, "a Send never waits for a batch timer")
	assert.False(t, w.Async)
	assert.False(t, w.AllowAutoTopicCreation)
	assert.IsType(t, &kafka.Murmur2Balancer{}, w.Balancer)
	assert.Equal(t, kafka.Compression(0), w.Compression)
	require.NotNil(t, s.transport)
	assert.Same(t, s.transport, w.Transport)
	assert.Equal(t, "flagship-go", s.transport.ClientID)
	assert.Nil(t, s.transport.TLS)
	assert.Nil(t, s.transport.SASL)
	assert.Equal(t, [4]string{"", "events", "events", "events"}, s.topics)
}

func TestNewOptionsReachTheWriter(t *testing.T) {
	tlsCfg := &tls.Config{ServerName: "kafka"}
	mech := plain.Mechanism{Username: "u", Password: "p"}
	s, err := New(Options{
		Brokers:          []string{"127.0.0.1:1"},
		Topic:            "all",
		Topics:           map[hits.Kind]string{hits.KindActivation: "activations"},
		RequiredAcks:     AcksLeader,
		Compression:      kafka.Zstd,
		TLS:              tlsCfg,
		SASL:             mech,
		ClientID:         "shop",
		MaxMessageBytes:  4096,
		WriteTimeout:     3 * time.Second,
		AutoCreateTopics: true,
		MaxAttempts:      7,
	})
	require.NoError(t, err)
	defer s.Close()
	w := s.w
	assert.Equal(t, kafka.RequireOne, w.RequiredAcks)
	assert.Equal(t, kafka.Zstd, w.Compression)
	assert.Same(t, tlsCfg, s.transport.TLS)
	assert.Equal(t, mech, s.transport.SASL)
	assert.Equal(t, "shop", s.transport.ClientID)
	assert.EqualValues(t, 4096, w.BatchBytes)
	assert.Equal(t, 4096, s.maxBytes)
	assert.Equal(t, 3*time.Second, w.WriteTimeout)
	assert.True(t, w.AllowAutoTopicCreation)
	assert.Equal(t, 7, w.MaxAttempts)
	assert.Equal(t, [4]string{"", "all", "activations", "all"}, s.topics)
}

func TestNewTopicsForEveryKindWithoutTopic(t *testing.T) {
	s, err := New(Options{Brokers: []string{"127.0.0.1:1"}, Topics: allKinds("h", "a", "c")})
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, [4]string{"", "h", "a", "c"}, s.topics)
}

func TestNewWithWriter(t *testing.T) {
	t.Run("writer topic", func(t *testing.T) {
		w := syncWriter("w")
		s, err := New(Options{Writer: w})
		require.NoError(t, err)
		assert.Same(t, w, s.w)
		assert.False(t, s.owned)
		assert.Nil(t, s.transport)
		assert.Equal(t, [4]string{}, s.topics, "messages leave the topic to the writer")
		assert.Equal(t, DefaultMaxMessageBytes, s.maxBytes)
		require.NoError(t, s.Close())
	})
	t.Run("topics by kind", func(t *testing.T) {
		w := syncWriter("")
		w.RequiredAcks = kafka.RequireOne
		w.BatchBytes = 2048
		s, err := New(Options{Writer: w, Topic: "t", Topics: map[hits.Kind]string{hits.KindConsent: "c"}})
		require.NoError(t, err)
		assert.Equal(t, [4]string{"", "t", "t", "c"}, s.topics)
		assert.Equal(t, 2048, s.maxBytes, "MaxMessageBytes follows the writer's BatchBytes")
		require.NoError(t, s.Close())
	})
	t.Run("MaxMessageBytes kept", func(t *testing.T) {
		w := syncWriter("w")
		w.BatchBytes = 2048
		s, err := New(Options{Writer: w, MaxMessageBytes: 1000})
		require.NoError(t, err)
		assert.Equal(t, 1000, s.maxBytes)
		require.NoError(t, s.Close())
	})
}

func TestConfig(t *testing.T) {
	s, err := New(Options{Brokers: []string{"127.0.0.1:1"}, Topic: "t"})
	require.NoError(t, err)
	defer s.Close()
	cfg := s.Config()
	assert.Equal(t, DefaultName, cfg.Name)
	assert.Equal(t, "kafka", cfg.Name)
	assert.Same(t, s, cfg.Sink)
	assert.Equal(t, DefaultBatchSize, cfg.BatchSize)
	assert.Equal(t, DefaultFlushInterval, cfg.FlushInterval)
	assert.Zero(t, cfg.MaxAge, "no expiry")
	assert.Empty(t, cfg.Kinds, "every kind")
}

func TestAcksString(t *testing.T) {
	assert.Equal(t, "all", AcksAll.String())
	assert.Equal(t, "leader", AcksLeader.String())
	assert.Equal(t, "Acks(9)", Acks(9).String())
}

package kafkasink

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestNewRejectsUnknownCompression: kafka-go puts Compression & 7
// in the record batch's attributes and compresses only with a codec it
// knows (1 to 4): any other value sends batches the broker cannot read
// (retried forever) or silently uncompressed ones (8). New must refuse it.
func TestNewRejectsUnknownCompression(t *testing.T) {
	for _, c := range []kafka.Compression{-1, 5, 7, 8} {
		s, err := New(Options{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Compression: c})
		if !assert.ErrorIs(t, err, ErrInvalidOptions, "Compression %d", c) {
			s.Close()
			continue
		}
		assert.Contains(t, err.Error(), "Compression")
	}
	w := syncWriter("w")
	w.Compression = 6
	_, err := New(Options{Writer: w})
	assert.ErrorIs(t, err, ErrInvalidOptions, "a caller's writer with an unknown codec")
	for _, c := range []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd} {
		s, err := New(Options{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Compression: c})
		require.NoError(t, err, "Compression %d", c)
		require.NoError(t, s.Close())
	}
}

// TestWriterMaxMessageBytesOverBatchBytes: with a caller's writer,
// a MaxMessageBytes above the writer's BatchBytes (kafka-go's 1 MiB when
// zero) lets through messages for which kafka-go fails the whole
// WriteMessages call: New must refuse it.
func TestWriterMaxMessageBytesOverBatchBytes(t *testing.T) {
	w := syncWriter("w")
	w.BatchBytes = 2048
	_, err := New(Options{Writer: w, MaxMessageBytes: 4096})
	assert.ErrorIs(t, err, ErrInvalidOptions)
	_, err = New(Options{Writer: syncWriter("w"), MaxMessageBytes: 2 << 20})
	assert.ErrorIs(t, err, ErrInvalidOptions, "over kafka-go's default BatchBytes")
	s, err := New(Options{Writer: w, MaxMessageBytes: 2048})
	require.NoError(t, err, "up to BatchBytes")
	require.NoError(t, s.Close())
}

// TestWarnsWithTheWritersBatchTimeout: the warning about a caller's
// writer's BatchTimeout reports that timeout, not 1 s.
func TestWarnsWithTheWritersBatchTimeout(t *testing.T) {
	var buf bytes.Buffer
	w := syncWriter("w")
	w.BatchTimeout = 100 * time.Millisecond
	s, err := New(Options{Writer: w, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	require.NoError(t, err)
	defer s.Close()
	assert.Contains(t, buf.String(), "batch_timeout=100ms")

	buf.Reset()
	w = syncWriter("w")
	w.BatchTimeout = 0
	s2, err := New(Options{Writer: w, Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	require.NoError(t, err)
	defer s2.Close()
	assert.Contains(t, buf.String(), "batch_timeout=1s", "kafka-go's default")
}

// writerWorstCase is how long kafka-go may spend on one batch before it
// reports a failure: MaxAttempts produce requests of WriteTimeout each,
// with its backoffs (attempt² × WriteBackoffMin, at most WriteBackoffMax)
// in between.
func writerWorstCase(w *kafka.Writer) time.Duration {
	attempts, wt, bmin, bmax := w.MaxAttempts, w.WriteTimeout, w.WriteBackoffMin, w.WriteBackoffMax
	if attempts <= 0 {
		attempts = 10
	}
	if wt <= 0 {
		wt = 10 * time.Second
	}
	if bmin <= 0 {
		bmin = 100 * time.Millisecond
	}
	if bmax <= 0 {
		bmax = time.Second
	}
	d := time.Duration(attempts) * wt
	for a := 1; a < attempts; a++ {
		d += min(time.Duration(a*a)*bmin, bmax)
	}
	return d
}

// TestConfigSendTimeoutCoversWriterRetries: a Send that the queue's
// SendTimeout (default 30 s) cuts while kafka-go still retries leaves the
// batch in flight (it may still be stored: a duplicate when the queue
// sends the records again) and makes Close wait for it. Config's
// SendTimeout must leave kafka-go time for its own attempts: with the
// defaults, 3 × 10 s plus backoffs is 30.5 s.
func TestConfigSendTimeoutCoversWriterRetries(t *testing.T) {
	for _, opts := range []Options{
		{Brokers: []string{"127.0.0.1:1"}, Topic: "t"},
		{Brokers: []string{"127.0.0.1:1"}, Topic: "t", MaxAttempts: 5, WriteTimeout: 20 * time.Second},
		{Writer: syncWriter("w")},
	} {
		s, err := New(opts)
		require.NoError(t, err)
		timeout := s.Config().SendTimeout
		if timeout == 0 {
			timeout = eventqueue.DefaultSendTimeout
		}
		assert.Greater(t, timeout, writerWorstCase(s.w), "SendTimeout %v, kafka-go's own retries up to %v", timeout, writerWorstCase(s.w))
		require.NoError(t, s.Close())
	}
}

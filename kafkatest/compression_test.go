package kafkatest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue/kafkasink"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestCompression: with each codec the records reach Kafka intact.
func TestCompression(t *testing.T) {
	codecs := []kafka.Compression{kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd}
	topics := map[string]int32{}
	for _, c := range codecs {
		topics[c.String()] = 3
	}
	b := startTestBroker(t, topics)
	produced := watchProduce(t, b)
	for _, codec := range codecs {
		t.Run(codec.String(), func(t *testing.T) {
			ks := newTestSink(t, kafkasink.Options{Brokers: []string{b.Addr()}, Topic: codec.String(), Compression: codec})
			q := openQueue(t, nil, testSinkConfig(ks))
			var recs []hits.Record
			for i := range 60 {
				// Compressible labels, and non-ASCII text.
				recs = append(recs, eventRecord(t, visitorName(i%5), fmt.Sprintf("%d %s é✓", i, strings.Repeat("abc", 50))))
			}
			enqueue(t, q, recs)
			flushQueue(t, q)
			requireExactlyOnce(t, recs, checkMessages(t, readTopic(t, b.Addr(), codec.String(), nil)))
			batches := produced.take()
			require.NotEmpty(t, batches)
			records := int32(0)
			for _, pb := range batches {
				assert.Equal(t, codec.String(), pb.Topic)
				assert.Equal(t, int8(codec), pb.Compression, "the batch produced to partition %d is compressed with %v", pb.Partition, codec)
				records += pb.Records
			}
			assert.EqualValues(t, len(recs), records)
		})
	}
}

package kafkasink

import (
	"github.com/segmentio/kafka-go"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

var _ eventqueue.RecordSizer = (*Sink)(nil)

// RecordSize returns the size of r's message as [Sink.Send] produces it
// (value, key and headers, as Send measures it against MaxMessageBytes):
// the queue refuses r at Enqueue when it is over [Sink.MaxRecordSize],
// instead of storing it for a Send that would dead-letter it. A record
// the sink cannot encode measures 0: Send reports it. It is safe for
// concurrent use.
func (s *Sink) RecordSize(r hits.Record) int {
	if r.Kind() < 1 || int(r.Kind()) >= len(kindHeader) {
		return 0
	}
	buf, _ := s.bufs.Get().(*sendBuffers)
	if buf == nil {
		buf = &sendBuffers{}
	}
	defer s.bufs.Put(buf)
	arena, err := appendValue(buf.arena[:0], &r)
	if err != nil {
		buf.arena = arena
		return 0
	}
	n := len(arena)
	arena = append(arena, r.VisitorID()...)
	k := len(arena)
	arena = appendUUID(arena, &r)
	buf.arena = arena
	typ, ok := typeHeader[r.Type()]
	if !ok {
		typ = []byte(r.Type())
	}
	buf.headers = append(buf.headers[:0],
		kafka.Header{Key: HeaderSchemaVersion, Value: schemaHeader},
		kafka.Header{Key: HeaderKind, Value: kindHeader[r.Kind()]},
		kafka.Header{Key: HeaderHitType, Value: typ},
		kafka.Header{Key: HeaderRecordID, Value: arena[k:]},
	)
	m := kafka.Message{Key: arena[n:k], Value: arena[:n], Headers: buf.headers}
	size := messageSize(&m)
	clear(buf.headers) // keep no reference to the record
	buf.headers = buf.headers[:0]
	if size > s.maxBytes {
		buf.arena = nil // do not pool the memory of a record refused
	}
	return size
}

// MaxRecordSize returns Options.MaxMessageBytes (with its default): the
// largest message the Sink produces. A topic or broker limit below it is
// not known here, and still dead-letters a record at Send.
func (s *Sink) MaxRecordSize() int { return s.maxBytes }

package eventqueue

import "github.com/seed27eed597/flagship-go/hits"

// RecordSizer is implemented by a [Sink] that cannot carry a record
// beyond a size, such as an HTTP body limit or Kafka's largest message.
// [Queue.Enqueue] asks each sink that takes a record for its size and
// refuses, storing nothing, a record larger than the sink's
// MaxRecordSize: it could never be delivered, and would otherwise be
// acknowledged, then dead-lettered. A Sink that does not implement it is
// given every record.
//
// Both methods are called from Enqueue's callers, possibly concurrently,
// and must be safe for concurrent use and quick: RecordSize runs on every
// Enqueue.
type RecordSizer interface {
	// RecordSize returns the size in bytes of r as the sink sends it on
	// its own (an HTTP request body carrying only r, a Kafka message),
	// at its largest over the sends it may take.
	RecordSize(r hits.Record) int
	// MaxRecordSize returns the largest RecordSize the sink can carry.
	// It must not change while a queue uses the sink.
	MaxRecordSize() int
}

// checkSize returns a [*RecordTooLargeError] if r is too large for sink
// s, and nil otherwise.
func (s *sinkState) checkSize(r hits.Record) error {
	rs, ok := s.cfg.Sink.(RecordSizer)
	if !ok {
		return nil
	}
	if size, limit := rs.RecordSize(r), rs.MaxRecordSize(); size > limit {
		return &RecordTooLargeError{Sink: s.cfg.Name, RecordID: r.ID().String(), Size: size, Limit: limit}
	}
	return nil
}

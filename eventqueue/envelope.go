package eventqueue

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/seed27eed597/flagship-go/hits"
)

// The stored form of a record (format version 1), all integers big-endian:
//
//	[0]      version (1)
//	[1]      kind (hits.Kind)
//	[2:6]    attempts, uint32
//	[6:22]   record UUID
//	[22:30]  creation time, Unix nanoseconds, int64
//	then five uvarint-length-prefixed strings: type, environment id,
//	visitor id, anonymous id, fields (a JSON object)
//
// Attempts sit at a fixed offset so a retry rewrites them in place.
const (
	envelopeVersion = 1
	attemptsOffset  = 2
	headerLen       = 30
)

// appendEnvelope appends r's stored form to b.
func appendEnvelope(b []byte, r *hits.Record, attempts uint32) []byte {
	b = append(b, envelopeVersion, byte(r.Kind))
	b = binary.BigEndian.AppendUint32(b, attempts)
	b = append(b, r.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	for _, s := range [...]string{string(r.Type), r.EnvID, r.VisitorID, r.AnonymousID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Fields)))
	return append(b, r.Fields...)
}

// envelopeSize is len(appendEnvelope(nil, r, 0)).
func envelopeSize(r *hits.Record) int {
	n := headerLen
	for _, l := range [...]int{len(r.Type), len(r.EnvID), len(r.VisitorID), len(r.AnonymousID), len(r.Fields)} {
		n += uvarintLen(uint64(l)) + l
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// decodeEnvelope decodes a stored record. It copies what it keeps, so b
// may be bbolt memory. The record is validated ([hits.Record.Validate]);
// the error wraps ErrCorrupt.
func decodeEnvelope(b []byte) (hits.Record, uint32, error) {
	var r hits.Record
	if len(b) < headerLen {
		return r, 0, fmt.Errorf("%w: %d bytes, want at least %d", ErrCorrupt, len(b), headerLen)
	}
	if b[0] != envelopeVersion {
		return r, 0, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, b[0])
	}
	r.Kind = hits.Kind(b[1])
	attempts := binary.BigEndian.Uint32(b[attemptsOffset:])
	r.ID = uuid.UUID(b[6:22])
	r.Created = time.Unix(0, int64(binary.BigEndian.Uint64(b[22:30])))
	rest := b[headerLen:]
	var parts [5][]byte
	for i := range parts {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return hits.Record{}, 0, fmt.Errorf("%w: truncated at field %d", ErrCorrupt, i)
		}
		parts[i] = rest[n : n+int(l)]
		rest = rest[n+int(l):]
	}
	if len(rest) != 0 {
		return hits.Record{}, 0, fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(rest))
	}
	r.Type = hits.Type(parts[0])
	r.EnvID = string(parts[1])
	r.VisitorID = string(parts[2])
	r.AnonymousID = string(parts[3])
	r.Fields = append([]byte(nil), parts[4]...)
	if err := r.Validate(); err != nil {
		return hits.Record{}, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, attempts, nil
}

// peekHeader returns the kind, visitor ids and creation time of a stored
// record without decoding its fields; ok is false for a corrupt record.
func peekHeader(b []byte) (kind hits.Kind, env, vid, aid string, created time.Time, ok bool) {
	if len(b) < headerLen || b[0] != envelopeVersion {
		return 0, "", "", "", time.Time{}, false
	}
	rest := b[headerLen:]
	var parts [4][]byte
	for i := range parts {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return 0, "", "", "", time.Time{}, false
		}
		parts[i] = rest[n : n+int(l)]
		rest = rest[n+int(l):]
	}
	return hits.Kind(b[1]), string(parts[1]), string(parts[2]), string(parts[3]),
		time.Unix(0, int64(binary.BigEndian.Uint64(b[22:30]))), true
}

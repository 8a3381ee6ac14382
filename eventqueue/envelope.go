package eventqueue

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
)

// A record is stored in its binary form ([hits.Record.AppendBinary],
// format version 1): the record's kind, UUID, creation time, type, ids
// and fields, with a CRC-32C checksum. The queue keeps the record's
// delivery attempts in the 4 bytes the form reserves for its holder, at
// attemptsOffset, so that a retry rewrites them in place; the checksum
// skips them. The checksum catches any damage to the record (bbolt
// checksums only its meta pages), so a read validates nothing again:
// the record was validated when it was built.
const (
	attemptsOffset = hits.BinaryReservedOffset
	headerLen      = 30 // version, kind, attempts, UUID, creation time
	formVersion    = 1
)

// appendEnvelope appends r's stored form with the given attempts to b
// (tests and tools; Enqueue stores r's binary form as it is).
func appendEnvelope(b []byte, r *hits.Record, attempts uint32) []byte {
	start := len(b)
	b, _ = r.AppendBinary(b)
	if len(b) > start {
		binary.BigEndian.PutUint32(b[start+attemptsOffset:], attempts)
	}
	return b
}

// decodeEnvelope decodes a stored record and its attempts. It copies what
// it keeps, so b may be bbolt memory. The error wraps ErrCorrupt.
func decodeEnvelope(b []byte) (hits.Record, uint32, error) {
	var r hits.Record
	if err := r.UnmarshalBinary(b); err != nil {
		return hits.Record{}, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return r, binary.BigEndian.Uint32(b[attemptsOffset:]), nil
}

// peekHeader returns the kind, visitor ids and creation time of a stored
// record without decoding its fields or checking its checksum; ok is
// false for a record too damaged to tell.
func peekHeader(b []byte) (kind hits.Kind, env, vid, aid string, created time.Time, ok bool) {
	if len(b) < headerLen || b[0] != formVersion {
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

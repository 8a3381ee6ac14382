package eventqueue

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
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
//	[len-4:] CRC-32C of everything before it except the attempts
//
// Attempts sit at a fixed offset so a retry rewrites them in place. The
// checksum catches any damage to the record (bbolt checksums only its
// meta pages), so a read need not re-validate the fields' JSON: Enqueue
// validated them.
const (
	envelopeVersion = 1
	attemptsOffset  = 2
	headerLen       = 30
)

// appendEnvelope appends r's stored form to b.
func appendEnvelope(b []byte, r *hits.Record, attempts uint32) []byte {
	start := len(b)
	b = append(b, envelopeVersion, byte(r.Kind))
	b = binary.BigEndian.AppendUint32(b, attempts)
	b = append(b, r.ID[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Created.UnixNano()))
	for _, s := range [...]string{string(r.Type), r.EnvID, r.VisitorID, r.AnonymousID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Fields)))
	b = append(b, r.Fields...)
	return binary.BigEndian.AppendUint32(b, checksum(b[start:]))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksum is the CRC-32C of an envelope without its checksum, skipping
// the attempts.
func checksum(e []byte) uint32 {
	return crc32.Update(crc32.Checksum(e[:attemptsOffset], castagnoli), castagnoli, e[attemptsOffset+4:])
}

// envelopeSize is len(appendEnvelope(nil, r, 0)).
func envelopeSize(r *hits.Record) int {
	n := headerLen + 4
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
// may be bbolt memory. It checks the checksum and the record's header
// ([hits.Record.Validate], the fields' JSON only for an activation); the
// error wraps ErrCorrupt.
func decodeEnvelope(b []byte) (hits.Record, uint32, error) {
	var r hits.Record
	if len(b) < headerLen+4 {
		return r, 0, fmt.Errorf("%w: %d bytes, want at least %d", ErrCorrupt, len(b), headerLen+4)
	}
	if b[0] != envelopeVersion {
		return r, 0, fmt.Errorf("%w: unknown format version %d", ErrCorrupt, b[0])
	}
	if sum := binary.BigEndian.Uint32(b[len(b)-4:]); sum != checksum(b[:len(b)-4]) {
		return r, 0, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	b = b[:len(b)-4]
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
	check := r
	if r.Kind != hits.KindActivation {
		if len(r.Fields) < 2 || r.Fields[0] != '{' || r.Fields[len(r.Fields)-1] != '}' {
			return hits.Record{}, 0, fmt.Errorf("%w: fields are not a JSON object", ErrCorrupt)
		}
		check.Fields = json.RawMessage("{}") // the checksum vouches for the JSON
	}
	if err := check.Validate(); err != nil {
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

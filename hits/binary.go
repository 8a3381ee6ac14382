package hits

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"time"
	"unsafe"

	"github.com/google/uuid"
)

// The binary form of a Record (version 1), all integers big-endian:
//
//	[0]      version (1)
//	[1]      kind
//	[2:6]    4 bytes reserved for the holder of the bytes, zero when
//	         written and ignored when read: the durable queue counts a
//	         record's delivery attempts there, in place
//	[6:22]   ID (UUID)
//	[22:30]  creation time, Unix nanoseconds, int64
//	then five uvarint-length-prefixed strings: type, environment id,
//	visitor id, anonymous id, fields (a JSON object)
//	[len-4:] CRC-32C of everything before it except the reserved bytes
//
// It is the queue's stored form (eventqueue keeps it unchanged across
// releases): the checksum vouches that the bytes are those a validated
// Record wrote, so reading them back validates nothing again.
const (
	binaryVersion = 1
	// BinaryReservedOffset is the offset of the 4 bytes of a Record's
	// binary form reserved for its holder (see [Record.AppendBinary]).
	BinaryReservedOffset = 2
	binaryHeaderLen      = 30
	binaryMinLen         = binaryHeaderLen + 5 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// binaryChecksum is the CRC-32C of a binary form without its checksum,
// skipping the reserved bytes.
func binaryChecksum(e []byte) uint32 {
	return crc32.Update(crc32.Checksum(e[:BinaryReservedOffset], castagnoli), castagnoli, e[BinaryReservedOffset+4:])
}

// encode builds r's binary form from its header and h's fields, in one
// allocation of the exact size: the fields are encoded in a pooled
// scratch buffer first.
func (r *Record) encode(h Hit) {
	sp := scratchPool.Get().(*[]byte)
	f := h.appendFields((*sp)[:0]) // ",m1,m2", made "{m1,m2}" below
	fl := len(f) + 1
	if len(f) == 0 {
		fl = 2
	}
	strs := [...]string{string(r.typ), r.envID, r.visitorID, r.anonymousID}
	n := binaryHeaderLen + uvarintLen(uint64(fl)) + fl + 4
	for _, s := range strs {
		n += uvarintLen(uint64(len(s))) + len(s)
	}
	b := make([]byte, 0, n)
	b = append(b, binaryVersion, byte(r.kind), 0, 0, 0, 0)
	b = append(b, r.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.created.UnixNano()))
	for _, s := range strs {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(fl))
	at := len(b)
	if len(f) == 0 {
		b = append(b, '{', '}')
	} else {
		b = append(b, '{')
		b = append(b, f[1:]...)
		b = append(b, '}')
	}
	if cap(f) <= maxScratch {
		*sp = f
		scratchPool.Put(sp)
	}
	b = binary.BigEndian.AppendUint32(b, binaryChecksum(b))
	r.bin = b
	r.fields = b[at : at+fl]
}

// scratchPool holds the buffers encode writes a hit's fields in.
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxScratch bounds the buffers scratchPool keeps.
const maxScratch = 64 << 10

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// BinarySize is len of r's binary form.
func (r Record) BinarySize() int { return len(r.bin) }

// AppendBinary appends r's binary form to b: a compact, versioned
// encoding with a checksum, which [Record.UnmarshalBinary] reads back.
// The 4 bytes at [BinaryReservedOffset] are zero; a holder of the bytes
// may keep a counter there (the checksum skips them). It fails, wrapping
// [ErrInvalidRecord], for the zero Record.
func (r Record) AppendBinary(b []byte) ([]byte, error) {
	if r.bin == nil {
		return b, errZeroRecord
	}
	return append(b, r.bin...), nil
}

// MarshalBinary returns r's binary form (see [Record.AppendBinary]).
func (r Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary sets r from a binary form written by
// [Record.AppendBinary]. It checks the form's version, structure and
// checksum, not the hit's rules again: the checksum vouches for them (a
// checksum catches damage, not forgery: bytes crafted with a valid
// checksum may carry fields that are not valid JSON). The reserved bytes
// are ignored, and zero in r's own binary form.
// The error wraps [ErrInvalidRecord] and says what is wrong; r is then
// unchanged. It keeps a copy of data.
func (r *Record) UnmarshalBinary(data []byte) error {
	b := bytes.Clone(data)
	if len(b) >= BinaryReservedOffset+4 {
		clear(b[BinaryReservedOffset : BinaryReservedOffset+4]) // the holder's, not the record's
	}
	nr, err := decodeBinary(b)
	if err != nil {
		return fmt.Errorf("%w: binary form: %w", ErrInvalidRecord, err)
	}
	*r = nr
	return nil
}

// DecodeRecord is [Record.UnmarshalBinary] without the copy: the Record
// it returns keeps b, whose reserved bytes it clears, so the caller hands
// b over and must not modify it afterwards. Readers of many records use
// it to decode them all from one buffer.
func DecodeRecord(b []byte) (Record, error) {
	if len(b) >= BinaryReservedOffset+4 {
		clear(b[BinaryReservedOffset : BinaryReservedOffset+4])
	}
	r, err := decodeBinary(b)
	if err != nil {
		return Record{}, fmt.Errorf("%w: binary form: %w", ErrInvalidRecord, err)
	}
	return r, nil
}

var (
	errBinaryShort    = errors.New("too short")
	errBinaryChecksum = errors.New("checksum mismatch")
)

// decodeBinary decodes a binary form it keeps: the record's strings point
// into it, so nothing may modify b afterwards.
func decodeBinary(b []byte) (Record, error) {
	if len(b) < binaryMinLen {
		return Record{}, fmt.Errorf("%w: %d bytes, want at least %d", errBinaryShort, len(b), binaryMinLen)
	}
	if b[0] != binaryVersion {
		return Record{}, fmt.Errorf("unknown format version %d", b[0])
	}
	body := b[:len(b)-4]
	if binary.BigEndian.Uint32(b[len(b)-4:]) != binaryChecksum(body) {
		return Record{}, errBinaryChecksum
	}
	r := Record{
		bin:     b,
		kind:    Kind(b[1]),
		id:      uuid.UUID(b[6:22]),
		created: time.Unix(0, int64(binary.BigEndian.Uint64(b[22:30]))),
	}
	rest := body[binaryHeaderLen:]
	var parts [5][]byte
	for i := range parts {
		l, n := binary.Uvarint(rest)
		if n <= 0 || l > uint64(len(rest)-n) {
			return Record{}, fmt.Errorf("truncated at string %d", i)
		}
		parts[i] = rest[n : n+int(l)]
		rest = rest[n+int(l):]
	}
	if len(rest) != 0 {
		return Record{}, fmt.Errorf("%d trailing bytes", len(rest))
	}
	r.typ = typeOf(parts[0])
	r.envID = view(parts[1])
	r.visitorID = view(parts[2])
	r.anonymousID = view(parts[3])
	r.fields = parts[4]
	rule := ""
	switch {
	case r.id == uuid.Nil:
		rule = "ID must not be the zero UUID"
	case r.envID == "":
		rule = "EnvID must not be empty"
	case r.visitorID == "":
		rule = "VisitorID must not be empty"
	case len(r.fields) < 2 || r.fields[0] != '{' || r.fields[len(r.fields)-1] != '}':
		rule = "Fields must be a JSON object"
	default:
		rule = checkKind(r.kind, r.typ)
	}
	if rule == "" && r.kind == KindActivation {
		var ok bool
		if r.caid, r.vaid, ok = activationIDs(r.fields); !ok {
			rule = `Fields must be {"caid":string,"vaid":string}`
		}
	}
	if rule != "" {
		return Record{}, errors.New(rule)
	}
	return r, nil
}

// view returns b as a string without copying it: b is part of a record's
// binary form, which the record owns and nothing ever modifies.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// typeOf returns the Type named b, without allocating for a known one.
func typeOf(b []byte) Type {
	for _, t := range [...]Type{TypeEvent, TypePage, TypeScreen, TypeTransaction, TypeItem, TypeActivation, TypeSegment} {
		if string(t) == string(b) {
			return t
		}
	}
	return Type(b)
}

// activationIDs reads the ids of an activation's fields, which NewRecord
// wrote as {"caid":"..","vaid":".."}: directly when neither string holds
// an escape, else with encoding/json.
func activationIDs(f []byte) (caid, vaid string, ok bool) {
	rest, ok := bytes.CutPrefix(f, []byte(`{"caid":"`))
	if ok {
		var c, v []byte
		if c, rest, ok = bytes.Cut(rest, []byte(`","vaid":"`)); ok {
			v, ok = bytes.CutSuffix(rest, []byte(`"}`))
			if ok && bytes.IndexByte(c, '\\') < 0 && bytes.IndexByte(v, '\\') < 0 &&
				bytes.IndexByte(c, '"') < 0 && bytes.IndexByte(v, '"') < 0 && len(c) > 0 && len(v) > 0 {
				return view(c), view(v), true
			}
		}
	}
	var a struct {
		VariationGroupID string `json:"caid"`
		VariationID      string `json:"vaid"`
	}
	dec := json.NewDecoder(bytes.NewReader(f))
	dec.DisallowUnknownFields()
	if dec.Decode(&a) != nil || a.VariationGroupID == "" || a.VariationID == "" {
		return "", "", false
	}
	return a.VariationGroupID, a.VariationID, true
}

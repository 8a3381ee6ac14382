package eventqueue_test

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// storedForm is the content of a record's stored form (hits' binary form,
// version 1), which bytes encodes independently of package hits, with a
// valid checksum.
type storedForm struct {
	kind     hits.Kind
	attempts uint32
	id       uuid.UUID
	created  time.Time
	typ      hits.Type
	env      string
	vid, aid string
	fields   string
}

// formOf returns the content of r's stored form.
func formOf(r hits.Record) storedForm {
	return storedForm{
		kind: r.Kind(), id: r.ID(), created: r.Created(), typ: r.Type(),
		env: r.EnvID(), vid: r.VisitorID(), aid: r.AnonymousID(), fields: string(r.Fields()),
	}
}

func (f storedForm) bytes() []byte {
	b := []byte{1, byte(f.kind)}
	b = binary.BigEndian.AppendUint32(b, f.attempts)
	b = append(b, f.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(f.created.UnixNano()))
	for _, s := range []string{string(f.typ), f.env, f.vid, f.aid, f.fields} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	c := crc32.MakeTable(crc32.Castagnoli)
	return binary.BigEndian.AppendUint32(b, crc32.Update(crc32.Checksum(b[:2], c), c, b[6:]))
}

// withStoredFields returns r with its fields replaced, as a record that an
// older or buggy SDK stored reads back: NewRecord cannot build it, but its
// stored form is intact (a valid checksum), so UnmarshalBinary accepts it.
// It is how the tests get a record the queue takes and a server refuses.
func withStoredFields(tb testing.TB, r hits.Record, fields string) hits.Record {
	tb.Helper()
	f := formOf(r)
	f.fields = fields
	var got hits.Record
	require.NoError(tb, got.UnmarshalBinary(f.bytes()))
	require.Equal(tb, fields, string(got.Fields()))
	require.Equal(tb, r.ID(), got.ID())
	return got
}

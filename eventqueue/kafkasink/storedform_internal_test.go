package kafkasink

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// storedForm is the content of a record's stored (binary) form, version 1.
type storedForm struct {
	kind     hits.Kind
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

// forged returns the record f stores, read back with UnmarshalBinary
// from a form with a valid checksum: a record NewRecord cannot build (an
// id that is not UTF-8, fields that are not JSON), as an older or buggy
// SDK could have stored it, and the queue would hand it to the sink.
func forged(tb testing.TB, f storedForm) hits.Record {
	tb.Helper()
	b := []byte{1, byte(f.kind), 0, 0, 0, 0}
	b = append(b, f.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(f.created.UnixNano()))
	for _, s := range []string{string(f.typ), f.env, f.vid, f.aid, f.fields} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	c := crc32.MakeTable(crc32.Castagnoli)
	b = binary.BigEndian.AppendUint32(b, crc32.Update(crc32.Checksum(b[:2], c), c, b[6:]))
	var r hits.Record
	require.NoError(tb, r.UnmarshalBinary(b))
	return r
}

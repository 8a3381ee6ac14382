package eventqueue

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

func envelopeSamples(tb testing.TB) []hits.Record {
	tb.Helper()
	created := time.Date(2026, 3, 14, 15, 9, 26, 123456789, time.UTC)
	var out []hits.Record
	for _, tt := range []struct {
		vid, aid string
		hit      hits.Hit
	}{
		{vid: "visitor-1", hit: hits.Page{URL: "https://example.com/a?b=c"}},
		{vid: "user-42", aid: "anon-7", hit: hits.Event{Category: hits.ActionTracking, Action: "buy", Label: strings.Repeat("é", 200)}},
		{vid: "v", hit: hits.Activation{VariationGroupID: "vg", VariationID: "var"}},
		{vid: "v", hit: hits.Consent{Consented: true}},
	} {
		r, err := hits.NewRecord(uuid.New(), "env_123", tt.vid, tt.aid, created, tt.hit)
		require.NoError(tb, err)
		out = append(out, r)
	}
	return out
}

func TestEnvelopeRoundTrip(t *testing.T) {
	for _, r := range envelopeSamples(t) {
		t.Run(string(r.Type()), func(t *testing.T) {
			b := appendEnvelope(nil, &r, 7)
			assert.Len(t, b, r.BinarySize())
			got, attempts, err := decodeEnvelope(b)
			require.NoError(t, err)
			assert.EqualValues(t, 7, attempts)
			assert.True(t, r.Created().Equal(got.Created()))
			assert.Equal(t, viewOf(r), viewOf(got))
			assert.Equal(t, b, appendEnvelope(nil, &got, 7), "re-encodes to the same bytes")

			kind, env, vid, aid, created, ok := peekHeader(b)
			require.True(t, ok)
			assert.Equal(t, r.Kind(), kind)
			assert.Equal(t, r.EnvID(), env)
			assert.Equal(t, r.VisitorID(), vid)
			assert.Equal(t, r.AnonymousID(), aid)
			assert.True(t, r.Created().Equal(created))

			// Every truncation is corrupt, never a panic.
			for i := range b {
				_, _, err := decodeEnvelope(b[:i])
				assert.ErrorIs(t, err, ErrCorrupt, "%d bytes", i)
			}
		})
	}
}

// FuzzDecodeEnvelope: decoding arbitrary bytes never panics; what decodes
// is a valid record that encodes back to the same record, and peekHeader
// agrees with it.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, r := range envelopeSamples(f) {
		b := appendEnvelope(nil, &r, 3)
		f.Add(b)
		f.Add(b[:headerLen])
		f.Add(b[:len(b)-1])
		bad := append([]byte(nil), b...)
		bad[0] = 2 // unknown version
		f.Add(bad)
		bad = append([]byte(nil), b...)
		bad[1] = 0 // unknown kind
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add([]byte("garbage"))
	huge := make([]byte, headerLen, headerLen+10)
	huge[0] = formVersion
	huge = append(huge, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01) // a length of 2^64-1
	f.Add(huge)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, attempts, err := decodeEnvelope(b)
		kind, env, vid, aid, created, ok := peekHeader(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if verr := r.Validate(); verr != nil {
			t.Fatalf("decoded an invalid record: %v", verr)
		}
		if !ok || kind != r.Kind() || env != r.EnvID() || vid != r.VisitorID() || aid != r.AnonymousID() || !created.Equal(r.Created()) {
			t.Fatalf("peekHeader disagrees with decodeEnvelope: %v %q %q %q %v %v", kind, env, vid, aid, created, ok)
		}
		again := appendEnvelope(nil, &r, attempts)
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoded record differs:\n%x\n%x", again, b)
		}
		r2, attempts2, err := decodeEnvelope(again)
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if attempts2 != attempts || viewOf(r2) != viewOf(r) {
			t.Fatalf("round trip changed the record: %+v != %+v", viewOf(r2), viewOf(r))
		}
	})
}

// recordView is what a record's accessors return, comparable.
type recordView struct {
	ID          uuid.UUID
	Kind        hits.Kind
	Type        hits.Type
	EnvID       string
	VisitorID   string
	AnonymousID string
	Created     int64 // Unix nanoseconds: a decoded Created is in time.Local
	Fields      string
	CAID, VAID  string
	Activation  bool
	BinarySize  int
}

func viewOf(r hits.Record) recordView {
	caid, vaid, ok := r.Activation()
	return recordView{
		ID: r.ID(), Kind: r.Kind(), Type: r.Type(), EnvID: r.EnvID(), VisitorID: r.VisitorID(),
		AnonymousID: r.AnonymousID(), Created: r.Created().UnixNano(), Fields: string(r.Fields()),
		CAID: caid, VAID: vaid, Activation: ok, BinarySize: r.BinarySize(),
	}
}

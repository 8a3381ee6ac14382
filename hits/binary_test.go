package hits_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// storedForm is the content of a Record's binary form (version 1), which
// form writes independently of the package: the tests below read forms
// that NewRecord cannot produce, with a valid checksum.
type storedForm struct {
	version  byte
	kind     hits.Kind
	reserved uint32
	id       uuid.UUID
	created  int64 // Unix nanoseconds
	typ      hits.Type
	env      string
	vid      string
	aid      string
	fields   string
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// bytes encodes f as documented in hits/binary.go: big-endian header,
// five uvarint-prefixed strings and a CRC-32C that skips the reserved
// bytes.
func (f storedForm) bytes() []byte {
	b := []byte{f.version, byte(f.kind)}
	b = binary.BigEndian.AppendUint32(b, f.reserved)
	b = append(b, f.id[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(f.created))
	for _, s := range []string{string(f.typ), f.env, f.vid, f.aid, f.fields} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	sum := crc32.Update(crc32.Checksum(b[:hits.BinaryReservedOffset], castagnoli), castagnoli, b[hits.BinaryReservedOffset+4:])
	return binary.BigEndian.AppendUint32(b, sum)
}

// pageForm is the stored form of a valid page record.
func pageForm() storedForm {
	return storedForm{
		version: 1, kind: hits.KindHit, id: testID, created: testCreated.UnixNano(),
		typ: hits.TypePage, env: "env", vid: "user-4242", fields: `{"dl":"https://shop.example/checkout"}`,
	}
}

// activationForm is the stored form of a valid activation record.
func activationForm() storedForm {
	return storedForm{
		version: 1, kind: hits.KindActivation, id: testID, created: testCreated.UnixNano(),
		typ: hits.TypeActivation, env: "env", vid: "user-4242", fields: `{"caid":"vg","vaid":"v"}`,
	}
}

// fromForm reads the record f stores.
func fromForm(t testing.TB, f storedForm) hits.Record {
	t.Helper()
	var r hits.Record
	require.NoError(t, r.UnmarshalBinary(f.bytes()))
	return r
}

// decoded returns r read back from its binary form.
func decoded(t testing.TB, r hits.Record) hits.Record {
	t.Helper()
	b, err := r.MarshalBinary()
	require.NoError(t, err)
	var got hits.Record
	require.NoError(t, got.UnmarshalBinary(b))
	return got
}

// recordView is what a Record's accessors return, comparable.
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

// everyKind returns a record of every hit type and kind, the activations
// with escapes in their ids included, for visitor/anonymous.
func everyKind(t testing.TB, visitor, anonymous string) []hits.Record {
	t.Helper()
	recs := allHitTypes(t, visitor, anonymous) // every KindHit type and both consents
	for i, a := range []hits.Activation{
		{VariationGroupID: "vg_all", VariationID: "var_blue"},
		{VariationGroupID: "a\"b\\c", VariationID: `a"b\\c`},
		{VariationGroupID: `x","vaid":"y`, VariationID: "plain"},
		{VariationGroupID: "plain", VariationID: "<tag>&\u2028\x01"},
		{VariationGroupID: "caf\u00e9 \U0001F600", VariationID: "\u00e9"},
	} {
		recs = append(recs, stamp(t, 100+i, visitor, anonymous, time.Duration(i)*time.Millisecond, a))
	}
	return recs
}

func TestBinaryRoundTrip(t *testing.T) {
	for _, anonymous := range []string{"", "0c5e0a4e-6f39-4f1a-9a43-3b9f3f2d0a11"} {
		for _, r := range everyKind(t, "user-4242", anonymous) {
			t.Run(fmt.Sprintf("%s/%s/aid=%t", r.Kind(), r.Type(), anonymous != ""), func(t *testing.T) {
				b, err := r.AppendBinary([]byte("prefix"))
				require.NoError(t, err)
				require.Equal(t, "prefix", string(b[:6]), "AppendBinary appends")
				b = b[6:]
				assert.Equal(t, r.BinarySize(), len(b))
				assert.Equal(t, []byte{0, 0, 0, 0}, b[hits.BinaryReservedOffset:hits.BinaryReservedOffset+4], "reserved bytes are zero")
				m, err := r.MarshalBinary()
				require.NoError(t, err)
				assert.Equal(t, b, m)

				var got hits.Record
				require.NoError(t, got.UnmarshalBinary(b))
				assert.Equal(t, viewOf(r), viewOf(got))
				assert.True(t, r.Created().Equal(got.Created()))
				assert.NoError(t, got.Validate())
				assert.False(t, got.IsZero())
				again, err := got.MarshalBinary()
				require.NoError(t, err)
				assert.Equal(t, b, again, "re-encodes to the same bytes")

				// UnmarshalBinary keeps a copy of its input.
				for i := range b {
					b[i] = 0xAA
				}
				assert.Equal(t, viewOf(r), viewOf(got))
			})
		}
	}
}

func TestBinaryActivationIDs(t *testing.T) {
	tests := []struct{ vg, v string }{
		{vg: "vg_all", v: "var_blue"},
		{vg: "a\"b\\c", v: `a"b\\c`},
		{vg: `a"b\\c`, v: "v"},
		{vg: "vg", v: `a"b\c`},
		{vg: `x","vaid":"y`, v: "plain"},
		{vg: "plain", v: `","caid":"z`},
		{vg: "<tag>&", v: "\u2028\u2029\x00\x1f"},
		{vg: "caf\u00e9", v: "\U0001F600"},
	}
	for _, tt := range tests {
		t.Run(tt.vg+"/"+tt.v, func(t *testing.T) {
			r := validRecord(t, hits.Activation{VariationGroupID: tt.vg, VariationID: tt.v})
			for _, r := range []hits.Record{r, decoded(t, r)} {
				vg, v, ok := r.Activation()
				require.True(t, ok)
				assert.Equal(t, tt.vg, vg)
				assert.Equal(t, tt.v, v)
			}
		})
	}
}

func TestBinaryBatchesOfDecodedRecords(t *testing.T) {
	for _, anonymous := range []string{"", "0c5e0a4e-6f39-4f1a-9a43-3b9f3f2d0a11"} {
		var events, acts, eventsDec, actsDec []hits.Record
		for _, r := range everyKind(t, "user-4242", anonymous) {
			d := decoded(t, r)
			if r.Kind() == hits.KindActivation {
				acts, actsDec = append(acts, r), append(actsDec, d)
			} else {
				events, eventsDec = append(events, r), append(eventsDec, d)
			}
		}
		require.NotEmpty(t, events)
		require.NotEmpty(t, acts)
		for _, now := range []time.Time{testNow, testNow.Add(time.Hour)} {
			want, err := hits.AppendEventsBatch(nil, "env_8h3k2", events, now)
			require.NoError(t, err)
			got, err := hits.AppendEventsBatch(nil, "env_8h3k2", eventsDec, now)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))

			want, err = hits.AppendActivationBatch(nil, "env_8h3k2", acts, now)
			require.NoError(t, err)
			got, err = hits.AppendActivationBatch(nil, "env_8h3k2", actsDec, now)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		}
	}
}

// TestBinaryLayout: what NewRecord writes is the documented format.
func TestBinaryLayout(t *testing.T) {
	created := time.Date(2026, 3, 14, 15, 9, 26, 123456789, time.FixedZone("+02", 7200))
	r, err := hits.NewRecord(testID, "env_8h3k2", "user-4242", "anon-77", created, hits.Page{URL: "https://x.example"})
	require.NoError(t, err)
	want := storedForm{
		version: 1, kind: hits.KindHit, id: testID, created: created.UnixNano(), typ: hits.TypePage,
		env: "env_8h3k2", vid: "user-4242", aid: "anon-77", fields: `{"dl":"https://x.example"}`,
	}
	got, err := r.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, want.bytes(), got)

	a, err := hits.NewRecord(testID, "e", "v", "", time.Unix(0, 0), hits.Activation{VariationGroupID: "vg", VariationID: "v"})
	require.NoError(t, err)
	got, err = a.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, storedForm{
		version: 1, kind: hits.KindActivation, id: testID, typ: hits.TypeActivation,
		env: "e", vid: "v", fields: `{"caid":"vg","vaid":"v"}`,
	}.bytes(), got)
}

func TestBinaryZeroRecord(t *testing.T) {
	var r hits.Record
	b, err := r.AppendBinary([]byte("keep"))
	assert.ErrorIs(t, err, hits.ErrInvalidRecord)
	assert.Equal(t, "keep", string(b))
	b, err = r.MarshalBinary()
	assert.ErrorIs(t, err, hits.ErrInvalidRecord)
	assert.Empty(t, b)
	assert.Zero(t, r.BinarySize())
}

// binaryForms returns the binary form of a record of every kind and type.
func binaryForms(t testing.TB) [][]byte {
	t.Helper()
	var forms [][]byte
	for _, anonymous := range []string{"", "anon-77"} {
		for _, r := range everyKind(t, "user-4242", anonymous) {
			b, err := r.MarshalBinary()
			require.NoError(t, err)
			forms = append(forms, b)
		}
	}
	return forms
}

// assertRefused checks that UnmarshalBinary refuses b and leaves the
// record it was called on unchanged.
func assertRefused(t *testing.T, b []byte, msgAndArgs ...any) error {
	t.Helper()
	before := validRecord(t, hits.Consent{Consented: true})
	r := before
	err := r.UnmarshalBinary(b)
	if !assert.ErrorIs(t, err, hits.ErrInvalidRecord, msgAndArgs...) {
		return err
	}
	assert.Equal(t, viewOf(before), viewOf(r), msgAndArgs...)
	return err
}

// TestBinaryCorruption: the checksum catches every change of a byte but
// for the reserved ones, which the holder of the bytes may change: every
// other value of every byte of a form of every kind and type is refused.
func TestBinaryCorruption(t *testing.T) {
	before := validRecord(t, hits.Consent{Consented: true})
	for _, b := range binaryForms(t) {
		var want hits.Record
		require.NoError(t, want.UnmarshalBinary(b))
		t.Run(fmt.Sprintf("%s/%s/%d", want.Kind(), want.Type(), len(b)), func(t *testing.T) {
			c := bytes.Clone(b)
			for i := range b {
				reserved := i >= hits.BinaryReservedOffset && i < hits.BinaryReservedOffset+4
				for v := 0; v < 256; v++ {
					if byte(v) == b[i] {
						continue
					}
					c[i] = byte(v)
					r := before
					err := r.UnmarshalBinary(c)
					switch {
					case reserved && err != nil:
						t.Fatalf("reserved byte %d = %#x: %v", i, v, err)
					case reserved:
						require.Equal(t, viewOf(want), viewOf(r))
						again, err := r.MarshalBinary()
						require.NoError(t, err)
						require.Equal(t, withoutReserved(b), withoutReserved(again))
					case err == nil:
						t.Fatalf("byte %d = %#x: accepted", i, v)
					case !errors.Is(err, hits.ErrInvalidRecord):
						t.Fatalf("byte %d = %#x: %v does not wrap ErrInvalidRecord", i, v, err)
					case r.ID() != before.ID() || r.BinarySize() != before.BinarySize():
						t.Fatalf("byte %d = %#x: the record changed on error", i, v)
					}
				}
				c[i] = b[i]
			}
		})
	}
}

func withoutReserved(b []byte) []byte {
	c := bytes.Clone(b)
	if len(c) >= hits.BinaryReservedOffset+4 {
		copy(c[hits.BinaryReservedOffset:], []byte{0, 0, 0, 0})
	}
	return c
}

func TestBinaryReservedBytes(t *testing.T) {
	for _, reserved := range []uint32{1, 3, 0xDEADBEEF, 0xFFFFFFFF} {
		f := pageForm()
		f.reserved = reserved
		r := fromForm(t, f)
		assert.Equal(t, viewOf(fromForm(t, pageForm())), viewOf(r))
	}
}

func TestBinaryTruncated(t *testing.T) {
	for _, b := range binaryForms(t) {
		for n := range len(b) {
			err := assertRefused(t, b[:n], "%d of %d bytes", n, len(b))
			if err == nil {
				break
			}
		}
		// And with a byte too many.
		assertRefused(t, append(bytes.Clone(b), 0), "%d+1 bytes", len(b))
	}
	err := assertRefused(t, nil)
	assert.EqualError(t, err, "hits: invalid record: binary form: too short: 0 bytes, want at least 39")
}

func TestUnmarshalBinaryErrors(t *testing.T) {
	good := pageForm().bytes()
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 1
	v2 := pageForm()
	v2.version = 2
	trailing := bytes.Clone(good[:len(good)-4])
	trailing = append(trailing, 'x')
	trailing = binary.BigEndian.AppendUint32(trailing, crc32.Update(crc32.Checksum(trailing[:2], castagnoli), castagnoli, trailing[6:]))
	tests := []struct {
		name    string
		give    []byte
		wantErr string
	}{
		{name: "checksum", give: badSum, wantErr: "checksum mismatch"},
		{name: "version 2", give: v2.bytes(), wantErr: "unknown format version 2"},
		{name: "version 0", give: storedForm{}.bytes(), wantErr: "unknown format version 0"},
		{name: "short", give: good[:38], wantErr: "too short: 38 bytes, want at least 39"},
		{name: "trailing byte", give: trailing, wantErr: "1 trailing bytes"},
		{name: "truncated string", give: withChecksum(good[:40]), wantErr: "truncated at string 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := assertRefused(t, tt.give)
			assert.EqualError(t, err, "hits: invalid record: binary form: "+tt.wantErr)
		})
	}
}

// withChecksum returns body followed by its checksum.
func withChecksum(body []byte) []byte {
	b := bytes.Clone(body)
	sum := crc32.Update(crc32.Checksum(b[:hits.BinaryReservedOffset], castagnoli), castagnoli, b[hits.BinaryReservedOffset+4:])
	return binary.BigEndian.AppendUint32(b, sum)
}

// TestUnmarshalBinaryRejectsInvalidContent: a stored form with a valid
// checksum whose content no validated Record can have is refused, naming
// the field. These are the records Record.Validate refused when a Record
// could be assembled by hand.
func TestUnmarshalBinaryRejectsInvalidContent(t *testing.T) {
	change := func(f storedForm, c func(*storedForm)) storedForm {
		c(&f)
		return f
	}
	page, act := pageForm(), activationForm()
	fields := func(s string) func(*storedForm) { return func(f *storedForm) { f.fields = s } }
	tests := []struct {
		name    string
		give    storedForm
		wantErr string
	}{
		{name: "zero id", give: change(page, func(f *storedForm) { f.id = uuid.Nil }), wantErr: "ID must not be the zero UUID"},
		{name: "empty env", give: change(page, func(f *storedForm) { f.env = "" }), wantErr: "EnvID must not be empty"},
		{name: "empty visitor", give: change(page, func(f *storedForm) { f.vid = "" }), wantErr: "VisitorID must not be empty"},
		{name: "zero kind", give: change(page, func(f *storedForm) { f.kind = 0 }), wantErr: "Kind Kind(0) is unknown"},
		{name: "unknown kind", give: change(page, func(f *storedForm) { f.kind = 9 }), wantErr: "Kind Kind(9) is unknown"},
		{name: "hit with activation type", give: change(page, func(f *storedForm) { f.typ = hits.TypeActivation }),
			wantErr: `Type "ACTIVATION" does not match Kind hit`},
		{name: "hit with empty type", give: change(page, func(f *storedForm) { f.typ = "" }), wantErr: `Type "" does not match Kind hit`},
		{name: "hit with unknown type", give: change(page, func(f *storedForm) { f.typ = "CAMPAIGN" }),
			wantErr: `Type "CAMPAIGN" does not match Kind hit`},
		{name: "consent with page type", give: change(page, func(f *storedForm) { f.kind = hits.KindConsent }),
			wantErr: `Type "PAGEVIEW" does not match Kind consent`},
		{name: "activation with event type", give: change(act, func(f *storedForm) { f.typ = hits.TypeEvent }),
			wantErr: `Type "EVENT" does not match Kind activation`},
		{name: "empty fields", give: change(page, fields("")), wantErr: "Fields must be a JSON object"},
		{name: "null fields", give: change(page, fields("null")), wantErr: "Fields must be a JSON object"},
		{name: "array fields", give: change(page, fields(`[1]`)), wantErr: "Fields must be a JSON object"},
		{name: "truncated fields", give: change(page, fields(`{"dl":`)), wantErr: "Fields must be a JSON object"},
		{name: "fields with outer whitespace", give: change(page, fields(` {"dl":"https://x"}`)), wantErr: "Fields must be a JSON object"},
		{name: "activation extra member", give: change(act, fields(`{"caid":"vg","vaid":"v","t":"X"}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation unknown member", give: change(act, fields(`{"caid":"vg","vaid":"v","qa":true}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation number caid", give: change(act, fields(`{"caid":1,"vaid":"v"}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation missing caid", give: change(act, fields(`{"vaid":"v"}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation empty caid", give: change(act, fields(`{"caid":"","vaid":"v"}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation null vaid", give: change(act, fields(`{"caid":"vg","vaid":null}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation unterminated escape", give: change(act, fields(`{"caid":"v\","vaid":"v"}`)),
			wantErr: `Fields must be {"caid":string,"vaid":string}`},
		{name: "activation array", give: change(act, fields(`["vg","v"]`)), wantErr: "Fields must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := assertRefused(t, tt.give.bytes())
			assert.EqualError(t, err, "hits: invalid record: binary form: "+tt.wantErr)
		})
	}
}

// TestUnmarshalBinaryAcceptsStoredVariants: forms NewRecord does not
// write but a reader accepts (the checksum vouches for the fields).
func TestUnmarshalBinaryAcceptsStoredVariants(t *testing.T) {
	t.Run("empty fields object", func(t *testing.T) {
		f := pageForm()
		f.fields = `{}`
		assert.Equal(t, `{}`, string(fromForm(t, f).Fields()))
	})
	t.Run("activation fields in other order", func(t *testing.T) {
		f := activationForm()
		f.fields = `{"vaid":"v","caid":"vg"}`
		vg, v, ok := fromForm(t, f).Activation()
		assert.True(t, ok)
		assert.Equal(t, "vg", vg)
		assert.Equal(t, "v", v)
	})
	t.Run("activation fields with whitespace and escapes", func(t *testing.T) {
		f := activationForm()
		f.fields = `{ "caid" : "v\u0067" , "vaid":"a\"b" }`
		vg, v, ok := fromForm(t, f).Activation()
		assert.True(t, ok)
		assert.Equal(t, "vg", vg)
		assert.Equal(t, `a"b`, v)
	})
	t.Run("created before 1970", func(t *testing.T) {
		f := pageForm()
		f.created = -1
		assert.Equal(t, int64(-1), fromForm(t, f).Created().UnixNano())
	})
}

// FuzzUnmarshalBinary: UnmarshalBinary never panics, refuses with
// ErrInvalidRecord leaving the record unchanged, and whatever it accepts
// is a valid Record that re-encodes to the same bytes (the reserved bytes
// aside) and encodes into a batch.
func FuzzUnmarshalBinary(f *testing.F) {
	for _, b := range binaryForms(f) {
		f.Add(b)
	}
	for _, sf := range []storedForm{pageForm(), activationForm()} {
		sf.reserved = 3
		f.Add(sf.bytes())
		sf.fields = `{}`
		f.Add(sf.bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(make([]byte, 39))
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		var r hits.Record
		if err := r.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, hits.ErrInvalidRecord)
			require.True(t, r.IsZero(), "unchanged on error")
			return
		}
		require.Equal(t, in, data, "input not modified")
		require.False(t, r.IsZero())
		require.NoError(t, r.Validate())
		require.Equal(t, len(data), r.BinarySize())
		out, err := r.MarshalBinary()
		require.NoError(t, err)
		require.Equal(t, withoutReserved(data), withoutReserved(out))

		var again hits.Record
		require.NoError(t, again.UnmarshalBinary(out))
		require.Equal(t, viewOf(r), viewOf(again))

		require.NotEqual(t, uuid.Nil, r.ID())
		require.NotEmpty(t, r.EnvID())
		require.NotEmpty(t, r.VisitorID())
		fields := r.Fields()
		require.GreaterOrEqual(t, len(fields), 2)
		require.Equal(t, byte('{'), fields[0])
		require.Equal(t, byte('}'), fields[len(fields)-1])
		caid, vaid, ok := r.Activation()
		var body []byte
		switch r.Kind() {
		case hits.KindActivation:
			require.True(t, ok)
			require.NotEmpty(t, caid)
			require.NotEmpty(t, vaid)
			require.Equal(t, hits.TypeActivation, r.Type())
			body, err = hits.AppendActivationBatch(nil, r.EnvID(), []hits.Record{r}, now)
		case hits.KindHit, hits.KindConsent:
			require.False(t, ok)
			body, err = hits.AppendEventsBatch(nil, r.EnvID(), []hits.Record{r}, now)
		default:
			t.Fatalf("accepted kind %v", r.Kind())
		}
		if err != nil {
			// The only thing a batch can refuse in an accepted record: an
			// envID that is not valid UTF-8 (the form does not check it).
			require.ErrorIs(t, err, hits.ErrInvalidRecord)
			require.False(t, utf8.ValidString(r.EnvID()), "%v", err)
		} else {
			require.NotEmpty(t, body)
		}
	})
}

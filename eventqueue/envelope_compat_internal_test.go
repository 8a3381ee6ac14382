package eventqueue

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// v1Golden are stored records as the queue wrote them before hits.Record
// was sealed (commit aa3991e: appendEnvelope(nil, &r, attempts) of a
// hits.Record with exported fields, printed in hex). Queue files written
// by that release must stay readable: the format must not change.
//
// testdata/v1queue.db.gz is a queue file written by that release holding
// the same records (see TestReadV1QueueFile).
var v1Golden = []struct {
	name     string
	hex      string
	attempts uint32
	// What NewRecord is given to build the same record.
	id       string
	vid, aid string
	created  time.Time
	hit      hits.Hit
	// What the record holds.
	kind       hits.Kind
	typ        hits.Type
	fields     string
	caid, vaid string
}{
	{
		name: "page with anonymous id",
		hex:  "0101000000000b6c1f1e6a554c599d0e3d6f0f1c2a01189cbdbb7699c91508504147455649455709656e765f3868336b3209757365722d343234322430633565306134652d366633392d346631612d396134332d336239663366326430613131417b22646c223a2268747470733a2f2f73686f702e6578616d706c652f636865636b6f75743f737465703d32222c22756c223a2266722d6672222c22736e223a337deef08534",
		id:   "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01", vid: "user-4242", aid: "0c5e0a4e-6f39-4f1a-9a43-3b9f3f2d0a11",
		created: v1Created,
		hit:     hits.Page{URL: "https://shop.example/checkout?step=2", Common: hits.Common{Language: "fr-fr", SessionNumber: 3}},
		kind:    hits.KindHit, typ: hits.TypePage,
		fields: `{"dl":"https://shop.example/checkout?step=2","ul":"fr-fr","sn":3}`,
	},
	{
		name:     "event, 3 attempts",
		hex:      "0101000000030b6c1f1e6a554c599d0e3d6f0f1c2a02189cbdbb3afeff15054556454e5409656e765f3868336b3207616e6f6e2d373700407b226563223a22416374696f6e20547261636b696e67222c226561223a226164645f746f5f63617274222c22656c223a22736b752d3132222c226576223a337d8fe5c4ea",
		attempts: 3,
		id:       "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a02", vid: "anon-77",
		created: v1Created.Add(-time.Second),
		hit:     hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: "sku-12", Value: 3},
		kind:    hits.KindHit, typ: hits.TypeEvent,
		fields: `{"ec":"Action Tracking","ea":"add_to_cart","el":"sku-12","ev":3}`,
	},
	{
		name: "activation",
		hex:  "0102000000000b6c1f1e6a554c599d0e3d6f0f1c2a03189cbdbaff6435150a41435449564154494f4e09656e765f3868336b3209757365722d3432343207616e6f6e2d3737237b2263616964223a2276675f616c6c222c2276616964223a227661725f626c7565227d711a6cac",
		id:   "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a03", vid: "user-4242", aid: "anon-77",
		created: v1Created.Add(-2 * time.Second),
		hit:     hits.Activation{VariationGroupID: "vg_all", VariationID: "var_blue"},
		kind:    hits.KindActivation, typ: hits.TypeActivation,
		fields: `{"caid":"vg_all","vaid":"var_blue"}`, caid: "vg_all", vaid: "var_blue",
	},
	{
		name:     "consent, 3 attempts",
		hex:      "0103000000030b6c1f1e6a554c599d0e3d6f0f1c2a04189cbdbac3c96b15054556454e5409656e765f3868336b3207616e6f6e2d373800397b226563223a225573657220456e676167656d656e74222c226561223a2266735f636f6e73656e74222c22656c223a22676f3a74727565227d9c86724c",
		attempts: 3,
		id:       "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a04", vid: "anon-78",
		created: v1Created.Add(-3 * time.Second),
		hit:     hits.Consent{Consented: true},
		kind:    hits.KindConsent, typ: hits.TypeEvent,
		fields: `{"ec":"User Engagement","ea":"fs_consent","el":"go:true"}`,
	},
	{
		name:     "activation with escapes in its ids, 3 attempts",
		hex:      "0102000000030b6c1f1e6a554c599d0e3d6f0f1c2a05189cbdba882ea1150a41435449564154494f4e09656e765f3868336b3207616e6f6e2d373900227b2263616964223a22615c22625c5c63222c2276616964223a2276c3a93c313e227d683fee8d",
		attempts: 3,
		id:       "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a05", vid: "anon-79",
		created: v1Created.Add(-4 * time.Second),
		hit:     hits.Activation{VariationGroupID: "a\"b\\c", VariationID: "v\u00e9<1>"},
		kind:    hits.KindActivation, typ: hits.TypeActivation,
		fields: `{"caid":"a\"b\\c","vaid":"v` + "\u00e9" + `<1>"}`, caid: "a\"b\\c", vaid: "v\u00e9<1>",
	},
	{
		name: "consent withdrawn",
		hex:  "0103000000000b6c1f1e6a554c599d0e3d6f0f1c2a06189cbdba4c93d715054556454e5409656e765f3868336b3207616e6f6e2d3830003a7b226563223a225573657220456e676167656d656e74222c226561223a2266735f636f6e73656e74222c22656c223a22676f3a66616c7365227da62548eb",
		id:   "0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a06", vid: "anon-80",
		created: v1Created.Add(-5 * time.Second),
		hit:     hits.Consent{Consented: false},
		kind:    hits.KindConsent, typ: hits.TypeEvent,
		fields: `{"ec":"User Engagement","ea":"fs_consent","el":"go:false"}`,
	},
}

var v1Created = time.Date(2026, 3, 14, 15, 9, 26, 123456789, time.UTC)

const v1Env = "env_8h3k2"

func TestEnvelopeV1Golden(t *testing.T) {
	for _, g := range v1Golden {
		t.Run(g.name, func(t *testing.T) {
			stored, err := hex.DecodeString(g.hex)
			require.NoError(t, err)

			r, attempts, err := decodeEnvelope(stored)
			require.NoError(t, err)
			assert.Equal(t, g.attempts, attempts)
			assert.Equal(t, uuid.MustParse(g.id), r.ID())
			assert.Equal(t, g.kind, r.Kind())
			assert.Equal(t, g.typ, r.Type())
			assert.Equal(t, v1Env, r.EnvID())
			assert.Equal(t, g.vid, r.VisitorID())
			assert.Equal(t, g.aid, r.AnonymousID())
			assert.True(t, g.created.Equal(r.Created()), "created %v, want %v", r.Created(), g.created)
			assert.Equal(t, g.created.UnixNano(), r.Created().UnixNano())
			assert.Equal(t, g.fields, string(r.Fields()))
			caid, vaid, ok := r.Activation()
			assert.Equal(t, g.kind == hits.KindActivation, ok)
			assert.Equal(t, g.caid, caid)
			assert.Equal(t, g.vaid, vaid)
			assert.Equal(t, len(stored), r.BinarySize())
			assert.NoError(t, r.Validate())

			kind, env, vid, aid, created, ok := peekHeader(stored)
			require.True(t, ok)
			assert.Equal(t, g.kind, kind)
			assert.Equal(t, v1Env, env)
			assert.Equal(t, g.vid, vid)
			assert.Equal(t, g.aid, aid)
			assert.True(t, g.created.Equal(created))

			// The same record built today is stored as the same bytes.
			built, err := hits.NewRecord(uuid.MustParse(g.id), v1Env, g.vid, g.aid, g.created, g.hit)
			require.NoError(t, err)
			assert.Equal(t, g.hex, hex.EncodeToString(appendEnvelope(nil, &built, g.attempts)))
			assert.Equal(t, g.hex, hex.EncodeToString(appendEnvelope(nil, &r, g.attempts)))
			b, err := built.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, stored[:attemptsOffset], b[:attemptsOffset])
			assert.Equal(t, stored[attemptsOffset+4:], b[attemptsOffset+4:])
			assert.Equal(t, []byte{0, 0, 0, 0}, b[attemptsOffset:attemptsOffset+4], "a new record has no attempts")

			// And it is sent as the record built today is.
			now := v1Created.Add(time.Minute)
			appendBatch := hits.AppendEventsBatch
			if g.kind == hits.KindActivation {
				appendBatch = hits.AppendActivationBatch
			}
			want, err := appendBatch(nil, v1Env, []hits.Record{built}, now)
			require.NoError(t, err)
			got, err := appendBatch(nil, v1Env, []hits.Record{r}, now)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
		})
	}
}

// V1GoldenRecord is a record of v1Golden for the external tests: the
// record NewRecord builds today and the attempts it was stored with.
type V1GoldenRecord struct {
	Name     string
	Record   hits.Record
	Attempts uint32
}

// V1GoldenRecords returns the records of v1Golden, in order.
func V1GoldenRecords(tb testing.TB) []V1GoldenRecord {
	tb.Helper()
	var out []V1GoldenRecord
	for _, g := range v1Golden {
		r, err := hits.NewRecord(uuid.MustParse(g.id), v1Env, g.vid, g.aid, g.created, g.hit)
		require.NoError(tb, err)
		out = append(out, V1GoldenRecord{Name: g.name, Record: r, Attempts: g.attempts})
	}
	return out
}

package eventqueue_test

import (
	"compress/gzip"
	"io"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestReadV1QueueFile: a queue file written by the release before
// hits.Record was sealed (commit aa3991e) is read and delivered as it
// was written. testdata/v1queue.db.gz holds, in sink "hits" (kinds hit
// and consent), the page, the event (3 attempts), the consent (3
// attempts) and the withdrawn consent of eventqueue.V1GoldenRecords; in
// sink "acts" (activations), the two activations (the second with 3
// attempts); and in the dead letters an ITEM hit that "hits" refused.
func TestReadV1QueueFile(t *testing.T) {
	path := queuePath(t)
	copyGunzip(t, "testdata/v1queue.db.gz", path)

	var inHits, inActs []eventqueue.V1GoldenRecord
	for _, g := range eventqueue.V1GoldenRecords(t) {
		if g.Record.Kind() == hits.KindActivation {
			inActs = append(inActs, g)
		} else {
			inHits = append(inHits, g)
		}
	}
	require.Len(t, inHits, 4)
	require.Len(t, inActs, 2)

	hitsRec, actsRec := &recorder{}, &recorder{}
	hitsCfg := fastSink("hits", hitsRec)
	hitsCfg.Kinds = []hits.Kind{hits.KindHit, hits.KindConsent}
	actsCfg := fastSink("acts", actsRec)
	actsCfg.Kinds = []hits.Kind{hits.KindActivation}
	q := openQueue(t, path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{hitsCfg, actsCfg}})

	for sink, want := range map[string][]eventqueue.V1GoldenRecord{"hits": inHits, "acts": inActs} {
		entries, err := q.Peek(sink, 10)
		require.NoError(t, err)
		require.Len(t, entries, len(want), sink)
		for i, e := range entries {
			require.NoError(t, e.Err, "%s: %s", sink, want[i].Name)
			assertSameRecord(t, want[i].Record, e.Record, want[i].Name)
			assert.Equal(t, want[i].Attempts, e.Attempts, want[i].Name)
			assert.Equal(t, want[i].Record.BinarySize(), e.Size, want[i].Name)
		}
	}
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	require.NoError(t, dead[0].Err)
	assert.Equal(t, "hits", dead[0].Sink)
	assert.Contains(t, dead[0].Reason, "rejected by the v1 test")
	item := dead[0].Record
	assert.Equal(t, uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a08"), item.ID())
	assert.Equal(t, hits.KindHit, item.Kind())
	assert.Equal(t, hits.TypeItem, item.Type())
	assert.Equal(t, "anon-82", item.VisitorID())
	assert.Equal(t, `{"tid":"#309830","in":"ATX2080","ic":"cg_atx_20802020","ip":1.5,"iq":2}`, string(item.Fields()))

	// Delivered in order, with their attempts.
	startRun(t, q)
	settle(t, q)
	for _, c := range []struct {
		rec  *recorder
		want []eventqueue.V1GoldenRecord
	}{{hitsRec, inHits}, {actsRec, inActs}} {
		got := c.rec.records()
		require.Len(t, got, len(c.want))
		for i, r := range got {
			assertSameRecord(t, c.want[i].Record, r.Record, c.want[i].Name)
			assert.Equal(t, c.want[i].Attempts, r.Attempts, c.want[i].Name)
		}
	}

	// The dead letter is replayed and delivered.
	n, err := q.Replay(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	settle(t, q)
	got := hitsRec.records()
	require.Len(t, got, len(inHits)+1)
	assertSameRecord(t, item, got[len(got)-1].Record, "replayed item")
	assert.Zero(t, got[len(got)-1].Attempts, "replayed with its attempts reset")
}

// assertSameRecord checks that got has want's accessors.
func assertSameRecord(t *testing.T, want, got hits.Record, name string) {
	t.Helper()
	assert.Equal(t, want.ID(), got.ID(), name)
	assert.Equal(t, want.Kind(), got.Kind(), name)
	assert.Equal(t, want.Type(), got.Type(), name)
	assert.Equal(t, want.EnvID(), got.EnvID(), name)
	assert.Equal(t, want.VisitorID(), got.VisitorID(), name)
	assert.Equal(t, want.AnonymousID(), got.AnonymousID(), name)
	assert.True(t, want.Created().Equal(got.Created()), "%s: created %v, want %v", name, got.Created(), want.Created())
	assert.Equal(t, string(want.Fields()), string(got.Fields()), name)
	wc, wv, wok := want.Activation()
	gc, gv, gok := got.Activation()
	assert.Equal(t, []any{wc, wv, wok}, []any{gc, gv, gok}, name)
	now := want.Created().Add(time.Minute)
	if want.Kind() == hits.KindActivation {
		wb, werr := hits.AppendActivationBatch(nil, want.EnvID(), []hits.Record{want}, now)
		gb, gerr := hits.AppendActivationBatch(nil, want.EnvID(), []hits.Record{got}, now)
		assert.Equal(t, []any{string(wb), werr}, []any{string(gb), gerr}, name)
	} else {
		wb, werr := hits.AppendEventsBatch(nil, want.EnvID(), []hits.Record{want}, now)
		gb, gerr := hits.AppendEventsBatch(nil, want.EnvID(), []hits.Record{got}, now)
		assert.Equal(t, []any{string(wb), werr}, []any{string(gb), gerr}, name)
	}
}

// copyGunzip writes the gunzipped content of the file src to dst.
func copyGunzip(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	_, err = io.Copy(out, zr)
	require.NoError(t, err)
	require.NoError(t, out.Close())
	require.NoError(t, zr.Close())
}

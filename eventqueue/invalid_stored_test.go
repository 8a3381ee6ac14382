package eventqueue_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// TestInvalidStoredRecordsDeadLettered: a stored record whose checksum is
// valid but whose content no record built by NewRecord can have (as a
// buggy writer could store) is refused when read, as corrupt, naming the
// field, and dead-lettered; its neighbours are delivered. (Enqueue can no
// longer be handed such a record: it is not buildable.)
func TestInvalidStoredRecordsDeadLettered(t *testing.T) {
	path := queuePath(t)
	rec := &recorder{}
	opts := oneSink("rec", rec)
	q := openQueue(t, path, opts)
	first := pageRecord(t, "first")
	enqueueAll(t, q, first)
	require.NoError(t, q.Close())

	page := formOf(pageRecord(t, "forged"))
	act := formOf(activationRecord(t, "forged"))
	change := func(f storedForm, c func(*storedForm)) storedForm {
		f.id = uuid.New()
		c(&f)
		return f
	}
	forged := []struct {
		form storedForm
		want string
	}{
		{form: change(page, func(f *storedForm) { f.kind = hits.KindConsent }), want: `Type "PAGEVIEW" does not match Kind consent`},
		{form: change(page, func(f *storedForm) { f.kind = 9 }), want: "Kind Kind(9) is unknown"},
		{form: change(page, func(f *storedForm) { f.vid = "" }), want: "VisitorID must not be empty"},
		{form: change(page, func(f *storedForm) { f.env = "" }), want: "EnvID must not be empty"},
		{form: change(page, func(f *storedForm) { f.id = uuid.Nil }), want: "ID must not be the zero UUID"},
		{form: change(page, func(f *storedForm) { f.fields = `[1]` }), want: "Fields must be a JSON object"},
		{form: change(act, func(f *storedForm) { f.fields = `{"caid":"vg","vaid":"v","t":"X"}` }), want: `Fields must be {"caid":string,"vaid":string}`},
		{form: change(act, func(f *storedForm) { f.fields = `{"caid":"","vaid":"v"}` }), want: `Fields must be {"caid":string,"vaid":string}`},
	}

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("sink:rec"))
		for _, f := range forged {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(binary.BigEndian.AppendUint64(nil, seq), f.form.bytes()); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.Close())

	q = openQueue(t, path, opts)
	last := pageRecord(t, "last")
	enqueueAll(t, q, last)
	entries, err := q.Peek("rec", 100)
	require.NoError(t, err)
	require.Len(t, entries, len(forged)+2)
	for i, f := range forged {
		e := entries[i+1]
		assert.ErrorIs(t, e.Err, eventqueue.ErrCorrupt, f.want)
		assert.ErrorIs(t, e.Err, hits.ErrInvalidRecord, f.want)
		assert.ErrorContains(t, e.Err, f.want)
		assert.True(t, e.Record.IsZero())
	}

	startRun(t, q)
	settle(t, q)
	assert.Equal(t, []uuid.UUID{first.ID(), last.ID()}, rec.ids())
	dead, err := q.DeadLetters(100)
	require.NoError(t, err)
	require.Len(t, dead, len(forged))
	for i, d := range dead {
		assert.Contains(t, d.Reason, "corrupt")
		assert.Contains(t, d.Reason, forged[i].want)
		assert.Equal(t, forged[i].form.bytes(), d.Raw)
		assert.ErrorIs(t, d.Err, eventqueue.ErrCorrupt)
	}
	st := sinkStats(t, q, "rec")
	assert.Zero(t, st.Depth)
	assert.EqualValues(t, len(forged), st.DeadLettered)
}

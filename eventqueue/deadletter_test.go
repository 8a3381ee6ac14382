package eventqueue_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestReplay: dead letters go back to their backlog with attempts reset
// and are delivered.
func TestReplay(t *testing.T) {
	var reject atomic.Bool
	reject.Store(true)
	var calls atomic.Int32
	recs := pageRecords(t, 3)
	rec := &recorder{fail: func(_ context.Context, b []eventqueue.Record) error {
		if calls.Add(1) == 1 {
			return errors.New("flaky") // counts an attempt
		}
		if reject.Load() {
			for _, r := range b {
				if r.ID() == recs[1].ID() {
					return eventqueue.Permanent(errors.New("bad record"))
				}
			}
		}
		return nil
	}}
	clock := newFakeClock(time.Now())
	opts := oneSink("rec", rec)
	opts.Now = clock.Now
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	flush(t, q)

	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	d := dead[0]
	assert.Equal(t, "rec", d.Sink)
	assert.Equal(t, "bad record", d.Reason)
	assert.True(t, clock.Now().Equal(d.At))
	assert.Equal(t, recs[1].ID(), d.Record.ID())
	assert.Equal(t, recs[1].Fields(), d.Record.Fields())
	require.NoError(t, d.Err)
	assert.NotEmpty(t, d.Raw)
	assert.Positive(t, d.Seq)
	assert.EqualValues(t, 2, d.SinkSeq)
	assert.EqualValues(t, 1, d.Attempts, "the flaky failure counted")

	reject.Store(false)
	n, err := q.Replay(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Zero(t, q.Stats().DeadLetters)
	flush(t, q)
	got := rec.records()
	require.Len(t, got, 3)
	assert.Equal(t, []uuid.UUID{recs[0].ID(), recs[2].ID(), recs[1].ID()}, rec.ids())
	assert.Zero(t, got[2].Attempts, "attempts reset")
	assert.EqualValues(t, 1, got[0].Attempts)
	dead, err = q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead)

	n, err = q.Replay(context.Background())
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestMaxDeadLettersKeepsNewest(t *testing.T) {
	reject := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		// Refused for its content, each with a reason of its own: were
		// they refused alike, the destination would refuse, not them.
		return eventqueue.Permanent(fmt.Errorf("record %s: no", b[0].ID()))
	})
	opts := oneSink("rec", reject)
	opts.MaxDeadLetters = 3
	path := queuePath(t)
	q := openQueue(t, path, opts)
	recs := pageRecords(t, 5)
	enqueueAll(t, q, recs...)
	startRun(t, q)
	flush(t, q)

	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	var got []uuid.UUID
	for _, d := range dead {
		got = append(got, d.Record.ID())
	}
	assert.Equal(t, idsOf(recs[2:]), got)
	assert.EqualValues(t, 3, q.Stats().DeadLetters)
	assert.EqualValues(t, 5, sinkStats(t, q, "rec").DeadLettered)

	// The count survives a reopen.
	require.NoError(t, q.Close())
	q = openQueue(t, path, opts)
	assert.EqualValues(t, 3, q.Stats().DeadLetters)
}

// TestDeadLetterCountConcurrent: sinks dead-lettering at once keep
// Stats().DeadLetters equal to what the file holds.
func TestDeadLetterCountConcurrent(t *testing.T) {
	reject := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		return eventqueue.Permanent(fmt.Errorf("record %s: no", b[0].ID())) // see TestMaxDeadLettersKeepsNewest
	})
	var sinks []eventqueue.SinkConfig
	for _, name := range []string{"a", "b", "c", "d"} {
		cfg := fastSink(name, reject)
		cfg.BatchSize = 1 // one transaction per record
		sinks = append(sinks, cfg)
	}
	q := openQueue(t, queuePath(t), eventqueue.Options{Sinks: sinks})
	const n = 100
	enqueueAll(t, q, pageRecords(t, n)...)
	startRun(t, q)
	done := make(chan struct{})
	replayed := 0
	go func() {
		defer close(done)
		for range 20 {
			k, err := q.Replay(context.Background())
			assert.NoError(t, err)
			replayed += k
		}
	}()
	<-done
	flush(t, q)
	dead, err := q.DeadLetters(10 * n)
	require.NoError(t, err)
	assert.Len(t, dead, 4*n)
	assert.EqualValues(t, len(dead), q.Stats().DeadLetters)
	t.Logf("replayed %d", replayed)
}

// TestCorruptRecordsDeadLettered: garbage written into a backlog behind
// the queue's back goes to the dead letters; its neighbours are
// delivered.
func TestCorruptRecordsDeadLettered(t *testing.T) {
	path := queuePath(t)
	rec := &recorder{}
	opts := oneSink("rec", rec)
	q := openQueue(t, path, opts)
	recs := pageRecords(t, 3)
	enqueueAll(t, q, recs...)
	require.NoError(t, q.Close())

	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	var goodCopy []byte
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("sink:rec"))
		key := func(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }
		goodCopy = append([]byte(nil), b.Get(key(1))...)
		if err := b.Put(key(2), []byte("not an envelope at all, just garbage")); err != nil { // replaces recs[1]
			return err
		}
		for _, v := range [][]byte{
			goodCopy[:40],                            // truncated
			append([]byte{9}, goodCopy[1:]...),       // unknown format version
			append(append([]byte{}, goodCopy...), 0), // trailing byte
		} {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(key(seq), v); err != nil {
				return err
			}
		}
		if err := b.Put([]byte("odd-key"), goodCopy); err != nil { // a key that is no sequence number
			return err
		}
		_, err := b.CreateBucket(key(1000)) // a bucket where a record belongs
		return err
	}))
	require.NoError(t, db.Close())

	q = openQueue(t, path, opts)
	entries, err := q.Peek("rec", 100)
	require.NoError(t, err)
	require.Len(t, entries, 8)
	assert.Error(t, entries[1].Err)
	assert.ErrorIs(t, entries[1].Err, eventqueue.ErrCorrupt)
	startRun(t, q)
	settle(t, q)
	assert.Equal(t, []uuid.UUID{recs[0].ID(), recs[2].ID()}, rec.ids())
	dead, err := q.DeadLetters(100)
	require.NoError(t, err)
	require.Len(t, dead, 6)
	for _, d := range dead {
		assert.Contains(t, d.Reason, "corrupt")
		assert.Equal(t, "rec", d.Sink)
	}
	assert.Equal(t, []byte("not an envelope at all, just garbage"), dead[0].Raw)
	assert.ErrorIs(t, dead[0].Err, eventqueue.ErrCorrupt)
	st := sinkStats(t, q, "rec")
	assert.Zero(t, st.Depth)
	assert.Zero(t, st.Bytes)
	assert.EqualValues(t, 6, st.DeadLettered)
}

// TestReplayUnknownSinkAndUnreadable: a dead letter of a sink the file
// has no backlog for gets one; an unreadable dead letter stays for
// inspection.
func TestReplayUnknownSinkAndUnreadable(t *testing.T) {
	path := queuePath(t)
	reject := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error {
		return eventqueue.Permanent(errors.New("no"))
	})
	q := openQueue(t, path, oneSink("old", reject))
	r := pageRecord(t, "v")
	enqueueAll(t, q, r)
	startRun(t, q)
	flush(t, q)
	require.NoError(t, q.Close())

	// Rename the dead letter's sink to one the file never had, and add
	// garbage.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("sink:old")); err != nil {
			return err
		}
		dead := tx.Bucket([]byte("dead"))
		k, v := dead.Cursor().First()
		v = bytes.Replace(v, []byte(`"sink":"old"`), []byte(`"sink":"new"`), 1)
		if err := dead.Put(k, v); err != nil {
			return err
		}
		return dead.Put(binary.BigEndian.AppendUint64(nil, 99), []byte("{not json"))
	}))
	require.NoError(t, db.Close())

	q = openQueue(t, path, eventqueue.Options{})
	assert.EqualValues(t, 2, q.Stats().DeadLetters)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	require.Len(t, dead, 2)
	assert.Equal(t, "new", dead[0].Sink)
	assert.ErrorIs(t, dead[1].Err, eventqueue.ErrCorrupt)
	assert.Equal(t, []byte("{not json"), dead[1].Raw)
	n, err := q.Replay(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.EqualValues(t, 1, q.Stats().DeadLetters, "the unreadable one stays")
	require.NoError(t, q.Close())

	rec := &recorder{}
	q = openQueue(t, path, oneSink("new", rec))
	startRun(t, q)
	flush(t, q)
	assert.Equal(t, []uuid.UUID{r.ID()}, rec.ids())
}

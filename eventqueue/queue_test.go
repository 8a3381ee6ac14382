package eventqueue_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestOpenCreatesFileWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "queue.db")
	q := openQueue(t, path, eventqueue.Options{})
	assert.Equal(t, path, q.Path())
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// TestOpenLockedByAnotherProcess holds the file in a second process: Open
// must fail with ErrQueueLocked after about LockTimeout, never hang.
func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := queuePath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperRoleEnv+"="+roleHold, helperPathEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // not waiting for the race detector's exit delay
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)

	// The other process holds the file until told to let go: an Open that
	// returns with ErrQueueLocked gave up at its LockTimeout; one that
	// waited for the lock would hang (caught by returned).
	const timeout = 200 * time.Millisecond
	start := time.Now()
	var q *eventqueue.Queue
	done := make(chan error, 1)
	go func() {
		var err error
		q, err = eventqueue.Open(path, eventqueue.Options{LockTimeout: timeout})
		done <- err
	}()
	err = returned(t, done, "Open of a file another process holds")
	elapsed := time.Since(start)
	require.ErrorIs(t, err, eventqueue.ErrQueueLocked)
	assert.Nil(t, q)
	assert.GreaterOrEqual(t, elapsed, timeout-50*time.Millisecond)

	// Once the other process lets go, the file opens.
	require.NoError(t, stdin.Close())
	line, err = out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "closed\n", line)
	q = openQueue(t, path, eventqueue.Options{LockTimeout: timeout})
	require.NoError(t, q.Close())
}

func TestOpenLockedInProcess(t *testing.T) {
	path := queuePath(t)
	openQueue(t, path, eventqueue.Options{})
	_, err := eventqueue.Open(path, eventqueue.Options{LockTimeout: 20 * time.Millisecond})
	require.ErrorIs(t, err, eventqueue.ErrQueueLocked)
}

func TestOpenInvalidOptions(t *testing.T) {
	sink := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return nil })
	many := make([]eventqueue.SinkConfig, 65)
	for i := range many {
		many[i] = eventqueue.SinkConfig{Name: "s" + strconv.Itoa(i), Sink: sink}
	}
	tests := []struct {
		name     string
		giveOpts eventqueue.Options
	}{
		{name: "empty sink name", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Sink: sink}}}},
		{name: "bad sink name", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a/b", Sink: sink}}}},
		{name: "duplicate sink", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink}, {Name: "a", Sink: sink}}}},
		{name: "nil sink", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a"}}}},
		{name: "unknown kind", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, Kinds: []hits.Kind{9}}}}},
		{name: "negative batch size", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, BatchSize: -1}}}},
		{name: "huge batch size", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, BatchSize: 10_001}}}},
		{name: "negative max age", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, MaxAge: -time.Second}}}},
		{name: "negative retry", giveOpts: eventqueue.Options{Sinks: []eventqueue.SinkConfig{{Name: "a", Sink: sink, RetryInitial: -time.Second}}}},
		{name: "negative lock timeout", giveOpts: eventqueue.Options{LockTimeout: -time.Second}},
		{name: "negative max records", giveOpts: eventqueue.Options{MaxRecords: -1}},
		{name: "negative max bytes", giveOpts: eventqueue.Options{MaxBytes: -1}},
		{name: "unknown durability", giveOpts: eventqueue.Options{Durability: 7}},
		{name: "65 sinks", giveOpts: eventqueue.Options{Sinks: many}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := eventqueue.Open(queuePath(t), tt.giveOpts)
			require.ErrorIs(t, err, eventqueue.ErrInvalidOptions)
			assert.Nil(t, q)
		})
	}
	t.Run("empty path", func(t *testing.T) {
		_, err := eventqueue.Open("", eventqueue.Options{})
		require.ErrorIs(t, err, eventqueue.ErrInvalidOptions)
	})
}

func TestOpenRejectsOtherFileFormat(t *testing.T) {
	path := queuePath(t)
	q := openQueue(t, path, eventqueue.Options{})
	require.NoError(t, q.Close())
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("version"), []byte("2"))
	}))
	require.NoError(t, db.Close())

	_, err = eventqueue.Open(path, eventqueue.Options{})
	require.ErrorIs(t, err, eventqueue.ErrNotQueueFile)
	require.ErrorContains(t, err, "file format")
}

func TestEnqueueErrors(t *testing.T) {
	opts := eventqueue.Options{Sinks: []eventqueue.SinkConfig{{
		Name:  "hits",
		Sink:  &recorder{},
		Kinds: []hits.Kind{hits.KindHit},
	}}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		giveCtx context.Context
		giveRec hits.Record
		wantErr error
	}{
		{name: "zero record", giveCtx: context.Background(), giveRec: hits.Record{}, wantErr: eventqueue.ErrInvalidRecord},
		{name: "no sink takes the kind", giveCtx: context.Background(), giveRec: activationRecord(t, "v"), wantErr: eventqueue.ErrInvalidRecord},
		{name: "ctx done", giveCtx: cancelled, giveRec: pageRecord(t, "v"), wantErr: context.Canceled},
	}
	q := openQueue(t, queuePath(t), opts)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, q.Enqueue(tt.giveCtx, tt.giveRec), tt.wantErr)
		})
	}
	assert.Zero(t, q.Stats().Enqueued)
	require.NoError(t, q.Close())
	require.ErrorIs(t, q.Enqueue(context.Background(), pageRecord(t, "v")), eventqueue.ErrClosed)
}

// TestEnqueueGroupCommit: each Enqueue returns once its record is in the
// file, and concurrent callers share commits.
func TestEnqueueGroupCommit(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("rec", &recorder{}))
	recs := pageRecords(t, 200)
	before := eventqueue.CommitCount(q)
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, len(recs))
	for i := range recs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = q.Enqueue(context.Background(), recs[i])
		}()
	}
	close(start)
	wg.Wait()
	commits := eventqueue.CommitCount(q) - before
	for _, err := range errs {
		require.NoError(t, err)
	}
	t.Logf("200 concurrent Enqueues, %d commits", commits)
	assert.Less(t, commits, uint64(100), "commits shared")

	assert.True(t, eventqueue.Fsyncs(q), "durable commits are fsynced")
	// Committed: the file holds them all.
	entries, err := q.Peek("rec", 1000)
	require.NoError(t, err)
	assert.Len(t, entries, 200)
	assert.EqualValues(t, 200, q.Stats().Enqueued)
	assert.EqualValues(t, 200, sinkStats(t, q, "rec").Depth)
}

// TestFIFOAcrossKeyBytes: keys are big-endian sequence numbers, so the
// backlog reads in enqueue order past 255 and 65535... (here past 255).
func TestFIFOAcrossKeyBytes(t *testing.T) {
	rec := &recorder{}
	opts := oneSink("rec", rec)
	opts.Sinks[0].BatchSize = 1000
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Millisecond
	q := openQueue(t, queuePath(t), opts)
	recs := pageRecords(t, 300)
	enqueueAll(t, q, recs...)

	startRun(t, q)
	flush(t, q)
	assert.Equal(t, idsOf(recs), rec.ids())
	var last uint64
	for _, r := range rec.records() {
		assert.Greater(t, r.Seq, last)
		last = r.Seq
	}
}

// TestBacklogPagesPackedFull: append-only keys fill leaf pages (bbolt's
// default fill percent would leave them half empty).
func TestBacklogPagesPackedFull(t *testing.T) {
	opts := oneSink("rec", &recorder{})
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Millisecond
	q := openQueue(t, queuePath(t), opts)
	enqueueAll(t, q, pageRecords(t, 2000)...)
	require.NoError(t, q.Close())
	q = openQueue(t, q.Path(), opts)
	fill := eventqueue.LeafFill(q, "rec")
	t.Logf("leaf fill %.2f", fill)
	assert.Greater(t, fill, 0.85)
}

func TestQueueFull(t *testing.T) {
	size := storedSize(t)
	two := func(o *eventqueue.Options) {
		o.Sinks = append(o.Sinks, fastSink("second", &recorder{}))
	}
	tests := []struct {
		name      string
		giveOpts  func(*eventqueue.Options)
		wantAdmit int // records admitted before the queue is full
	}{
		{name: "MaxRecords", giveOpts: func(o *eventqueue.Options) { o.MaxRecords = 3 }, wantAdmit: 3},
		{name: "MaxBytes", giveOpts: func(o *eventqueue.Options) { o.MaxBytes = 3 * size }, wantAdmit: 3},
		{name: "MaxBytes counts every sink's copy", giveOpts: func(o *eventqueue.Options) { o.MaxBytes = 3 * size; two(o) }, wantAdmit: 1},
		{name: "MaxRecords per sink", giveOpts: func(o *eventqueue.Options) { o.MaxRecords = 2; two(o) }, wantAdmit: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events eventLog
			rec := &recorder{}
			opts := oneSink("rec", rec)
			opts.OnEvent = events.on
			tt.giveOpts(&opts)
			q := openQueue(t, queuePath(t), opts)
			ctx := context.Background()

			fill := func() {
				t.Helper()
				for i := range tt.wantAdmit {
					require.NoError(t, q.Enqueue(ctx, pageRecord(t, "v"+strconv.Itoa(i))))
				}
				// Nothing drains the queue meanwhile and enqueueIn's ctx
				// never ends: an Enqueue that waited for room would hang.
				for range 3 {
					err := returned(t, enqueueIn(q.Enqueue, pageRecord(t, "x")), "Enqueue into a full queue")
					require.ErrorIs(t, err, eventqueue.ErrQueueFull, "refused at once")
				}
			}
			fill()
			assert.EqualValues(t, 3, q.Stats().RejectedFull)
			require.Len(t, events.of(eventqueue.EventQueueFull), 1, "one event per episode")
			assert.ErrorIs(t, events.of(eventqueue.EventQueueFull)[0].Err, eventqueue.ErrQueueFull)

			// Drained, it takes records again; a new episode is a new event.
			stop := startRun(t, q)
			settle(t, q)
			require.NoError(t, stop()) // nothing drains while it fills again
			fill()
			assert.EqualValues(t, 6, q.Stats().RejectedFull)
			assert.Len(t, events.of(eventqueue.EventQueueFull), 2)
			assert.EqualValues(t, 2*tt.wantAdmit, q.Stats().Enqueued)
		})
	}
}

// storedSize returns the stored size of a pageRecord.
func storedSize(t *testing.T) int64 {
	t.Helper()
	q := openQueue(t, queuePath(t), oneSink("rec", &recorder{}))
	enqueueAll(t, q, pageRecord(t, "v0"))
	return q.Stats().Bytes
}

func TestBufferedCommitsAtClose(t *testing.T) {
	path := queuePath(t)
	opts := oneSink("rec", &recorder{})
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = time.Hour
	q := openQueue(t, path, opts)
	before := eventqueue.CommitCount(q)
	recs := pageRecords(t, 10)
	enqueueAll(t, q, recs...)
	assert.Equal(t, before, eventqueue.CommitCount(q), "returned before the commit")
	entries, err := q.Peek("rec", 100)
	require.NoError(t, err)
	assert.Empty(t, entries)
	require.NoError(t, q.Close())

	q = openQueue(t, path, opts)
	entries, err = q.Peek("rec", 100)
	require.NoError(t, err)
	require.Len(t, entries, 10)
	for i, e := range entries {
		assert.Equal(t, recs[i].ID(), e.Record.ID())
	}
}

func TestBufferedCommitsWithinBufferDelay(t *testing.T) {
	const delay = 30 * time.Millisecond
	opts := oneSink("rec", &recorder{})
	opts.Durability = eventqueue.Buffered
	opts.BufferDelay = delay
	q := openQueue(t, queuePath(t), opts)
	before := eventqueue.CommitCount(q)
	start := time.Now()
	enqueueAll(t, q, pageRecord(t, "v"))
	eventually(t, func() bool { return eventqueue.CommitCount(q) > before }, "not committed")
	assert.GreaterOrEqual(t, time.Since(start), delay)
	entries, err := q.Peek("rec", 10)
	require.NoError(t, err)
	assert.Len(t, entries, 1)
}

func TestCloseIsIdempotentAndStopsEverything(t *testing.T) {
	q := openQueue(t, queuePath(t), oneSink("rec", &recorder{}))
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	eventually(t, func() bool { return eventqueue.IsRunning(q) }, "Run did not start")
	require.Error(t, q.Run(ctx), "a second Run")

	require.NoError(t, q.Close())
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(waitLimit):
		t.Fatal("Run did not return after Close")
	}
	require.NoError(t, q.Close())

	_, err := q.Peek("", 1)
	assert.ErrorIs(t, err, eventqueue.ErrClosed)
	_, err = q.DeadLetters(1)
	assert.ErrorIs(t, err, eventqueue.ErrClosed)
	_, err = q.Replay(ctx)
	assert.ErrorIs(t, err, eventqueue.ErrClosed)
	assert.ErrorIs(t, q.Run(ctx), eventqueue.ErrClosed)
	assert.ErrorIs(t, q.Flush(ctx), eventqueue.ErrClosed)
	assert.ErrorIs(t, q.Purge(ctx, testEnv, "v"), eventqueue.ErrClosed)
	assert.ErrorIs(t, q.EnqueueAsync(ctx, pageRecord(t, "v")), eventqueue.ErrClosed)
	assert.ErrorIs(t, q.Enqueue(ctx, pageRecord(t, "v")), eventqueue.ErrClosed)
	assert.Empty(t, q.Stats().Sinks[0].OldestAge)
}

// TestRunStopsWithCtx: Run returns nil when its ctx ends, and can run
// again.
func TestRunStopsWithCtx(t *testing.T) {
	rec := &recorder{}
	q := openQueue(t, queuePath(t), oneSink("rec", rec))
	stop := startRun(t, q)
	require.NoError(t, stop())
	assert.False(t, eventqueue.IsRunning(q))
	enqueueAll(t, q, pageRecord(t, "v"))
	startRun(t, q)
	flush(t, q)
	assert.Equal(t, 1, rec.count())
}

func TestOpenForeignFiles(t *testing.T) {
	tests := []struct {
		name      string
		giveWrite func(t *testing.T, path string)
	}{
		{name: "text file", giveWrite: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("not a bbolt file\n"), 1000), 0o600))
		}},
		{name: "another bbolt file", giveWrite: func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			require.NoError(t, err)
			require.NoError(t, db.Update(func(tx *bolt.Tx) error {
				_, err := tx.CreateBucket([]byte("someone-else"))
				return err
			}))
			require.NoError(t, db.Close())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := queuePath(t)
			tt.giveWrite(t, path)
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			_, err = eventqueue.Open(path, eventqueue.Options{})
			require.ErrorIs(t, err, eventqueue.ErrNotQueueFile)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "left untouched")
		})
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quietLogger returns a logger that discards everything.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// failingSink returns a sink that never accepts a batch.
func failingSink() eventqueue.Sink {
	return eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return errors.New("down") })
}

// pageRecord returns a page view of visitorID, created at created.
func pageRecord(t testing.TB, visitorID, url string, created time.Time) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(uuid.New(), "env", visitorID, "", created, hits.Page{URL: url})
	require.NoError(t, err)
	return r
}

// pendingQueue returns the path of a new queue file that holds recs in
// the backlogs of sinks "events" and "archive", never sent.
func pendingQueue(t testing.TB, recs ...hits.Record) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := eventqueue.Open(path, eventqueue.Options{
		Sinks: []eventqueue.SinkConfig{
			{Name: "events", Sink: failingSink()},
			{Name: "archive", Sink: failingSink()},
		},
		Logger: quietLogger(),
	})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, q.Enqueue(t.Context(), r))
	}
	require.NoError(t, q.Close())
	return path
}

// runQueueFile opens the queue file path with opts and the sink sc
// (named "events"), enqueues recs, runs the queue until cond holds, and
// closes it.
func runQueueFile(t testing.TB, path string, opts eventqueue.Options, sc eventqueue.SinkConfig, recs []hits.Record, cond func(eventqueue.Stats) bool) {
	t.Helper()
	sc.Name, sc.FlushInterval, sc.BatchSize = "events", 5*time.Millisecond, 1000
	opts.Sinks = []eventqueue.SinkConfig{sc}
	opts.Logger = quietLogger()
	q, err := eventqueue.Open(path, opts)
	require.NoError(t, err)
	defer q.Close()
	for _, r := range recs {
		require.NoError(t, q.Enqueue(t.Context(), r))
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	defer func() {
		cancel()
		require.NoError(t, <-done)
	}()
	require.Eventually(t, func() bool { return cond(q.Stats()) }, 10*time.Second, 5*time.Millisecond)
}

// deadQueue returns the path of a new queue file whose sink "events"
// rejected recs for good: they are dead letters with reason "bad". The
// sink delivers one more record, after recs, so that the queue takes the
// refusals for ones about the records' content (a sink that refuses
// every record alike refuses the destination, which dead-letters nothing).
func deadQueue(t testing.TB, recs ...hits.Record) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.db")
	good := pageRecord(t, "delivered", "https://x/ok", time.Now())
	reject := eventqueue.SinkFunc(func(_ context.Context, batch []eventqueue.Record) error {
		errs := make([]error, len(batch))
		for i, r := range batch {
			if r.ID() != good.ID() {
				errs[i] = eventqueue.Permanent(errors.New("bad"))
			}
		}
		return eventqueue.Partial(errs)
	})
	all := append(slices.Clone(recs), good)
	runQueueFile(t, path, eventqueue.Options{}, eventqueue.SinkConfig{Sink: reject}, all, func(st eventqueue.Stats) bool {
		return st.DeadLetters == int64(len(recs)) && st.Sinks[0].Depth == 0
	})
	return path
}

// lines splits output into its lines.
func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestQueueUsage(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "no subcommand", give: []string{"queue"}, wantCode: 2, wantStderr: "flagship queue: missing subcommand\n\nUsage:\n  flagship queue stats"},
		{name: "unknown subcommand", give: []string{"queue", "frob"}, wantCode: 2, wantStderr: `flagship queue: unknown subcommand "frob"`},
		{name: "unknown subcommand usage", give: []string{"queue", "frob"}, wantCode: 2, wantStderr: "  compact  rewrite the file"},
		{name: "help queue", give: []string{"help", "queue"}, wantCode: 0, wantStdout: "flagship queue peek    --db FILE [--sink NAME] [-n 20] [--json]"},
		{name: "queue help", give: []string{"queue", "help"}, wantCode: 0, wantStdout: "  replay   move every dead letter"},
		{name: "queue -h", give: []string{"queue", "-h"}, wantCode: 0, wantStderr: "Subcommands:\n  stats"},
		{name: "main help", give: []string{"help"}, wantCode: 0, wantStdout: "  queue     inspect and repair"},
		{name: "stats -h", give: []string{"queue", "stats", "-h"}, wantCode: 0, wantStderr: "-lock-timeout duration"},
		{name: "peek -h", give: []string{"queue", "peek", "-h"}, wantCode: 0, wantStderr: "-sink name"},
		{name: "dead -h", give: []string{"queue", "dead", "-h"}, wantCode: 0, wantStderr: "-n records"},
		{name: "replay -h", give: []string{"queue", "replay", "-h"}, wantCode: 0, wantStderr: "-db file"},
		{name: "compact -h", give: []string{"queue", "compact", "-h"}, wantCode: 0, wantStderr: "No SDK may have the file open."},
		{name: "replay takes no --json", give: []string{"queue", "replay", "--db", "x", "--json"}, wantCode: 2, wantStderr: "flag provided but not defined: -json"},
		{name: "positional argument", give: []string{"queue", "stats", "--db", "x", "y"}, wantCode: 2, wantStderr: `flagship queue stats: unexpected argument "y"`},
		{name: "bad -n", give: []string{"queue", "peek", "--db", "x", "-n", "0"}, wantCode: 2, wantStderr: "flagship queue peek: -n must be positive"},
		{name: "bad lock timeout", give: []string{"queue", "dead", "--db", "x", "--lock-timeout", "0s"}, wantCode: 2, wantStderr: "flagship queue dead: --lock-timeout must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", tt.give...)
			assert.Equal(t, tt.wantCode, got.code)
			assert.Contains(t, got.stdout, tt.wantStdout)
			assert.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

func TestQueueFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.db")
	empty := writeFile(t, "empty.db", "")
	for _, sub := range []string{"stats", "peek", "dead", "replay", "compact"} {
		tests := []struct {
			name       string
			give       []string
			wantStderr string
		}{
			{name: "no --db", give: nil, wantStderr: "flagship queue " + sub + ": --db is required\n\nUsage:\n  flagship queue " + sub},
			{name: "missing file", give: []string{"--db", missing}, wantStderr: "flagship: " + missing + ": no such queue file\n"},
			{name: "empty file", give: []string{"--db", empty}, wantStderr: "flagship: " + empty + " is not a queue file: empty\n"},
			{name: "directory", give: []string{"--db", dir}, wantStderr: "flagship: " + dir + " is not a queue file: not a regular file\n"},
		}
		for _, tt := range tests {
			t.Run(sub+"/"+tt.name, func(t *testing.T) {
				got := runCLI(t, "", append([]string{"queue", sub}, tt.give...)...)
				assert.Equal(t, 2, got.code)
				assert.Contains(t, got.stderr, tt.wantStderr)
				assert.Empty(t, got.stdout)
				assert.NoFileExists(t, missing)
				fi, err := os.Stat(empty)
				require.NoError(t, err)
				assert.Zero(t, fi.Size())
			})
		}
	}
}

func TestQueueNotAQueueFile(t *testing.T) {
	path := writeFile(t, "notes.txt", strings.Repeat("not a bbolt file\n", 400))
	got := runCLI(t, "", "queue", "stats", "--db", path)
	assert.Equal(t, 1, got.code)
	assert.Contains(t, got.stderr, "flagship: eventqueue: open "+path)
	assert.Empty(t, got.stdout)
}

func TestQueueLocked(t *testing.T) {
	path := pendingQueue(t, pageRecord(t, "v1", "https://x", time.Now()))
	q, err := eventqueue.Open(path, eventqueue.Options{Logger: quietLogger()}) // a running SDK
	require.NoError(t, err)
	t.Cleanup(func() { _ = q.Close() })

	tests := []struct {
		name string
		give []string
	}{
		{name: "stats", give: []string{"stats", "--lock-timeout", "100ms"}},
		{name: "peek", give: []string{"peek", "--lock-timeout", "100ms"}},
		{name: "dead", give: []string{"dead", "--lock-timeout", "100ms"}},
		{name: "replay", give: []string{"replay", "--lock-timeout", "100ms"}},
		{name: "compact", give: []string{"compact", "--lock-timeout", "100ms"}},
		{name: "default lock timeout", give: []string{"stats"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := os.ReadFile(path)
			require.NoError(t, err)
			// The file stays locked to the end of the test: a command that
			// returns gave up at its lock timeout; one that waited for the
			// lock would hang.
			done := make(chan result, 1)
			go func() { done <- runCLI(t, "", append([]string{"queue"}, append(tt.give, "--db", path)...)...) }()
			var got result
			select {
			case got = <-done:
			case <-time.After(30 * time.Second): // a hang guard, not a timing
				t.Fatal("the command hung on the locked file")
			}
			assert.Equal(t, 1, got.code)
			assert.Contains(t, got.stderr, "locked")
			assert.Contains(t, got.stderr, "--lock-timeout")
			assert.Empty(t, got.stdout)
			after, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before, after, "the file changed")
		})
	}
}

func TestQueueStats(t *testing.T) {
	now := time.Now()
	path := pendingQueue(t,
		pageRecord(t, "v1", "https://x/1", now.Add(-2*time.Hour)),
		pageRecord(t, "v2", "https://x/2", now.Add(-time.Hour)),
		pageRecord(t, "v3", "https://x/3", now.Add(-time.Minute)),
	)
	fi, err := os.Stat(path)
	require.NoError(t, err)

	got := runCLI(t, "", "queue", "stats", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	out := lines(got.stdout)
	require.Len(t, out, 5, got.stdout)
	assert.Regexp(t, `^SINK +DEPTH +BYTES +OLDEST$`, out[0])
	assert.Regexp(t, `^archive +3 +\d+ +2h0m\d+s$`, out[1])
	assert.Regexp(t, `^events +3 +\d+ +2h0m\d+s$`, out[2])
	assert.Equal(t, strings.Index(out[0], "DEPTH"), strings.Index(out[1], "3"), "columns are aligned")
	assert.Equal(t, "dead letters: 0", out[3])
	assert.Equal(t, "file: "+strconv.FormatInt(fi.Size(), 10)+" bytes", out[4])

	got = runCLI(t, "", "queue", "stats", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	require.Len(t, lines(got.stdout), 1)
	var st statsJSON
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &st))
	assert.Equal(t, path, st.File)
	assert.Equal(t, fi.Size(), st.FileBytes)
	assert.Zero(t, st.DeadLetters)
	require.Len(t, st.Sinks, 2)
	for i, name := range []string{"archive", "events"} {
		s := st.Sinks[i]
		assert.Equal(t, name, s.Name)
		assert.EqualValues(t, 3, s.Depth)
		assert.Positive(t, s.Bytes)
		assert.InDelta(t, 7200, s.OldestAgeSeconds, 60)
	}
	assert.Equal(t, st.Sinks[0].Bytes+st.Sinks[1].Bytes, st.Bytes)
}

func TestQueueStatsEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := eventqueue.Open(path, eventqueue.Options{Logger: quietLogger()})
	require.NoError(t, err)
	require.NoError(t, q.Close())

	got := runCLI(t, "", "queue", "stats", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `^SINK +DEPTH +BYTES +OLDEST\ndead letters: 0\nfile: \d+ bytes\n$`, got.stdout)

	got = runCLI(t, "", "queue", "stats", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, `"sinks":[]`)

	// Peek("") fails on a file without backlogs; peek does not.
	got = runCLI(t, "", "queue", "peek", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "no records waiting\n", got.stdout)
	got = runCLI(t, "", "queue", "peek", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stdout)
	got = runCLI(t, "", "queue", "dead", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "no dead letters\n", got.stdout)
}

func TestQueueReplay(t *testing.T) {
	path := deadQueue(t,
		pageRecord(t, "v1", "https://x/1", time.Now()),
		pageRecord(t, "v2", "https://x/2", time.Now()),
		pageRecord(t, "v3", "https://x/3", time.Now()),
	)
	got := runCLI(t, "", "queue", "stats", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `"deadLetters":3,"sinks":\[\{"name":"events","depth":0,`, got.stdout)

	got = runCLI(t, "", "queue", "replay", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	assert.Equal(t, "moved 3 dead letters back to their backlogs\n", got.stdout)

	got = runCLI(t, "", "queue", "stats", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `"deadLetters":0,"sinks":\[\{"name":"events","depth":3,`, got.stdout)
	got = runCLI(t, "", "queue", "peek", "--db", path, "--json")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Len(t, lines(got.stdout), 3)
	assert.NotContains(t, got.stdout, `"attempts":1`)

	got = runCLI(t, "", "queue", "replay", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, "moved 0 dead letters back to their backlogs\n", got.stdout)
}

func TestQueueCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	url := "https://x/?q=" + strings.Repeat("a", 1500)
	recs := make([]hits.Record, 1000)
	for i := range recs {
		recs[i] = pageRecord(t, "v"+strconv.Itoa(i), url, time.Now())
	}
	ok := eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return nil })
	runQueueFile(t, path, eventqueue.Options{Durability: eventqueue.Buffered, BufferDelay: time.Millisecond}, eventqueue.SinkConfig{Sink: ok}, recs,
		func(st eventqueue.Stats) bool { return st.Sinks[0].Sent == uint64(len(recs)) && st.Sinks[0].Depth == 0 })
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Greater(t, fi.Size(), int64(1<<20), "the fixture should have grown the file")

	got := runCLI(t, "", "queue", "compact", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	m := regexp.MustCompile(`^compacted (.+): (\d+) → (\d+) bytes\n$`).FindStringSubmatch(got.stdout)
	require.NotNil(t, m, got.stdout)
	assert.Equal(t, path, m[1])
	before, _ := strconv.ParseInt(m[2], 10, 64)
	after, _ := strconv.ParseInt(m[3], 10, 64)
	assert.Equal(t, fi.Size(), before)
	assert.Less(t, after, before/4)
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, after, fi.Size())

	// The compacted file is still a queue.
	got = runCLI(t, "", "queue", "stats", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `\nevents +0 +0 +-\ndead letters: 0\n`, got.stdout)
}

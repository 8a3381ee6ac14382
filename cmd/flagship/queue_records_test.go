package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueuePeek(t *testing.T) {
	now := time.Now()
	long := "https://x/" + strings.Repeat("é", 200)
	recs := []hits.Record{
		pageRecord(t, "v1", "https://x/1", now.Add(-90*time.Second)),
		pageRecord(t, "v2\tbad", long, now),
		pageRecord(t, "v3", "https://x/3", now),
	}
	path := pendingQueue(t, recs...)

	t.Run("text", func(t *testing.T) {
		got := runCLI(t, "", "queue", "peek", "--db", path, "-n", "2")
		require.Equal(t, 0, got.code, got.stderr)
		assert.Empty(t, got.stderr)
		out := lines(got.stdout)
		require.Len(t, out, 5, got.stdout) // header, 2 per backlog
		assert.Regexp(t, `^SEQ +SINK +ATTEMPTS +AGE +KIND +TYPE +VISITOR +RECORD +FIELDS$`, out[0])
		for i, sink := range []string{"archive", "archive", "events", "events"} {
			assert.Regexp(t, "^"+strconv.Itoa(i%2+1)+" +"+sink+" +0 ", out[i+1])
		}
		assert.Regexp(t, `^1 +events +0 +1m3\ds +hit +PAGEVIEW +v1 +`+recs[0].ID().String()+` +\{"dl":"https://x/1"\}$`, out[3])
		assert.Regexp(t, `^2 +events +0 +0s +hit +PAGEVIEW +"v2\\tbad" +`+recs[1].ID().String()+` +\{"dl":"https://x/éé`, out[4])
		fields := out[4][strings.Index(out[4], `{"dl"`):]
		assert.Equal(t, queueFieldsWidth, utf8.RuneCountInString(fields))
		assert.True(t, strings.HasSuffix(fields, "é…"), fields)
	})

	t.Run("sink", func(t *testing.T) {
		got := runCLI(t, "", "queue", "peek", "--db", path, "--sink", "events")
		require.Equal(t, 0, got.code, got.stderr)
		out := lines(got.stdout)
		require.Len(t, out, 4, got.stdout)
		for _, l := range out[1:] {
			assert.Regexp(t, `^\d +events `, l)
		}
	})

	t.Run("unknown sink", func(t *testing.T) {
		got := runCLI(t, "", "queue", "peek", "--db", path, "--sink", "nope")
		assert.Equal(t, 2, got.code)
		assert.Equal(t, `flagship: --sink "nope": `+path+" has no backlog for it (it has: archive, events)\n", got.stderr)
		assert.Empty(t, got.stdout)
	})

	t.Run("json", func(t *testing.T) {
		got := runCLI(t, "", "queue", "peek", "--db", path, "--sink", "events", "--json")
		require.Equal(t, 0, got.code, got.stderr)
		out := lines(got.stdout)
		require.Len(t, out, 3)
		for i, l := range out {
			var e struct {
				entryJSON
				Fields json.RawMessage `json:"fields"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &e))
			want := recs[i]
			assert.Equal(t, "events", e.Sink)
			assert.EqualValues(t, i+1, e.Seq)
			assert.Zero(t, e.Attempts)
			assert.Positive(t, e.Size)
			assert.Equal(t, want.ID().String(), e.ID)
			assert.Equal(t, "hit", e.Kind)
			assert.Equal(t, "PAGEVIEW", e.Type)
			assert.Equal(t, "env", e.EnvID)
			assert.Equal(t, want.VisitorID(), e.VisitorID)
			assert.Empty(t, e.AnonymousID)
			require.NotNil(t, e.Created)
			assert.True(t, want.Created().Equal(*e.Created), "created %v, want %v", e.Created, want.Created())
			assert.JSONEq(t, string(want.Fields()), string(e.Fields))
			assert.Empty(t, e.Error)
		}
		assert.Contains(t, out[0], `"fields":{"dl":"https://x/1"}`, "fields are raw JSON")
		assert.Contains(t, out[1], `"visitorId":"v2\tbad"`)
	})
}

func TestQueuePeekAttempts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	runQueueFile(t, path, eventqueue.Options{}, eventqueue.SinkConfig{Sink: failingSink()}, []hits.Record{pageRecord(t, "v1", "https://x", time.Now())},
		func(st eventqueue.Stats) bool { return st.Sinks[0].Retried > 0 })

	got := runCLI(t, "", "queue", "peek", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	out := lines(got.stdout)
	require.Len(t, out, 2, got.stdout)
	assert.Regexp(t, `^1 +events +[1-9]\d* `, out[1])
}

func TestQueueDead(t *testing.T) {
	recs := []hits.Record{
		pageRecord(t, "v1", "https://x/1", time.Now()),
		pageRecord(t, "v2", "https://x/2", time.Now()),
		pageRecord(t, "v3", "https://x/3", time.Now()),
	}
	start := time.Now()
	path := deadQueue(t, recs...)

	t.Run("text", func(t *testing.T) {
		got := runCLI(t, "", "queue", "dead", "--db", path, "-n", "2")
		require.Equal(t, 0, got.code, got.stderr)
		assert.Empty(t, got.stderr)
		out := lines(got.stdout)
		require.Len(t, out, 3, got.stdout)
		assert.Regexp(t, `^SEQ +SINK +AT +REASON +RECORD +TYPE +VISITOR$`, out[0])
		for i, l := range out[1:] {
			// Dead letters keep the order of the records.
			m := regexp.MustCompile(`^(\d+) +events +(\S+) +bad +(\S+) +PAGEVIEW +(\S+)$`).FindStringSubmatch(l)
			require.NotNil(t, m, l)
			assert.Equal(t, strconv.Itoa(i+1), m[1])
			at, err := time.Parse(time.RFC3339, m[2])
			require.NoError(t, err)
			assert.WithinRange(t, at, start.Add(-time.Second), time.Now())
			assert.Equal(t, recs[i].ID().String(), m[3])
			assert.Equal(t, recs[i].VisitorID(), m[4])
		}
	})

	t.Run("json", func(t *testing.T) {
		got := runCLI(t, "", "queue", "dead", "--db", path, "--json")
		require.Equal(t, 0, got.code, got.stderr)
		out := lines(got.stdout)
		require.Len(t, out, 3)
		for i, l := range out {
			var d struct {
				deadJSON
				Fields json.RawMessage `json:"fields"`
			}
			require.NoError(t, json.Unmarshal([]byte(l), &d))
			assert.EqualValues(t, i+1, d.Seq)
			assert.Equal(t, "events", d.Sink)
			assert.Equal(t, "bad", d.Reason)
			require.NotNil(t, d.At)
			assert.WithinRange(t, *d.At, start.Add(-time.Second), time.Now())
			want := recs[i]
			assert.Equal(t, want.ID().String(), d.ID)
			assert.Equal(t, "hit", d.Kind)
			assert.Equal(t, "PAGEVIEW", d.Type)
			assert.Equal(t, want.VisitorID(), d.VisitorID)
			assert.JSONEq(t, string(want.Fields()), string(d.Fields))
			assert.Empty(t, d.Error)
			assert.Nil(t, d.Raw)
			assert.NotContains(t, l, `"raw"`)
		}
	})
}

func TestQueueDeadExpired(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	later := func() time.Time { return time.Now().Add(time.Hour) }
	runQueueFile(t, path, eventqueue.Options{Now: later}, eventqueue.SinkConfig{Sink: failingSink(), MaxAge: time.Minute},
		[]hits.Record{pageRecord(t, "v1", "https://x", time.Now())},
		func(st eventqueue.Stats) bool { return st.DeadLetters == 1 })

	got := runCLI(t, "", "queue", "dead", "--db", path)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Regexp(t, `\n1 +events +\S+ +expired +\S+ +PAGEVIEW +v1\n$`, got.stdout)
}

package fsredis_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
)

var testClock = func() time.Time { return time.UnixMilli(1_700_000_000_123) }

func TestNewInvalid(t *testing.T) {
	_, client := newMini(t)
	tests := []struct {
		name       string
		giveClient redis.UniversalClient
		giveEnv    string
		giveOpts   []fsredis.Option
	}{
		{name: "nil client", giveClient: nil, giveEnv: "env"},
		{name: "nil cluster client", giveClient: (*redis.ClusterClient)(nil), giveEnv: "env"},
		{name: "empty env", giveClient: client, giveEnv: ""},
		{name: "zero TTL", giveClient: client, giveEnv: "env", giveOpts: []fsredis.Option{fsredis.WithTTL(0)}},
		{name: "sub-ms TTL", giveClient: client, giveEnv: "env", giveOpts: []fsredis.Option{fsredis.WithTTL(time.Microsecond)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := fsredis.New(tt.giveClient, tt.giveEnv, tt.giveOpts...)
			require.ErrorIs(t, err, fsredis.ErrInvalidOptions)
			assert.Nil(t, s)
		})
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		name     string
		giveOpts []fsredis.Option
		wantKey  string
		wantTTL  time.Duration
	}{
		{name: "default prefix", wantKey: "fs:env-1:visitor-1", wantTTL: fsredis.DefaultTTL},
		{name: "empty prefix is the decision API's", giveOpts: []fsredis.Option{fsredis.WithKeyPrefix("")}, wantKey: "visitor-1", wantTTL: fsredis.DefaultTTL},
		{name: "custom prefix and TTL", giveOpts: []fsredis.Option{fsredis.WithKeyPrefix("app/"), fsredis.WithTTL(time.Hour)}, wantKey: "app/visitor-1", wantTTL: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mr, client := newMini(t)
			s, err := fsredis.New(client, "env-1", append(tt.giveOpts, fsredis.WithClock(testClock))...)
			require.NoError(t, err)
			require.NoError(t, s.Save(t.Context(), []assignment.Entry{{Key: "visitor-1", Assignments: assignment.Assignments{
				"vg-a": {VariationID: "var-1", Activated: true},
				"vg-b": {VariationID: "var-<2>", Activated: false},
			}}}))

			assert.Equal(t, []string{tt.wantKey}, mr.Keys())
			got, err := client.HGetAll(t.Context(), tt.wantKey).Result()
			require.NoError(t, err)
			assert.Equal(t, map[string]string{
				"vg-a": `{"VariationID":"var-1","Activated":true}`,
				"vg-b": `{"VariationID":"var-\u003c2\u003e","Activated":false}`, // encoding/json's escaping
				"ts":   "1700000000123",
			}, got)
			assert.Equal(t, tt.wantTTL, mr.TTL(tt.wantKey))
		})
	}
}

func TestDefaultTTLIsNinetyDays(t *testing.T) {
	assert.Equal(t, 90*24*time.Hour, fsredis.DefaultTTL)
}

func TestRoundTrip(t *testing.T) {
	_, client := newMini(t)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	ctx := t.Context()

	v1 := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}, "vg2": {VariationID: "b"}}
	anon := assignment.Assignments{"vg1": {VariationID: "c"}}
	require.NoError(t, s.Save(ctx, []assignment.Entry{{Key: "v1", Assignments: v1}, {Key: "anon", Assignments: anon}}))

	into := make([]assignment.Assignments, 4)
	into[2] = assignment.Assignments{"stale": {VariationID: "x"}}
	require.NoError(t, s.Load(ctx, []string{"v1", "missing", "anon"}, into))
	assert.Equal(t, []assignment.Assignments{v1, nil, anon, nil}, into)

	// A save merges into what is there.
	require.NoError(t, s.Save(ctx, []assignment.Entry{{Key: "v1", Assignments: assignment.Assignments{"vg3": {VariationID: "d"}}}}))
	require.NoError(t, s.Load(ctx, []string{"v1"}, into))
	assert.Equal(t, assignment.Assignments{
		"vg1": {VariationID: "a", Activated: true}, "vg2": {VariationID: "b"}, "vg3": {VariationID: "d"},
	}, into[0])
}

func TestEmptyCallsMakeNoRoundTrip(t *testing.T) {
	_, client := newMini(t)
	calls := countCalls(t, client)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)

	require.NoError(t, s.Load(t.Context(), nil, nil))
	require.NoError(t, s.Save(t.Context(), nil))
	require.NoError(t, s.Delete(t.Context(), nil))
	assert.Zero(t, calls.roundTrips())
}

func TestOneRoundTripPerCall(t *testing.T) {
	_, client := newMini(t)
	calls := countCalls(t, client)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	ctx := t.Context()

	const n = 50
	entries := make([]assignment.Entry, n)
	keys := make([]string, n)
	for i := range entries {
		keys[i] = "visitor-" + strconv.Itoa(i)
		entries[i] = assignment.Entry{Key: keys[i], Assignments: assignment.Assignments{
			"vg1": {VariationID: "a", Activated: i%2 == 0}, "vg2": {VariationID: "b"},
		}}
	}
	// The first save after a start (or SCRIPT FLUSH) also sends the script.
	require.NoError(t, s.Save(ctx, entries[:1]))

	calls.reset()
	require.NoError(t, s.Save(ctx, entries))
	assert.EqualValues(t, 1, calls.roundTrips(), "Save of %d entries", n)
	assert.EqualValues(t, n, calls.pipelined.Load())

	calls.reset()
	into := make([]assignment.Assignments, n)
	require.NoError(t, s.Load(ctx, keys, into))
	assert.EqualValues(t, 1, calls.roundTrips(), "Load of %d keys", n)
	for i := range into {
		assert.Equal(t, entries[i].Assignments, into[i])
	}

	calls.reset()
	require.NoError(t, s.Delete(ctx, keys))
	assert.EqualValues(t, 1, calls.roundTrips(), "Delete of %d keys", n)
}

func TestScriptFlushFallsBackToEval(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			client := b.new(t)
			calls := countCalls(t, client)
			s, err := fsredis.New(client, "env")
			require.NoError(t, err)
			e := []assignment.Entry{
				{Key: "v1", Assignments: assignment.Assignments{"vg": {VariationID: "a"}}},
				{Key: "v2", Assignments: assignment.Assignments{"vg": {VariationID: "b"}}},
			}

			require.NoError(t, s.Save(t.Context(), e))
			assert.EqualValues(t, 2, calls.pipelines.Load(), "EVALSHA, then EVAL on NOSCRIPT")
			require.NoError(t, client.ScriptFlush(t.Context()).Err())
			calls.reset()
			require.NoError(t, s.Save(t.Context(), e))
			assert.EqualValues(t, 2, calls.pipelines.Load())
			calls.reset()
			require.NoError(t, s.Save(t.Context(), e))
			assert.EqualValues(t, 1, calls.pipelines.Load(), "the script is cached again")

			into := make([]assignment.Assignments, 2)
			require.NoError(t, s.Load(t.Context(), []string{"v1", "v2"}, into))
			assert.Equal(t, []assignment.Assignments{e[0].Assignments, e[1].Assignments}, into)
		})
	}
}

func TestDelete(t *testing.T) {
	mr, client := newMini(t)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	ctx := t.Context()
	a := assignment.Assignments{"vg": {VariationID: "a", Activated: true}}
	require.NoError(t, s.Save(ctx, []assignment.Entry{{Key: "v1", Assignments: a}, {Key: "v2", Assignments: a}}))
	require.NoError(t, mr.Set("other", "kept"))

	require.NoError(t, s.Delete(ctx, []string{"v1", "missing"}))
	assert.ElementsMatch(t, []string{"fs:env:v2", "other"}, mr.Keys())
	into := make([]assignment.Assignments, 2)
	require.NoError(t, s.Load(ctx, []string{"v1", "v2"}, into))
	assert.Equal(t, []assignment.Assignments{nil, a}, into)
}

func TestLoadSkipsUndecodable(t *testing.T) {
	mr, client := newMini(t)
	var logs bytes.Buffer
	s, err := fsredis.New(client, "env", fsredis.WithKeyPrefix(""),
		fsredis.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	require.NoError(t, err)
	mr.HSet("v1", "ts", "not a number", "good", `{"VariationID":"a","Activated":true}`,
		"bad", "{", "array", "[1]", "empty", `{}`, "number", "12")
	mr.HSet("v2", "alsobad", "xx")
	mr.HSet("only-ts", "ts", "1")
	require.NoError(t, mr.Set("string", "not a hash"))

	into := make([]assignment.Assignments, 4)
	require.NoError(t, s.Load(t.Context(), []string{"v1", "v2", "only-ts", "string"}, into))
	assert.Equal(t, []assignment.Assignments{{"good": {VariationID: "a", Activated: true}}, nil, nil, nil}, into)

	lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
	require.Len(t, lines, 1, "one warning per Load: %s", logs.String())
	var rec map[string]any
	require.NoError(t, json.Unmarshal(lines[0], &rec))
	assert.Equal(t, "WARN", rec["level"])
	assert.Equal(t, "fsredis", rec["component"])
	assert.EqualValues(t, 6, rec["count"]) // bad, array, empty, number, alsobad, string
	assert.Contains(t, rec["err"], assignment.ErrCorrupt.Error())
}

func TestSaveSkipsTsGroupAndEmptyEntries(t *testing.T) {
	mr, client := newMini(t)
	s, err := fsredis.New(client, "env", fsredis.WithKeyPrefix(""), fsredis.WithClock(testClock), fsredis.WithTTL(time.Minute))
	require.NoError(t, err)
	ctx := t.Context()

	require.NoError(t, s.Save(ctx, []assignment.Entry{
		{Key: "v1", Assignments: assignment.Assignments{"ts": {VariationID: "x"}, "vg": {VariationID: "a"}}},
		{Key: "empty"},
	}))
	assert.Equal(t, []string{"v1"}, mr.Keys(), "an empty entry creates no key")
	assert.Equal(t, "1700000000123", mr.HGet("v1", "ts"))

	// An empty entry refreshes an existing key's expiry.
	mr.SetTTL("v1", time.Second)
	require.NoError(t, s.Save(ctx, []assignment.Entry{{Key: "v1"}}))
	assert.Equal(t, time.Minute, mr.TTL("v1"))
}

func TestLoadIntoTooShort(t *testing.T) {
	_, client := newMini(t)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	require.Error(t, s.Load(t.Context(), []string{"a", "b"}, make([]assignment.Assignments, 1)))
}

func TestCanceledContext(t *testing.T) {
	_, client := newMini(t)
	s, err := fsredis.New(client, "env")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	e := []assignment.Entry{{Key: "v", Assignments: assignment.Assignments{"vg": {VariationID: "a"}}}}

	assert.ErrorIs(t, s.Save(ctx, e), context.Canceled)
	assert.ErrorIs(t, s.Load(ctx, []string{"v"}, make([]assignment.Assignments, 1)), context.Canceled)
	assert.ErrorIs(t, s.Delete(ctx, []string{"v"}), context.Canceled)
}

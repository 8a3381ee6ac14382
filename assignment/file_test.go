package assignment_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/assignment"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ ms atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ms.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	return c
}

func (c *fakeClock) Now() time.Time               { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) Add(d time.Duration)          { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) opts() assignment.FileOptions { return assignment.FileOptions{Now: c.Now} }

// openTestFile opens a File at path (in a fresh temp dir if path is "") and
// closes it at the end of the test.
func openTestFile(tb testing.TB, path string, o assignment.FileOptions) *assignment.File {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "assignments.db")
	}
	f, err := assignment.OpenFile(path, o)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

// fileLoad returns what f holds under keys.
func fileLoad(tb testing.TB, f *assignment.File, keys ...string) []assignment.Assignments {
	tb.Helper()
	into := make([]assignment.Assignments, len(keys))
	require.NoError(tb, f.Load(context.Background(), keys, into))
	return into
}

// fileSave saves a under key in f.
func fileSave(tb testing.TB, f *assignment.File, key string, a assignment.Assignments) {
	tb.Helper()
	require.NoError(tb, f.Save(context.Background(), []assignment.Entry{{Key: key, Assignments: a}}))
}

func TestFileRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub", "dir")
	path := filepath.Join(dir, "assignments.db")
	f := openTestFile(t, path, assignment.FileOptions{})
	assert.Equal(t, path, f.Path())

	v1 := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}, "vg2": {VariationID: "b"}}
	v2 := assignment.Assignments{"vg1": {VariationID: "c"}}
	anon := assignment.Assignments{"vg3": {VariationID: "d", Activated: true}}
	require.NoError(t, f.Save(context.Background(), []assignment.Entry{
		{Key: "visitor-1", Assignments: v1},
		{Key: "visitor-2", Assignments: v2},
		{Key: "anon-1", Assignments: anon},
		{Key: "visitor-3", Assignments: nil}, // nothing to store
	}))

	got := fileLoad(t, f, "visitor-1", "missing", "anon-1", "visitor-2", "visitor-3", "")
	assert.Equal(t, []assignment.Assignments{v1, nil, anon, v2, nil, nil}, got)
	assert.Equal(t, 3, f.Len())

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	require.NoError(t, f.Close())
	f = openTestFile(t, path, assignment.FileOptions{})
	assert.Equal(t, 3, f.Len())
	assert.Equal(t, []assignment.Assignments{v1, v2}, fileLoad(t, f, "visitor-1", "visitor-2"))
}

func TestFileLoadReturnsFreshMaps(t *testing.T) {
	f := openTestFile(t, "", assignment.FileOptions{})
	fileSave(t, f, "v", assignment.Assignments{"vg1": {VariationID: "a"}})
	first := fileLoad(t, f, "v")[0]
	first["vg1"] = assignment.Assignment{VariationID: "changed by the caller"}
	assert.Equal(t, assignment.Assignments{"vg1": {VariationID: "a"}}, fileLoad(t, f, "v")[0])
}

func TestFileMerge(t *testing.T) {
	tests := []struct {
		name string
		give []assignment.Assignment // saved in order for vg1
		want assignment.Assignment
	}{
		{
			name: "activated stays over non-activated of the same variation",
			give: []assignment.Assignment{{VariationID: "a", Activated: true}, {VariationID: "a"}},
			want: assignment.Assignment{VariationID: "a", Activated: true},
		},
		{
			name: "activated stays over non-activated of the same variation twice",
			give: []assignment.Assignment{{VariationID: "a", Activated: true}, {VariationID: "a"}, {VariationID: "a"}},
			want: assignment.Assignment{VariationID: "a", Activated: true},
		},
		{
			name: "activated replaced by another variation, as MergeOne says",
			give: []assignment.Assignment{{VariationID: "a", Activated: true}, {VariationID: "b"}},
			want: assignment.Assignment{VariationID: "b"},
		},
		{
			name: "non-activated replaced by newer non-activated",
			give: []assignment.Assignment{{VariationID: "a"}, {VariationID: "b"}},
			want: assignment.Assignment{VariationID: "b"},
		},
		{
			name: "activated replaced by newer activated",
			give: []assignment.Assignment{{VariationID: "a", Activated: true}, {VariationID: "b", Activated: true}},
			want: assignment.Assignment{VariationID: "b", Activated: true},
		},
		{
			name: "non-activated becomes activated",
			give: []assignment.Assignment{{VariationID: "a"}, {VariationID: "a", Activated: true}},
			want: assignment.Assignment{VariationID: "a", Activated: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openTestFile(t, "", assignment.FileOptions{})
			fileSave(t, f, "v", assignment.Assignments{"other": {VariationID: "x"}})
			for _, a := range tt.give {
				fileSave(t, f, "v", assignment.Assignments{"vg1": a})
			}
			want := assignment.Assignments{"vg1": tt.want, "other": {VariationID: "x"}}
			assert.Equal(t, want, fileLoad(t, f, "v")[0])
		})
	}
}

func TestFileMergeWithinOneBatch(t *testing.T) {
	f := openTestFile(t, "", assignment.FileOptions{})
	require.NoError(t, f.Save(context.Background(), []assignment.Entry{
		{Key: "v", Assignments: assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}},
		{Key: "v", Assignments: assignment.Assignments{"vg1": {VariationID: "a"}, "vg2": {VariationID: "c"}}},
	}))
	want := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}, "vg2": {VariationID: "c"}}
	assert.Equal(t, want, fileLoad(t, f, "v")[0])
	assert.Equal(t, 1, f.Len())
}

func TestFileConcurrentSaves(t *testing.T) {
	const (
		writers = 16
		saves   = 40
		groups  = 12
	)
	// plan tells what writer w saves the i-th time: every group is
	// saved, and activated now and then, except every third group. Each
	// group has one variation: a different one would replace an
	// activation (MergeOne).
	plan := func(w, i int) (vg string, activated bool) {
		g := (w*saves + i) % groups
		return fmt.Sprintf("vg-%d", g), (w+i)%5 == 0 && g%3 != 0
	}
	f := openTestFile(t, "", assignment.FileOptions{})
	everActivated := make(map[string]bool)
	for w := range writers {
		for i := range saves {
			if vg, activated := plan(w, i); activated {
				everActivated[vg] = true
			}
		}
	}
	require.NotEmpty(t, everActivated)
	require.Less(t, len(everActivated), groups, "some groups must never be activated")

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range saves {
				vg, activated := plan(w, i)
				a := assignment.Assignment{VariationID: "var-" + vg, Activated: activated}
				entries := []assignment.Entry{
					{Key: "visitor", Assignments: assignment.Assignments{vg: a}},
					{Key: fmt.Sprintf("other-%d", w), Assignments: assignment.Assignments{vg: a}},
				}
				assert.NoError(t, f.Save(context.Background(), entries))
				into := make([]assignment.Assignments, 1)
				assert.NoError(t, f.Load(context.Background(), []string{"visitor"}, into))
			}
		}()
	}
	wg.Wait()

	got := fileLoad(t, f, "visitor")[0]
	assert.Len(t, got, groups)
	for vg, a := range got {
		assert.Equal(t, everActivated[vg], a.Activated, vg)
	}
	assert.Equal(t, writers+1, f.Len())
}

func TestFileDelete(t *testing.T) {
	clock := newFakeClock()
	o := clock.opts()
	o.MaxEntries = 2
	f := openTestFile(t, "", o)
	a := assignment.Assignments{"vg1": {VariationID: "a"}}
	fileSave(t, f, "v1", a)
	clock.Add(time.Second)
	fileSave(t, f, "v2", a)
	require.NoError(t, f.Delete(context.Background(), []string{"v1", "missing", ""}))
	assert.Equal(t, 1, f.Len())
	assert.Equal(t, []assignment.Assignments{nil, a}, fileLoad(t, f, "v1", "v2"))

	// The expiry index lost v1 too: v4 evicts v2, the oldest key left.
	clock.Add(time.Second)
	fileSave(t, f, "v3", a)
	clock.Add(time.Second)
	fileSave(t, f, "v4", a)
	assert.Equal(t, []assignment.Assignments{nil, a, a}, fileLoad(t, f, "v2", "v3", "v4"))
	assert.Equal(t, 2, f.Len())
}

func TestFileExpiry(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "assignments.db")
	o := clock.opts()
	o.TTL = time.Hour
	f := openTestFile(t, path, o)
	activated := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}

	fileSave(t, f, "old", activated)
	clock.Add(30 * time.Minute)
	fileSave(t, f, "new", activated)
	fileSave(t, f, "refreshed", activated)
	clock.Add(31 * time.Minute) // old is 61 minutes old

	assert.Equal(t, []assignment.Assignments{nil, activated}, fileLoad(t, f, "old", "new"))
	assert.Equal(t, 3, f.Len(), "expired keys stay until a Save")
	fileSave(t, f, "refreshed", nil) // only refreshes; prunes old
	assert.Equal(t, 2, f.Len())

	// An expired activation does not come back through a Save.
	clock.Add(59 * time.Minute) // new is 90 minutes old
	fileSave(t, f, "new", assignment.Assignments{"vg1": {VariationID: "a"}})
	assert.Equal(t, assignment.Assignments{"vg1": {VariationID: "a"}}, fileLoad(t, f, "new")[0])

	clock.Add(61 * time.Minute) // every key has expired
	assert.Equal(t, []assignment.Assignments{nil, nil}, fileLoad(t, f, "new", "refreshed"))
	require.NoError(t, f.Close())
	f = openTestFile(t, path, o)
	assert.Equal(t, 0, f.Len(), "reopening prunes")
	assert.Equal(t, []assignment.Assignments{nil, nil}, fileLoad(t, f, "new", "refreshed"))
}

func TestFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "assignments.db")
	openTestFile(t, path, assignment.FileOptions{})
	_, err := assignment.OpenFile(path, assignment.FileOptions{LockTimeout: 50 * time.Millisecond})
	require.ErrorIs(t, err, assignment.ErrLocked)
	assert.Contains(t, err.Error(), path)
}

func TestFileCorruptValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "assignments.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	require.NoError(t, err)
	require.NoError(t, db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("assignments"))
		if err != nil {
			return err
		}
		if err := b.Put([]byte("garbage"), []byte{0xff, 0xff, 0xff}); err != nil {
			return err
		}
		// A valid saved-at, then a count of 5 groups in 1 byte.
		return b.Put([]byte("truncated"), []byte{0x02, 0x05, 0x01})
	}))
	require.NoError(t, db.Close())

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f := openTestFile(t, path, assignment.FileOptions{Logger: logger})
	assert.Equal(t, 2, f.Len())
	for range 3 {
		assert.Equal(t, []assignment.Assignments{nil, nil}, fileLoad(t, f, "garbage", "truncated"))
	}
	assert.Equal(t, 2, strings.Count(logs.String(), "level=WARN"), "one warning per key:\n%s", logs.String())
	assert.Contains(t, logs.String(), "key=garbage")
	assert.Contains(t, logs.String(), assignment.ErrCorrupt.Error())

	a := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}
	fileSave(t, f, "garbage", a)
	fileSave(t, f, "truncated", a)
	assert.Equal(t, []assignment.Assignments{a, a}, fileLoad(t, f, "garbage", "truncated"))
	assert.Equal(t, 2, f.Len())
}

func TestFileClosed(t *testing.T) {
	f := openTestFile(t, "", assignment.FileOptions{})
	fileSave(t, f, "v", assignment.Assignments{"vg1": {VariationID: "a"}})
	require.NoError(t, f.Close())
	require.NoError(t, f.Close())

	ctx := context.Background()
	into := make([]assignment.Assignments, 1)
	assert.ErrorIs(t, f.Load(ctx, []string{"v"}, into), assignment.ErrClosed)
	assert.ErrorIs(t, f.Save(ctx, []assignment.Entry{{Key: "v"}}), assignment.ErrClosed)
	assert.ErrorIs(t, f.Delete(ctx, []string{"v"}), assignment.ErrClosed)
	assert.Equal(t, 1, f.Len())
}

func TestFileHonoursContext(t *testing.T) {
	f := openTestFile(t, "", assignment.FileOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	into := make([]assignment.Assignments, 1)
	assert.ErrorIs(t, f.Load(ctx, []string{"v"}, into), context.Canceled)
	assert.ErrorIs(t, f.Save(ctx, []assignment.Entry{{Key: "v"}}), context.Canceled)
	assert.ErrorIs(t, f.Delete(ctx, []string{"v"}), context.Canceled)
}

func TestFileRejectsBadKeys(t *testing.T) {
	f := openTestFile(t, "", assignment.FileOptions{})
	a := assignment.Assignments{"vg1": {VariationID: "a"}}
	for _, key := range []string{"", strings.Repeat("k", bolt.MaxKeySize)} {
		err := f.Save(context.Background(), []assignment.Entry{{Key: "ok", Assignments: a}, {Key: key, Assignments: a}})
		require.ErrorContains(t, err, "assignment: save: ")
	}
	assert.Equal(t, 0, f.Len(), "a batch with a bad key saves nothing")
	into := make([]assignment.Assignments, 1)
	require.Error(t, f.Load(context.Background(), []string{"a", "b"}, into))
}

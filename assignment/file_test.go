package assignment_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
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

// openFile opens a File at path (in a fresh temp dir if path is "") and
// closes it at the end of the test.
func openFile(tb testing.TB, path string, o assignment.FileOptions) *assignment.File {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "assignments.db")
	}
	f, err := assignment.OpenFile(path, o)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = f.Close() })
	return f
}

// load returns what f holds under keys.
func load(tb testing.TB, f *assignment.File, keys ...string) []assignment.Assignments {
	tb.Helper()
	into := make([]assignment.Assignments, len(keys))
	require.NoError(tb, f.Load(context.Background(), keys, into))
	return into
}

// save saves a under key in f.
func save(tb testing.TB, f *assignment.File, key string, a assignment.Assignments) {
	tb.Helper()
	require.NoError(tb, f.Save(context.Background(), []assignment.Entry{{Key: key, Assignments: a}}))
}

func TestFileRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub", "dir")
	path := filepath.Join(dir, "assignments.db")
	f := openFile(t, path, assignment.FileOptions{})
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

	got := load(t, f, "visitor-1", "missing", "anon-1", "visitor-2", "visitor-3", "")
	assert.Equal(t, []assignment.Assignments{v1, nil, anon, v2, nil, nil}, got)
	assert.Equal(t, 3, f.Len())

	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	info, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	require.NoError(t, f.Close())
	f = openFile(t, path, assignment.FileOptions{})
	assert.Equal(t, 3, f.Len())
	assert.Equal(t, []assignment.Assignments{v1, v2}, load(t, f, "visitor-1", "visitor-2"))
}

func TestFileLoadReturnsFreshMaps(t *testing.T) {
	f := openFile(t, "", assignment.FileOptions{})
	save(t, f, "v", assignment.Assignments{"vg1": {VariationID: "a"}})
	first := load(t, f, "v")[0]
	first["vg1"] = assignment.Assignment{VariationID: "changed by the caller"}
	assert.Equal(t, assignment.Assignments{"vg1": {VariationID: "a"}}, load(t, f, "v")[0])
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
			name: "activated stays over non-activated of another variation",
			give: []assignment.Assignment{{VariationID: "a", Activated: true}, {VariationID: "b"}},
			want: assignment.Assignment{VariationID: "a", Activated: true},
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
			f := openFile(t, "", assignment.FileOptions{})
			save(t, f, "v", assignment.Assignments{"other": {VariationID: "x"}})
			for _, a := range tt.give {
				save(t, f, "v", assignment.Assignments{"vg1": a})
			}
			want := assignment.Assignments{"vg1": tt.want, "other": {VariationID: "x"}}
			assert.Equal(t, want, load(t, f, "v")[0])
		})
	}
}

func TestFileMergeWithinOneBatch(t *testing.T) {
	f := openFile(t, "", assignment.FileOptions{})
	require.NoError(t, f.Save(context.Background(), []assignment.Entry{
		{Key: "v", Assignments: assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}},
		{Key: "v", Assignments: assignment.Assignments{"vg1": {VariationID: "b"}, "vg2": {VariationID: "c"}}},
	}))
	want := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}, "vg2": {VariationID: "c"}}
	assert.Equal(t, want, load(t, f, "v")[0])
	assert.Equal(t, 1, f.Len())
}

func TestFileConcurrentSaves(t *testing.T) {
	const (
		writers = 16
		saves   = 40
		groups  = 12
	)
	// plan tells what writer w saves the i-th time: every group is
	// saved, and activated now and then, except every third group.
	plan := func(w, i int) (vg string, activated bool) {
		g := (w*saves + i) % groups
		return fmt.Sprintf("vg-%d", g), (w+i)%5 == 0 && g%3 != 0
	}
	f := openFile(t, "", assignment.FileOptions{})
	everActivated := make(map[string]bool)
	for w := range writers {
		for i := range saves {
			if vg, activated := plan(w, i); activated {
				everActivated[vg] = true
			}
		}
	}
	require.Less(t, len(everActivated), groups, "some groups must never be activated")

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range saves {
				vg, activated := plan(w, i)
				a := assignment.Assignment{VariationID: fmt.Sprintf("var-%d-%d", w, i), Activated: activated}
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

	got := load(t, f, "visitor")[0]
	assert.Len(t, got, groups)
	for vg, a := range got {
		assert.Equal(t, everActivated[vg], a.Activated, vg)
	}
	assert.Equal(t, writers+1, f.Len())
}

func TestFileDelete(t *testing.T) {
	f := openFile(t, "", assignment.FileOptions{MaxEntries: 2})
	a := assignment.Assignments{"vg1": {VariationID: "a"}}
	save(t, f, "v1", a)
	save(t, f, "v2", a)
	require.NoError(t, f.Delete(context.Background(), []string{"v1", "missing", ""}))
	assert.Equal(t, 1, f.Len())
	assert.Equal(t, []assignment.Assignments{nil, a}, load(t, f, "v1", "v2"))

	// The expiry index lost v1 too: two more keys evict v2, then v3.
	save(t, f, "v3", a)
	save(t, f, "v4", a)
	assert.Equal(t, []assignment.Assignments{nil, a, a}, load(t, f, "v2", "v3", "v4"))
	assert.Equal(t, 2, f.Len())
}

func TestFileExpiry(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "assignments.db")
	o := clock.opts()
	o.TTL = time.Hour
	f := openFile(t, path, o)
	activated := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}

	save(t, f, "old", activated)
	clock.Add(30 * time.Minute)
	save(t, f, "new", activated)
	save(t, f, "refreshed", activated)
	clock.Add(31 * time.Minute) // old is 61 minutes old

	assert.Equal(t, []assignment.Assignments{nil, activated}, load(t, f, "old", "new"))
	assert.Equal(t, 3, f.Len(), "expired keys stay until a Save")
	save(t, f, "refreshed", nil) // only refreshes; prunes old
	assert.Equal(t, 2, f.Len())

	// An expired activated assignment does not come back through a Save.
	clock.Add(59 * time.Minute) // new is 90 minutes old
	save(t, f, "new", assignment.Assignments{"vg1": {VariationID: "b"}})
	assert.Equal(t, assignment.Assignments{"vg1": {VariationID: "b"}}, load(t, f, "new")[0])

	clock.Add(61 * time.Minute) // every key has expired
	assert.Equal(t, []assignment.Assignments{nil, nil}, load(t, f, "new", "refreshed"))
	require.NoError(t, f.Close())
	f = openFile(t, path, o)
	assert.Equal(t, 0, f.Len(), "reopening prunes")
	assert.Equal(t, []assignment.Assignments{nil, nil}, load(t, f, "new", "refreshed"))
}

// fileSizeBound1M bounds the file after one million visitors went
// through a File with DefaultFileMaxEntries keys. Measured: about 75 MB.
const fileSizeBound1M = 100 << 20

func TestFileSizeBound(t *testing.T) {
	const (
		visitors = 1_000_000
		batch    = 10_000
	)
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "assignments.db")
	if p := os.Getenv("SCRATCH_DB"); p != "" {
		path = p
	}
	f := openFile(t, path, clock.opts())
	gen := newVisitorGen(1)
	keys := make([]string, 0, visitors)
	entries := make([]assignment.Entry, batch)
	for len(keys) < visitors {
		for i := range entries {
			entries[i] = gen.next()
			keys = append(keys, entries[i].Key)
		}
		require.NoError(t, f.Save(context.Background(), entries))
		clock.Add(time.Millisecond)
	}
	assert.Equal(t, assignment.DefaultFileMaxEntries, f.Len())
	info, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("%d visitors: %d keys, file %.1f MB", visitors, f.Len(), float64(info.Size())/(1<<20))
	assert.LessOrEqual(t, info.Size(), int64(fileSizeBound1M))

	// The oldest visitors were evicted, the newest kept.
	evicted := keys[:visitors-assignment.DefaultFileMaxEntries]
	kept := keys[visitors-assignment.DefaultFileMaxEntries:]
	sample := func(keys []string) []string {
		var out []string
		for i := 0; i < len(keys); i += 97 {
			out = append(out, keys[i])
		}
		return append(out, keys[len(keys)-1])
	}
	for i, a := range load(t, f, sample(evicted)...) {
		require.Nil(t, a, "evicted visitor %d", i*97)
	}
	for i, a := range load(t, f, sample(kept)...) {
		require.NotEmpty(t, a, "kept visitor %d", i*97)
	}
}

// visitorGen makes realistic entries: UUID keys and 2-3 variation groups
// of 20-character ids (Flagship's xid format), drawn from a fixed set of
// campaigns.
type visitorGen struct {
	r   *rand.Rand
	vgs [][]string // variation group id, then its variation ids
}

func newVisitorGen(seed uint64) *visitorGen {
	g := &visitorGen{r: rand.New(rand.NewPCG(seed, seed))}
	for range 30 {
		vg := []string{g.xid()}
		for range 2 + g.r.IntN(2) {
			vg = append(vg, g.xid())
		}
		g.vgs = append(g.vgs, vg)
	}
	return g
}

func (g *visitorGen) xid() string {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var b [20]byte
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b[:])
}

func (g *visitorGen) next() assignment.Entry {
	var id uuid.UUID
	for i := range id {
		id[i] = byte(g.r.Uint32())
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80
	a := make(assignment.Assignments, 3)
	for range 2 + g.r.IntN(2) {
		vg := g.vgs[g.r.IntN(len(g.vgs))]
		a[vg[0]] = assignment.Assignment{VariationID: vg[1+g.r.IntN(len(vg)-1)], Activated: g.r.IntN(2) == 0}
	}
	return assignment.Entry{Key: id.String(), Assignments: a}
}

func TestFileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "assignments.db")
	openFile(t, path, assignment.FileOptions{})
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
		// A valid time, then a count no bytes back.
		return b.Put([]byte("truncated"), []byte{0x02, 0x05, 0x01})
	}))
	require.NoError(t, db.Close())

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f := openFile(t, path, assignment.FileOptions{Logger: logger})
	assert.Equal(t, 2, f.Len())
	for range 3 {
		assert.Equal(t, []assignment.Assignments{nil, nil}, load(t, f, "garbage", "truncated"))
	}
	assert.Equal(t, 2, strings.Count(logs.String(), "level=WARN"), "one warning per key:\n%s", logs.String())
	assert.Contains(t, logs.String(), "key=garbage")
	assert.Contains(t, logs.String(), assignment.ErrCorrupt.Error())

	a := assignment.Assignments{"vg1": {VariationID: "a", Activated: true}}
	save(t, f, "garbage", a)
	save(t, f, "truncated", a)
	assert.Equal(t, []assignment.Assignments{a, a}, load(t, f, "garbage", "truncated"))
	assert.Equal(t, 2, f.Len())
}

func TestFileClosed(t *testing.T) {
	f := openFile(t, "", assignment.FileOptions{})
	save(t, f, "v", assignment.Assignments{"vg1": {VariationID: "a"}})
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
	f := openFile(t, "", assignment.FileOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	into := make([]assignment.Assignments, 1)
	assert.ErrorIs(t, f.Load(ctx, []string{"v"}, into), context.Canceled)
	assert.ErrorIs(t, f.Save(ctx, []assignment.Entry{{Key: "v"}}), context.Canceled)
	assert.ErrorIs(t, f.Delete(ctx, []string{"v"}), context.Canceled)
}

func TestFileRejectsBadKeys(t *testing.T) {
	f := openFile(t, "", assignment.FileOptions{})
	a := assignment.Assignments{"vg1": {VariationID: "a"}}
	for _, key := range []string{"", strings.Repeat("k", bolt.MaxKeySize)} {
		err := f.Save(context.Background(), []assignment.Entry{{Key: "ok", Assignments: a}, {Key: key, Assignments: a}})
		require.ErrorContains(t, err, "assignment: save: ")
	}
	assert.Equal(t, 0, f.Len(), "a batch with a bad key saves nothing")
	into := make([]assignment.Assignments, 1)
	require.Error(t, f.Load(context.Background(), []string{"a", "b"}, into))
}

func BenchmarkFileLoad(b *testing.B) {
	f := openFile(b, "", assignment.FileOptions{})
	e := newVisitorGen(1).next()
	require.NoError(b, f.Save(context.Background(), []assignment.Entry{e}))
	keys, into := []string{e.Key}, make([]assignment.Assignments, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Load(context.Background(), keys, into); err != nil || into[0] == nil {
			b.Fatal(err, into[0])
		}
	}
}

func BenchmarkFileSave(b *testing.B) {
	f := openFile(b, "", assignment.FileOptions{})
	gen := newVisitorGen(1)
	entries := make([]assignment.Entry, 100)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for i := range entries {
			entries[i] = gen.next()
		}
		b.StartTimer()
		if err := f.Save(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
	}
}

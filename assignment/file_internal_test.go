package assignment

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests of this file look at the layout: the encoding of values and
// index keys, and how large the file gets (with bbolt's statistics). The
// behaviour of a File is tested from package assignment_test.

func TestFileValueRoundTrip(t *testing.T) {
	tests := []struct {
		name        string
		giveSavedAt int64
		give        Assignments
	}{
		{name: "empty", giveSavedAt: 0, give: Assignments{}},
		{name: "one", giveSavedAt: 1_735_689_600_000, give: Assignments{"vg1": {VariationID: "v1", Activated: true}}},
		{name: "several", giveSavedAt: 1, give: Assignments{
			"c1ndrd07m0300ovbosrg": {VariationID: "c1ndrd07m0300ovbossg"},
			"c1ndrd07m0300ovbost0": {VariationID: "c1ndrd07m0300ovbostg", Activated: true},
			"c1ndrd07m0300ovbosu0": {VariationID: "c1ndrd07m0300ovbosug"},
		}},
		{name: "empty ids", giveSavedAt: math.MaxInt64, give: Assignments{"": {}}},
		{name: "long and unicode ids", giveSavedAt: -5, give: Assignments{
			strings.Repeat("g", 300): {VariationID: "variation é ✓"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := appendFileValue([]byte("prefix"), tt.giveSavedAt, tt.give)
			require.Equal(t, "prefix", string(b[:6]))
			savedAt, got, err := decodeFileValue(b[6:])
			require.NoError(t, err)
			assert.Equal(t, tt.giveSavedAt, savedAt)
			assert.Equal(t, tt.give, got)
		})
	}
}

func TestDecodeFileValueRejects(t *testing.T) {
	valid := appendFileValue(nil, 7, Assignments{"vg": {VariationID: "v"}})
	tests := []struct {
		name string
		give []byte
	}{
		{name: "nil", give: nil},
		{name: "saved-at overflows", give: bytes.Repeat([]byte{0xff}, 11)},
		{name: "no count", give: []byte{0x0e}},
		{name: "count beyond the bytes", give: []byte{0x0e, 0x02, 0x00, 0x00, 0x00}},
		{name: "huge count", give: []byte{0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
		{name: "string beyond the bytes", give: []byte{0x0e, 0x01, 0x05, 'a', 0x00, 0x00}},
		{name: "huge string length", give: []byte{0x0e, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00}},
		{name: "activated flag 2", give: []byte{0x0e, 0x01, 0x00, 0x00, 0x02}},
		{name: "group twice", give: []byte{0x0e, 0x02, 0x01, 'g', 0x00, 0x00, 0x01, 'g', 0x00, 0x01}},
		{name: "trailing byte", give: append(bytes.Clone(valid), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, a, err := decodeFileValue(tt.give)
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Nil(t, a)
		})
	}
}

func TestDecodeFileValuePrefixes(t *testing.T) {
	b := appendFileValue(nil, 1_735_689_600_000, Assignments{
		"vg1": {VariationID: "v1", Activated: true},
		"vg2": {VariationID: "v2"},
	})
	for n := range len(b) {
		_, _, err := decodeFileValue(b[:n])
		require.ErrorIs(t, err, ErrCorrupt, "prefix of %d bytes", n)
	}
}

// checkDecodeFileValue decodes b, which must not panic, and checks that
// whatever decodes encodes back to the same value.
func checkDecodeFileValue(t *testing.T, b []byte) {
	t.Helper()
	savedAt, a, err := decodeFileValue(b)
	if err != nil {
		require.ErrorIs(t, err, ErrCorrupt)
		return
	}
	again, a2, err := decodeFileValue(appendFileValue(nil, savedAt, a))
	require.NoError(t, err)
	assert.Equal(t, savedAt, again)
	assert.Equal(t, a, a2)
}

func TestDecodeFileValueRandomBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	valid := appendFileValue(nil, 1_735_689_600_000, Assignments{
		"vg1": {VariationID: "v1", Activated: true},
		"vg2": {VariationID: "v2"},
	})
	for range 100_000 {
		b := make([]byte, r.IntN(48))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		checkDecodeFileValue(t, b)

		m := bytes.Clone(valid)
		for range 1 + r.IntN(3) {
			m[r.IntN(len(m))] = byte(r.Uint32())
		}
		checkDecodeFileValue(t, m)
	}
}

func FuzzDecodeFileValue(f *testing.F) {
	f.Add([]byte{})
	f.Add(appendFileValue(nil, 1_735_689_600_000, Assignments{"vg1": {VariationID: "v1", Activated: true}}))
	f.Add([]byte{0x0e, 0x02, 0x01, 'g', 0x00, 0x00, 0x01, 'h', 0x00, 0x01})
	f.Fuzz(checkDecodeFileValue)
}

func TestFileExpiryKeyOrder(t *testing.T) {
	keys := [][]byte{
		appendFileExpiryKey(nil, 1_000, "zzz"),
		appendFileExpiryKey(nil, 999, "aaa"),
		appendFileExpiryKey(nil, 1<<40, "a"),
		appendFileExpiryKey(nil, 1_000, "aaa"),
	}
	for i := range keys {
		keys[i] = bytes.Clone(keys[i])
	}
	want := [][]byte{keys[1], keys[3], keys[0], keys[2]}
	slices.SortFunc(keys, bytes.Compare)
	assert.Equal(t, want, keys)
	assert.Equal(t, uint64(999), binary.BigEndian.Uint64(keys[0]))
	assert.Equal(t, "aaa", string(keys[0][8:]))
}

const (
	// sizeTestVisitors go through a File in TestFileSizeBound, in Saves
	// of sizeTestBatch keys.
	sizeTestVisitors = 1_000_000
	sizeTestBatch    = 500
	// sizeTestVisitorsShort replace sizeTestVisitors under -short and
	// -race: 1M visitors take about 15 s of CPU, and seven times that
	// under the race detector, which finds nothing more in this
	// single-goroutine test. 200,000 still fill the file and evict.
	sizeTestVisitorsShort = 200_000
	// fileSizeBound1M bounds the file after sizeTestVisitors went
	// through a File with DefaultFileMaxEntries keys in Saves of 500
	// (the Cache's batch). Measured: 49.4 MiB (the pages of 100,000
	// keys, free pages for one Save's new copies of the pages it
	// changes, and bbolt grows files 16 MiB at a time).
	fileSizeBound1M = 64 << 20
)

// TestFileSizeBound pushes a million new visitors through a File with
// the default MaxEntries: the file keeps the newest, evicts the oldest,
// and stays under fileSizeBound1M.
func TestFileSizeBound(t *testing.T) {
	visitors := sizeTestVisitors
	if testing.Short() || raceEnabled() {
		visitors = sizeTestVisitorsShort
	}
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "assignments.db")
	f, err := OpenFile(path, FileOptions{Now: func() time.Time { return clock }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.Close() })
	// fsync changes neither what is stored nor where: skip it, so that
	// the test does not depend on the speed of the disk.
	f.db.NoSync = true

	gen := newVisitorGen(1)
	keys := make([]string, 0, visitors)
	entries := make([]Entry, sizeTestBatch)
	for len(keys) < visitors {
		for i := range entries {
			entries[i] = gen.next()
			keys = append(keys, entries[i].Key)
		}
		require.NoError(t, f.Save(context.Background(), entries))
		clock = clock.Add(time.Millisecond)
	}
	assert.Equal(t, DefaultFileMaxEntries, f.Len())
	info, err := os.Stat(path)
	require.NoError(t, err)
	stats := f.db.Stats()
	t.Logf("%d visitors: %d keys, file %.1f MiB, %.0f MiB of pages written", visitors, f.Len(),
		float64(info.Size())/(1<<20), float64(stats.TxStats.GetPageCount()*int64(f.db.Info().PageSize))/(1<<20))
	assert.LessOrEqual(t, info.Size(), int64(fileSizeBound1M))

	// The oldest visitors were evicted, the newest kept (both ends and
	// every 97th between).
	const step = 97
	sample := func(keys []string) []string {
		var out []string
		for i := 0; i < len(keys); i += step {
			out = append(out, keys[i])
		}
		return append(out, keys[len(keys)-1])
	}
	evicted := sample(keys[:visitors-DefaultFileMaxEntries])
	kept := sample(keys[visitors-DefaultFileMaxEntries:])
	into := make([]Assignments, len(evicted)+len(kept))
	require.NoError(t, f.Load(context.Background(), append(evicted, kept...), into))
	for i, a := range into[:len(evicted)] {
		require.Nil(t, a, "evicted visitor %d", i*step)
	}
	for i, a := range into[len(evicted):] {
		require.NotEmpty(t, a, "kept visitor %d", i*step)
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// visitorGen makes realistic entries: UUID keys and 2-3 variation groups
// of 20-character ids (Flagship's xid format), drawn from 30 campaigns.
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

func (g *visitorGen) next() Entry {
	var id uuid.UUID
	for i := range id {
		id[i] = byte(g.r.Uint32())
	}
	id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // version 4, RFC 4122 variant
	a := make(Assignments, 3)
	for range 2 + g.r.IntN(2) {
		vg := g.vgs[g.r.IntN(len(g.vgs))]
		a[vg[0]] = Assignment{VariationID: vg[1+g.r.IntN(len(vg)-1)], Activated: g.r.IntN(2) == 0}
	}
	return Entry{Key: id.String(), Assignments: a}
}

// BenchmarkFileLoad reads one visitor that is there.
func BenchmarkFileLoad(b *testing.B) {
	f, err := OpenFile(filepath.Join(b.TempDir(), "assignments.db"), FileOptions{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = f.Close() })
	e := newVisitorGen(1).next()
	require.NoError(b, f.Save(context.Background(), []Entry{e}))
	keys, into := []string{e.Key}, make([]Assignments, 1)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Load(context.Background(), keys, into); err != nil || into[0] == nil {
			b.Fatal(err, into[0])
		}
	}
}

// BenchmarkFileSave saves batches of 100 new visitors, fsync included.
func BenchmarkFileSave(b *testing.B) {
	f, err := OpenFile(filepath.Join(b.TempDir(), "assignments.db"), FileOptions{})
	require.NoError(b, err)
	b.Cleanup(func() { _ = f.Close() })
	gen := newVisitorGen(1)
	entries := make([]Entry, 100)
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

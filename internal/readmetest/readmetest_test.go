package readmetest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{10 * time.Second, "10 s"},
		{time.Minute, "1 min"},
		{4 * time.Hour, "4 h"},
		{50 * time.Millisecond, "50 ms"},
		{5 * time.Second, "5 s"},
		{90 * time.Second, "90 s"},
		{90 * time.Minute, "90 min"},
		{1500 * time.Millisecond, "1500 ms"},
		{1500 * time.Microsecond, "1.5ms"},
		{0, "0s"},
		{-time.Second, "-1s"},
	} {
		if got := Duration(tc.d); got != tc.want {
			t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{1 << 20, "1 MiB"},
		{64 << 20, "64 MiB"},
		{1 << 30, "1 GiB"},
		{4 << 10, "4 KiB"},
		{1025 << 20, "1,025 MiB"},
		{1500, "1,500 bytes"},
		{1, "1 bytes"},
		{0, "0 bytes"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{100_000, "100,000"},
		{0, "0"},
		{999, "999"},
		{1000, "1,000"},
		{1_234_567, "1,234,567"},
		{-100_000, "-100,000"},
		{math.MaxInt64, "9,223,372,036,854,775,807"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	} {
		if got := Count(tc.n); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestCells(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"| `flagship.WithCacheDir(dir)` | none | where files live |", []string{"`flagship.WithCacheDir(dir)`", "none", "where files live"}},
		{"  |a|b|  ", []string{"a", "b"}},
		{"| a | b", []string{"a", "b"}},
		{"| `eventqueue.SinkConfig` | default | |", []string{"`eventqueue.SinkConfig`", "default", ""}},
		{"|---|:--:|", []string{"---", ":--:"}},
		{"|", []string{""}},
		{"not a row | a | b |", nil},
		{"", nil},
	} {
		if got := Cells(tc.line); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("Cells(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestIsSeparator(t *testing.T) {
	for _, tc := range []struct {
		line string
		want bool
	}{
		{"|---|---|---|", true},
		{"| :-- | :-: | --: |", true},
		{"|-|", true},
		{"| option | default | what it does |", false},
		{"| --- | | --- |", false},
		{"| --- | x |", false},
		{"| `a` | 5 s | - |", false},
	} {
		if got := IsSeparator(Cells(tc.line)); got != tc.want {
			t.Errorf("IsSeparator(Cells(%q)) = %t, want %t", tc.line, got, tc.want)
		}
	}
}

func TestFieldNames(t *testing.T) {
	type s struct {
		A int
		//lint:ignore U1000 unexported on purpose: FieldNames must skip it
		b    string
		C, D bool
		//lint:ignore U1000 unexported on purpose: FieldNames must skip it
		e       float64
		Z       []byte
		Options struct{ X int }
	}
	got := FieldNames(reflect.TypeFor[s]())
	if want := []string{"A", "C", "D", "Z", "Options"}; !slices.Equal(got, want) {
		t.Errorf("FieldNames = %q, want %q", got, want)
	}
	if got := FieldNames(reflect.TypeFor[struct{ a int }]()); got != nil {
		t.Errorf("FieldNames of a struct without exported fields = %q, want nil", got)
	}
}

func TestLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(path, []byte("# Title\n\n| a |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := Lines(t, path), []string{"# Title", "", "| a |", ""}; !slices.Equal(got, want) {
		t.Errorf("Lines = %q, want %q", got, want)
	}

	msg, fatal := runTB(func(tb testing.TB) { Lines(tb, filepath.Join(t.TempDir(), "missing.md")) })
	if !fatal || !strings.Contains(msg, "missing.md") {
		t.Errorf("Lines of a missing file: fatal %t, message %q; want a fatal naming the file", fatal, msg)
	}
}

var sample = strings.Split(`# Title

| option | default | what it does |
|---|---|---|
| x | 1 | one |

| `+"`pkg.Config`"+` | default | |
| --- | :-: | --- |
| `+"`A`"+` | 1 s | a |
|`+"`B`, `C`"+`|none|b, c|
| bad row |
after the table
| `+"`D`"+` | not | in the table |
`, "\n")

func TestTable(t *testing.T) {
	line, rows := Table(t, sample, "`pkg.Config`")
	if line != 7 {
		t.Errorf("header line = %d, want 7", line)
	}
	want := []Row{
		{Line: 9, Text: "| `A` | 1 s | a |", Cells: []string{"`A`", "1 s", "a"}},
		{Line: 10, Text: "|`B`, `C`|none|b, c|", Cells: []string{"`B`, `C`", "none", "b, c"}},
		{Line: 11, Text: "| bad row |", Cells: []string{"bad row"}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %#v, want %#v", rows, want)
	}
	for i, r := range rows {
		if sample[r.Line-1] != r.Text {
			t.Errorf("rows[%d]: Line %d is %q, not the row's text %q", i, r.Line, sample[r.Line-1], r.Text)
		}
	}

	// A separator is only skipped right below the header.
	_, rows = Table(t, []string{"| h |", "| a |", "| --- |"}, "h")
	if want := []Row{{2, "| a |", []string{"a"}}, {3, "| --- |", []string{"---"}}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %#v, want %#v", rows, want)
	}

	line, rows = Table(t, []string{"| h |", "|---|", "", "| x |"}, "h")
	if line != 1 || rows != nil {
		t.Errorf("table without rows: line %d, rows %#v; want 1, nil", line, rows)
	}
}

func TestTableFatal(t *testing.T) {
	for _, tc := range []struct {
		lines  []string
		header string
		want   string
	}{
		{sample, "`other.Config`", "README.md has no table headed `other.Config`"},
		{append(slices.Clone(sample), "", "| `pkg.Config` | default |"), "`pkg.Config`", "README.md:16: a second `pkg.Config` table (the first is at line 7)"},
	} {
		msg, fatal := runTB(func(tb testing.TB) { Table(tb, tc.lines, tc.header) })
		if !fatal || msg != tc.want {
			t.Errorf("Table(%s): fatal %t, message %q; want a fatal %q", tc.header, fatal, msg, tc.want)
		}
	}
}

// fatalTB records the first fatal failure of the function runTB runs.
type fatalTB struct {
	testing.TB
	msg   string
	fatal bool
}

func (*fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.msg, f.fatal = fmt.Sprint(args...), true
	runtime.Goexit()
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg, f.fatal = fmt.Sprintf(format, args...), true
	runtime.Goexit()
}

// runTB runs fn in a goroutine of its own and returns the message of its
// fatal failure, if it had one.
func runTB(fn func(testing.TB)) (msg string, fatal bool) {
	tb := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb.msg, tb.fatal
}

package readmetest

import (
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Lines returns the lines of the file at path, failing t if it cannot be
// read. Line n of the file is Lines(...)[n-1].
func Lines(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(data), "\n")
}

// Row is a row of a Markdown table.
type Row struct {
	Line  int      // in README.md, from 1
	Text  string   // the line as written
	Cells []string // as Cells returns them
}

// Table finds the one table of lines whose header's first cell is header
// and returns the README line of that header with the rows below it,
// without the separator row. The table ends at the first line that is not
// a table row. Table fails t if no table or more than one has that header.
func Table(t testing.TB, lines []string, header string) (headerLine int, rows []Row) {
	t.Helper()
	start := -1
	for i, l := range lines {
		if c := Cells(l); c != nil && c[0] == header {
			if start >= 0 {
				t.Fatalf("README.md:%d: a second %s table (the first is at line %d)", i+1, header, start+1)
			}
			start = i
		}
	}
	if start < 0 {
		t.Fatalf("README.md has no table headed %s", header)
	}
	for i := start + 1; i < len(lines); i++ {
		cells := Cells(lines[i])
		if cells == nil {
			break
		}
		if i == start+1 && IsSeparator(cells) {
			continue
		}
		rows = append(rows, Row{Line: i + 1, Text: lines[i], Cells: cells})
	}
	return start + 1, rows
}

// Cells splits a Markdown table row into trimmed cells, or returns nil for
// a line that is not a table row.
func Cells(line string) []string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil
	}
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

// IsSeparator reports whether cells are those of the row separating a
// table's header from its body ("---", ":--:"...).
func IsSeparator(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" || c == "" {
			return false
		}
	}
	return true
}

// FieldNames returns the names of the exported fields of the struct type
// typ, in their order.
func FieldNames(typ reflect.Type) []string {
	var names []string
	for i := range typ.NumField() {
		if f := typ.Field(i); f.IsExported() {
			names = append(names, f.Name)
		}
	}
	return names
}

// Duration writes d as the README does: a whole number of its largest
// exact unit ("10 s", "1 min", "4 h", "50 ms").
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return d.String()
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%d s", d/time.Second)
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	return d.String()
}

// Bytes writes n in its largest exact binary unit ("1 MiB", "64 MiB").
func Bytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n > 0 && n%u.size == 0 {
			return Count(n/u.size) + " " + u.name
		}
	}
	return Count(n) + " bytes"
}

// Count writes n with thousands separators ("100,000").
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	if n < 0 {
		b.WriteByte('-')
		s = s[1:]
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

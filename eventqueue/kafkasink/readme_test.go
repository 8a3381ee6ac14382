package kafkasink

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

const readmePath = "../../README.md"

// TestREADMEOptionsTable checks README.md's `kafkasink.Options` table
// against Options: every field it names exists, every exported field is
// named, and each default is what withDefaults gives.
func TestREADMEOptionsTable(t *testing.T) {
	rows := readmeOptionsRows(t)
	typ := reflect.TypeFor[Options]()
	defaults := readmeOptionDefaults(t)
	seen := map[string]int{}
	for _, r := range rows {
		for i, name := range r.fields {
			if prev, ok := seen[name]; ok {
				t.Errorf("README.md:%d: %s is listed twice (also line %d)", r.line, name, prev)
				continue
			}
			seen[name] = r.line
			if f, ok := typ.FieldByName(name); !ok || !f.IsExported() {
				t.Errorf("README.md:%d: %s is not a field of kafkasink.Options; it has %s", r.line, name, strings.Join(readmeFieldNames(typ), ", "))
				continue
			}
			format, ok := defaults[name]
			if !ok {
				t.Errorf("README.md:%d: Options.%s has no default formatter in eventqueue/kafkasink/readme_test.go: add one that computes its default from the code", r.line, name)
				continue
			}
			if want := format(); r.defs[i] != want {
				t.Errorf("README.md:%d: Options.%s: the README's default is %q, the code's is %q", r.line, name, r.defs[i], want)
			}
		}
	}
	for _, name := range readmeFieldNames(typ) {
		if _, ok := seen[name]; !ok {
			t.Errorf("eventqueue/kafkasink/options.go: Options.%s is missing from README.md's `kafkasink.Options` table", name)
		}
		if _, ok := defaults[name]; !ok {
			t.Errorf("Options.%s has no default formatter in eventqueue/kafkasink/readme_test.go", name)
		}
	}
	for name := range defaults {
		if f, ok := typ.FieldByName(name); !ok || !f.IsExported() {
			t.Errorf("readme_test.go: a default formatter for Options.%s, which the code does not have: remove it", name)
		}
	}
}

// readmeOptionDefaults returns, per field of Options, the default cell
// the README must show, from what withDefaults makes of minimal options.
// A formatter that finds the code other than the README describes returns
// a description of what the code has, so that the comparison fails.
func readmeOptionDefaults(t *testing.T) map[string]func() string {
	t.Helper()
	d, err := (&Options{Brokers: []string{"127.0.0.1:9092"}, Topic: "t"}).withDefaults()
	if err != nil {
		t.Fatalf("withDefaults of Brokers and Topic alone: %v", err)
	}
	code := func(s string) string { return "`" + s + "`" }
	// refused reports whether withDefaults refuses o with a message
	// naming field.
	refused := func(o Options, field string) bool {
		_, err := o.withDefaults()
		return errors.Is(err, ErrInvalidOptions) && strings.Contains(err.Error(), field)
	}
	writer := &kafka.Writer{Addr: kafka.TCP("127.0.0.1:9092"), RequiredAcks: kafka.RequireAll}
	required := func(field string, o Options) string {
		if !refused(o, field) {
			return "optional: withDefaults accepts options without " + field
		}
		return "required"
	}
	none := func(isNil bool, what string) string {
		if !isNil {
			return what + " is set by withDefaults"
		}
		return "none"
	}
	return map[string]func() string{
		"Brokers": func() string {
			s := required("Brokers", Options{Topic: "t"})
			if refused(Options{Topic: "t", Writer: writer}, "Brokers") {
				return s + ", even with Writer"
			}
			return s + " (or `Writer`)"
		},
		"Topic":  func() string { return required("Topic", Options{Brokers: []string{"b:9092"}}) },
		"Topics": func() string { return required("Topic", Options{Brokers: []string{"b:9092"}}) },
		"RequiredAcks": func() string {
			switch d.RequiredAcks {
			case AcksAll:
				return code("AcksAll")
			case AcksLeader:
				return code("AcksLeader")
			}
			return d.RequiredAcks.String()
		},
		"Compression": func() string {
			if d.Compression != 0 {
				return code(d.Compression.String())
			}
			return "none"
		},
		"TLS":  func() string { return none(d.TLS == nil, "TLS") },
		"SASL": func() string { return none(d.SASL == nil, "SASL") },
		"MaxMessageBytes": func() string {
			if d.MaxMessageBytes != DefaultMaxMessageBytes {
				t.Errorf("withDefaults sets MaxMessageBytes %d, not DefaultMaxMessageBytes (%d)", d.MaxMessageBytes, DefaultMaxMessageBytes)
			}
			return readmeBytes(int64(d.MaxMessageBytes))
		},
		"WriteTimeout": func() string {
			if d.WriteTimeout != DefaultWriteTimeout {
				t.Errorf("withDefaults sets WriteTimeout %v, not DefaultWriteTimeout (%v)", d.WriteTimeout, DefaultWriteTimeout)
			}
			return readmeDuration(d.WriteTimeout)
		},
		"MaxAttempts":      func() string { return fmt.Sprint(d.MaxAttempts) },
		"AutoCreateTopics": func() string { return fmt.Sprint(d.AutoCreateTopics) },
		"ClientID":         func() string { return code(d.ClientID) },
		"Writer":           func() string { return none(d.Writer == nil, "Writer") },
		"Logger": func() string {
			if d.Logger == nil || d.Logger.Handler() != slog.DiscardHandler {
				return "withDefaults does not discard the logs"
			}
			return "discarded"
		},
	}
}

// readmeOptionsRow is one row of the `kafkasink.Options` table: one or
// more fields and their defaults (one for all, or one each).
type readmeOptionsRow struct {
	line   int // in README.md, from 1
	fields []string
	defs   []string // len(fields)
}

var readmeFieldCell = regexp.MustCompile("^`([A-Za-z0-9_]+)`$")

// readmeOptionsRows returns the rows of README.md's table whose header's
// first cell is `kafkasink.Options`.
func readmeOptionsRows(t *testing.T) []readmeOptionsRow {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := -1
	for i, l := range lines {
		if c := readmeCells(l); c != nil && c[0] == "`kafkasink.Options`" {
			if start >= 0 {
				t.Fatalf("README.md:%d: a second `kafkasink.Options` table (the first is at line %d)", i+1, start+1)
			}
			start = i
		}
	}
	if start < 0 {
		t.Fatal("README.md has no table headed `kafkasink.Options`")
	}
	var rows []readmeOptionsRow
	for i := start + 1; i < len(lines); i++ {
		cells := readmeCells(lines[i])
		if cells == nil {
			break
		}
		if i == start+1 && readmeSeparator(cells) {
			continue
		}
		if len(cells) != 3 {
			t.Errorf("README.md:%d: %d cells, want 3 (field | default | what it does): %s", i+1, len(cells), lines[i])
			continue
		}
		r := readmeOptionsRow{line: i + 1}
		for f := range strings.SplitSeq(cells[0], ",") {
			m := readmeFieldCell.FindStringSubmatch(strings.TrimSpace(f))
			if m == nil {
				t.Errorf("README.md:%d: %q in the first cell: want `Field`, `Field`...", i+1, strings.TrimSpace(f))
				continue
			}
			r.fields = append(r.fields, m[1])
		}
		defs := strings.Split(cells[1], ", ")
		switch len(defs) {
		case len(r.fields):
			r.defs = defs
		case 1:
			for range r.fields {
				r.defs = append(r.defs, cells[1])
			}
		default:
			t.Errorf("README.md:%d: %d defaults for %d fields: want one for all, or one each", i+1, len(defs), len(r.fields))
			continue
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("README.md:%d: the `kafkasink.Options` table has no rows", start+1)
	}
	return rows
}

func readmeFieldNames(typ reflect.Type) []string {
	var names []string
	for i := range typ.NumField() {
		if f := typ.Field(i); f.IsExported() {
			names = append(names, f.Name)
		}
	}
	return names
}

// readmeCells splits a Markdown table row into trimmed cells, or returns
// nil for a line that is not a table row.
func readmeCells(l string) []string {
	l = strings.TrimSpace(l)
	if !strings.HasPrefix(l, "|") {
		return nil
	}
	l = strings.TrimSuffix(strings.TrimPrefix(l, "|"), "|")
	cells := strings.Split(l, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

func readmeSeparator(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" || c == "" {
			return false
		}
	}
	return true
}

// readmeDuration writes d as the README does: a whole number of its
// largest exact unit ("10 s", "1 min", "4 h", "50 ms"). The same as
// flagship/readme_test.go's.
func readmeDuration(d time.Duration) string {
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

// readmeBytes writes n in its largest exact binary unit ("1 MiB").
func readmeBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n > 0 && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

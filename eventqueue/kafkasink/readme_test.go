package kafkasink

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/seed27eed597/flagship-go/internal/readmetest"
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
				t.Errorf("README.md:%d: %s is not a field of kafkasink.Options; it has %s", r.line, name, strings.Join(readmetest.FieldNames(typ), ", "))
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
	for _, name := range readmetest.FieldNames(typ) {
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
			return readmetest.Bytes(int64(d.MaxMessageBytes))
		},
		"WriteTimeout": func() string {
			if d.WriteTimeout != DefaultWriteTimeout {
				t.Errorf("withDefaults sets WriteTimeout %v, not DefaultWriteTimeout (%v)", d.WriteTimeout, DefaultWriteTimeout)
			}
			return readmetest.Duration(d.WriteTimeout)
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
	header, table := readmetest.Table(t, readmetest.Lines(t, readmePath), "`kafkasink.Options`")
	var rows []readmeOptionsRow
	for _, tr := range table {
		cells := tr.Cells
		if len(cells) != 3 {
			t.Errorf("README.md:%d: %d cells, want 3 (field | default | what it does): %s", tr.Line, len(cells), tr.Text)
			continue
		}
		r := readmeOptionsRow{line: tr.Line}
		for f := range strings.SplitSeq(cells[0], ",") {
			m := readmeFieldCell.FindStringSubmatch(strings.TrimSpace(f))
			if m == nil {
				t.Errorf("README.md:%d: %q in the first cell: want `Field`, `Field`...", tr.Line, strings.TrimSpace(f))
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
			t.Errorf("README.md:%d: %d defaults for %d fields: want one for all, or one each", tr.Line, len(defs), len(r.fields))
			continue
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatalf("README.md:%d: the `kafkasink.Options` table has no rows", header)
	}
	return rows
}

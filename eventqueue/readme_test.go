package eventqueue

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/readmetest"
)

// README.md's `eventqueue.SinkConfig` table lists every field of
// SinkConfig with its default. These tests fail when the table and the
// code diverge: a field missing on either side, or another default.

const readmePath = "../README.md"

// TestREADMESinkConfigTable checks README.md's `eventqueue.SinkConfig`
// table against SinkConfig: every field it names exists, every exported
// field is named, and each default is what normalize gives a SinkConfig
// with only Name and Sink set.
func TestREADMESinkConfigTable(t *testing.T) {
	rows := readmeSinkConfigRows(t)
	typ := reflect.TypeFor[SinkConfig]()
	defaults := readmeSinkConfigDefaults(t)
	seen := map[string]int{}
	for _, r := range rows {
		for i, name := range r.fields {
			if prev, ok := seen[name]; ok {
				t.Errorf("README.md:%d: %s is listed twice (also line %d)", r.line, name, prev)
				continue
			}
			seen[name] = r.line
			if f, ok := typ.FieldByName(name); !ok || !f.IsExported() {
				t.Errorf("README.md:%d: %s is not a field of eventqueue.SinkConfig; it has %s", r.line, name, strings.Join(readmetest.FieldNames(typ), ", "))
				continue
			}
			format, ok := defaults[name]
			if !ok {
				t.Errorf("README.md:%d: SinkConfig.%s has no default formatter in eventqueue/readme_test.go: add one that computes its default from the code", r.line, name)
				continue
			}
			if want := format(t); r.defs[i] != want {
				t.Errorf("README.md:%d: SinkConfig.%s: the README's default is %q, the code's is %q", r.line, name, r.defs[i], want)
			}
		}
	}
	for _, name := range readmetest.FieldNames(typ) {
		if _, ok := seen[name]; !ok {
			t.Errorf("eventqueue/options.go: SinkConfig.%s is missing from README.md's `eventqueue.SinkConfig` table", name)
		}
		if _, ok := defaults[name]; !ok {
			t.Errorf("SinkConfig.%s has no default formatter in eventqueue/readme_test.go", name)
		}
	}
	for name := range defaults {
		if f, ok := typ.FieldByName(name); !ok || !f.IsExported() {
			t.Errorf("readme_test.go: a default formatter for SinkConfig.%s, which the code does not have: remove it", name)
		}
	}
}

// TestREADMESinkConfigLimits checks the limits the table's descriptions
// state: the length of Name and the largest BatchSize.
func TestREADMESinkConfigLimits(t *testing.T) {
	rows := map[string]readmeSinkConfigRow{}
	for _, r := range readmeSinkConfigRows(t) {
		for _, f := range r.fields {
			rows[f] = r
		}
	}
	if r, ok := rows["Name"]; ok {
		longest := 0
		for n := 1; n <= 1024; n++ {
			if validSinkName(strings.Repeat("a", n)) {
				longest = n
			}
		}
		if validSinkName("") {
			t.Errorf("validSinkName accepts an empty name")
		}
		if want := fmt.Sprintf("1 to %d letters", longest); !strings.Contains(r.desc, want) {
			t.Errorf("README.md:%d: SinkConfig.Name: the description does not say %q: names of 1 to %d bytes are valid (validSinkName)", r.line, want, longest)
		}
	}
	if r, ok := rows["BatchSize"]; ok {
		if _, err := readmeNormalize(SinkConfig{Name: "readme", Sink: readmeSink, BatchSize: maxBatchSize}); err != nil {
			t.Errorf("normalize refuses BatchSize %d (maxBatchSize): %v", maxBatchSize, err)
		}
		if _, err := readmeNormalize(SinkConfig{Name: "readme", Sink: readmeSink, BatchSize: maxBatchSize + 1}); err == nil {
			t.Errorf("normalize accepts BatchSize %d (maxBatchSize+1)", maxBatchSize+1)
		}
		if want := "at most " + readmetest.Count(maxBatchSize); !strings.Contains(r.desc, want) {
			t.Errorf("README.md:%d: SinkConfig.BatchSize: the description does not say %q: the code's maximum is %d (maxBatchSize)", r.line, want, maxBatchSize)
		}
	}
}

var readmeSink = SinkFunc(func(context.Context, []Record) error { return nil })

// readmeNormalize returns c as Open would use it, or the error Open
// would fail with.
func readmeNormalize(c SinkConfig) (SinkConfig, error) {
	o := Options{Sinks: []SinkConfig{c}}
	err := o.normalize()
	return o.Sinks[0], err
}

// readmeSinkConfigDefaults returns, per field of SinkConfig, the default
// cell the README must show, from what normalize makes of a SinkConfig
// with only Name and Sink. A formatter that finds the code other than the
// README describes returns a description of what the code has, so that
// the comparison fails with it.
func readmeSinkConfigDefaults(t *testing.T) map[string]func(*testing.T) string {
	t.Helper()
	minimal := func() SinkConfig { return SinkConfig{Name: "readme", Sink: readmeSink} }
	d, err := readmeNormalize(minimal())
	if err != nil {
		t.Fatalf("normalize of a SinkConfig with only Name and Sink: %v", err)
	}
	// required reports whether normalize refuses the minimal SinkConfig
	// without field (which zero clears).
	required := func(field string, zero func(*SinkConfig)) string {
		c := minimal()
		zero(&c)
		_, err := readmeNormalize(c)
		switch {
		case err == nil:
			return "optional: normalize accepts a SinkConfig without " + field
		case !errors.Is(err, ErrInvalidOptions):
			return fmt.Sprintf("normalize refuses a SinkConfig without %s with %v, which is not ErrInvalidOptions", field, err)
		}
		return "required"
	}
	// duration formats a defaulted duration, and reports one that is not
	// the exported constant SinkConfig's documentation names.
	duration := func(t *testing.T, field string, got, constant time.Duration, name string) string {
		t.Helper()
		if got != constant {
			t.Errorf("normalize sets SinkConfig.%s to %v, not %s (%v)", field, got, name, constant)
		}
		return readmetest.Duration(got)
	}
	return map[string]func(*testing.T) string{
		"Name": func(*testing.T) string { return required("Name", func(c *SinkConfig) { c.Name = "" }) },
		"Sink": func(*testing.T) string { return required("Sink", func(c *SinkConfig) { c.Sink = nil }) },
		"Kinds": func(t *testing.T) string {
			if d.Kinds != nil {
				return fmt.Sprintf("normalize sets Kinds %v", d.Kinds)
			}
			return readmeDefaultKinds(t, minimal())
		},
		"BatchSize": func(t *testing.T) string {
			if d.BatchSize != DefaultBatchSize {
				t.Errorf("normalize sets SinkConfig.BatchSize to %d, not DefaultBatchSize (%d)", d.BatchSize, DefaultBatchSize)
			}
			return readmetest.Count(int64(d.BatchSize))
		},
		"FlushInterval": func(t *testing.T) string {
			return duration(t, "FlushInterval", d.FlushInterval, DefaultFlushInterval, "DefaultFlushInterval")
		},
		"MaxAge": func(*testing.T) string {
			if d.MaxAge != 0 {
				return readmetest.Duration(d.MaxAge)
			}
			return "none"
		},
		"SendTimeout": func(t *testing.T) string {
			return duration(t, "SendTimeout", d.SendTimeout, DefaultSendTimeout, "DefaultSendTimeout")
		},
		"RetryInitial": func(t *testing.T) string {
			return duration(t, "RetryInitial", d.RetryInitial, DefaultRetryInitial, "DefaultRetryInitial")
		},
		"RetryMax": func(t *testing.T) string {
			return duration(t, "RetryMax", d.RetryMax, DefaultRetryMax, "DefaultRetryMax")
		},
		"MaxRetryAfter": func(t *testing.T) string {
			return duration(t, "MaxRetryAfter", d.MaxRetryAfter, DefaultMaxRetryAfter, "DefaultMaxRetryAfter")
		},
	}
}

// readmeDefaultKinds opens a queue with c and returns "all kinds" if its
// sink takes every kind normalize accepts, or else which it takes.
func readmeDefaultKinds(t *testing.T, c SinkConfig) string {
	t.Helper()
	q, err := Open(filepath.Join(t.TempDir(), "q.db"), Options{Sinks: []SinkConfig{c}})
	if err != nil {
		t.Fatalf("Open with a SinkConfig of only Name and Sink: %v", err)
	}
	defer func() {
		if err := q.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	var known, taken []string
	for k := range hits.Kind(8) {
		if _, err := readmeNormalize(SinkConfig{Name: "readme", Sink: readmeSink, Kinds: []hits.Kind{k}}); err == nil {
			known = append(known, k.String())
		}
		if q.sinks[0].takes(k) {
			taken = append(taken, k.String())
		}
	}
	if len(known) == 0 {
		return "normalize accepts no kind"
	}
	if !reflect.DeepEqual(known, taken) {
		return fmt.Sprintf("the sink takes %v of the kinds %v", taken, known)
	}
	return "all kinds"
}

// readmeSinkConfigRow is one row of the `eventqueue.SinkConfig` table:
// one or more fields and their defaults (one for all, or one each).
type readmeSinkConfigRow struct {
	line   int // in README.md, from 1
	fields []string
	defs   []string // len(fields)
	desc   string
}

var readmeFieldCell = regexp.MustCompile("^`([A-Za-z0-9_]+)`$")

// readmeSinkConfigRows returns the rows of README.md's table whose
// header's first cell is `eventqueue.SinkConfig`.
func readmeSinkConfigRows(t *testing.T) []readmeSinkConfigRow {
	t.Helper()
	header, table := readmetest.Table(t, readmetest.Lines(t, readmePath), "`eventqueue.SinkConfig`")
	var rows []readmeSinkConfigRow
	for _, tr := range table {
		cells := tr.Cells
		if len(cells) != 3 {
			t.Errorf("README.md:%d: %d cells, want 3 (field | default | what it does): %s", tr.Line, len(cells), tr.Text)
			continue
		}
		r := readmeSinkConfigRow{line: tr.Line, desc: cells[2]}
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
		t.Fatalf("README.md:%d: the `eventqueue.SinkConfig` table has no rows", header)
	}
	return rows
}

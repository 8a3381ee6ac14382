package flagship

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/internal/readmetest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// README.md has a table per options struct taken by an option of New,
// headed `flagship.Endpoints`, `flagship.DeliveryOptions`...: one row per
// field (or per group of fields) with its default. This test fails when
// a table and the struct diverge: a field missing on either side, or
// another default.

// readmeOptionStructs is every options struct an option of New takes.
// TestREADMEOptionStructs checks this list against the code.
var readmeOptionStructs = map[string]reflect.Type{
	"Endpoints":          reflect.TypeFor[Endpoints](),
	"DecisionAPIOptions": reflect.TypeFor[DecisionAPIOptions](),
	"BucketingOptions":   reflect.TypeFor[BucketingOptions](),
	"DeliveryOptions":    reflect.TypeFor[DeliveryOptions](),
	"AssignmentOptions":  reflect.TypeFor[AssignmentOptions](),
}

// TestREADMEOptionStructs checks, for each struct type of this package
// that an exported function returning Option takes, the README table
// headed with its name: every field it names exists, every exported
// field is named once, and each default is what New makes of the zero
// value.
func TestREADMEOptionStructs(t *testing.T) {
	taken := readmeStructParams(t, ".")
	if got, want := slices.Sorted(maps.Keys(taken)), slices.Sorted(maps.Keys(readmeOptionStructs)); !slices.Equal(got, want) {
		t.Fatalf("the options take the structs %v, readmeOptionStructs lists %v: update it and readmeStructDefaults", got, want)
	}
	lines := readmetest.Lines(t, readmePath)
	all := readmeStructDefaults()
	for _, name := range slices.Sorted(maps.Keys(readmeOptionStructs)) {
		t.Run(name, func(t *testing.T) {
			typ := readmeOptionStructs[name]
			defaults, ok := all[name]
			if !ok {
				t.Fatalf("readmeStructDefaults has no formatters for %s", name)
			}
			seen := map[string]int{}
			for _, r := range readmeStructRows(t, lines, "`flagship."+name+"`") {
				for i, field := range r.fields {
					if prev, ok := seen[field]; ok {
						t.Errorf("README.md:%d: %s.%s is listed twice (also line %d)", r.line, name, field, prev)
						continue
					}
					seen[field] = r.line
					if f, ok := typ.FieldByName(field); !ok || !f.IsExported() {
						t.Errorf("README.md:%d: %s is not a field of flagship.%s; it has %s", r.line, field, name, strings.Join(readmetest.FieldNames(typ), ", "))
						continue
					}
					format, ok := defaults[field]
					if !ok {
						t.Errorf("README.md:%d: %s.%s has no default formatter in readmeStructDefaults", r.line, name, field)
						continue
					}
					if want := format(t); r.defs[i] != want {
						t.Errorf("README.md:%d: %s.%s: the README's default is %q, the code's is %q", r.line, name, field, r.defs[i], want)
					}
				}
			}
			for _, field := range readmetest.FieldNames(typ) {
				if _, ok := seen[field]; !ok {
					t.Errorf("flagship.%s.%s is missing from README.md's `flagship.%s` table", name, field, name)
				}
			}
			for field := range defaults {
				if f, ok := typ.FieldByName(field); !ok || !f.IsExported() {
					t.Errorf("readmeStructDefaults has a formatter for %s.%s, which the code does not have: remove it", name, field)
				}
			}
		})
	}
}

// readmeStructDefaults returns, per options struct and field, the default
// cell the README must show, computed from what New makes of the
// struct's zero value. A formatter that finds the code other than the
// README describes returns a description of what the code has, or fails
// t, so that the comparison fails with it.
func readmeStructDefaults() map[string]map[string]func(*testing.T) string {
	code := func(s string) string { return "`" + s + "`" }
	duration := func(field string, got, constant time.Duration, name string) func(*testing.T) string {
		return func(t *testing.T) string {
			if got != constant {
				t.Errorf("the zero value resolves %s to %v, not %s (%v), which its doc names", field, got, name, constant)
			}
			return readmetest.Duration(got)
		}
	}
	count := func(field string, got, constant int64, name string, format func(int64) string) func(*testing.T) string {
		return func(t *testing.T) string {
			if got != constant {
				t.Errorf("the zero value resolves %s to %d, not %s (%d), which its doc names", field, got, name, constant)
			}
			return format(got)
		}
	}
	// endpoint formats an endpoint: Base's layout for it, else its
	// production default.
	const base = "http://base.example"
	zero, zeroErr := Endpoints{}.resolve()
	withBase, baseErr := Endpoints{Base: base + "/"}.resolve()
	endpoint := func(field string, get func(Endpoints) string, constant string) func(*testing.T) string {
		return func(t *testing.T) string {
			if zeroErr != nil || baseErr != nil {
				t.Fatalf("resolve: %v, %v", zeroErr, baseErr)
			}
			if get(zero) != constant {
				return fmt.Sprintf("the zero Endpoints resolve %s to %s", field, get(zero))
			}
			rel, ok := strings.CutPrefix(get(withBase), base)
			if !ok {
				return fmt.Sprintf("Base %s resolves %s to %s", base, field, get(withBase))
			}
			return code("{Base}"+rel) + " or " + code(constant)
		}
	}
	var d DeliveryOptions
	return map[string]map[string]func(*testing.T) string{
		"Endpoints": {
			"Base": func(*testing.T) string {
				if zero.Base != "" {
					return "the zero Endpoints resolve Base to " + zero.Base
				}
				return "none: Flagship's endpoints"
			},
			"DecisionAPI": endpoint("DecisionAPI", func(e Endpoints) string { return e.DecisionAPI }, DefaultDecisionAPIURL),
			"Activate":    endpoint("Activate", func(e Endpoints) string { return e.Activate }, DefaultActivateURL),
			"Events":      endpoint("Events", func(e Endpoints) string { return e.Events }, DefaultEventsURL),
			"Bucketing":   endpoint("Bucketing", func(e Endpoints) string { return e.Bucketing }, DefaultBucketingURL),
		},
		"DecisionAPIOptions": {
			"Timeout": duration("Timeout", DecisionAPIOptions{}.timeout(), DefaultDecisionTimeout, "DefaultDecisionTimeout"),
		},
		"BucketingOptions": {
			"PollingInterval": duration("PollingInterval", BucketingOptions{}.pollingInterval(), DefaultPollingInterval, "DefaultPollingInterval"),
			"FetchTimeout":    duration("FetchTimeout", BucketingOptions{}.fetchTimeout(), DefaultFetchTimeout, "DefaultFetchTimeout"),
		},
		"DeliveryOptions": {
			"QueueFile": func(t *testing.T) string {
				c := defaultConfig()
				c.cacheDir = "{cache dir}"
				path, err := c.queueFile("ENV")
				if err != nil {
					t.Fatal(err)
				}
				return code(path)
			},
			"InMemory": func(*testing.T) string {
				if d.InMemory {
					return "the zero DeliveryOptions is in memory"
				}
				return "`false`: the queue file"
			},
			"BatchSize":        count("BatchSize", int64(d.batchSize()), eventqueue.DefaultBatchSize, "eventqueue.DefaultBatchSize", readmetest.Count),
			"FlushInterval":    duration("FlushInterval", d.flushInterval(), eventqueue.DefaultFlushInterval, "eventqueue.DefaultFlushInterval"),
			"HitTimeout":       duration("HitTimeout", d.hitTimeout(), DefaultHitTimeout, "DefaultHitTimeout"),
			"MaxAge":           duration("MaxAge", d.maxAge(), DefaultHitMaxAge, "DefaultHitMaxAge"),
			"RetryInitial":     duration("RetryInitial", d.retryInitial(), eventqueue.DefaultRetryInitial, "eventqueue.DefaultRetryInitial"),
			"RetryMax":         duration("RetryMax", d.retryMax(), eventqueue.DefaultRetryMax, "eventqueue.DefaultRetryMax"),
			"MaxRecords":       count("MaxRecords", int64(d.maxRecords()), eventqueue.DefaultMaxRecords, "eventqueue.DefaultMaxRecords", readmetest.Count),
			"MaxBytes":         count("MaxBytes", d.maxBytes(), eventqueue.DefaultMaxBytes, "eventqueue.DefaultMaxBytes", readmetest.Bytes),
			"ContextHitWindow": duration("ContextHitWindow", d.contextHitWindow(), visitor.DefaultContextHitWindow, "visitor.DefaultContextHitWindow"),
			"BufferDelay": func(*testing.T) string {
				if d.durability() != eventqueue.Durable {
					return fmt.Sprintf("durability %v", d.durability())
				}
				return "0: durable"
			},
			"Sinks":   func(*testing.T) string { return "none" },
			"NoHTTP":  func(*testing.T) string { return "`false`: HTTP delivery runs" },
			"Tracker": func(*testing.T) string { return "none: the durable queue" },
		},
		"AssignmentOptions": {
			"Store": func(*testing.T) string { return code("{cache dir}/" + AssignmentsFileName) },
			"Cache": func(*testing.T) string {
				return readmetest.Count(assignment.DefaultCacheMaxEntries) + " keys / " + readmetest.Duration(assignment.DefaultCacheTTL) +
					", read budget " + readmetest.Duration(assignment.DefaultReadBudget) + ", fail-open"
			},
		},
	}
}

// readmeStructRow is one row of an options struct's table: one or more
// fields and their defaults (one for all, or one each).
type readmeStructRow struct {
	line   int // in README.md, from 1
	fields []string
	defs   []string // len(fields)
}

var readmeFieldCell = regexp.MustCompile("^`([A-Za-z0-9_]+)`$")

// readmeStructRows returns the rows of the README table headed header.
// The default cell of a row of several fields holds one default for all,
// or one each, separated by ", ".
func readmeStructRows(t *testing.T, lines []string, header string) []readmeStructRow {
	t.Helper()
	headerLine, table := readmetest.Table(t, lines, header)
	var rows []readmeStructRow
	for _, tr := range table {
		cells := tr.Cells
		if len(cells) != 3 {
			t.Errorf("README.md:%d: %d cells, want 3 (field | default | what it does): %s", tr.Line, len(cells), tr.Text)
			continue
		}
		r := readmeStructRow{line: tr.Line}
		for f := range strings.SplitSeq(cells[0], ",") {
			m := readmeFieldCell.FindStringSubmatch(strings.TrimSpace(f))
			if m == nil {
				t.Errorf("README.md:%d: %q in the first cell: want `Field`, `Field`...", tr.Line, strings.TrimSpace(f))
				continue
			}
			r.fields = append(r.fields, m[1])
		}
		defs := []string{cells[1]}
		if len(r.fields) > 1 {
			defs = strings.Split(cells[1], ", ")
		}
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
		t.Fatalf("README.md:%d: the %s table has no rows", headerLine, header)
	}
	return rows
}

// readmeStructParams returns the exported struct types declared in the
// package in dir (its non-test files) that an exported function
// returning Option takes as a parameter.
func readmeStructParams(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	structs := map[string]bool{}
	params := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.IsExported() {
						if _, ok := ts.Type.(*ast.StructType); ok {
							structs[ts.Name.Name] = true
						}
					}
				}
			case *ast.FuncDecl:
				if !readmeReturnsOption(d) {
					continue
				}
				for _, p := range d.Type.Params.List {
					if id, ok := p.Type.(*ast.Ident); ok {
						params[id.Name] = true
					}
				}
			}
		}
	}
	out := map[string]bool{}
	for p := range params {
		if structs[p] {
			out[p] = true
		}
	}
	return out
}

// readmeReturnsOption reports whether fd is an exported function whose
// only result is Option.
func readmeReturnsOption(fd *ast.FuncDecl) bool {
	if fd.Recv != nil || !fd.Name.IsExported() || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 {
		return false
	}
	res := fd.Type.Results.List[0]
	id, ok := res.Type.(*ast.Ident)
	return ok && id.Name == "Option" && len(res.Names) <= 1
}

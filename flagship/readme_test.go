package flagship

import (
	"context"
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
	"sync"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/readmetest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The README's "## Configuration" section lists every option of New and of
// NewVisitor with its default. These tests fail when the tables and the
// code diverge: an option missing on either side, other parameter names,
// or another default.

const readmePath = "../README.md"

// TestREADMEFlagshipOptions checks the table of flagship.Option
// constructors against the exported functions of this package returning
// Option, and each default against defaultConfig() and the Default*
// constants.
func TestREADMEFlagshipOptions(t *testing.T) {
	rows := readmeConfigRows(t)["flagship"]
	code := readmeOptionFuncs(t, ".")
	readmeCheckOptions(t, "flagship", rows, code, readmeFlagshipDefaults(defaultConfig()))
}

// TestREADMEVisitorOptions checks the table of visitor.Option constructors
// against the exported functions of package visitor returning Option, and
// each default against what a visitor made without options does.
func TestREADMEVisitorOptions(t *testing.T) {
	rows := readmeConfigRows(t)["visitor"]
	code := readmeOptionFuncs(t, "../visitor")
	readmeCheckOptions(t, "visitor", rows, code, readmeVisitorDefaults)
}

// readmeFlagshipDefaults returns, per option of New, the default cell the
// README must show, computed from c (defaultConfig()). A formatter that
// finds the code other than the README describes returns a description
// of what the code has, so that the comparison fails with it.
func readmeFlagshipDefaults(c config) map[string]func(*testing.T) string {
	code := func(s string) string { return "`" + s + "`" }
	// zero returns the cell of an option taking an options struct: the
	// struct's zero value, which defaultConfig() must hold and which the
	// option must store as it is.
	zero := func(field string, got any, apply Option, after func(*config) any) func(*testing.T) string {
		return func(*testing.T) string {
			if !reflect.ValueOf(got).IsZero() {
				return fmt.Sprintf("defaultConfig().%s is %+v, not the zero value", field, got)
			}
			applied := defaultConfig()
			apply.apply(&applied)
			if v := after(&applied); !reflect.ValueOf(v).IsZero() || len(applied.errs) > 0 {
				return fmt.Sprintf("the option given the zero value sets %s to %+v (errors %v)", field, v, applied.errs)
			}
			return code(fmt.Sprintf("%T{}", got))
		}
	}
	return map[string]func(*testing.T) string{
		"WithMode": func(*testing.T) string { return code(c.mode.String()) },
		"WithEndpoints": zero("endpoints", c.endpoints, WithEndpoints(Endpoints{}),
			func(c *config) any { return c.endpoints }),
		"WithHTTPClient": func(*testing.T) string {
			if c.httpClient != nil {
				return "defaultConfig().httpClient is set"
			}
			return "the SDK's own client"
		},
		"WithDecisionAPI": zero("decisionAPI", c.decisionAPI, WithDecisionAPI(DecisionAPIOptions{}),
			func(c *config) any { return c.decisionAPI }),
		"WithBucketing": zero("bucketing", c.bucketing, WithBucketing(BucketingOptions{}),
			func(c *config) any { return c.bucketing }),
		"WithDelivery": zero("delivery", c.delivery, WithDelivery(DeliveryOptions{}),
			func(c *config) any { return c.delivery }),
		"WithAssignments": zero("assignments", c.assignments, WithAssignments(AssignmentOptions{}),
			func(c *config) any { return c.assignments }),
		"WithCacheDir": func(*testing.T) string {
			if c.cacheDir != "" {
				return code(c.cacheDir)
			}
			base, err := os.UserCacheDir()
			if err != nil {
				return fmt.Sprintf("os.UserCacheDir() fails here (%v): the test needs $HOME or $XDG_CACHE_HOME", err)
			}
			if got, err := c.cacheDirPath("ENV"); got != filepath.Join(base, "flagship", "ENV") || err != nil {
				return fmt.Sprintf("cacheDirPath(%q) is %q, %v", "ENV", got, err)
			}
			return code("{os.UserCacheDir()}/flagship/{envID}")
		},
		"WithLogger": func(*testing.T) string {
			if c.logger != nil {
				return "defaultConfig().logger is set"
			}
			return code("slog.Default()") // New's choice for a nil logger
		},
		"WithObserver": func(*testing.T) string {
			if c.observer != nil {
				return fmt.Sprintf("defaultConfig().observer is %T", c.observer)
			}
			return "none"
		},
		"WithNotifications": func(*testing.T) string {
			if c.notify != nil {
				return fmt.Sprintf("defaultConfig().notify is %T", c.notify)
			}
			return "none"
		},
		"WithClock": func(*testing.T) string {
			if c.now == nil || reflect.ValueOf(c.now).Pointer() != reflect.ValueOf(time.Now).Pointer() {
				return "defaultConfig().now is not time.Now"
			}
			return code("time.Now")
		},
	}
}

// readmeVisitorDefaults gives, per visitor option, the default cell the
// README must show, observed on a visitor made without options.
var readmeVisitorDefaults = map[string]func(*testing.T) string{
	"WithAnonymousID": func(t *testing.T) string {
		v, _ := readmeNewVisitor(t)
		if id := v.AnonymousID(); id != "" {
			return fmt.Sprintf("AnonymousID() is %q", id)
		}
		return "none: anonymous"
	},
	"WithConsent": func(t *testing.T) string {
		// The formatter must be able to see a consent hit.
		if _, consentHits := readmeNewVisitor(t, visitor.WithConsent(true)); consentHits != 1 {
			t.Errorf("a visitor made WithConsent(true) queued %d consent hits on Synchronize, want 1: fix readmeNewVisitor", consentHits)
		}
		v, consentHits := readmeNewVisitor(t)
		hit := "no consent hit"
		if consentHits > 0 {
			hit = fmt.Sprintf("%d consent hits", consentHits)
		}
		return fmt.Sprintf("`%t`, %s", v.HasConsented(), hit)
	},
}

// readmeNewVisitor makes a visitor with opts, synchronizes it once, and
// returns it with the number of consent hits it queued.
func readmeNewVisitor(t *testing.T, opts ...visitor.Option) (*visitor.Visitor, int) {
	t.Helper()
	var tr readmeTracker
	v, err := visitor.New("readme-visitor", nil, visitor.Config{
		EnvID: "env",
		Decider: decision.DeciderFunc(func(context.Context, decision.Request) (decision.Decision, error) {
			return decision.Decision{}, nil
		}),
		Tracker: &tr,
	}, opts...)
	if err != nil {
		t.Fatalf("visitor.New: %v", err)
	}
	if err := v.Synchronize(t.Context()); err != nil {
		t.Fatalf("Synchronize: %v", err)
	}
	return v, tr.count(hits.KindConsent)
}

type readmeTracker struct {
	mu   sync.Mutex
	recs []hits.Record
}

func (r *readmeTracker) Enqueue(_ context.Context, rec hits.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

func (r *readmeTracker) count(k hits.Kind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.recs {
		if rec.Kind() == k {
			n++
		}
	}
	return n
}

// readmeOptionRow is one row of an options table of the Configuration
// section: `pkg.Name(params)` | default | what it does.
type readmeOptionRow struct {
	line   int // in README.md, from 1
	name   string
	params []string
	def    string
}

var readmeOptionCell = regexp.MustCompile("^`([a-z]+)\\.([A-Za-z0-9_]+)\\(([^)]*)\\)`$")

// readmeConfigRows returns the option rows of README.md's Configuration
// section by package name ("flagship", "visitor").
func readmeConfigRows(t *testing.T) map[string][]readmeOptionRow {
	t.Helper()
	lines := readmetest.Lines(t, readmePath)
	start := -1
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && l == "## Configuration" {
			if start >= 0 {
				t.Fatalf("README.md:%d: a second \"## Configuration\" section (the first is at line %d)", i+1, start+1)
			}
			start = i
		}
	}
	if start < 0 {
		t.Fatal("README.md has no \"## Configuration\" section")
	}
	rows := map[string][]readmeOptionRow{}
	fence = false
	inOptions := false // in a table headed "option"
	for i := start + 1; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "```") {
			fence = !fence
			continue
		}
		if fence {
			continue
		}
		if strings.HasPrefix(l, "## ") {
			break // the next section
		}
		cells := readmetest.Cells(l)
		switch {
		case cells == nil:
			inOptions = false
			continue
		case cells[0] == "option":
			inOptions = true
			continue
		case !inOptions || readmetest.IsSeparator(cells):
			continue // another table, such as an options struct's
		}
		if len(cells) != 3 {
			t.Errorf("README.md:%d: %d cells, want 3 (option | default | what it does): %s", i+1, len(cells), l)
			continue
		}
		m := readmeOptionCell.FindStringSubmatch(cells[0])
		if m == nil {
			t.Errorf("README.md:%d: first cell %s: want `pkg.WithName(params)`", i+1, cells[0])
			continue
		}
		var params []string
		for p := range strings.SplitSeq(m[3], ",") {
			if p = strings.TrimSpace(p); p != "" {
				params = append(params, p)
			}
		}
		rows[m[1]] = append(rows[m[1]], readmeOptionRow{line: i + 1, name: m[2], params: params, def: cells[1]})
	}
	for pkg := range rows {
		if pkg != "flagship" && pkg != "visitor" {
			t.Errorf("README.md: Configuration rows for package %q, which has no options table test", pkg)
		}
	}
	return rows
}

// readmeFunc is an exported function returning Option.
type readmeFunc struct {
	params []string
	pos    token.Position
}

// readmeOptionFuncs returns the exported functions of the package in dir
// (its non-test files) whose only result is the package's Option type.
func readmeOptionFuncs(t *testing.T, dir string) map[string]readmeFunc {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	funcs := map[string]readmeFunc{}
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
			fd, ok := d.(*ast.FuncDecl)
			if !ok || !readmeReturnsOption(fd) {
				continue
			}
			var params []string
			for _, p := range fd.Type.Params.List {
				if len(p.Names) == 0 {
					params = append(params, "_")
				}
				for _, n := range p.Names {
					params = append(params, n.Name)
				}
			}
			funcs[fd.Name.Name] = readmeFunc{params: params, pos: fset.Position(fd.Pos())}
		}
	}
	if len(funcs) == 0 {
		t.Fatalf("no exported function returning Option in %s", dir)
	}
	return funcs
}

// readmeCheckOptions compares the README's rows for pkg with the code's
// option constructors and their defaults.
func readmeCheckOptions(t *testing.T, pkg string, rows []readmeOptionRow, code map[string]readmeFunc, defaults map[string]func(*testing.T) string) {
	t.Helper()
	codeNames := slices.Sorted(maps.Keys(code))
	seen := map[string]int{}
	for _, r := range rows {
		qual := pkg + "." + r.name
		if prev, ok := seen[r.name]; ok {
			t.Errorf("README.md:%d: %s is listed twice (also line %d)", r.line, qual, prev)
			continue
		}
		seen[r.name] = r.line
		fn, ok := code[r.name]
		if !ok {
			t.Errorf("README.md:%d: %s is not an exported function returning %s.Option; the code has %s", r.line, qual, pkg, strings.Join(codeNames, ", "))
			continue
		}
		if !slices.Equal(r.params, fn.params) {
			t.Errorf("README.md:%d: `%s(%s)`: the code's parameters are (%s) at %s", r.line, qual, strings.Join(r.params, ", "), strings.Join(fn.params, ", "), fn.pos)
		}
		format, ok := defaults[r.name]
		if !ok {
			t.Errorf("README.md:%d: %s has no default formatter in %s/readme_test.go: add one that computes its default from the code", r.line, qual, pkg)
			continue
		}
		if want := format(t); r.def != want {
			t.Errorf("README.md:%d: %s: the README's default is %q, the code's is %q", r.line, qual, r.def, want)
		}
	}
	for _, n := range codeNames {
		if _, ok := seen[n]; !ok {
			t.Errorf("%s: %s.%s is missing from README.md's Configuration table", code[n].pos, pkg, n)
		}
	}
	for n := range defaults {
		if _, ok := code[n]; !ok {
			t.Errorf("readme_test.go: a default formatter for %s.%s, which the code does not have: remove it", pkg, n)
		}
	}
}

package version_test

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/version"
)

const (
	module = "github.com/seed27eed597/flagship-go"
	root   = "../.."
)

func TestDecisionReexports(t *testing.T) {
	assert.Equal(t, version.SDK, decision.SDKVersion)
	assert.Equal(t, "flagship-go/"+version.SDK, version.UserAgent)
}

// TestOnePlace checks that the version is written in one file of the
// module: every other use goes through the constant.
func TestOnePlace(t *testing.T) {
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || isModule(path)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Logf("skipped: %v", err) // a file being edited; go vet reports it
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && (s == version.SDK || s == version.UserAgent) {
					rel, _ := filepath.Rel(root, path)
					found = append(found, filepath.ToSlash(rel))
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"internal/version/version.go"}, found)
}

// isModule reports whether dir holds a module of its own (contrib/*).
func isModule(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil
}

// TestImportGraph checks that the packages that only need the version do
// not import the packages that used to hold it.
func TestImportGraph(t *testing.T) {
	tests := []struct {
		give    string
		want    []string
		wantNot []string
	}{
		{give: "eventqueue/httpsink", want: []string{"internal/version", "internal/httpx"}, wantNot: []string{"decision", "bucketing", "flagship"}},
		{give: "eventqueue", wantNot: []string{"decision", "bucketing", "flagship"}},
		{give: "internal/httpx", wantNot: []string{"decision", "bucketing", "eventqueue", "hits"}},
		{give: "decision", want: []string{"internal/version", "internal/httpx"}},
		{give: "bucketing", want: []string{"internal/version", "internal/httpx"}},
		{give: "flagship", want: []string{"internal/version", "internal/httpx"}},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			deps := map[string]bool{}
			collect(t, tt.give, deps)
			for _, p := range tt.want {
				assert.True(t, deps[p], "%s does not import %s", tt.give, p)
			}
			for _, p := range tt.wantNot {
				assert.False(t, deps[p], "%s imports %s", tt.give, p)
			}
		})
	}
}

// collect adds to deps the module's packages that pkg (a path relative to
// the module) imports, directly or not, tests excluded.
func collect(t *testing.T, pkg string, deps map[string]bool) {
	t.Helper()
	p, err := build.ImportDir(filepath.Join(root, filepath.FromSlash(pkg)), 0)
	require.NoError(t, err)
	for _, imp := range p.Imports {
		rel, ok := strings.CutPrefix(imp, module+"/")
		if !ok || deps[rel] {
			continue
		}
		deps[rel] = true
		collect(t, rel, deps)
	}
}

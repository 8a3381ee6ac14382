package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorsDir holds Flagship's published decision vectors.
const vectorsDir = "../../testdata/vectors"

// smallBucketing has one campaign per context type: c-bool needs vip=true,
// c-number age>18 and c-string plan=="pro".
const smallBucketing = `{"campaigns":[
 {"id":"c-bool","type":"toggle","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg-bool",
  "targeting":{"targetingGroups":[{"targetings":[{"key":"vip","operator":"EQUALS","value":true}]}]},
  "variations":[{"id":"v-bool","allocation":100}]}]},
 {"id":"c-number","type":"toggle","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg-number",
  "targeting":{"targetingGroups":[{"targetings":[{"key":"age","operator":"GREATER_THAN","value":18}]}]},
  "variations":[{"id":"v-number","allocation":100}]}]},
 {"id":"c-string","type":"toggle","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg-string",
  "targeting":{"targetingGroups":[{"targetings":[{"key":"plan","operator":"EQUALS","value":"pro"}]}]},
  "variations":[{"id":"v-string","allocation":100}]}]}
]}`

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line args with stdin as standard input.
func runCLI(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, strings.NewReader(stdin), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// writeFile writes data to name in a temporary directory and returns its
// path.
func writeFile(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
	return p
}

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "no command", give: nil, wantCode: 2, wantStderr: "Usage: flagship <command>"},
		{name: "unknown command", give: []string{"frobnicate"}, wantCode: 2, wantStderr: `flagship: unknown command "frobnicate"`},
		{name: "unknown command usage", give: []string{"frobnicate"}, wantCode: 2, wantStderr: "Commands:\n  decide"},
		{name: "help", give: []string{"help"}, wantCode: 0, wantStdout: "Usage: flagship <command>"},
		{name: "-h", give: []string{"-h"}, wantCode: 0, wantStdout: "  explain "},
		{name: "--help", give: []string{"--help"}, wantCode: 0, wantStdout: "  decide "},
		{name: "help decide", give: []string{"help", "decide"}, wantCode: 0, wantStdout: "flagship decide --bucketing FILE --visitors FILE"},
		{name: "help explain", give: []string{"help", "explain"}, wantCode: 0, wantStdout: "-context-json object"},
		{name: "help unknown", give: []string{"help", "frobnicate"}, wantCode: 2, wantStdout: `unknown command "frobnicate"`},
		{name: "decide -h", give: []string{"decide", "-h"}, wantCode: 0, wantStderr: "-visitors file"},
		{name: "explain --help", give: []string{"explain", "--help"}, wantCode: 0, wantStderr: "flagship explain --bucketing FILE --visitor ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", tt.give...)
			assert.Equal(t, tt.wantCode, got.code)
			assert.Contains(t, got.stdout, tt.wantStdout)
			assert.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

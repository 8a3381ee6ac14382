package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExplain(t *testing.T) {
	bucketing := writeFile(t, "bucketing.json", smallBucketing)
	got := runCLI(t, "", "explain", "--bucketing", bucketing, "--visitor", "v1",
		"--context", "vip=true", "--context", "age=12", "--context-json", `{"plan":"pro"}`)
	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	for _, want := range []string{
		`visitor "v1"`,
		"campaign c-bool (toggle): assigned",
		"variation group vg-bool: matched",
		"vip EQUALS true against true -> true",
		"variation v-bool",
		"campaign c-number (toggle): no variation group matched",
		"variation group vg-number: not matched",
		"age GREATER_THAN 18 against 12 -> false",
		"campaign c-string (toggle): assigned",
	} {
		assert.Contains(t, got.stdout, want)
	}
}

func TestExplainVectors(t *testing.T) {
	got := runCLI(t, "", "explain", "--bucketing", filepath.Join(vectorsDir, "bucketing.json"),
		"--visitor", "pub-000014", "--context", "age=17.5", "--context", "isVIP=false", "--context", "country=gb")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Contains(t, got.stdout, "campaign csn73setl9cgpc928pti (ab): assigned")
	assert.Contains(t, got.stdout, "age LOWER_THAN 18 against 17.5 -> true")
	assert.Contains(t, got.stdout, "variation group cdbd7rgncqk4bk87lg8d, variation cjlmk9atscsmoafu8bi0")
}

func TestExplainErrors(t *testing.T) {
	bucketing := writeFile(t, "bucketing.json", smallBucketing)
	broken := writeFile(t, "broken.json", `{"campaigns":[{"id":"c","variationGroups":[{"id":"vg","variations":[{"id":"v","allocation":33.5}]}]}]}`)
	nope := filepath.Join(t.TempDir(), "nope.json")
	tests := []struct {
		name       string
		give       []string
		wantStderr string
	}{
		{name: "no bucketing", give: []string{"--visitor", "v"}, wantStderr: "flagship explain: --bucketing is required"},
		{name: "no visitor", give: []string{"--bucketing", bucketing}, wantStderr: "flagship explain: --visitor is required"},
		{name: "visitors not a flag", give: []string{"--bucketing", bucketing, "--visitors", "v.jsonl"}, wantStderr: "flag provided but not defined: -visitors"},
		{name: "bad context", give: []string{"--bucketing", bucketing, "--visitor", "v", "--context", "=x"}, wantStderr: "empty key"},
		{name: "broken bucketing", give: []string{"--bucketing", broken, "--visitor", "v"}, wantStderr: "flagship: " + broken + ": bucketing: invalid file: campaigns[0].variationGroups[0].variations[0].allocation: not an integer"},
		{name: "nonexistent bucketing", give: []string{"--bucketing", nope, "--visitor", "v"}, wantStderr: "flagship: open " + nope + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", append([]string{"explain"}, tt.give...)...)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.wantStderr)
			assert.Empty(t, got.stdout)
		})
	}
}

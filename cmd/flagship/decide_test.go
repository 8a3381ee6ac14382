package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecideVectors is the acceptance test of decide: over Flagship's
// published vectors, every output line is the expected decision of the
// input line.
func TestDecideVectors(t *testing.T) {
	tests := []struct {
		bucketing, vectors string
		wantLines          int
	}{
		{bucketing: "bucketing.json", vectors: "vectors.jsonl.gz", wantLines: 5000},
		{bucketing: "bucketing_1v1t.json", vectors: "vectors_1v1t.jsonl.gz", wantLines: 1500},
	}
	for _, tt := range tests {
		t.Run(tt.vectors, func(t *testing.T) {
			vectors := filepath.Join(vectorsDir, tt.vectors)
			got := runCLI(t, "", "decide", "--bucketing", filepath.Join(vectorsDir, tt.bucketing), "--visitors", vectors)
			require.Equal(t, 0, got.code, got.stderr)
			require.Empty(t, got.stderr)

			want := readExpected(t, vectors)
			require.Len(t, want, tt.wantLines)
			lines := strings.Split(strings.TrimSuffix(got.stdout, "\n"), "\n")
			require.Len(t, lines, len(want))
			failures := 0
			for i, line := range lines {
				var d decisionLine
				require.NoError(t, json.Unmarshal([]byte(line), &d), "output line %d", i+1)
				if !assert.Equal(t, want[i], d, "line %d", i+1) {
					failures++
				}
				if failures == 5 {
					t.FailNow()
				}
			}
		})
	}
}

// readExpected returns the "expected" decision of every line of a vectors
// file.
func readExpected(t *testing.T, name string) []decisionLine {
	t.Helper()
	f, err := os.Open(name)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var out []decisionLine
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var l struct {
			VisitorID string         `json:"visitorId"`
			Expected  []campaignLine `json:"expected"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		if l.Expected == nil {
			l.Expected = []campaignLine{}
		}
		out = append(out, decisionLine{VisitorID: l.VisitorID, Campaigns: l.Expected})
	}
	require.NoError(t, sc.Err())
	return out
}

const (
	boolCampaign   = `{"campaignId":"c-bool","variationGroupId":"vg-bool","variationId":"v-bool"}`
	numberCampaign = `{"campaignId":"c-number","variationGroupId":"vg-number","variationId":"v-number"}`
	stringCampaign = `{"campaignId":"c-string","variationGroupId":"vg-string","variationId":"v-string"}`
)

func TestDecideVisitor(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want string
	}{
		{
			name: "typed values match",
			give: []string{"--context", "vip=true", "--context", "age=20", "--context", "plan=pro"},
			want: `{"visitorId":"v1","campaigns":[` + boolCampaign + "," + numberCampaign + "," + stringCampaign + "]}\n",
		},
		{
			name: "no context",
			give: nil,
			want: `{"visitorId":"v1","campaigns":[]}` + "\n",
		},
		{
			name: "strings that are not bools or numbers",
			give: []string{"--context", "vip=yes", "--context", "age=twenty", "--context", "plan=pro"},
			want: `{"visitorId":"v1","campaigns":[` + stringCampaign + "]}\n",
		},
		{
			name: "number as a string does not equal a string",
			give: []string{"--context", "plan=18", "--context", "age=18.5"},
			want: `{"visitorId":"v1","campaigns":[` + numberCampaign + "]}\n",
		},
		{
			name: "context-json merged in order",
			give: []string{"--context", "vip=false", "--context-json", `{"vip":true,"age":19}`, "--context", "age=10"},
			want: `{"visitorId":"v1","campaigns":[` + boolCampaign + "]}\n",
		},
		{
			name: "anonymous id and decision group accepted",
			give: []string{"--anonymous-id", "anon", "--decision-group", "g", "--context", "vip=true"},
			want: `{"visitorId":"v1","campaigns":[` + boolCampaign + "]}\n",
		},
	}
	bucketing := writeFile(t, "bucketing.json", smallBucketing)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", append([]string{"decide", "--bucketing", bucketing, "--visitor", "v1"}, tt.give...)...)
			require.Equal(t, 0, got.code, got.stderr)
			assert.Equal(t, tt.want, got.stdout)
			assert.Empty(t, got.stderr)
		})
	}
}

func TestDecideVisitorsFile(t *testing.T) {
	bucketing := writeFile(t, "bucketing.json", smallBucketing)
	// Blank lines, CRLF, a missing final newline, unknown fields, HTML
	// characters and a line longer than the read buffer.
	long := strings.Repeat("x", 200<<10)
	visitors := "\n" +
		`{"visitorId":"a","context":{"vip":true},"expected":[1]}` + "\r\n" +
		"   \n" +
		`{"visitorId":"<b&c>","anonymousId":"x","decisionGroup":"g","context":{"plan":"pro","long":"` + long + `"}}` + "\n" +
		`{"visitorId":"d","context":null}`
	want := `{"visitorId":"a","campaigns":[` + boolCampaign + "]}\n" +
		`{"visitorId":"<b&c>","campaigns":[` + stringCampaign + "]}\n" +
		`{"visitorId":"d","campaigns":[]}` + "\n"

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(visitors))
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	tests := []struct {
		name          string
		giveBucketing string
		giveVisitors  string
		giveStdin     string
	}{
		{name: "file", giveBucketing: bucketing, giveVisitors: writeFile(t, "visitors.jsonl", visitors)},
		{name: "gzip file", giveBucketing: bucketing, giveVisitors: writeFile(t, "visitors.jsonl.gz", gz.String())},
		{name: "visitors on stdin", giveBucketing: bucketing, giveVisitors: "-", giveStdin: visitors},
		{name: "bucketing on stdin", giveBucketing: "-", giveVisitors: writeFile(t, "visitors.jsonl", visitors), giveStdin: smallBucketing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, tt.giveStdin, "decide", "--bucketing", tt.giveBucketing, "--visitors", tt.giveVisitors)
			require.Equal(t, 0, got.code, got.stderr)
			assert.Equal(t, want, got.stdout)
			assert.Empty(t, got.stderr)
		})
	}
}

func TestDecidePanic(t *testing.T) {
	bucketing := writeFile(t, "bucketing.json", `{"panic":true,"campaigns":[]}`)
	got := runCLI(t, "", "decide", "--bucketing", bucketing, "--visitor", "v1", "--context", "vip=true")
	require.Equal(t, 0, got.code, got.stderr)
	assert.Equal(t, `{"visitorId":"v1","campaigns":[],"panic":true}`+"\n", got.stdout)
}

func TestDecideBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
		return p
	}
	bucketing := write("bucketing.json", smallBucketing)
	fractional := write("fractional.json", strings.Replace(smallBucketing, `"id":"v-number","allocation":100`, `"id":"v-number","allocation":33.5`, 1))
	syntax := write("syntax.json", `{"campaigns":[`)
	good := `{"visitorId":"a"}` + "\n"

	tests := []struct {
		name          string
		giveBucketing string
		giveVisitors  string // contents of visitors.jsonl
		wantStderr    string
		wantLines     int // lines decided before the error
	}{
		{
			name: "invalid JSON", giveBucketing: bucketing, giveVisitors: good + "\n" + `{"visitorId":"b",` + "\n" + good,
			wantStderr: "visitors.jsonl:3: invalid JSON: unexpected end of JSON input", wantLines: 1,
		},
		{
			name: "missing visitorId", giveBucketing: bucketing, giveVisitors: good + good + `{"context":{"vip":true}}` + "\n",
			wantStderr: "visitors.jsonl:3: missing visitorId", wantLines: 2,
		},
		{
			name: "null visitorId", giveBucketing: bucketing, giveVisitors: `{"visitorId":null}`,
			wantStderr: "visitors.jsonl:1: missing visitorId",
		},
		{
			name: "empty visitorId", giveBucketing: bucketing, giveVisitors: good + `{"visitorId":""}`,
			wantStderr: "visitors.jsonl:2: empty visitorId", wantLines: 1,
		},
		{
			name: "numeric visitorId", giveBucketing: bucketing, giveVisitors: `{"visitorId":12}`,
			wantStderr: "visitors.jsonl:1: visitorId: want a string, got number",
		},
		{
			name: "context not an object", giveBucketing: bucketing, giveVisitors: `{"visitorId":"a","context":[1]}`,
			wantStderr: "visitors.jsonl:1: context: want an object, got array",
		},
		{
			name: "line not an object", giveBucketing: bucketing, giveVisitors: `"a"`,
			wantStderr: "visitors.jsonl:1: want a JSON object, got string",
		},
		{
			name: "fractional allocation", giveBucketing: fractional, giveVisitors: good,
			wantStderr: "flagship: " + fractional + ": bucketing: invalid file: campaigns[1].variationGroups[0].variations[0].allocation: not an integer",
		},
		{
			name: "bucketing syntax error", giveBucketing: syntax, giveVisitors: good,
			wantStderr: "flagship: " + syntax + ": bucketing: invalid file: ",
		},
		{
			name: "nonexistent bucketing file", giveBucketing: filepath.Join(dir, "nope.json"), giveVisitors: good,
			wantStderr: "flagship: open " + filepath.Join(dir, "nope.json") + ": no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			visitors := writeFile(t, "visitors.jsonl", tt.giveVisitors)
			got := runCLI(t, "", "decide", "--bucketing", tt.giveBucketing, "--visitors", visitors)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.wantStderr)
			assert.Equal(t, tt.wantLines, strings.Count(got.stdout, "\n"))
		})
	}
}

func TestDecideBadFiles(t *testing.T) {
	bucketing := writeFile(t, "bucketing.json", smallBucketing)
	nope := filepath.Join(t.TempDir(), "nope.jsonl")
	notGzip := writeFile(t, "visitors.jsonl.gz", `{"visitorId":"a"}`)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(strings.Repeat(`{"visitorId":"a"}`+"\n", 3)))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	truncated := writeFile(t, "truncated.jsonl.gz", gz.String()[:gz.Len()-4])
	tests := []struct {
		name       string
		give       []string
		giveStdin  string
		wantStderr string
		wantLines  int // lines decided before the error
	}{
		{
			name: "nonexistent visitors file", give: []string{"--visitors", nope},
			wantStderr: "flagship: open " + nope + ": no such file or directory",
		},
		{
			name: "not gzip", give: []string{"--visitors", notGzip},
			wantStderr: "flagship: " + notGzip + ": gzip: invalid header",
		},
		{
			name: "truncated gzip", give: []string{"--visitors", truncated},
			wantStderr: "flagship: " + truncated + ":4: read: unexpected EOF", wantLines: 3,
		},
		{
			name: "stdin named in messages", give: []string{"--visitors", "-"}, giveStdin: "{}\n",
			wantStderr: "flagship: stdin:1: missing visitorId",
		},
		{
			name: "bad context flag", give: []string{"--visitor", "v", "--context", "vip"},
			wantStderr: `invalid value "vip" for flag -context: want key=value`,
		},
		{
			name: "bad context-json flag", give: []string{"--visitor", "v", "--context-json", "[]"},
			wantStderr: `invalid value "[]" for flag -context-json: want a JSON object`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, tt.giveStdin, append([]string{"decide", "--bucketing", bucketing}, tt.give...)...)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.wantStderr)
			assert.Equal(t, tt.wantLines, strings.Count(got.stdout, "\n"))
		})
	}
}

func TestDecideUsage(t *testing.T) {
	tests := []struct {
		name       string
		give       []string
		wantStderr string
	}{
		{name: "no flags", give: nil, wantStderr: "flagship decide: --bucketing is required"},
		{name: "no bucketing", give: []string{"--visitor", "v"}, wantStderr: "--bucketing is required"},
		{name: "no visitor", give: []string{"--bucketing", "b.json"}, wantStderr: "--visitors or --visitor is required"},
		{name: "empty visitor", give: []string{"--bucketing", "b.json", "--visitor", ""}, wantStderr: "--visitors or --visitor is required"},
		{name: "visitors and visitor", give: []string{"--bucketing", "b.json", "--visitors", "v.jsonl", "--visitor", "v"}, wantStderr: "--visitors can't be combined with --visitor"},
		{name: "visitors and context", give: []string{"--bucketing", "b.json", "--visitors", "v.jsonl", "--context", "a=b"}, wantStderr: "--visitors can't be combined with"},
		{name: "both stdin", give: []string{"--bucketing", "-", "--visitors", "-"}, wantStderr: "can't both be standard input"},
		{name: "unknown flag", give: []string{"--bucketing", "b.json", "--visitor", "v", "--nope"}, wantStderr: "flag provided but not defined: -nope"},
		{name: "positional argument", give: []string{"--bucketing", "b.json", "--visitor", "v", "extra"}, wantStderr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", append([]string{"decide"}, tt.give...)...)
			assert.Equal(t, 2, got.code)
			assert.Contains(t, got.stderr, tt.wantStderr)
			assert.Contains(t, got.stderr, "Usage:\n  flagship decide")
			assert.Empty(t, got.stdout)
		})
	}
}

func BenchmarkDecideVectors(b *testing.B) {
	args := []string{"decide", "--bucketing", filepath.Join(vectorsDir, "bucketing.json"), "--visitors", filepath.Join(vectorsDir, "vectors.jsonl.gz")}
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := run(b.Context(), args, nil, &stdout, &stderr); code != 0 {
			b.Fatal(stderr.String())
		}
	}
}

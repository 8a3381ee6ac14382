package main

import (
	"bytes"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/seed27eed597/flagship-go/internal/readmetest"
)

// These tests check the commands README.md shows against the code: every
// flagship command line names a command that exists and only flags that
// the command defines, and every `make TARGET` is a target of the
// Makefile.

const (
	readmePath   = "../../README.md"
	makefilePath = "../../Makefile"
)

// readmeSnippet is a command found in README.md.
type readmeSnippet struct {
	line int    // in README.md, from 1
	text string // the command, without a trailing comment
}

var readmeInlineCode = regexp.MustCompile("`([^`]+)`")

// readmeCommands returns the commands of README.md that start with one of
// prefixes: lines of code blocks, and inline code spans.
func readmeCommands(t *testing.T, prefixes ...string) []readmeSnippet {
	t.Helper()
	lines := readmetest.Lines(t, readmePath)
	var out []readmeSnippet
	match := func(line int, s string) {
		s = strings.TrimSpace(s)
		for _, p := range prefixes {
			if rest, ok := strings.CutPrefix(s, p); ok && (rest == "" || rest[0] == ' ') {
				out = append(out, readmeSnippet{line: line, text: s})
				return
			}
		}
	}
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			fence = !fence
			continue
		}
		if fence {
			if c, _, ok := strings.Cut(l, " #"); ok {
				l = c
			}
			match(i+1, l)
			continue
		}
		for _, m := range readmeInlineCode.FindAllStringSubmatch(l, -1) {
			match(i+1, m[1])
		}
	}
	return out
}

// TestREADMECommands runs "<command> -h" in-process for every flagship
// command README.md shows, and checks that the command exists and defines
// every flag the README gives it.
func TestREADMECommands(t *testing.T) {
	cmds := readmeCommands(t, "go run ./cmd/flagship", "flagship", "cmd/flagship")
	if len(cmds) == 0 {
		t.Fatal("README.md shows no flagship command")
	}
	flagSets := map[string]map[string]bool{} // by command path, e.g. "queue stats"
	checked := 0
	for _, c := range cmds {
		fields := strings.Fields(c.text)
		switch fields[0] {
		case "go":
			fields = fields[3:] // go run ./cmd/flagship
		default:
			fields = fields[1:] // flagship, cmd/flagship
		}
		var path, flags []string
		for _, f := range fields {
			f = strings.Trim(f, "[]")
			switch {
			case strings.HasPrefix(f, "-"):
				name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
				flags = append(flags, name)
			case len(flags) == 0 && (len(path) == 0 || len(path) == 1 && path[0] == "queue"):
				path = append(path, f)
			}
		}
		if len(path) == 0 {
			continue // the bare program name
		}
		key := strings.Join(path, " ")
		defined, ok := flagSets[key]
		if !ok {
			defined = readmeFlagSet(t, c, path)
			flagSets[key] = defined
		}
		if defined == nil {
			continue // reported by readmeFlagSet
		}
		for _, f := range flags {
			if !defined[f] {
				t.Errorf("README.md:%d: %q: flagship %s has no flag -%s; it has %s", c.line, c.text, key, f, readmeFlagList(defined))
			}
		}
		checked++
	}
	t.Logf("checked %d flagship commands of README.md", checked)
}

var readmeFlagLine = regexp.MustCompile(`(?m)^  -(\S+)`)

// readmeFlagSet runs "flagship path... -h" and returns the flags its
// usage lists, or nil, after reporting it, when the command does not
// exist.
func readmeFlagSet(t *testing.T, c readmeSnippet, path []string) map[string]bool {
	t.Helper()
	if len(path) == 1 && path[0] == "help" {
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), path, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("README.md:%d: %q: flagship help exits with %d: %s", c.line, c.text, code, stderr.String())
			return nil
		}
		return map[string]bool{}
	}
	var stdout, stderr bytes.Buffer
	args := append(slices.Clone(path), "-h")
	code := run(t.Context(), args, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		msg, _, _ := strings.Cut(stderr.String(), "\n")
		t.Errorf("README.md:%d: %q: no command flagship %s (flagship %s exits with %d: %s)", c.line, c.text, strings.Join(path, " "), strings.Join(args, " "), code, msg)
		return nil
	}
	defined := map[string]bool{}
	if len(path) == 1 && path[0] == "queue" {
		return defined // the queue command itself has subcommands, not flags
	}
	for _, m := range readmeFlagLine.FindAllStringSubmatch(stderr.String(), -1) {
		defined[m[1]] = true
	}
	if len(defined) == 0 {
		t.Errorf("README.md:%d: flagship %s -h lists no flags; the test cannot read its usage:\n%s", c.line, strings.Join(path, " "), stderr.String())
		return nil
	}
	return defined
}

func readmeFlagList(defined map[string]bool) string {
	var names []string
	for n := range defined {
		names = append(names, "-"+n)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// TestREADMEMakeTargets checks that every `make TARGET` README.md shows is
// a target of the Makefile.
func TestREADMEMakeTargets(t *testing.T) {
	targets := readmeMakeTargets(t)
	cmds := readmeCommands(t, "make")
	if len(cmds) == 0 {
		t.Fatal("README.md shows no make command")
	}
	for _, c := range cmds {
		fields := strings.Fields(c.text)
		for _, f := range fields[1:] {
			if strings.HasPrefix(f, "-") || strings.Contains(f, "=") {
				continue // make's flags and variables
			}
			if !targets[f] {
				t.Errorf("README.md:%d: %q: the Makefile has no target %q; it has %s", c.line, c.text, f, strings.Join(slices.Sorted(maps.Keys(targets)), ", "))
			}
		}
	}
}

var readmeRuleLine = regexp.MustCompile(`^([^\s:#=][^:#=]*?)\s*::?(?:[^=]|$)`)

// readmeMakeTargets returns the targets of the Makefile's rules.
func readmeMakeTargets(t *testing.T) map[string]bool {
	t.Helper()
	targets := map[string]bool{}
	for _, l := range readmetest.Lines(t, makefilePath) {
		m := readmeRuleLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		for _, name := range strings.Fields(m[1]) {
			if !strings.HasPrefix(name, ".") { // .PHONY and other special targets
				targets[name] = true
			}
		}
	}
	if len(targets) == 0 {
		t.Fatal("no rule found in the Makefile")
	}
	return targets
}

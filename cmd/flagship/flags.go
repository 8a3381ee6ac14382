package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// visitorFlags are the flags that describe one visitor.
type visitorFlags struct {
	id, anonymousID, decisionGroup string
	// context is filled by --context and --context-json in command-line
	// order, so a later flag overrides an earlier one.
	context map[string]any
}

// visitorFlagNames are the names registered by visitorFlags.register.
func visitorFlagNames() []string {
	return []string{"visitor", "anonymous-id", "decision-group", "context", "context-json"}
}

func (v *visitorFlags) register(fs *flag.FlagSet) {
	v.context = map[string]any{}
	fs.StringVar(&v.id, "visitor", "", "the visitor `id`")
	fs.StringVar(&v.anonymousID, "anonymous-id", "", "the anonymous `id` of an authenticated visitor (experience continuity)")
	fs.StringVar(&v.decisionGroup, "decision-group", "", "a decision `group`: visitors that share it share allocations")
	fs.Var(contextFlag(v.context), "context", "a context attribute `key=value` (repeatable); the value is a bool if true or false,\n"+
		"a number if it parses as a finite number, else a string")
	fs.Var(contextJSONFlag(v.context), "context-json", "context attributes as a JSON `object` (repeatable), e.g. '{\"plan\":\"pro\",\"ids\":[1,2]}'")
}

func (v *visitorFlags) request() decision.Request {
	return decision.Request{VisitorID: v.id, AnonymousID: v.anonymousID, DecisionGroup: v.decisionGroup, Context: v.context}
}

// contextFlag is the repeatable --context key=value flag.
type contextFlag map[string]any

func (contextFlag) String() string { return "" }

func (c contextFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	switch {
	case !ok:
		return errors.New("want key=value")
	case k == "":
		return errors.New("empty key")
	}
	c[k] = contextValue(v)
	return nil
}

// contextValue reads a --context value: true and false are bools, a finite
// number is a float64, anything else is a string.
func contextValue(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return f
	}
	return s
}

// contextJSONFlag is the repeatable --context-json '{...}' flag.
type contextJSONFlag map[string]any

func (contextJSONFlag) String() string { return "" }

func (c contextJSONFlag) Set(s string) error {
	if t := bytes.TrimSpace([]byte(s)); len(t) == 0 || t[0] != '{' {
		return errors.New("want a JSON object")
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	for k, v := range m {
		c[k] = v
	}
	return nil
}

// parseFlags parses args. -h prints the usage and makes the command exit
// with 0; a bad flag prints the error and usage and exits with 2, as do
// positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: 0}
		}
		return errUsage()
	}
	if fs.NArg() > 0 {
		return usageError(fs, "unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// usageError prints a usage message and the command's usage; exit status 2.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "flagship %s: %s\n\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage()
}

// setFlags returns the names of the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// displayName is how messages name an input file.
func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// openInput opens the file name for reading: "-" is stdin (which closing
// leaves open) and a name ending in ".gz" is decompressed.
func openInput(name string, stdin io.Reader) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(stdin), nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, badInput("%w", err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, badInput("%s: %w", name, err)
	}
	return gzipFile{zr, f}, nil
}

type gzipFile struct {
	*gzip.Reader
	f *os.File
}

func (g gzipFile) Close() error { return errors.Join(g.Reader.Close(), g.f.Close()) }

// readInput reads the whole file name ("-" is stdin).
func readInput(name string, stdin io.Reader) ([]byte, error) {
	rc, err := openInput(name, stdin)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, badInput("%s: %w", displayName(name), err)
	}
	return data, nil
}

// loadEngine reads the bucketing file name and returns an engine that
// decides from it.
func loadEngine(name string, stdin io.Reader) (*bucketing.Engine, error) {
	data, err := readInput(name, stdin)
	if err != nil {
		return nil, err
	}
	cfg, err := bucketing.ParseConfig(data)
	if err != nil {
		return nil, badInput("%s: %w", displayName(name), err)
	}
	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	return e, nil
}

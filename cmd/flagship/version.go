package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/seed27eed597/flagship-go/internal/version"
)

const versionUsage = `Usage:
  flagship version [--json]

Version prints the version of the SDK this tool was built from (the one it
sends in the x-sdk-version header), the Go version and platform it was
built with, and what the binary records of its module: path and version
(a tag when installed with "go install ...@version", "(devel)" when built
from a checkout) and, when built in a git checkout, the commit and whether
the tree had changes. Give the output when reporting a problem.

Flags:
`

// versionInfo is what flagship version prints. Its JSON form is the
// --json output; empty fields are left out.
type versionInfo struct {
	SDK       string `json:"sdk"`
	Go        string `json:"go"`
	Platform  string `json:"platform"`
	Module    string `json:"module,omitempty"`
	Version   string `json:"version,omitempty"`
	Sum       string `json:"sum,omitempty"`
	VCS       string `json:"vcs,omitempty"`
	Revision  string `json:"revision,omitempty"`
	Committed string `json:"committed,omitempty"`
	Modified  bool   `json:"modified,omitempty"`
}

func runVersion(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), versionUsage)
		fs.PrintDefaults()
	}
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	return writeVersion(stdout, newVersionInfo(bi), *asJSON)
}

// newVersionInfo returns the versions of this binary; bi, its build
// information, may be nil (a binary built without module support).
func newVersionInfo(bi *debug.BuildInfo) versionInfo {
	v := versionInfo{
		SDK:      version.SDK,
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi == nil {
		return v
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	v.Module, v.Version, v.Sum = bi.Main.Path, bi.Main.Version, bi.Main.Sum
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs":
			v.VCS = s.Value
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Committed = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// writeVersion prints v as aligned "name: value" lines, or as one JSON
// object.
func writeVersion(w io.Writer, v versionInfo, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	lines := [][2]string{
		{"sdk", v.SDK},
		{"go", v.Go + " " + v.Platform},
	}
	if v.Module != "" {
		m := v.Module
		if v.Version != "" {
			m += " " + v.Version
		}
		if v.Sum != "" {
			m += " " + v.Sum
		}
		lines = append(lines, [2]string{"module", m})
	}
	if v.Revision != "" {
		r := v.Revision
		if v.VCS != "" {
			r = v.VCS + " " + r
		}
		if v.Modified {
			r += " (modified)"
		}
		lines = append(lines, [2]string{"revision", r})
	}
	if v.Committed != "" {
		lines = append(lines, [2]string{"committed", v.Committed})
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%-10s %s\n", l[0]+":", l[1]); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
)

const explainUsage = `Usage:
  flagship explain --bucketing FILE --visitor ID [--anonymous-id ID] [--decision-group G]
                   [--context key=value]... [--context-json OBJECT]...

Explain decides for one visitor and prints, campaign by campaign, the
variation groups whose targeting was evaluated with each rule's result, the
visitor's buckets, and the variation assigned or why there is none.

A FILE of "-" is standard input; a FILE ending in ".gz" is read as gzip.

Flags:
`

func runExplain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), explainUsage)
		fs.PrintDefaults()
	}
	var bucketingFile string
	fs.StringVar(&bucketingFile, "bucketing", "", "the bucketing `file` (required)")
	var v visitorFlags
	v.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case bucketingFile == "":
		return usageError(fs, "--bucketing is required")
	case v.id == "":
		return usageError(fs, "--visitor is required")
	}

	e, err := loadEngine(bucketingFile, stdin)
	if err != nil {
		return err
	}
	x, err := e.Explain(ctx, v.request())
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	if _, err := x.WriteTo(out); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

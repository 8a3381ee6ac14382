package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

const decideUsage = `Usage:
  flagship decide --bucketing FILE --visitors FILE
  flagship decide --bucketing FILE --visitor ID [--anonymous-id ID] [--decision-group G]
                  [--context key=value]... [--context-json OBJECT]...

Decide prints one JSON line per visitor with the campaigns the visitor is
assigned to, in decision order:

  {"visitorId":"v1","campaigns":[{"campaignId":"…","variationGroupId":"…","variationId":"…"}]}

In panic mode every line has "campaigns":[] and "panic":true.

The visitors file has one JSON object per line with "visitorId" (required),
"context" (an object), "anonymousId" and "decisionGroup"; other fields are
ignored and blank lines skipped. Output lines follow the input order.

A FILE of "-" is standard input; a FILE ending in ".gz" is read as gzip.

Flags:
`

func runDecide(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("decide", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), decideUsage)
		fs.PrintDefaults()
	}
	var bucketingFile, visitorsFile string
	fs.StringVar(&bucketingFile, "bucketing", "", "the bucketing `file` (required)")
	fs.StringVar(&visitorsFile, "visitors", "", "a JSON Lines `file` of visitors")
	var v visitorFlags
	v.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := setFlags(fs)
	switch {
	case bucketingFile == "":
		return usageError(fs, "--bucketing is required")
	case visitorsFile == "" && v.id == "":
		return usageError(fs, "--visitors or --visitor is required")
	case visitorsFile != "" && anySet(set, visitorFlagNames()):
		return usageError(fs, "--visitors can't be combined with --%s", strings.Join(visitorFlagNames(), ", --"))
	case bucketingFile == "-" && visitorsFile == "-":
		return usageError(fs, "--bucketing and --visitors can't both be standard input")
	}

	e, err := loadEngine(bucketingFile, stdin)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	if visitorsFile == "" {
		err = decideOne(ctx, e, v.request(), out)
	} else {
		err = decideFile(ctx, e, visitorsFile, stdin, out)
	}
	// Lines decided before an error are still written.
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	return err
}

func anySet(set map[string]bool, names []string) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

func decideOne(ctx context.Context, e *bucketing.Engine, r decision.Request, w io.Writer) error {
	d, err := e.Decide(ctx, r)
	if err != nil {
		return err
	}
	return writeDecision(newEncoder(w), d)
}

// decideFile decides every visitor of the JSON Lines file name and writes
// one line per visitor to w, in input order. It stops at the first bad
// line.
func decideFile(ctx context.Context, e *bucketing.Engine, name string, stdin io.Reader, w io.Writer) error {
	rc, err := openInput(name, stdin)
	if err != nil {
		return err
	}
	defer rc.Close()
	lr := newLineReader(rc)
	enc := newEncoder(w)
	for {
		line, err := lr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badInput("%s:%d: read: %w", displayName(name), lr.n+1, err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		r, err := parseVisitorLine(line)
		if err != nil {
			return badInput("%s:%d: %w", displayName(name), lr.n, err)
		}
		d, err := e.Decide(ctx, r)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", displayName(name), lr.n, err)
		}
		if err := writeDecision(enc, d); err != nil {
			return err
		}
	}
}

// visitorLine is one line of a visitors file.
type visitorLine struct {
	VisitorID     *string        `json:"visitorId"`
	AnonymousID   string         `json:"anonymousId"`
	DecisionGroup string         `json:"decisionGroup"`
	Context       map[string]any `json:"context"`
}

func parseVisitorLine(line []byte) (decision.Request, error) {
	var l visitorLine
	if err := json.Unmarshal(line, &l); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field == "" {
				return decision.Request{}, fmt.Errorf("want a JSON object, got %s", te.Value)
			}
			want := "a string"
			if te.Field == "context" {
				want = "an object"
			}
			return decision.Request{}, fmt.Errorf("%s: want %s, got %s", te.Field, want, te.Value)
		}
		return decision.Request{}, fmt.Errorf("invalid JSON: %w", err)
	}
	switch {
	case l.VisitorID == nil:
		return decision.Request{}, errors.New("missing visitorId")
	case *l.VisitorID == "":
		return decision.Request{}, errors.New("empty visitorId")
	}
	return decision.Request{VisitorID: *l.VisitorID, AnonymousID: l.AnonymousID, DecisionGroup: l.DecisionGroup, Context: l.Context}, nil
}

// decisionLine is one line of decide's output.
type decisionLine struct {
	VisitorID string         `json:"visitorId"`
	Campaigns []campaignLine `json:"campaigns"` // never null
	Panic     bool           `json:"panic,omitempty"`
}

type campaignLine struct {
	CampaignID       string `json:"campaignId"`
	VariationGroupID string `json:"variationGroupId"`
	VariationID      string `json:"variationId"`
}

// newEncoder returns the JSON encoder of decide's output: "<", ">" and
// "&" in ids are written as is.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// writeDecision writes d as one line of decide's output.
func writeDecision(enc *json.Encoder, d decision.Decision) error {
	l := decisionLine{VisitorID: d.VisitorID, Campaigns: make([]campaignLine, len(d.Campaigns)), Panic: d.Panic}
	for i, c := range d.Campaigns {
		l.Campaigns[i] = campaignLine{CampaignID: c.ID, VariationGroupID: c.VariationGroup.ID, VariationID: c.Variation.ID}
	}
	if err := enc.Encode(l); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// lineReader reads lines of any length. The line number n counts every
// line read, blank ones included.
type lineReader struct {
	r   *bufio.Reader
	buf []byte
	n   int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line without its "\n" or "\r\n", valid until the
// next call, or io.EOF after the last line.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			l.buf = append(l.buf, chunk...)
			continue
		}
		line := chunk
		if len(l.buf) > 0 {
			l.buf = append(l.buf, chunk...)
			line = l.buf
		}
		switch {
		case errors.Is(err, io.EOF) && len(line) == 0:
			return nil, io.EOF
		case err != nil && !errors.Is(err, io.EOF):
			return nil, err
		}
		l.n++
		line = bytes.TrimSuffix(line, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
}

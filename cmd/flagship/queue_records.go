package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

const queuePeekUsage = `Usage:
  flagship queue peek --db FILE [--sink NAME] [-n 20] [--json]

Peek prints the first records waiting in each sink's backlog (or only in
--sink's), oldest first, without removing them: the sink, the record's
position (seq), its failed delivery attempts, age, kind, hit type, visitor
id, record id, and its fields (shortened). With --json it prints one JSON
object per record, with the fields in full:

  {"sink":"events","seq":1,"attempts":0,"size":78,"id":"…","kind":"hit",
   "type":"PAGEVIEW","envId":"env","visitorId":"v1","created":"…","fields":{"dl":"https://x"}}

A record that cannot be decoded has "error" instead of the record.

Flags:
`

const queueDeadUsage = `Usage:
  flagship queue dead --db FILE [-n 20] [--json]

Dead prints the dead letters, oldest first: records a sink rejected for
good, or that expired, with the sink, when and why. With --json it prints
one JSON object per dead letter:

  {"seq":1,"sink":"events","reason":"bad","at":"…","id":"…","kind":"hit",
   "type":"PAGEVIEW","envId":"env","visitorId":"v1","created":"…","fields":{"dl":"https://x"}}

A dead letter that cannot be decoded has "error" and "raw" (its stored
bytes, base64) instead of the record.

Flags:
`

// queueFieldsWidth and queueReasonWidth bound the fields and reason
// columns of the tables, in characters.
const (
	queueFieldsWidth = 80
	queueReasonWidth = 60
)

// recordJSON is a hits.Record in the output of peek and dead; it is
// empty for a record that cannot be decoded.
type recordJSON struct {
	ID          string          `json:"id,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Type        string          `json:"type,omitempty"`
	EnvID       string          `json:"envId,omitempty"`
	VisitorID   string          `json:"visitorId,omitempty"`
	AnonymousID string          `json:"anonymousId,omitempty"`
	Created     *time.Time      `json:"created,omitempty"`
	Fields      json.RawMessage `json:"fields,omitempty"`
}

// entryJSON is a line of "queue peek --json".
type entryJSON struct {
	Sink     string `json:"sink"`
	Seq      uint64 `json:"seq"`
	Attempts uint32 `json:"attempts"`
	Size     int    `json:"size"`
	recordJSON
	Error string `json:"error,omitempty"`
}

func queuePeek(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOpts
	if err := o.parse("peek", queuePeekUsage, withJSON|withN|withSink, args, stderr); err != nil {
		return err
	}
	return withQueue(&o, func(q *eventqueue.Queue) error {
		// Peek each backlog for itself, so that a long one does not hide
		// the others. Peek("") also fails on a file without backlogs.
		var sinks []string
		for _, s := range q.Stats().Sinks {
			sinks = append(sinks, s.Name)
		}
		if o.sink != "" {
			if !slices.Contains(sinks, o.sink) {
				has := "none"
				if len(sinks) > 0 {
					has = strings.Join(sinks, ", ")
				}
				return badInput("--sink %q: %s has no backlog for it (it has: %s)", o.sink, o.db, has)
			}
			sinks = []string{o.sink}
		}
		var entries []eventqueue.Entry
		for _, s := range sinks {
			e, err := q.Peek(s, o.n)
			if err != nil {
				return err
			}
			entries = append(entries, e...)
		}
		return writeOutput(stdout, func(w io.Writer) error {
			if o.json {
				enc := newEncoder(w)
				for _, e := range entries {
					l := entryJSON{Sink: e.Sink, Seq: e.Seq, Attempts: e.Attempts, Size: e.Size}
					if e.Err != nil {
						l.Error = e.Err.Error()
					} else {
						l.recordJSON = newRecordJSON(e.Record)
					}
					if err := encode(enc, l); err != nil {
						return err
					}
				}
				return nil
			}
			if len(entries) == 0 {
				fmt.Fprintln(w, "no records waiting")
				return nil
			}
			now := time.Now()
			tw := newTable(w)
			row(tw, "SEQ", "SINK", "ATTEMPTS", "AGE", "KIND", "TYPE", "VISITOR", "RECORD", "FIELDS")
			for _, e := range entries {
				seq, attempts := strconv.FormatUint(e.Seq, 10), strconv.FormatUint(uint64(e.Attempts), 10)
				if e.Err != nil {
					row(tw, seq, cell(e.Sink), attempts, "-", "-", "-", "-", "-", truncate(cell("error: "+e.Err.Error()), queueFieldsWidth))
					continue
				}
				r := e.Record
				row(tw, seq, cell(e.Sink), attempts, formatAge(now.Sub(r.Created())), r.Kind().String(), cell(string(r.Type())),
					cell(r.VisitorID()), r.ID().String(), truncate(cell(string(r.Fields())), queueFieldsWidth))
			}
			return tw.Flush()
		})
	})
}

// deadJSON is a line of "queue dead --json".
type deadJSON struct {
	Seq    uint64     `json:"seq"`
	Sink   string     `json:"sink,omitempty"`
	Reason string     `json:"reason,omitempty"`
	At     *time.Time `json:"at,omitempty"`
	recordJSON
	Error string `json:"error,omitempty"`
	Raw   []byte `json:"raw,omitempty"` // only with Error
}

func queueDead(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOpts
	if err := o.parse("dead", queueDeadUsage, withJSON|withN, args, stderr); err != nil {
		return err
	}
	return withQueue(&o, func(q *eventqueue.Queue) error {
		dead, err := q.DeadLetters(o.n)
		if err != nil {
			return err
		}
		return writeOutput(stdout, func(w io.Writer) error {
			if o.json {
				enc := newEncoder(w)
				for _, d := range dead {
					l := deadJSON{Seq: d.Seq, Sink: d.Sink, Reason: d.Reason}
					if !d.At.IsZero() {
						l.At = &d.At
					}
					if d.Err != nil {
						l.Error, l.Raw = d.Err.Error(), d.Raw
					} else {
						l.recordJSON = newRecordJSON(d.Record)
					}
					if err := encode(enc, l); err != nil {
						return err
					}
				}
				return nil
			}
			if len(dead) == 0 {
				fmt.Fprintln(w, "no dead letters")
				return nil
			}
			tw := newTable(w)
			row(tw, "SEQ", "SINK", "AT", "REASON", "RECORD", "TYPE", "VISITOR")
			for _, d := range dead {
				at := "-"
				if !d.At.IsZero() {
					at = d.At.Format(time.RFC3339)
				}
				id, typ, vid := "-", "-", "-"
				reason := d.Reason
				if d.Err != nil {
					reason = "unreadable: " + d.Err.Error()
				} else {
					id, typ, vid = d.Record.ID().String(), cell(string(d.Record.Type())), cell(d.Record.VisitorID())
				}
				row(tw, strconv.FormatUint(d.Seq, 10), cell(d.Sink), at, truncate(cell(reason), queueReasonWidth), id, typ, vid)
			}
			return tw.Flush()
		})
	})
}

func newRecordJSON(r hits.Record) recordJSON {
	created := r.Created()
	return recordJSON{
		ID:          r.ID().String(),
		Kind:        r.Kind().String(),
		Type:        string(r.Type()),
		EnvID:       r.EnvID(),
		VisitorID:   r.VisitorID(),
		AnonymousID: r.AnonymousID(),
		Created:     &created,
		Fields:      r.Fields(),
	}
}

// formatAge formats an age to the second.
func formatAge(d time.Duration) string { return d.Round(time.Second).String() }

// cell returns s as a table cell: "-" if empty, quoted if it holds
// control characters (a tab or a newline would break the table).
func cell(s string) string {
	switch {
	case s == "":
		return "-"
	case strings.ContainsFunc(s, unicode.IsControl) || !utf8.ValidString(s):
		return strconv.Quote(s)
	}
	return s
}

// truncate shortens s to at most n characters, ending it with "…" if it
// was longer.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

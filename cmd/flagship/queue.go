package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

const queueUsage = `Usage:
  flagship queue stats   --db FILE [--json]
  flagship queue peek    --db FILE [--sink NAME] [-n 20] [--json]
  flagship queue dead    --db FILE [-n 20] [--json]
  flagship queue replay  --db FILE
  flagship queue compact --db FILE

Queue inspects and repairs the durable event queue file (eventqueue) of an
SDK: the hits waiting for each sink, and the dead letters.

Subcommands:
  stats    the records waiting for each sink (depth, bytes, age of the
           oldest) and the number of dead letters
  peek     the records at the head of each sink's backlog, oldest first
  dead     the dead letters (records a sink rejected or that expired),
           oldest first
  replay   move every dead letter back to the end of its sink's backlog,
           for the next SDK that opens the file to send again
  compact  rewrite the file to give the space of deleted records back to
           the file system

A running SDK holds its queue file locked: the commands fail (exit status
1) once --lock-timeout has passed. A missing --db FILE is an error, never
created. --json prints one JSON object per line.

Run "flagship queue <subcommand> -h" for the flags of a subcommand.
`

const queueStatsUsage = `Usage:
  flagship queue stats --db FILE [--json]

Stats prints, for each sink's backlog in the queue file, the records
waiting (depth), their stored bytes and the age of the oldest, then the
number of dead letters and the size of the file. With --json it prints
one JSON object:

  {"file":"q.db","fileBytes":32768,"bytes":435,"deadLetters":0,
   "sinks":[{"name":"events","depth":3,"bytes":435,"oldestAgeSeconds":7200.016}]}

Flags:
`

const queueReplayUsage = `Usage:
  flagship queue replay --db FILE

Replay moves every dead letter back to the end of its sink's backlog, with
its attempts reset, for the next SDK that opens the file to send again.
Dead letters that cannot be read stay where they are. Fix the cause first:
records a sink still rejects return to the dead letters.

Flags:
`

const queueCompactUsage = `Usage:
  flagship queue compact --db FILE

Compact rewrites the queue file without the space left by delivered and
deleted records, and replaces it atomically. No SDK may have the file open.

Flags:
`

// runQueue runs "flagship queue <subcommand>".
func runQueue(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintf(stderr, "flagship queue: missing subcommand\n\n%s", queueUsage)
		return errUsage()
	}
	switch args[0] {
	case "help":
		fmt.Fprint(stdout, queueUsage)
		return nil
	case "-h", "-help", "--help":
		fmt.Fprint(stderr, queueUsage)
		return &exitError{code: 0}
	}
	sub := lookupQueue(args[0])
	if sub == nil {
		fmt.Fprintf(stderr, "flagship queue: unknown subcommand %q\n\n%s", args[0], queueUsage)
		return errUsage()
	}
	return sub(ctx, args[1:], stdout, stderr)
}

// queueCommand runs one subcommand of queue with its arguments.
type queueCommand func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// lookupQueue returns the queue subcommand named name, or nil. Add new
// subcommands here and to queueUsage.
func lookupQueue(name string) queueCommand {
	switch name {
	case "stats":
		return queueStats
	case "peek":
		return queuePeek
	case "dead":
		return queueDead
	case "replay":
		return queueReplay
	case "compact":
		return queueCompact
	}
	return nil
}

// queueOpts are the flags of the queue subcommands.
type queueOpts struct {
	db          string
	lockTimeout time.Duration
	json        bool
	n           int
	sink        string
}

// Optional flags of a queue subcommand.
const (
	withJSON = 1 << iota
	withN
	withSink
)

// parse parses the flags of the subcommand "queue name" (--db,
// --lock-timeout and the optional flags in with) into o, and checks them.
func (o *queueOpts) parse(name, usage string, with int, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("queue "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.db, "db", "", "the queue `file` (required)")
	fs.DurationVar(&o.lockTimeout, "lock-timeout", eventqueue.DefaultLockTimeout, "how long to wait for a process holding the file to release it")
	if with&withJSON != 0 {
		fs.BoolVar(&o.json, "json", false, "print JSON, one object per line")
	}
	if with&withN != 0 {
		usage := "the most `records` to print"
		if with&withSink != 0 {
			usage += " from each backlog"
		}
		fs.IntVar(&o.n, "n", 20, usage)
	}
	if with&withSink != 0 {
		fs.StringVar(&o.sink, "sink", "", "print only the backlog of the sink `name`")
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case o.db == "":
		return usageError(fs, "--db is required")
	case o.lockTimeout <= 0:
		return usageError(fs, "--lock-timeout must be positive")
	case with&withN != 0 && o.n <= 0:
		return usageError(fs, "-n must be positive")
	}
	return nil
}

// checkQueueFile checks that path exists and may be a queue file:
// eventqueue.Open would create a missing file, and bbolt would turn an
// empty one into a queue.
func checkQueueFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return badInput("%s: no such queue file", path)
	case err != nil:
		return badInput("%w", err)
	case !fi.Mode().IsRegular():
		return badInput("%s is not a queue file: not a regular file", path)
	case fi.Size() == 0:
		return badInput("%s is not a queue file: empty", path)
	}
	return nil
}

// queueError adds advice to the error of opening a locked file.
func queueError(err error) error {
	if errors.Is(err, eventqueue.ErrQueueLocked) {
		return fmt.Errorf("%w; stop the process using it, or wait longer with --lock-timeout", err)
	}
	return err
}

// withQueue opens the existing queue file o.db, without sinks, calls f
// with it and closes it.
func withQueue(o *queueOpts, f func(q *eventqueue.Queue) error) (err error) {
	if err := checkQueueFile(o.db); err != nil {
		return err
	}
	q, err := eventqueue.Open(o.db, eventqueue.Options{
		LockTimeout: o.lockTimeout,
		// Open warns of every backlog without a configured sink: all of
		// them, here.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return queueError(err)
	}
	defer func() {
		if cerr := q.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close %s: %w", o.db, cerr)
		}
	}()
	return f(q)
}

// writeOutput runs write on a buffer of stdout and flushes it.
func writeOutput(stdout io.Writer, write func(w io.Writer) error) error {
	out := bufio.NewWriter(stdout)
	err := write(out)
	// What was written before an error is still printed.
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = fmt.Errorf("write output: %w", ferr)
	}
	return err
}

// newTable returns a writer that aligns tab-separated columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// row writes cells as one line of a table.
func row(w io.Writer, cells ...string) { fmt.Fprintln(w, strings.Join(cells, "\t")) }

// encode writes v as one JSON line.
func encode(enc *json.Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// statsJSON is the output of "queue stats --json".
type statsJSON struct {
	File        string          `json:"file"`
	FileBytes   int64           `json:"fileBytes"`
	Bytes       int64           `json:"bytes"`
	DeadLetters int64           `json:"deadLetters"`
	Sinks       []sinkStatsJSON `json:"sinks"` // never null
}

type sinkStatsJSON struct {
	Name             string  `json:"name"`
	Depth            int64   `json:"depth"`
	Bytes            int64   `json:"bytes"`
	OldestAgeSeconds float64 `json:"oldestAgeSeconds"`
}

func queueStats(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOpts
	if err := o.parse("stats", queueStatsUsage, withJSON, args, stderr); err != nil {
		return err
	}
	return withQueue(&o, func(q *eventqueue.Queue) error {
		st := q.Stats()
		fi, err := os.Stat(o.db)
		if err != nil {
			return err
		}
		return writeOutput(stdout, func(w io.Writer) error {
			if o.json {
				out := statsJSON{File: o.db, FileBytes: fi.Size(), Bytes: st.Bytes, DeadLetters: st.DeadLetters, Sinks: []sinkStatsJSON{}}
				for _, s := range st.Sinks {
					out.Sinks = append(out.Sinks, sinkStatsJSON{Name: s.Name, Depth: s.Depth, Bytes: s.Bytes, OldestAgeSeconds: s.OldestAge.Round(time.Millisecond).Seconds()})
				}
				return encode(newEncoder(w), out)
			}
			tw := newTable(w)
			row(tw, "SINK", "DEPTH", "BYTES", "OLDEST")
			for _, s := range st.Sinks {
				oldest := "-"
				if s.Depth > 0 {
					oldest = formatAge(s.OldestAge)
				}
				row(tw, cell(s.Name), strconv.FormatInt(s.Depth, 10), strconv.FormatInt(s.Bytes, 10), oldest)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			fmt.Fprintf(w, "dead letters: %d\nfile: %d bytes\n", st.DeadLetters, fi.Size())
			return nil
		})
	})
}

func queueReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOpts
	if err := o.parse("replay", queueReplayUsage, 0, args, stderr); err != nil {
		return err
	}
	return withQueue(&o, func(q *eventqueue.Queue) error {
		n, err := q.Replay(ctx)
		if err != nil {
			return err
		}
		left := q.Stats().DeadLetters
		return writeOutput(stdout, func(w io.Writer) error {
			if n == 1 {
				fmt.Fprintln(w, "moved 1 dead letter back to its backlog")
			} else {
				fmt.Fprintf(w, "moved %d dead letters back to their backlogs\n", n)
			}
			if left > 0 {
				fmt.Fprintf(w, "left %d unreadable dead letters in place (see flagship queue dead)\n", left)
			}
			return nil
		})
	})
}

func queueCompact(_ context.Context, args []string, stdout, stderr io.Writer) error {
	var o queueOpts
	if err := o.parse("compact", queueCompactUsage, 0, args, stderr); err != nil {
		return err
	}
	if err := checkQueueFile(o.db); err != nil {
		return err
	}
	before, after, err := eventqueue.Compact(o.db, o.lockTimeout)
	if err != nil {
		return queueError(err)
	}
	return writeOutput(stdout, func(w io.Writer) error {
		fmt.Fprintf(w, "compacted %s: %d → %d bytes\n", o.db, before, after)
		return nil
	})
}

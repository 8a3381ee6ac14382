package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: flagship <command> [flags]

flagship evaluates a Flagship bucketing file locally, exactly as the
SDK's bucketing mode does, without calling the Decision API, inspects
the SDK's event queue files, runs a local Flagship, and manages an
account through Flagship's Remote Control API.

Commands:
  decide    decide the campaigns of visitors: every line of a JSON Lines
            file (--visitors), or one visitor given by flags (--visitor)
  explain   explain, campaign by campaign, why one visitor is or is not
            assigned a variation
  serve     run a local Flagship server (Decision API, activation,
            bucketing file, hits, management API) for tests
  admin     manage an account through the Remote Control API: campaigns,
            projects, flags, targeting keys, goals, users, panic
  queue     inspect and repair an SDK's event queue file: stats, peek,
            dead letters, replay, compact
  version   print the SDK, Go and build versions of this tool
  help      print this help, or a command's help: flagship help decide

Run "flagship <command> -h" for the flags of a command.

Exit status: 0 on success, 2 on bad usage or bad input (the message names
the file and line), 1 on any other error (a queue file locked by a running
SDK, an unexpected internal error).
`

// A command runs one subcommand with its arguments (after the command
// name). Errors are reported by run: see [exitError].
type command func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error

// lookup returns the command named name, or nil. Add new subcommands here
// and to the usage text.
func lookup(name string) command {
	switch name {
	case "decide":
		return runDecide
	case "explain":
		return runExplain
	case "serve":
		return runServe
	case "queue":
		return runQueue
	case "version":
		return runVersion
	case "admin":
		return runAdmin
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args (without the program name) and returns
// the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return 0
		}
		// "help cmd" is "cmd -h" with the help on stdout.
		name, rest, stderr = rest[0], []string{"-h"}, stdout
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "flagship: unknown command %q\n\n%s", name, usage)
		return 2
	}
	err := cmd(ctx, rest, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code // already reported
		}
	}
	fmt.Fprintf(stderr, "flagship: %v\n", err)
	return code
}

// exitError sets the exit status of a failed command. Errors that are not
// exitErrors exit with 1.
type exitError struct {
	code int
	err  error // nil when the failure was already reported (usage)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// errUsage reports bad usage whose message and usage text were already
// printed (by the flag package or the command): exit status 2.
func errUsage() error { return &exitError{code: 2} }

// badInput reports bad user input (a flag value, a file that can't be
// read or parsed): exit status 2.
func badInput(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

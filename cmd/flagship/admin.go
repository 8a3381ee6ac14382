package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/internal/version"
)

const adminUsage = `Usage:
  flagship admin environments list
  flagship admin environments get ENV_ID
  flagship admin environments panic ENV_ID on|off
  flagship admin projects list
  flagship admin projects get PROJECT_ID
  flagship admin campaigns list --env ENV_ID
  flagship admin campaigns get --env ENV_ID CAMPAIGN_ID
  flagship admin campaigns create --env ENV_ID --file FILE
  flagship admin campaigns update --env ENV_ID --file FILE [CAMPAIGN_ID]
  flagship admin campaigns switch --env ENV_ID CAMPAIGN_ID active|paused|interrupted
  flagship admin flags list
  flagship admin flags get FLAG_ID
  flagship admin targeting-keys list
  flagship admin targeting-keys get KEY_ID
  flagship admin goals list --env ENV_ID
  flagship admin goals get --env ENV_ID GOAL_ID
  flagship admin users list --env ENV_ID

Admin manages a Flagship account through the Remote Control API (package
admin). The credentials come from the environment, never from flags:
FLAGSHIP_ACCOUNT_ID, FLAGSHIP_CLIENT_ID and FLAGSHIP_CLIENT_SECRET (an
access of Settings > Feature Experimentation > Remote Control API).

List prints a table, or with --json one JSON object per line. Get prints
the resource as indented JSON, or with --json on one line, in the API's
form: "campaigns get --json" writes a file that "campaigns update --file"
reads back. Create and update read one campaign as JSON from --file ("-"
is standard input), check it before sending it (allocations from 0 to
100 summing to 100 in each variation group, exactly one reference
variation, known targeting operators) and print the campaign the API
returns. Update takes the campaign id from the argument or from the
file's "id"; it replaces the variation groups: keep their ids to keep
them. Switch sets a campaign's state; environments panic turns an
environment's panic mode (every SDK serves its defaults) on or off.

--base-url is the API's base URL, version prefix included. The token
route is asked at --auth-url, which defaults to https://auth.flagship.io,
or, when --base-url is given, to --base-url without its trailing /v1: a
local server (flagshiptest) serves both under one root.

Exit status: 2 for bad usage or bad input (a missing variable, a --file
that cannot be read, parsed or that fails the checks: the message names
the file and the field), 1 when the API fails or refuses the request.

Flags:
`

// adminOpts are the flags of every admin command.
type adminOpts struct {
	baseURL, authURL string
	env, file        string
	json             bool
	timeout          time.Duration
}

func (o *adminOpts) register(fs *flag.FlagSet) {
	fs.StringVar(&o.baseURL, "base-url", admin.DefaultBaseURL, "the management API's base `URL`, version prefix included")
	fs.StringVar(&o.authURL, "auth-url", "", "the token server's `URL` (default "+admin.DefaultAuthURL+", or --base-url without its trailing /v1 when --base-url is given)")
	fs.StringVar(&o.env, "env", "", "the environment `id` of campaigns, goals and users")
	fs.StringVar(&o.file, "file", "", "the campaign `file` (JSON) to create or update; - is standard input")
	fs.BoolVar(&o.json, "json", false, "print JSON: one object per line")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "give up after this `duration`, retries included")
}

// adminCommand is one "flagship admin RESOURCE VERB" command.
type adminCommand struct {
	args []string // the names of its arguments, "[NAME]" when optional
	env  bool     // requires --env
	file bool     // requires --file
	run  func(ctx context.Context, a *adminRun) error
}

// adminRun is what an admin command runs with.
type adminRun struct {
	c      *admin.Client
	opts   adminOpts
	args   []string
	stdin  io.Reader
	stdout io.Writer
}

// adminCommands returns the admin commands by "RESOURCE VERB". Add new
// ones here and to adminUsage.
func adminCommands() map[string]adminCommand {
	return map[string]adminCommand{
		"environments list":   {run: listEnvironments},
		"environments get":    {args: []string{"ENV_ID"}, run: getEnvironment},
		"environments panic":  {args: []string{"ENV_ID", "on|off"}, run: setPanic},
		"projects list":       {run: listProjects},
		"projects get":        {args: []string{"PROJECT_ID"}, run: getProject},
		"campaigns list":      {env: true, run: listCampaigns},
		"campaigns get":       {env: true, args: []string{"CAMPAIGN_ID"}, run: getCampaign},
		"campaigns create":    {env: true, file: true, run: createCampaign},
		"campaigns update":    {env: true, file: true, args: []string{"[CAMPAIGN_ID]"}, run: updateCampaign},
		"campaigns switch":    {env: true, args: []string{"CAMPAIGN_ID", "active|paused|interrupted"}, run: switchCampaign},
		"flags list":          {run: listFlags},
		"flags get":           {args: []string{"FLAG_ID"}, run: getFlag},
		"targeting-keys list": {run: listTargetingKeys},
		"targeting-keys get":  {args: []string{"KEY_ID"}, run: getTargetingKey},
		"goals list":          {env: true, run: listGoals},
		"goals get":           {env: true, args: []string{"GOAL_ID"}, run: getGoal},
		"users list":          {env: true, run: listUsers},
	}
}

// newAdminFlags returns the flag set of the admin commands.
func newAdminFlags(name string, o *adminOpts, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), adminUsage)
		fs.PrintDefaults()
	}
	o.register(fs)
	return fs
}

// runAdmin runs "flagship admin RESOURCE VERB [flags] [args]".
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var o adminOpts
	fs := newAdminFlags("admin", &o, stderr)
	if len(args) > 0 {
		switch args[0] {
		case "help":
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		case "-h", "-help", "--help":
			fs.Usage()
			return &exitError{code: 0}
		}
	}
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		return usageError(fs, "want a resource and a verb, e.g. flagship admin campaigns list")
	}
	name := args[0] + " " + args[1]
	cmd, ok := adminCommands()[name]
	if !ok {
		return usageError(fs, "unknown command %q", name)
	}
	fs = newAdminFlags("admin "+name, &o, stderr)
	pos, err := parseInterleaved(fs, args[2:])
	if err != nil {
		return err
	}
	if err := checkAdminArgs(fs, cmd, &o, pos); err != nil {
		return err
	}
	c, err := newAdminClient(&o)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	return adminError(cmd.run(ctx, &adminRun{c: c, opts: o, args: pos, stdin: stdin, stdout: stdout}))
}

// parseInterleaved parses args, whose flags may follow the positional
// arguments, and returns the positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &exitError{code: 0}
			}
			return nil, errUsage()
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// checkAdminArgs checks the arguments and flags of cmd.
func checkAdminArgs(fs *flag.FlagSet, cmd adminCommand, o *adminOpts, pos []string) error {
	set := setFlags(fs)
	required := 0
	for _, a := range cmd.args {
		if !strings.HasPrefix(a, "[") {
			required++
		}
	}
	switch {
	case len(pos) < required:
		return usageError(fs, "missing %s", strings.Join(cmd.args[len(pos):required], " "))
	case len(pos) > len(cmd.args):
		return usageError(fs, "unexpected argument %q", pos[len(cmd.args)])
	case cmd.env && o.env == "":
		return usageError(fs, "--env is required")
	case !cmd.env && set["env"]:
		return usageError(fs, "--env applies to campaigns, goals and users only")
	case cmd.file && o.file == "":
		return usageError(fs, "--file is required")
	case !cmd.file && set["file"]:
		return usageError(fs, "--file applies to campaigns create and update only")
	case o.timeout <= 0:
		return usageError(fs, "--timeout must be positive")
	}
	for i, p := range pos {
		if p == "" {
			return usageError(fs, "empty %s", cmd.args[i])
		}
	}
	if !set["auth-url"] && set["base-url"] {
		o.authURL = authURLFor(o.baseURL)
	}
	return nil
}

// authURLFor returns the token server of a management API at base: its
// URL without a trailing /v1.
func authURLFor(base string) string {
	return strings.TrimSuffix(strings.TrimRight(base, "/"), "/v1")
}

// newAdminClient returns a client with the credentials of the
// environment.
func newAdminClient(o *adminOpts) (*admin.Client, error) {
	var missing []string
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			missing = append(missing, name)
		}
		return v
	}
	account := get("FLAGSHIP_ACCOUNT_ID")
	creds := admin.Credentials{ClientID: get("FLAGSHIP_CLIENT_ID"), ClientSecret: admin.Secret(get("FLAGSHIP_CLIENT_SECRET"))}
	if len(missing) > 0 {
		return nil, badInput("set %s: the account and the credentials of a Remote Control API access", strings.Join(missing, ", "))
	}
	opts := []admin.Option{admin.WithBaseURL(o.baseURL), admin.WithUserAgent("flagship-cli/" + version.SDK)}
	if o.authURL != "" {
		opts = append(opts, admin.WithAuthURL(o.authURL))
	}
	c, err := admin.New(account, creds, opts...)
	if err != nil {
		return nil, badInput("%w", err)
	}
	return c, nil
}

// adminError sets the exit status of a command's error: 2 for values
// refused before sending (bad input), 1 for the API's answers and
// transport errors; it adds advice to a refused access.
func adminError(err error) error {
	var fe *admin.FieldError
	var ee *exitError
	switch {
	case err == nil, errors.As(err, &ee):
		return err
	case errors.As(err, &fe):
		return &exitError{code: 2, err: err}
	case errors.Is(err, admin.ErrUnauthorized):
		return fmt.Errorf("%w (check FLAGSHIP_ACCOUNT_ID, FLAGSHIP_CLIENT_ID and FLAGSHIP_CLIENT_SECRET)", err)
	case errors.Is(err, admin.ErrForbidden):
		return fmt.Errorf("%w (the access lacks the scope or the environment)", err)
	}
	return err
}

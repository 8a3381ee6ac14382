package main

import (
	"context"
	"io"
	"iter"

	"github.com/seed27eed597/flagship-go/admin"
)

// The list and get commands of flagship admin.

// listTable prints the items of seq: a table whose header is cols and
// whose rows are cells(item), or with --json one JSON object per line.
// What was listed before an error is printed.
func listTable[T any](a *adminRun, seq iter.Seq2[T, error], cols []string, cells func(T) []string) error {
	return writeOutput(a.stdout, func(w io.Writer) error {
		if a.opts.json {
			enc := newEncoder(w)
			for v, err := range seq {
				if err != nil {
					return err
				}
				if err := encode(enc, v); err != nil {
					return err
				}
			}
			return nil
		}
		tw := newTable(w)
		row(tw, cols...)
		var err error
		for v, ierr := range seq {
			if ierr != nil {
				err = ierr
				break
			}
			cs := cells(v)
			for i := range cs {
				cs[i] = cell(cs[i])
			}
			row(tw, cs...)
		}
		if ferr := tw.Flush(); ferr != nil && err == nil {
			err = ferr
		}
		return err
	})
}

// printResource prints v as indented JSON, or with --json on one line.
func printResource(a *adminRun, v any) error {
	return writeOutput(a.stdout, func(w io.Writer) error {
		enc := newEncoder(w)
		if !a.opts.json {
			enc.SetIndent("", "  ")
		}
		return encode(enc, v)
	})
}

// get runs a get command: fetch, then print.
func get[T any](a *adminRun, v T, err error) error {
	if err != nil {
		return err
	}
	return printResource(a, v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func listEnvironments(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListEnvironments(ctx), []string{"ID", "NAME", "MAIN", "PANIC", "SINGLE ASSIGNMENT"},
		func(e admin.Environment) []string {
			return []string{e.ID, e.Environment, yesNo(e.IsMain), yesNo(e.Panic), yesNo(e.SingleAssignment)}
		})
}

func getEnvironment(ctx context.Context, a *adminRun) error {
	e, err := a.c.GetEnvironment(ctx, a.args[0])
	return get(a, e, err)
}

func listProjects(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListProjects(ctx), []string{"ID", "NAME"},
		func(p admin.Project) []string { return []string{p.ID, p.Name} })
}

func getProject(ctx context.Context, a *adminRun) error {
	p, err := a.c.GetProject(ctx, a.args[0])
	return get(a, p, err)
}

func listCampaigns(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListCampaigns(ctx, a.opts.env), []string{"ID", "NAME", "TYPE", "STATUS", "PROJECT"},
		func(c admin.Campaign) []string {
			return []string{c.ID, c.Name, string(c.Type), (string(c.Status)), (c.ProjectID)}
		})
}

func getCampaign(ctx context.Context, a *adminRun) error {
	c, err := a.c.GetCampaign(ctx, a.opts.env, a.args[0])
	return get(a, c, err)
}

func listFlags(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListFlags(ctx), []string{"ID", "NAME", "TYPE", "DEFAULT", "DESCRIPTION"},
		func(f admin.Flag) []string {
			return []string{f.ID, f.Name, string(f.Type), (f.DefaultValue), (f.Description)}
		})
}

func getFlag(ctx context.Context, a *adminRun) error {
	f, err := a.c.GetFlag(ctx, a.args[0])
	return get(a, f, err)
}

func listTargetingKeys(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListTargetingKeys(ctx), []string{"ID", "NAME", "TYPE", "DESCRIPTION"},
		func(k admin.TargetingKey) []string {
			return []string{k.ID, k.Name, string(k.Type), (k.Description)}
		})
}

func getTargetingKey(ctx context.Context, a *adminRun) error {
	k, err := a.c.GetTargetingKey(ctx, a.args[0])
	return get(a, k, err)
}

func listGoals(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListGoals(ctx, a.opts.env), []string{"ID", "LABEL", "TYPE", "OPERATOR", "VALUE"},
		func(g admin.Goal) []string {
			return []string{g.ID, g.Label, string(g.Type), (g.Operator), (g.Value)}
		})
}

func getGoal(ctx context.Context, a *adminRun) error {
	g, err := a.c.GetGoal(ctx, a.opts.env, a.args[0])
	return get(a, g, err)
}

func listUsers(ctx context.Context, a *adminRun) error {
	return listTable(a, a.c.ListUsers(ctx, a.opts.env), []string{"EMAIL", "ROLE"},
		func(u admin.User) []string { return []string{u.Email, string(u.Role)} })
}

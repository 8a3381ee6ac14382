package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/seed27eed597/flagship-go/admin"
)

// The commands of flagship admin that change something.

func setPanic(ctx context.Context, a *adminRun) error {
	env, state := a.args[0], a.args[1]
	var on bool
	switch state {
	case "on":
		on = true
	case "off":
	default:
		return badInput("panic state %q: want on or off", state)
	}
	if err := a.c.SetPanic(ctx, env, on); err != nil {
		return err
	}
	return writeOutput(a.stdout, func(w io.Writer) error {
		fmt.Fprintf(w, "panic mode %s for environment %s\n", state, env)
		return nil
	})
}

func switchCampaign(ctx context.Context, a *adminRun) error {
	id, state := a.args[0], admin.Status(a.args[1])
	switch state {
	case admin.StatusActive, admin.StatusPaused, admin.StatusInterrupted:
	default:
		return badInput("campaign state %q: want active, paused or interrupted", state)
	}
	if err := a.c.SwitchCampaign(ctx, a.opts.env, id, state); err != nil {
		return err
	}
	return writeOutput(a.stdout, func(w io.Writer) error {
		fmt.Fprintf(w, "campaign %s of environment %s is %s\n", id, a.opts.env, state)
		return nil
	})
}

func createCampaign(ctx context.Context, a *adminRun) error {
	cp, err := readCampaign(a.opts.file, a.stdin)
	if err != nil {
		return err
	}
	created, err := a.c.CreateCampaign(ctx, a.opts.env, cp)
	if err != nil {
		return err
	}
	return printResource(a, created)
}

func updateCampaign(ctx context.Context, a *adminRun) error {
	cp, err := readCampaign(a.opts.file, a.stdin)
	if err != nil {
		return err
	}
	id := cp.ID
	if len(a.args) > 0 {
		id = a.args[0]
	}
	if id == "" {
		return badInput("%s: no campaign id: give CAMPAIGN_ID or an \"id\" in the file", displayName(a.opts.file))
	}
	updated, err := a.c.UpdateCampaign(ctx, a.opts.env, id, cp)
	if err != nil {
		return err
	}
	return printResource(a, updated)
}

// readCampaign reads one campaign from the JSON file name ("-" is stdin)
// and checks it. Unknown fields are refused, so that a misspelt one (say
// "variationGroups") is not silently dropped. Errors name the file and,
// for JSON errors, the line; for checks, the field.
func readCampaign(name string, stdin io.Reader) (admin.Campaign, error) {
	data, err := readInput(name, stdin)
	if err != nil {
		return admin.Campaign{}, err
	}
	var cp admin.Campaign
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil {
		return admin.Campaign{}, badInput("%s: %s", displayName(name), jsonProblem(data, err))
	}
	if dec.More() {
		return admin.Campaign{}, badInput("%s: want one campaign, found more JSON after it", displayName(name))
	}
	if err := cp.Validate(); err != nil {
		var msgs []string
		for _, e := range flatten(err) {
			var fe *admin.FieldError
			if errors.As(e, &fe) {
				msgs = append(msgs, fmt.Sprintf("%s: %s: %s", displayName(name), fe.Path, fe.Problem))
			}
		}
		return admin.Campaign{}, badInput("invalid campaign:\n  %s", strings.Join(msgs, "\n  "))
	}
	return cp, nil
}

// flatten returns the errors joined in err, or err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// jsonProblem describes a decoding error of data: its line and, for a
// value of the wrong type, the field.
func jsonProblem(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: %v", lineOf(data, se.Offset), se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("line %d: %s: want %s, got JSON %s", lineOf(data, te.Offset), field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return "empty, want a campaign as a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected end of JSON"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// The decoder does not say where: give the line of the key when
		// it is the only one of that name.
		keys := regexp.MustCompile(regexp.QuoteMeta(name)+`\s*:`).FindAllIndex(data, 2)
		if len(keys) == 1 {
			return fmt.Sprintf("line %d: %s", lineOf(data, int64(keys[0][0])), msg)
		}
	}
	return msg
}

// lineOf returns the line, from 1, of the byte at offset in data.
func lineOf(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

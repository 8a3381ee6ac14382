package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
)

// ListProjects iterates over the account's projects.
func (c *Client) ListProjects(ctx context.Context) iter.Seq2[Project, error] {
	return list[Project](c, ctx, c.accountPath("projects"), nil)
}

// GetProject returns project id.
func (c *Client) GetProject(ctx context.Context, id string) (Project, error) {
	var p Project
	if err := needID("project id", id); err != nil {
		return p, err
	}
	err := c.do(ctx, http.MethodGet, c.accountPath("projects", id), nil, nil, &p)
	return p, err
}

// CreateProject creates p and returns it as created, with its id. It
// is sent once: see the package documentation for what a failure means.
func (c *Client) CreateProject(ctx context.Context, p Project) (Project, error) {
	if err := p.Validate(); err != nil {
		return Project{}, err
	}
	p.ID = ""
	return create(c, ctx, c.accountPath("projects"), p)
}

// UpdateProject renames project id to p.Name and returns it as updated.
func (c *Client) UpdateProject(ctx context.Context, id string, p Project) (Project, error) {
	if err := needID("project id", id); err != nil {
		return Project{}, err
	}
	if err := p.Validate(); err != nil {
		return Project{}, err
	}
	p.ID = ""
	return update(c, ctx, c.accountPath("projects", id), id, p, func(p *Project, id string) { p.ID = id })
}

// DeleteProject deletes project id, for good. A project that still has
// campaigns may be refused (400) or deleted with them: the API does not
// say which.
func (c *Client) DeleteProject(ctx context.Context, id string) error {
	if err := needID("project id", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.accountPath("projects", id), nil, nil, nil)
}

// SwitchProject sets every campaign of project id, in every environment,
// to state: [StatusActive], [StatusPaused] or [StatusInterrupted].
func (c *Client) SwitchProject(ctx context.Context, id string, state Status) error {
	if err := needID("project id", id); err != nil {
		return err
	}
	if err := checkState(state); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, c.accountPath("projects", id, "toggle"), nil, map[string]Status{"state": state}, nil)
}

// checkState refuses a state a switch cannot set.
func checkState(s Status) error {
	switch s {
	case StatusActive, StatusPaused, StatusInterrupted:
		return nil
	}
	return &FieldError{Path: "state", Problem: fmt.Sprintf("%q: want %q, %q or %q", s, StatusActive, StatusPaused, StatusInterrupted)}
}

// create posts v to path and returns the created resource, or v as sent
// when the answer is empty.
func create[T any](c *Client, ctx context.Context, path string, v T) (T, error) {
	return write(c, ctx, http.MethodPost, path, v, v)
}

// update patches path with v and returns the updated resource, or v as
// sent, its id set by setID, when the answer is empty.
func update[T any](c *Client, ctx context.Context, path, id string, v T, setID func(*T, string)) (T, error) {
	sent := v
	setID(&sent, id)
	return write(c, ctx, http.MethodPatch, path, v, sent)
}

// write sends v and decodes the answer into a new T (never into v, whose
// slices and maps are the caller's); it returns ifEmpty for an empty
// answer.
func write[T any](c *Client, ctx context.Context, method, path string, v, ifEmpty T) (T, error) {
	var zero T
	var raw json.RawMessage
	if err := c.do(ctx, method, path, nil, v, &raw); err != nil {
		return zero, err
	}
	if len(raw) == 0 {
		return ifEmpty, nil
	}
	var out T
	if err := decodeJSON(request{method: method, path: path}, raw, &out); err != nil {
		return zero, err
	}
	return out, nil
}

package admin

import (
	"context"
	"iter"
	"net/http"
)

// ListGoals iterates over the goals of environment envID.
func (c *Client) ListGoals(ctx context.Context, envID string) iter.Seq2[Goal, error] {
	if err := needID("environment id", envID); err != nil {
		return failed[Goal](err)
	}
	return list[Goal](c, ctx, c.envPath(envID, "goals"), nil)
}

// GetGoal returns goal id of environment envID.
func (c *Client) GetGoal(ctx context.Context, envID, id string) (Goal, error) {
	var g Goal
	if err := needIDs("environment id", envID, "goal id", id); err != nil {
		return g, err
	}
	err := c.do(ctx, http.MethodGet, c.envPath(envID, "goals", id), nil, nil, &g)
	return g, err
}

// CreateGoal validates g, creates it in environment envID and returns it
// as created. It is sent once: see the package documentation for what a
// failure means.
func (c *Client) CreateGoal(ctx context.Context, envID string, g Goal) (Goal, error) {
	if err := needID("environment id", envID); err != nil {
		return Goal{}, err
	}
	if err := g.Validate(); err != nil {
		return Goal{}, err
	}
	g.ID = ""
	return create(c, ctx, c.envPath(envID, "goals"), g)
}

// UpdateGoal validates g, sends it to goal id of environment envID and
// returns the goal as updated.
func (c *Client) UpdateGoal(ctx context.Context, envID, id string, g Goal) (Goal, error) {
	if err := needIDs("environment id", envID, "goal id", id); err != nil {
		return Goal{}, err
	}
	if err := g.Validate(); err != nil {
		return Goal{}, err
	}
	g.ID = ""
	return update(c, ctx, c.envPath(envID, "goals", id), id, g, func(g *Goal, id string) { g.ID = id })
}

// DeleteGoal deletes goal id of environment envID.
func (c *Client) DeleteGoal(ctx context.Context, envID, id string) error {
	if err := needIDs("environment id", envID, "goal id", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.envPath(envID, "goals", id), nil, nil, nil)
}

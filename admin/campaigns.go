package admin

import (
	"context"
	"iter"
	"net/http"
)

// ListCampaigns iterates over the campaigns of environment envID, in
// their order. The API may leave the variation groups out of listed
// campaigns: [Client.GetCampaign] returns the whole tree.
func (c *Client) ListCampaigns(ctx context.Context, envID string) iter.Seq2[Campaign, error] {
	if err := needID("environment id", envID); err != nil {
		return failed[Campaign](err)
	}
	return list[Campaign](c, ctx, c.envPath(envID, "campaigns"), nil)
}

// GetCampaign returns campaign id of environment envID.
func (c *Client) GetCampaign(ctx context.Context, envID, id string) (Campaign, error) {
	var cp Campaign
	if err := needIDs("environment id", envID, "campaign id", id); err != nil {
		return cp, err
	}
	err := c.do(ctx, http.MethodGet, c.envPath(envID, "campaigns", id), nil, nil, &cp)
	return cp, err
}

// CreateCampaign validates cp ([Campaign.Validate]), creates it in
// environment envID and returns it as created: with its ids, status
// [StatusDraft]. It is sent once: see the package documentation for what
// a failure means. Switch it on with [Client.SwitchCampaign].
func (c *Client) CreateCampaign(ctx context.Context, envID string, cp Campaign) (Campaign, error) {
	if err := needID("environment id", envID); err != nil {
		return Campaign{}, err
	}
	if err := cp.Validate(); err != nil {
		return Campaign{}, err
	}
	cp.ID, cp.Status, cp.CreatedAt, cp.UpdatedAt = "", "", "", ""
	return create(c, ctx, c.envPath(envID, "campaigns"), cp)
}

// UpdateCampaign validates cp and sends it whole to campaign id of
// environment envID, and returns the campaign as updated. Variation
// groups and variations are replaced (spec §3.4): those that carry their
// id are kept, those without are created, those left out are deleted; so
// read the campaign, change it, then update it. Its status is not sent:
// use [Client.SwitchCampaign].
func (c *Client) UpdateCampaign(ctx context.Context, envID, id string, cp Campaign) (Campaign, error) {
	if err := needIDs("environment id", envID, "campaign id", id); err != nil {
		return Campaign{}, err
	}
	if err := cp.Validate(); err != nil {
		return Campaign{}, err
	}
	cp.ID, cp.Status, cp.CreatedAt, cp.UpdatedAt = "", "", "", ""
	return update(c, ctx, c.envPath(envID, "campaigns", id), id, cp, func(cp *Campaign, id string) { cp.ID = id })
}

// DeleteCampaign deletes campaign id of environment envID.
func (c *Client) DeleteCampaign(ctx context.Context, envID, id string) error {
	if err := needIDs("environment id", envID, "campaign id", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.envPath(envID, "campaigns", id), nil, nil, nil)
}

// SwitchCampaign sets campaign id of environment envID to state:
// [StatusActive] (live), [StatusPaused] or [StatusInterrupted]. SDKs in
// bucketing mode see the change once the bucketing file is published
// again.
func (c *Client) SwitchCampaign(ctx context.Context, envID, id string, state Status) error {
	if err := needIDs("environment id", envID, "campaign id", id); err != nil {
		return err
	}
	if err := checkState(state); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, c.envPath(envID, "campaigns", id, "toggle"), nil, map[string]Status{"state": state}, nil)
}

// needIDs is needID for two ids.
func needIDs(what1, id1, what2, id2 string) error {
	if err := needID(what1, id1); err != nil {
		return err
	}
	return needID(what2, id2)
}

// failed returns an iterator that yields err.
func failed[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}

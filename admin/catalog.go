package admin

import (
	"context"
	"iter"
	"net/http"
)

// The account's catalogs: flags and targeting keys (spec §4.5, §4.6).

// ListFlags iterates over the account's flag catalog.
func (c *Client) ListFlags(ctx context.Context) iter.Seq2[Flag, error] {
	return list[Flag](c, ctx, c.accountPath("flags"), nil)
}

// GetFlag returns flag id.
func (c *Client) GetFlag(ctx context.Context, id string) (Flag, error) {
	var f Flag
	if err := needID("flag id", id); err != nil {
		return f, err
	}
	err := c.do(ctx, http.MethodGet, c.accountPath("flags", id), nil, nil, &f)
	return f, err
}

// CreateFlag validates f, creates it and returns it as created. An empty
// Source is sent as [FlagSourceManual]. It is sent once: see the package
// documentation for what a failure means.
func (c *Client) CreateFlag(ctx context.Context, f Flag) (Flag, error) {
	if err := f.Validate(); err != nil {
		return Flag{}, err
	}
	if f.Source == "" {
		f.Source = FlagSourceManual
	}
	f.ID, f.CreatedAt = "", ""
	return create(c, ctx, c.accountPath("flags"), f)
}

// UpdateFlag validates f, sends it to flag id and returns the flag as
// updated. Renaming or retyping a flag that campaigns use can break the
// applications that read it.
func (c *Client) UpdateFlag(ctx context.Context, id string, f Flag) (Flag, error) {
	if err := needID("flag id", id); err != nil {
		return Flag{}, err
	}
	if err := f.Validate(); err != nil {
		return Flag{}, err
	}
	f.ID, f.CreatedAt = "", ""
	return update(c, ctx, c.accountPath("flags", id), id, f, func(f *Flag, id string) { f.ID = id })
}

// DeleteFlag deletes flag id from the catalog.
func (c *Client) DeleteFlag(ctx context.Context, id string) error {
	if err := needID("flag id", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.accountPath("flags", id), nil, nil, nil)
}

// ListTargetingKeys iterates over the account's targeting keys.
func (c *Client) ListTargetingKeys(ctx context.Context) iter.Seq2[TargetingKey, error] {
	return list[TargetingKey](c, ctx, c.accountPath("targeting_keys"), nil)
}

// GetTargetingKey returns targeting key id.
func (c *Client) GetTargetingKey(ctx context.Context, id string) (TargetingKey, error) {
	var k TargetingKey
	if err := needID("targeting key id", id); err != nil {
		return k, err
	}
	err := c.do(ctx, http.MethodGet, c.accountPath("targeting_keys", id), nil, nil, &k)
	return k, err
}

// CreateTargetingKey validates k, creates it and returns it as created.
// It is sent once: see the package documentation for what a failure
// means.
func (c *Client) CreateTargetingKey(ctx context.Context, k TargetingKey) (TargetingKey, error) {
	if err := k.Validate(); err != nil {
		return TargetingKey{}, err
	}
	k.ID = ""
	return create(c, ctx, c.accountPath("targeting_keys"), k)
}

// UpdateTargetingKey validates k, sends it to targeting key id and
// returns the key as updated.
func (c *Client) UpdateTargetingKey(ctx context.Context, id string, k TargetingKey) (TargetingKey, error) {
	if err := needID("targeting key id", id); err != nil {
		return TargetingKey{}, err
	}
	if err := k.Validate(); err != nil {
		return TargetingKey{}, err
	}
	k.ID = ""
	return update(c, ctx, c.accountPath("targeting_keys", id), id, k, func(k *TargetingKey, id string) { k.ID = id })
}

// DeleteTargetingKey deletes targeting key id.
func (c *Client) DeleteTargetingKey(ctx context.Context, id string) error {
	if err := needID("targeting key id", id); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.accountPath("targeting_keys", id), nil, nil, nil)
}

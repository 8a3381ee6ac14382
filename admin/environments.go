package admin

import (
	"context"
	"iter"
	"net/http"
)

// ListEnvironments iterates over the account's environments. Environments
// are created and deleted in the platform only.
func (c *Client) ListEnvironments(ctx context.Context) iter.Seq2[Environment, error] {
	return list[Environment](c, ctx, c.accountPath("account_environments"), nil)
}

// GetEnvironment returns environment envID.
func (c *Client) GetEnvironment(ctx context.Context, envID string) (Environment, error) {
	var e Environment
	if err := needID("environment id", envID); err != nil {
		return e, err
	}
	err := c.do(ctx, http.MethodGet, c.envPath(envID), nil, nil, &e)
	return e, err
}

// SetPanic turns panic mode of environment envID on or off. In panic mode
// SDKs serve every flag's default value: it is the kill switch of a whole
// environment. SDKs in bucketing mode see the change once the bucketing
// file is published again.
func (c *Client) SetPanic(ctx context.Context, envID string, on bool) error {
	if err := needID("environment id", envID); err != nil {
		return err
	}
	state := "off"
	if on {
		state = "on"
	}
	return c.do(ctx, http.MethodPatch, c.envPath(envID, "panic"), nil, map[string]string{"panic": state}, nil)
}

package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
)

// ListUsers iterates over the platform users of environment envID and
// their roles. Both forms the API is documented with are read: a list of
// users, or of objects whose "data" holds the users (spec §3.3).
func (c *Client) ListUsers(ctx context.Context, envID string) iter.Seq2[User, error] {
	if err := needID("environment id", envID); err != nil {
		return failed[User](err)
	}
	return list[User](c, ctx, c.envPath(envID, "users"), expandUsers)
}

// expandUsers returns the users an item of the users list holds: itself,
// or the elements of its "data" array.
func expandUsers(raw json.RawMessage) ([]json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return []json.RawMessage{raw}, nil
	}
	var v struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v.Data == nil {
		return []json.RawMessage{raw}, nil
	}
	return v.Data, nil
}

// SetUsers gives each user its role in environment envID, adding the
// users that are not there yet. Users left out keep their role.
func (c *Client) SetUsers(ctx context.Context, envID string, users ...User) error {
	if err := needID("environment id", envID); err != nil {
		return err
	}
	var fe fieldErrors
	if len(users) == 0 {
		fe.add("users", "at least one user is required")
	}
	for i, u := range users {
		if u.Email == "" {
			fe.add(fmt.Sprintf("users[%d].email", i), "required")
		}
		if u.Role == "" {
			fe.add(fmt.Sprintf("users[%d].role", i), "required")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, c.envPath(envID, "users"), nil, users, nil)
}

// RemoveUsers removes the users with the given emails from environment
// envID.
func (c *Client) RemoveUsers(ctx context.Context, envID string, emails ...string) error {
	if err := needID("environment id", envID); err != nil {
		return err
	}
	var fe fieldErrors
	if len(emails) == 0 {
		fe.add("emails", "at least one email is required")
	}
	for i, e := range emails {
		if e == "" {
			fe.add(fmt.Sprintf("emails[%d]", i), "empty")
		}
	}
	if err := fe.err(); err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, c.envPath(envID, "users"), url.Values{"emails[]": emails}, nil, nil)
}

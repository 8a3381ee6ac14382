package flagship

import (
	"slices"
	"time"
)

// subscription is one handler of Subscribe; its address identifies it.
type subscription struct{ h NotificationHandler }

// Subscribe adds h to the handlers that receive the client's
// notifications, in addition to the one of [WithNotifications], until the
// returned function is called (calling it again does nothing). It is for
// integrations that wrap a client they were given, such as an OpenFeature
// provider following configuration changes. h runs under the contract of
// [NotificationHandler]; a handler subscribed during a notification may
// miss it.
func (c *Client) Subscribe(h NotificationHandler) (cancel func()) {
	if h == nil {
		return func() {}
	}
	s := &subscription{h: h}
	c.subsMu.Lock()
	var next []*subscription
	if cur := c.subs.Load(); cur != nil {
		next = slices.Clone(*cur)
	}
	next = append(next, s)
	c.subs.Store(&next)
	c.subsMu.Unlock()
	return func() {
		c.subsMu.Lock()
		defer c.subsMu.Unlock()
		cur := c.subs.Load()
		if cur == nil {
			return
		}
		next := slices.DeleteFunc(slices.Clone(*cur), func(x *subscription) bool { return x == s })
		c.subs.Store(&next)
	}
}

// FlagDefined reports whether a campaign of the environment sets flag
// key, whatever the visitor: defined is true when one does. known is true
// only when the client can tell, in [Bucketing] mode with a bucketing
// file; in [DecisionAPI] mode, which learns only the flags of each
// visitor, or before the first file, it returns (false, false).
func (c *Client) FlagDefined(key string) (defined, known bool) {
	if !c.wired.Load() || c.engine == nil {
		return false, false
	}
	cfg := c.engine.Config()
	if cfg == nil {
		return false, false
	}
	return cfg.HasFlag(key), true
}

// BucketingStatus is how the client's bucketing file stands, for
// monitoring (see [Client.BucketingStatus]).
type BucketingStatus struct {
	// Loaded reports whether a file is in use.
	Loaded bool
	// Checked is when the file in use was last downloaded or confirmed
	// unchanged by the server (zero before the first success: a file
	// loaded from the cache directory only is not checked).
	Checked time.Time
	// Err is the last download's error, nil if it succeeded.
	Err error
	// Failures is the number of failed downloads in a row.
	Failures int
	// Campaigns is the number of campaigns of the file in use.
	Campaigns int
}

// BucketingStatus returns how the bucketing file stands; ok is false in
// [DecisionAPI] mode, which has none.
func (c *Client) BucketingStatus() (s BucketingStatus, ok bool) {
	if !c.wired.Load() {
		// New is still building the client (an Observer's early read).
		return BucketingStatus{}, c.cfg.mode == Bucketing
	}
	if c.poller == nil {
		return BucketingStatus{}, false
	}
	ps := c.poller.Status()
	s = BucketingStatus{Loaded: ps.Loaded, Checked: ps.Checked, Err: ps.Err, Failures: ps.Failures}
	if cfg := c.engine.Config(); cfg != nil {
		s.Campaigns = cfg.NumCampaigns()
	}
	return s, true
}

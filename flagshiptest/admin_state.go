package flagshiptest

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/bucketing"
)

// adminState is the management side of a Handler (spec §9.1): the
// account's access and tokens, its projects, flags and targeting keys,
// and the environment's campaigns, goals, users and panic switch. What
// SDKs get is the projection of the active campaigns (see project). It is
// guarded by Handler.mu.
type adminState struct {
	access  AdminAccess
	revoked bool
	tokens  map[string]*adminToken // by access token
	refresh map[string]*adminToken // by refresh token
	limiter rateLimiter
	delay   time.Duration // SetPublicationDelay
	// latest is the projection of the current state, published or not;
	// pending are the projections waiting for their publication time, in
	// order.
	latest   *content
	pending  []publication
	requests []AdminRequest
	seq      uint32 // of generated ids

	// Account level.
	projects []admin.Project
	flags    []admin.Flag
	keys     []admin.TargetingKey
	// Environment level.
	campaigns []*adminCampaign // creation order, which is the file's order
	goals     []admin.Goal
	users     []admin.User
	panic     bool         // the environment's panic switch (SetPanic, PATCH …/panic)
	settings  fileSettings // of the last file set in code
}

// adminCampaign is one campaign of the environment. It is immutable:
// changes replace it.
type adminCampaign struct {
	c admin.Campaign
	// managed is false for a campaign set in code whose id is empty or
	// repeats an earlier one's: it is served, but the API can't name it.
	managed bool
	// proj is the campaign as set in code, served as is until the API
	// edits it; nil for a campaign created or edited through the API,
	// whose projection is built from c.
	proj *bucketing.Campaign
	// ranges are the bucket ranges set in code, kept through edits; nil
	// means [0, 100].
	ranges []bucketing.BucketRange
}

// fileSettings are the top-level fields of the last bucketing file set in
// code: the management model has no place for them but panic and
// single_assignment, so they are kept as they were.
type fileSettings struct {
	generatedAt          string
	panic                bool
	visitorConsolidation bool
	account              bucketing.AccountSettings
}

// publication is a state of what SDKs get, due at a time.
type publication struct {
	c     *content
	panic bool
	at    time.Time
}

// adoptLocked makes the campaigns of c's file the environment's, all
// active, keeps the file's top-level fields, and publishes c at once,
// with any pending publication: changes made in code are never delayed.
// h.mu is held.
func (h *Handler) adoptLocked(c *content) {
	a := &h.adm
	f := c.file
	a.settings = fileSettings{
		generatedAt:          f.GeneratedAt,
		panic:                f.Panic,
		visitorConsolidation: f.VisitorConsolidation,
		account:              f.AccountSettings,
	}
	now := h.timestamp()
	seen := make(map[string]bool, len(f.Campaigns))
	a.campaigns = make([]*adminCampaign, len(f.Campaigns))
	for i := range f.Campaigns {
		bc := &f.Campaigns[i]
		a.campaigns[i] = &adminCampaign{
			c:       fromBucketing(bc, now),
			managed: bc.ID != "" && !seen[bc.ID],
			proj:    bc,
			ranges:  bc.BucketRanges,
		}
		seen[bc.ID] = true
	}
	a.latest = c
	h.publishNowLocked()
}

// publishNowLocked serves the current state at once and drops the
// pending publications, which it includes. h.mu is held.
func (h *Handler) publishNowLocked() {
	h.adm.pending = nil
	h.panic = h.adm.panic
	h.setContentAtLocked(h.adm.latest, h.now())
}

// publishLocked publishes the current state after a change through the
// API: at once, or after the publication delay. h.mu is held.
func (h *Handler) publishLocked() {
	a := &h.adm
	if a.delay <= 0 {
		h.publishNowLocked()
		return
	}
	at := h.now().Add(a.delay)
	if n := len(a.pending); n > 0 && at.Before(a.pending[n-1].at) {
		at = a.pending[n-1].at // publications keep their order
	}
	a.pending = append(a.pending, publication{c: a.latest, panic: a.panic, at: at})
}

// publishDue serves the last pending publication that is due, if any.
// The routes SDKs use call it first, so that a publication needs no timer.
func (h *Handler) publishDue() {
	h.mu.Lock()
	defer h.mu.Unlock()
	a := &h.adm
	if len(a.pending) == 0 {
		return
	}
	now := h.now()
	n := 0
	for n < len(a.pending) && !a.pending[n].at.After(now) {
		n++
	}
	if n == 0 {
		return
	}
	p := a.pending[n-1]
	a.pending = append([]publication(nil), a.pending[n:]...)
	h.panic = p.panic
	h.setContentAtLocked(p.c, p.at)
}

// commitCampaignsLocked makes cs the environment's campaigns after a
// change through the API, and publishes their projection. If the
// projection can't be served it changes nothing and returns the error (a
// bug of the handler: what the API accepts always projects). h.mu is
// held.
func (h *Handler) commitCampaignsLocked(cs []*adminCampaign) error {
	c, err := h.project(cs)
	if err != nil {
		return err
	}
	h.adm.campaigns = cs
	h.adm.latest = c
	h.publishLocked()
	return nil
}

// project returns what SDKs get from the campaigns cs (spec §9.5): a
// bucketing file holding the active ones in order, with the top-level
// fields of the last file set in code.
func (h *Handler) project(cs []*adminCampaign) (*content, error) {
	s := h.adm.settings
	f := bucketing.File{
		GeneratedAt:          s.generatedAt,
		Panic:                s.panic,
		VisitorConsolidation: s.visitorConsolidation,
		AccountSettings:      s.account,
		Campaigns:            []bucketing.Campaign{},
	}
	for _, c := range cs {
		if c.c.Status == admin.StatusActive {
			f.Campaigns = append(f.Campaigns, c.projection())
		}
	}
	data, err := marshalFile(&f)
	if err != nil {
		return nil, fmt.Errorf("flagshiptest: project campaigns: %w", err)
	}
	c, err := prepare(data)
	if err != nil {
		return nil, fmt.Errorf("flagshiptest: project campaigns: %w", err)
	}
	return c, nil
}

// environment returns the management view of the handler's environment.
// h.mu is held.
func (h *Handler) environment() admin.Environment {
	return admin.Environment{
		ID:               h.envID,
		Environment:      "production",
		IsMain:           true,
		Panic:            h.adm.panic || h.adm.settings.panic,
		SingleAssignment: h.adm.settings.account.Enabled1V1T,
	}
}

// newID returns a fresh id: like an xid, 4 bytes of time in seconds, then
// a counter and random bytes, so ids sort by creation. h.mu is held.
func (h *Handler) newID() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(h.now().Unix()))
	h.adm.seq++
	binary.BigEndian.PutUint32(b[4:8], h.adm.seq)
	_, _ = rand.Read(b[8:]) // never fails
	// Lowercase base32hex: 12 bytes make the 20 characters of an xid.
	return strings.ToLower(base32.HexEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// timestamp returns the current time as the API writes dates.
func (h *Handler) timestamp() string { return h.now().UTC().Format(time.RFC3339) }

package flagshiptest

import (
	"errors"
	"net/http"
	"slices"

	"github.com/seed27eed597/flagship-go/admin"
)

// Campaigns of the environment (spec §4.3, §5): args[0] is the
// environment, args[1] the campaign.

// campaignIndex returns the index of the managed campaign id, or -1.
func (h *Handler) campaignIndex(id string) int {
	return slices.IndexFunc(h.adm.campaigns, func(c *adminCampaign) bool { return c.managed && c.c.ID == id })
}

func listCampaigns(h *Handler, c *call) reply {
	var out []admin.Campaign
	for _, ac := range h.adm.campaigns {
		if ac.managed {
			out = append(out, ac.c)
		}
	}
	return paginate(out, c.query)
}

func getCampaign(h *Handler, c *call) reply {
	i := h.campaignIndex(c.args[1])
	if i < 0 {
		return notFound("campaign", c.args[1])
	}
	return answerOK(h.adm.campaigns[i].c)
}

func createCampaign(h *Handler, c *call) reply {
	body, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	m, err := h.fresh(body, "", levelCampaign)
	if err != nil {
		return bodyError(err)
	}
	var p problems
	if _, ok := body["description"]; !ok {
		p.add("description", "required (may be empty)")
	}
	camp, rep, ok := h.decodeCampaign(m, p)
	if !ok {
		return rep
	}
	camp.Status = admin.StatusDraft
	camp.CreatedAt, camp.UpdatedAt = h.timestamp(), h.timestamp()
	cs := append(slices.Clone(h.adm.campaigns), &adminCampaign{c: camp, managed: true})
	if err := h.commitCampaignsLocked(cs); err != nil {
		return reply{http.StatusInternalServerError, errorBody{Message: err.Error()}}
	}
	return created(camp)
}

func updateCampaign(h *Handler, c *call) reply {
	patch, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	camp, rep, ok := h.changeCampaign(c.args[1], func(m map[string]any) (map[string]any, error) {
		return h.merge(m, patch, "", levelCampaign)
	})
	if !ok {
		return rep
	}
	return answerOK(camp)
}

func deleteCampaign(h *Handler, c *call) reply {
	i := h.campaignIndex(c.args[1])
	if i < 0 {
		return notFound("campaign", c.args[1])
	}
	if err := h.commitCampaignsLocked(slices.Delete(slices.Clone(h.adm.campaigns), i, i+1)); err != nil {
		return reply{http.StatusInternalServerError, errorBody{Message: err.Error()}}
	}
	return noContent()
}

// toggleCampaign serves PATCH …/campaigns/{c}/toggle {"state": S}.
func toggleCampaign(h *Handler, c *call) reply {
	i := h.campaignIndex(c.args[1])
	if i < 0 {
		return notFound("campaign", c.args[1])
	}
	state, rep, ok := readState(c.body)
	if !ok {
		return rep
	}
	cs := slices.Clone(h.adm.campaigns)
	cs[i] = h.withStatus(cs[i], state)
	if err := h.commitCampaignsLocked(cs); err != nil {
		return reply{http.StatusInternalServerError, errorBody{Message: err.Error()}}
	}
	return done()
}

// readState reads the body {"state": S} of a toggle, S being active,
// paused or interrupted.
func readState(body []byte) (admin.Status, reply, bool) {
	m, err := decodeBodyObject(body)
	if err != nil {
		return "", bodyError(err), false
	}
	s, _ := m["state"].(string)
	switch st := admin.Status(s); st {
	case admin.StatusActive, admin.StatusPaused, admin.StatusInterrupted:
		return st, reply{}, true
	}
	if _, present := m["state"]; !present {
		return "", invalid("state", "required: active, paused or interrupted"), false
	}
	return "", invalid("state", "want active, paused or interrupted, got %s", quoteGeneric(m["state"])), false
}

// withStatus returns ac switched to status; what it serves is unchanged.
func (h *Handler) withStatus(ac *adminCampaign, status admin.Status) *adminCampaign {
	n := *ac
	n.c.Status = status
	n.c.UpdatedAt = h.timestamp()
	return &n
}

// decodeCampaign decodes the generic campaign m and validates it (spec
// §9.3), adding to the problems p already found. It returns the campaign,
// or the 400 answer.
func (h *Handler) decodeCampaign(m map[string]any, p problems) (admin.Campaign, reply, bool) {
	var camp admin.Campaign
	checkAllocations(&p, m)
	if rep, bad := p.reply(); bad {
		return camp, rep, false
	}
	if err := fromGeneric(m, &camp); err != nil {
		return camp, bodyError(err), false
	}
	p.addErr("", camp.Validate())
	if camp.ProjectID != "" && h.projectIndex(camp.ProjectID) < 0 {
		p.add("project_id", "no project %s", quote(camp.ProjectID))
	}
	if rep, bad := p.reply(); bad {
		return camp, rep, false
	}
	return camp, reply{}, true
}

// changeCampaign applies edit to the generic form of the campaign id,
// then decodes, validates and commits the result as an edit through the
// API: the campaign keeps its id, status, creation date and bucket ranges,
// and is served from its management form from now on. It returns the new
// campaign, or the answer when it fails.
func (h *Handler) changeCampaign(id string, edit func(m map[string]any) (map[string]any, error)) (admin.Campaign, reply, bool) {
	i := h.campaignIndex(id)
	if i < 0 {
		return admin.Campaign{}, notFound("campaign", id), false
	}
	old := h.adm.campaigns[i]
	m, err := edit(toGeneric(old.c))
	var nf *notFoundError
	switch {
	case errors.As(err, &nf):
		return admin.Campaign{}, notFound(nf.what, nf.id), false
	case err != nil:
		return admin.Campaign{}, bodyError(err), false
	}
	camp, rep, ok := h.decodeCampaign(m, nil)
	if !ok {
		return camp, rep, false
	}
	camp.ID, camp.Status, camp.CreatedAt, camp.UpdatedAt = old.c.ID, old.c.Status, old.c.CreatedAt, h.timestamp()
	cs := slices.Clone(h.adm.campaigns)
	cs[i] = &adminCampaign{c: camp, managed: true, ranges: old.ranges}
	if err := h.commitCampaignsLocked(cs); err != nil {
		return camp, reply{http.StatusInternalServerError, errorBody{Message: err.Error()}}, false
	}
	return camp, reply{}, true
}

// quoteGeneric writes a generic JSON value for messages.
func quoteGeneric(v any) string {
	b, err := marshalJSON(v)
	if err != nil {
		return genericKind(v)
	}
	return string(b[:len(b)-1]) // without the encoder's newline
}

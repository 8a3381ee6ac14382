package flagshiptest

import (
	"fmt"
	"slices"

	"github.com/seed27eed597/flagship-go/admin"
)

// Variation groups and variations (spec §4.4): args[1] is the campaign,
// args[2] the variation group, args[3] the variation. A change goes
// through the campaign: the whole campaign must stay valid (allocations
// summing to 100, one reference...), and problems are named by their path
// in the campaign, e.g. "variation_groups[0].variations: allocations sum
// to 120, want 100". So a split changes with one PATCH of the group and its
// variations, not variation by variation.

// notFoundError is an unknown id met while editing a campaign: a 404.
type notFoundError struct{ what, id string }

func (e *notFoundError) Error() string { return e.what + " " + quote(e.id) + " not found" }

// campaignFor returns the campaign of c.args[1], or the 404 answer.
func (h *Handler) campaignFor(c *call) (*admin.Campaign, reply, bool) {
	i := h.campaignIndex(c.args[1])
	if i < 0 {
		return nil, notFound("campaign", c.args[1]), false
	}
	return &h.adm.campaigns[i].c, reply{}, true
}

// groupFor returns the variation group of c.args[2], or the 404 answer.
func (h *Handler) groupFor(c *call) (*admin.VariationGroup, reply, bool) {
	camp, rep, ok := h.campaignFor(c)
	if !ok {
		return nil, rep, false
	}
	i := slices.IndexFunc(camp.VariationGroups, func(g admin.VariationGroup) bool { return g.ID == c.args[2] })
	if i < 0 {
		return nil, notFound("variation group", c.args[2]), false
	}
	return &camp.VariationGroups[i], reply{}, true
}

// genericChild returns the children of the generic object m at key, and
// the index of the one whose id is id (-1 if none).
func genericChild(m map[string]any, key, id string) ([]any, int) {
	items, _ := m[key].([]any)
	return items, slices.IndexFunc(items, func(it any) bool {
		o, _ := it.(map[string]any)
		return o["id"] == id
	})
}

// editGroup returns an edit of a generic campaign that applies f to its
// variation group id, at path "variation_groups[i]".
func editGroup(id string, f func(g map[string]any, path string) (map[string]any, error)) func(map[string]any) (map[string]any, error) {
	return func(m map[string]any) (map[string]any, error) {
		groups, i := genericChild(m, "variation_groups", id)
		if i < 0 {
			return nil, &notFoundError{"variation group", id}
		}
		g, _ := groups[i].(map[string]any)
		ng, err := f(g, fmt.Sprintf("variation_groups[%d]", i))
		if err != nil {
			return nil, err
		}
		groups = slices.Clone(groups)
		if ng == nil {
			groups = slices.Delete(groups, i, i+1)
		} else {
			groups[i] = ng
		}
		m["variation_groups"] = groups
		return m, nil
	}
}

func listGroups(h *Handler, c *call) reply {
	camp, rep, ok := h.campaignFor(c)
	if !ok {
		return rep
	}
	return paginate(camp.VariationGroups, c.query)
}

func getGroup(h *Handler, c *call) reply {
	g, rep, ok := h.groupFor(c)
	if !ok {
		return rep
	}
	return answerOK(*g)
}

func createGroup(h *Handler, c *call) reply {
	body, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	var id string
	camp, rep, ok := h.changeCampaign(c.args[1], func(m map[string]any) (map[string]any, error) {
		groups, _ := m["variation_groups"].([]any)
		g, err := h.fresh(body, fmt.Sprintf("variation_groups[%d]", len(groups)), levelGroup)
		if err != nil {
			return nil, err
		}
		id, _ = g["id"].(string)
		m["variation_groups"] = append(slices.Clone(groups), g)
		return m, nil
	})
	if !ok {
		return rep
	}
	return created(findGroup(&camp, id))
}

func updateGroup(h *Handler, c *call) reply {
	patch, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	camp, rep, ok := h.changeCampaign(c.args[1], editGroup(c.args[2], func(g map[string]any, path string) (map[string]any, error) {
		return h.merge(g, patch, path, levelGroup)
	}))
	if !ok {
		return rep
	}
	return answerOK(findGroup(&camp, c.args[2]))
}

func deleteGroup(h *Handler, c *call) reply {
	_, rep, ok := h.changeCampaign(c.args[1], editGroup(c.args[2], func(map[string]any, string) (map[string]any, error) {
		return nil, nil
	}))
	if !ok {
		return rep
	}
	return noContent()
}

func listVariations(h *Handler, c *call) reply {
	g, rep, ok := h.groupFor(c)
	if !ok {
		return rep
	}
	return paginate(g.Variations, c.query)
}

func getVariation(h *Handler, c *call) reply {
	g, rep, ok := h.groupFor(c)
	if !ok {
		return rep
	}
	i := slices.IndexFunc(g.Variations, func(v admin.Variation) bool { return v.ID == c.args[3] })
	if i < 0 {
		return notFound("variation", c.args[3])
	}
	return answerOK(g.Variations[i])
}

func createVariation(h *Handler, c *call) reply {
	body, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	var id string
	camp, rep, ok := h.changeCampaign(c.args[1], editGroup(c.args[2], func(g map[string]any, path string) (map[string]any, error) {
		vars, _ := g["variations"].([]any)
		v, err := h.fresh(body, fmt.Sprintf("%s.variations[%d]", path, len(vars)), levelVariation)
		if err != nil {
			return nil, err
		}
		id, _ = v["id"].(string)
		g["variations"] = append(slices.Clone(vars), v)
		return g, nil
	}))
	if !ok {
		return rep
	}
	return created(findVariation(&camp, c.args[2], id))
}

func updateVariation(h *Handler, c *call) reply {
	patch, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	camp, rep, ok := h.changeCampaign(c.args[1], editGroup(c.args[2], func(g map[string]any, path string) (map[string]any, error) {
		vars, i := genericChild(g, "variations", c.args[3])
		if i < 0 {
			return nil, &notFoundError{"variation", c.args[3]}
		}
		v, _ := vars[i].(map[string]any)
		nv, err := h.merge(v, patch, fmt.Sprintf("%s.variations[%d]", path, i), levelVariation)
		if err != nil {
			return nil, err
		}
		vars = slices.Clone(vars)
		vars[i] = nv
		g["variations"] = vars
		return g, nil
	}))
	if !ok {
		return rep
	}
	return answerOK(findVariation(&camp, c.args[2], c.args[3]))
}

func deleteVariation(h *Handler, c *call) reply {
	_, rep, ok := h.changeCampaign(c.args[1], editGroup(c.args[2], func(g map[string]any, _ string) (map[string]any, error) {
		vars, i := genericChild(g, "variations", c.args[3])
		if i < 0 {
			return nil, &notFoundError{"variation", c.args[3]}
		}
		g["variations"] = slices.Delete(slices.Clone(vars), i, i+1)
		return g, nil
	}))
	if !ok {
		return rep
	}
	return noContent()
}

// findGroup returns the variation group id of camp.
func findGroup(camp *admin.Campaign, id string) admin.VariationGroup {
	for _, g := range camp.VariationGroups {
		if g.ID == id {
			return g
		}
	}
	return admin.VariationGroup{}
}

// findVariation returns the variation vid of the group gid of camp.
func findVariation(camp *admin.Campaign, gid, vid string) admin.Variation {
	for _, g := range camp.VariationGroups {
		if g.ID != gid {
			continue
		}
		for _, v := range g.Variations {
			if v.ID == vid {
				return v
			}
		}
	}
	return admin.Variation{}
}

package flagshiptest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/seed27eed597/flagship-go/admin"
)

// Account-level resources: projects (spec §4.2), flags (§4.5) and
// targeting keys (§4.6). args[0] is the resource's id.

// decodeNew decodes the create body m into out, a model pointer, without
// its read-only members.
func decodeNew(m map[string]any, out any) error {
	w := make(map[string]any, len(m))
	for k, v := range m {
		if !readOnly(k) {
			w[k] = v
		}
	}
	return fromGeneric(w, out)
}

// decodeUpdate decodes cur updated by the members of patch (spec §3.4)
// into out, a model pointer.
func decodeUpdate(cur any, patch map[string]any, out any) error {
	w := toGeneric(cur)
	for k, v := range patch {
		if !readOnly(k) {
			w[k] = v
		}
	}
	return fromGeneric(w, out)
}

func (h *Handler) projectIndex(id string) int {
	return slices.IndexFunc(h.adm.projects, func(p admin.Project) bool { return p.ID == id })
}

func listProjects(h *Handler, c *call) reply { return paginate(h.adm.projects, c.query) }

func getProject(h *Handler, c *call) reply {
	i := h.projectIndex(c.args[0])
	if i < 0 {
		return notFound("project", c.args[0])
	}
	return answerOK(h.adm.projects[i])
}

func createProject(h *Handler, c *call) reply {
	var p admin.Project
	if rep, bad := decodeChecked(c.body, nil, &p, p.Validate); bad {
		return rep
	}
	p.ID = h.newID()
	h.adm.projects = append(h.adm.projects, p)
	return created(p)
}

// updateProject serves PATCH, and PUT as PATCH (spec §3.2).
func updateProject(h *Handler, c *call) reply {
	i := h.projectIndex(c.args[0])
	if i < 0 {
		return notFound("project", c.args[0])
	}
	var p admin.Project // never decoded over the stored value, which it shares slices with
	if rep, bad := decodeChecked(c.body, h.adm.projects[i], &p, p.Validate); bad {
		return rep
	}
	h.adm.projects = slices.Clone(h.adm.projects)
	h.adm.projects[i] = p
	return answerOK(p)
}

// deleteProject refuses to delete a project that has campaigns (spec
// §4.2, the fake's choice).
func deleteProject(h *Handler, c *call) reply {
	i := h.projectIndex(c.args[0])
	if i < 0 {
		return notFound("project", c.args[0])
	}
	n := 0
	for _, ac := range h.adm.campaigns {
		if ac.c.ProjectID == c.args[0] {
			n++
		}
	}
	if n > 0 {
		return reply{http.StatusBadRequest, errorBody{Message: fmt.Sprintf("project %s has %d campaigns: delete them first", quote(c.args[0]), n)}}
	}
	h.adm.projects = slices.Delete(slices.Clone(h.adm.projects), i, i+1)
	return noContent()
}

// toggleProject switches every campaign of the project (spec §4.2).
func toggleProject(h *Handler, c *call) reply {
	if h.projectIndex(c.args[0]) < 0 {
		return notFound("project", c.args[0])
	}
	state, rep, ok := readState(c.body)
	if !ok {
		return rep
	}
	cs := slices.Clone(h.adm.campaigns)
	for i, ac := range cs {
		if ac.c.ProjectID == c.args[0] {
			cs[i] = h.withStatus(ac, state)
		}
	}
	if err := h.commitCampaignsLocked(cs); err != nil {
		return reply{http.StatusInternalServerError, errorBody{Message: err.Error()}}
	}
	return done()
}

// decodeChecked decodes body into out, a model pointer: a new value when
// cur is nil, else cur updated by body. It returns the 400 answer if body
// is not an object or validate (run on out) finds problems.
func decodeChecked(body []byte, cur, out any, validate func() error) (reply, bool) {
	m, err := decodeBodyObject(body)
	if err != nil {
		return bodyError(err), true
	}
	if cur == nil {
		err = decodeNew(m, out)
	} else {
		err = decodeUpdate(cur, m, out)
	}
	if err != nil {
		return bodyError(err), true
	}
	var p problems
	p.addErr("", validate())
	return p.reply()
}

func (h *Handler) flagIndex(id string) int {
	return slices.IndexFunc(h.adm.flags, func(f admin.Flag) bool { return f.ID == id })
}

// flagNamed returns the index of the flag named name, case-insensitively
// (spec §9.3), but for the flag except, or -1.
func (h *Handler) flagNamed(name, except string) int {
	return slices.IndexFunc(h.adm.flags, func(f admin.Flag) bool { return f.ID != except && strings.EqualFold(f.Name, name) })
}

func listFlags(h *Handler, c *call) reply { return paginate(h.adm.flags, c.query) }

// listFlagUsage serves GET /flags/usage: code references are never
// scanned here, so the list is empty.
func listFlagUsage(_ *Handler, c *call) reply { return paginate([]struct{}{}, c.query) }

func getFlag(h *Handler, c *call) reply {
	i := h.flagIndex(c.args[0])
	if i < 0 {
		return notFound("flag", c.args[0])
	}
	return answerOK(h.adm.flags[i])
}

// checkFlag adds the problems of f: those of its Validate, an unknown
// source, a duplicate name.
func (h *Handler) checkFlag(p *problems, f *admin.Flag) {
	p.addErr("", f.Validate())
	switch f.Source {
	case "", admin.FlagSourceManual, admin.FlagSourceCLI, "api":
	default:
		p.add("source", "want manual, cli or api, got %s", quote(f.Source))
	}
	if f.Name != "" && h.flagNamed(f.Name, f.ID) >= 0 {
		p.add("name", "a flag named %s exists", quote(f.Name))
	}
}

// createFlags serves POST /flags: one flag, or several as
// {"flags": [...]} (spec §4.5), whose names that exist are skipped.
func createFlags(h *Handler, c *call) reply {
	m, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	if bulk, isBulk := m["flags"]; isBulk {
		var fs []admin.Flag
		if err := fromGeneric(map[string]any{"flags": bulk}, &struct {
			Flags *[]admin.Flag `json:"flags"`
		}{&fs}); err != nil {
			return bodyError(err)
		}
		var p problems
		for i := range fs {
			fs[i].ID = ""
			p.addErr(fmt.Sprintf("flags[%d]", i), fs[i].Validate())
		}
		if rep, bad := p.reply(); bad {
			return rep
		}
		ids := []string{}
		for _, f := range fs {
			if h.flagNamed(f.Name, "") >= 0 {
				continue
			}
			ids = append(ids, h.addFlag(f).ID)
		}
		return created(struct {
			CreatedIDs []string `json:"created_ids"`
		}{ids})
	}
	var f admin.Flag
	if err := decodeNew(m, &f); err != nil {
		return bodyError(err)
	}
	var p problems
	if _, ok := m["description"]; !ok {
		p.add("description", "required (may be empty)")
	}
	h.checkFlag(&p, &f)
	if rep, bad := p.reply(); bad {
		return rep
	}
	return created(h.addFlag(f))
}

func (h *Handler) addFlag(f admin.Flag) admin.Flag {
	f.ID, f.CreatedAt = h.newID(), h.timestamp()
	if f.Source == "" {
		f.Source = admin.FlagSourceManual
	}
	h.adm.flags = append(h.adm.flags, f)
	return f
}

func updateFlag(h *Handler, c *call) reply {
	i := h.flagIndex(c.args[0])
	if i < 0 {
		return notFound("flag", c.args[0])
	}
	m, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	var f admin.Flag
	if err := decodeUpdate(h.adm.flags[i], m, &f); err != nil {
		return bodyError(err)
	}
	var p problems
	h.checkFlag(&p, &f)
	if rep, bad := p.reply(); bad {
		return rep
	}
	h.adm.flags = slices.Clone(h.adm.flags)
	h.adm.flags[i] = f
	return answerOK(f)
}

func deleteFlag(h *Handler, c *call) reply {
	i := h.flagIndex(c.args[0])
	if i < 0 {
		return notFound("flag", c.args[0])
	}
	h.adm.flags = slices.Delete(slices.Clone(h.adm.flags), i, i+1)
	return noContent()
}

func (h *Handler) keyIndex(id string) int {
	return slices.IndexFunc(h.adm.keys, func(k admin.TargetingKey) bool { return k.ID == id })
}

// keyNamed returns the index of the targeting key named name, but for the
// key except, or -1. Names are compared as written: context keys are.
func (h *Handler) keyNamed(name, except string) int {
	return slices.IndexFunc(h.adm.keys, func(k admin.TargetingKey) bool { return k.ID != except && k.Name == name })
}

func listKeys(h *Handler, c *call) reply { return paginate(h.adm.keys, c.query) }

func getKey(h *Handler, c *call) reply {
	i := h.keyIndex(c.args[0])
	if i < 0 {
		return notFound("targeting key", c.args[0])
	}
	return answerOK(h.adm.keys[i])
}

// createKeys serves POST /targeting_keys: one key, or several as
// {"targeting_keys": [...]} answered {"created_ids": [...]} like flags.
func createKeys(h *Handler, c *call) reply {
	m, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	if bulk, isBulk := m["targeting_keys"]; isBulk {
		var ks []admin.TargetingKey
		if err := fromGeneric(map[string]any{"targeting_keys": bulk}, &struct {
			Keys *[]admin.TargetingKey `json:"targeting_keys"`
		}{&ks}); err != nil {
			return bodyError(err)
		}
		var p problems
		for i := range ks {
			p.addErr(fmt.Sprintf("targeting_keys[%d]", i), ks[i].Validate())
		}
		if rep, bad := p.reply(); bad {
			return rep
		}
		ids := []string{}
		for _, k := range ks {
			if h.keyNamed(k.Name, "") >= 0 {
				continue
			}
			k.ID = h.newID()
			h.adm.keys = append(h.adm.keys, k)
			ids = append(ids, k.ID)
		}
		return created(struct {
			CreatedIDs []string `json:"created_ids"`
		}{ids})
	}
	var k admin.TargetingKey
	if err := decodeNew(m, &k); err != nil {
		return bodyError(err)
	}
	var p problems
	if _, ok := m["description"]; !ok {
		p.add("description", "required (may be empty)")
	}
	p.addErr("", k.Validate())
	if k.Name != "" && h.keyNamed(k.Name, "") >= 0 {
		p.add("name", "a targeting key named %s exists", quote(k.Name))
	}
	if rep, bad := p.reply(); bad {
		return rep
	}
	k.ID = h.newID()
	h.adm.keys = append(h.adm.keys, k)
	return created(k)
}

func updateKey(h *Handler, c *call) reply {
	i := h.keyIndex(c.args[0])
	if i < 0 {
		return notFound("targeting key", c.args[0])
	}
	var k admin.TargetingKey
	if rep, bad := decodeChecked(c.body, h.adm.keys[i], &k, k.Validate); bad {
		return rep
	}
	if h.keyNamed(k.Name, k.ID) >= 0 {
		return invalid("name", "a targeting key named %s exists", quote(k.Name))
	}
	h.adm.keys = slices.Clone(h.adm.keys)
	h.adm.keys[i] = k
	return answerOK(k)
}

func deleteKey(h *Handler, c *call) reply {
	i := h.keyIndex(c.args[0])
	if i < 0 {
		return notFound("targeting key", c.args[0])
	}
	h.adm.keys = slices.Delete(slices.Clone(h.adm.keys), i, i+1)
	return noContent()
}

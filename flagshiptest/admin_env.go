package flagshiptest

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seed27eed597/flagship-go/admin"
)

// The environment (spec §4.1), its users (§4.8) and goals (§4.7): the
// handler's account has one environment, the handler's. args[0] is its
// id, args[1] a goal's.

func listEnvironments(h *Handler, c *call) reply {
	return paginate([]admin.Environment{h.environment()}, c.query)
}

func getEnvironment(h *Handler, _ *call) reply { return answerOK(h.environment()) }

// setEnvPanic serves PATCH …/panic {"panic": "on"|"off"}: the switch
// SetPanic turns.
func setEnvPanic(h *Handler, c *call) reply {
	m, err := decodeBodyObject(c.body)
	if err != nil {
		return bodyError(err)
	}
	switch m["panic"] {
	case "on":
		h.adm.panic = true
	case "off":
		h.adm.panic = false
	default:
		if _, present := m["panic"]; !present {
			return invalid("panic", `required: "on" or "off"`)
		}
		return invalid("panic", `want "on" or "off", got %s`, quoteGeneric(m["panic"]))
	}
	h.publishLocked()
	return done()
}

func listUsers(h *Handler, c *call) reply { return paginate(h.adm.users, c.query) }

// knownRole reports a role of either vocabulary (spec §4.8).
func knownRole(r admin.Role) bool {
	switch r {
	case admin.RoleGuest, admin.RoleMember, admin.RoleProjectManager, admin.RoleSuperAdmin, admin.RoleAccountOwner,
		admin.RoleCreator, admin.RoleAdmin, admin.RoleUser, admin.RoleOwner, admin.RoleAccountAdmin, admin.RoleViewer:
		return true
	}
	return false
}

// putUsers serves PUT …/users with a JSON array of {email, role}:
// unknown users are added, known ones get the role.
func putUsers(h *Handler, c *call) reply {
	v, err := decodeGeneric(c.body)
	if err != nil {
		return bodyError(err)
	}
	if _, isArr := v.([]any); !isArr {
		return invalid("body", "want a JSON array of users, got %s", genericKind(v))
	}
	var us []admin.User
	if err := fromGeneric(map[string]any{"users": v}, &struct {
		Users *[]admin.User `json:"users"`
	}{&us}); err != nil {
		return bodyError(err)
	}
	var p problems
	for i, u := range us {
		if !strings.Contains(u.Email, "@") {
			p.add(fmt.Sprintf("[%d].email", i), "want an email address, got %s", quote(u.Email))
		}
		if !knownRole(u.Role) {
			p.add(fmt.Sprintf("[%d].role", i), "unknown role %s", quote(string(u.Role)))
		}
	}
	if rep, bad := p.reply(); bad {
		return rep
	}
	users := slices.Clone(h.adm.users)
	for _, u := range us {
		if i := slices.IndexFunc(users, func(x admin.User) bool { return strings.EqualFold(x.Email, u.Email) }); i >= 0 {
			users[i].Role = u.Role
		} else {
			users = append(users, u)
		}
	}
	h.adm.users = users
	return noContent()
}

// deleteUsers serves DELETE …/users?emails[]=a&emails[]=b (email[] too,
// spec §4.8). Unknown emails are ignored.
func deleteUsers(h *Handler, c *call) reply {
	emails := slices.Concat(c.query["emails[]"], c.query["email[]"])
	if len(emails) == 0 {
		return invalid("emails[]", "at least one email is required")
	}
	h.adm.users = slices.DeleteFunc(slices.Clone(h.adm.users), func(u admin.User) bool {
		return slices.ContainsFunc(emails, func(e string) bool { return strings.EqualFold(e, u.Email) })
	})
	return noContent()
}

func (h *Handler) goalIndex(id string) int {
	return slices.IndexFunc(h.adm.goals, func(g admin.Goal) bool { return g.ID == id })
}

// checkGoal validates g: its Validate, and type and operator from the
// union of the spec's vocabularies.
func checkGoal(g *admin.Goal) func() error {
	return func() error {
		var p problems
		p.addErr("", g.Validate())
		switch g.Type {
		case "", admin.GoalEvent, admin.GoalTransaction, admin.GoalPageview, admin.GoalScreenview, admin.GoalClick, admin.GoalCustom:
		default:
			p.add("type", "unknown goal type %s", quote(string(g.Type)))
		}
		switch g.Operator {
		case "", admin.GoalOperatorContains, admin.GoalOperatorIgnoringParameters, admin.GoalOperatorExact,
			admin.GoalOperatorRegexp, admin.GoalOperatorRegex:
		default:
			p.add("operator", "unknown goal operator %s", quote(g.Operator))
		}
		errs := make([]error, len(p))
		for i := range p {
			errs[i] = &p[i]
		}
		return errors.Join(errs...)
	}
}

func listGoals(h *Handler, c *call) reply { return paginate(h.adm.goals, c.query) }

func getGoal(h *Handler, c *call) reply {
	i := h.goalIndex(c.args[1])
	if i < 0 {
		return notFound("goal", c.args[1])
	}
	return answerOK(h.adm.goals[i])
}

func createGoal(h *Handler, c *call) reply {
	var g admin.Goal
	if rep, bad := decodeChecked(c.body, nil, &g, checkGoal(&g)); bad {
		return rep
	}
	g.ID = h.newID()
	h.adm.goals = append(h.adm.goals, g)
	return created(g)
}

func updateGoal(h *Handler, c *call) reply {
	i := h.goalIndex(c.args[1])
	if i < 0 {
		return notFound("goal", c.args[1])
	}
	var g admin.Goal
	if rep, bad := decodeChecked(c.body, h.adm.goals[i], &g, checkGoal(&g)); bad {
		return rep
	}
	h.adm.goals = slices.Clone(h.adm.goals)
	h.adm.goals[i] = g
	return answerOK(g)
}

func deleteGoal(h *Handler, c *call) reply {
	i := h.goalIndex(c.args[1])
	if i < 0 {
		return notFound("goal", c.args[1])
	}
	h.adm.goals = slices.Delete(slices.Clone(h.adm.goals), i, i+1)
	return noContent()
}

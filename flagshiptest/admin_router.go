package flagshiptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/seed27eed597/flagship-go/admin"
)

// Route names of the management API, as used by [Fault] and
// [AdminRequest].
const (
	RouteAdmin = "admin" // /v1/accounts/{account}/...
	RouteToken = "token" // POST /{account}/token, GET /token
)

// call is a management call as its endpoint function sees it.
type call struct {
	method string
	args   []string // the path's ids, in order
	query  url.Values
	body   []byte
}

// reply is what an endpoint function answers: a status and a value to
// encode as JSON, or none.
type reply struct {
	status int
	v      any // nil: no body
}

type adminFunc func(h *Handler, c *call) reply

// endpoint is a route of the management API: the path segments after
// /v1/accounts/{account}/, "*" standing for an id.
type endpoint struct {
	pattern string
	methods map[string]adminFunc
}

// adminEndpoints returns the management routes (spec §3.1). The functions
// of env-level routes get the environment id as their first argument.
func adminEndpoints() []endpoint {
	return []endpoint{
		{"account_environments", map[string]adminFunc{"GET": listEnvironments}},
		{"account_environments/*", map[string]adminFunc{"GET": inEnv(getEnvironment)}},
		{"account_environments/*/panic", map[string]adminFunc{"PATCH": inEnv(setEnvPanic)}},
		{"account_environments/*/users", map[string]adminFunc{"GET": inEnv(listUsers), "PUT": inEnv(putUsers), "DELETE": inEnv(deleteUsers)}},
		{"account_environments/*/goals", map[string]adminFunc{"GET": inEnv(listGoals), "POST": inEnv(createGoal)}},
		{"account_environments/*/goals/*", map[string]adminFunc{"GET": inEnv(getGoal), "PATCH": inEnv(updateGoal), "DELETE": inEnv(deleteGoal)}},
		{"account_environments/*/campaigns", map[string]adminFunc{"GET": inEnv(listCampaigns), "POST": inEnv(createCampaign)}},
		{"account_environments/*/campaigns/*", map[string]adminFunc{"GET": inEnv(getCampaign), "PATCH": inEnv(updateCampaign), "DELETE": inEnv(deleteCampaign)}},
		{"account_environments/*/campaigns/*/toggle", map[string]adminFunc{"PATCH": inEnv(toggleCampaign)}},
		{"account_environments/*/campaigns/*/variation_groups", map[string]adminFunc{"GET": inEnv(listGroups), "POST": inEnv(createGroup)}},
		{"account_environments/*/campaigns/*/variation_groups/*", map[string]adminFunc{"GET": inEnv(getGroup), "PATCH": inEnv(updateGroup), "DELETE": inEnv(deleteGroup)}},
		{"account_environments/*/campaigns/*/variation_groups/*/variations", map[string]adminFunc{"GET": inEnv(listVariations), "POST": inEnv(createVariation)}},
		{"account_environments/*/campaigns/*/variation_groups/*/variations/*", map[string]adminFunc{"GET": inEnv(getVariation), "PATCH": inEnv(updateVariation), "DELETE": inEnv(deleteVariation)}},
		{"projects", map[string]adminFunc{"GET": listProjects, "POST": createProject}},
		{"projects/*", map[string]adminFunc{"GET": getProject, "PATCH": updateProject, "PUT": updateProject, "DELETE": deleteProject}},
		{"projects/*/toggle", map[string]adminFunc{"PATCH": toggleProject}},
		{"flags", map[string]adminFunc{"GET": listFlags, "POST": createFlags}},
		{"flags/usage", map[string]adminFunc{"GET": listFlagUsage}},
		{"flags/*", map[string]adminFunc{"GET": getFlag, "PATCH": updateFlag, "DELETE": deleteFlag}},
		{"targeting_keys", map[string]adminFunc{"GET": listKeys, "POST": createKeys}},
		{"targeting_keys/*", map[string]adminFunc{"GET": getKey, "PATCH": updateKey, "DELETE": deleteKey}},
	}
}

// matchAdmin finds the endpoint of the segments after
// /v1/accounts/{account}/ and returns it with the ids the path holds.
func matchAdmin(segs []string) (endpoint, []string, bool) {
	for _, e := range adminEndpoints() {
		pat := strings.Split(e.pattern, "/")
		if len(pat) != len(segs) {
			continue
		}
		var args []string
		match := true
		for i, p := range pat {
			switch {
			case p == "*" && segs[i] != "":
				args = append(args, segs[i])
			case p != segs[i]:
				match = false
			}
		}
		if match {
			return e, args, true
		}
	}
	return endpoint{}, nil, false
}

// splitPath returns the unescaped segments of an escaped path, without
// its leading slash and one trailing slash.
func splitPath(escaped string) ([]string, bool) {
	escaped = strings.TrimPrefix(escaped, "/")
	escaped = strings.TrimSuffix(escaped, "/")
	segs := strings.Split(escaped, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// inEnv wraps the function of an env-level route: an environment other
// than the handler's is a 404.
func inEnv(f adminFunc) adminFunc {
	return func(h *Handler, c *call) reply {
		if c.args[0] != h.envID {
			return notFound("account environment", c.args[0])
		}
		return f(h, c)
	}
}

// serveManagement serves the management and token routes: it records the
// request, matches its endpoint, applies faults, the rate limit and
// authentication, then runs the endpoint under the handler's lock.
func (h *Handler) serveManagement(w http.ResponseWriter, r *http.Request, route string) {
	rec := &statusWriter{ResponseWriter: w}
	q := r.URL.Query()
	if q.Has("access_token") {
		q.Set("access_token", "REDACTED")
	}
	hd := r.Header.Clone()
	hd.Del("Authorization")
	entry := AdminRequest{Route: route, Method: r.Method, Path: r.URL.Path, Query: q, Headers: hd, Received: h.now()}
	defer func() { // also when a dropped connection panics
		entry.Status = rec.status
		h.mu.Lock()
		h.adm.requests = append(h.adm.requests, entry)
		h.mu.Unlock()
	}()

	segs, ok := splitPath(r.URL.EscapedPath())
	if !ok {
		writeMessage(rec, http.StatusBadRequest, "invalid path escape")
		return
	}
	var fn adminFunc
	var args []string
	var allow []string
	switch {
	case route == RouteToken && len(segs) == 1:
		allow = []string{http.MethodGet}
	case route == RouteToken:
		allow = []string{http.MethodPost}
	case len(segs) < 4 || segs[1] != "accounts" || segs[2] == "":
		writeMessage(rec, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	default:
		e, a, found := matchAdmin(segs[3:])
		if !found {
			writeMessage(rec, http.StatusNotFound, "not found: "+r.URL.Path)
			return
		}
		for m := range e.methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		fn, args = e.methods[r.Method], a
	}
	if !slices.Contains(allow, r.Method) {
		rec.Header().Set("Allow", strings.Join(allow, ", "))
		writeMessage(rec, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	body, status, msg := checkBody(rec, r)
	if status != 0 {
		writeMessage(rec, status, msg)
		return
	}
	if route == RouteAdmin && len(body) > 0 {
		entry.Body = body
	}
	r.Body = http.NoBody
	if len(body) > 0 {
		r.Body = readCloser{bytes.NewReader(body)}
	}
	if f, ok := h.takeFault(route); ok && h.applyFault(rec, r, f) {
		return
	}
	switch {
	case route == RouteToken && len(segs) == 1:
		h.serveIntrospect(rec, r)
	case route == RouteToken:
		h.serveToken(rec, r, segs[0], body)
	default:
		h.serveAdminCall(rec, r, segs[2], &call{method: r.Method, args: args, query: r.URL.Query(), body: body}, fn)
	}
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// serveAdminCall applies the rate limit and authentication, then runs fn
// under the handler's lock; the answer is written once it is released.
func (h *Handler) serveAdminCall(w http.ResponseWriter, r *http.Request, account string, c *call, fn adminFunc) {
	h.mu.Lock()
	if ok, wait := h.adm.limiter.take(h.now()); !ok {
		h.mu.Unlock()
		w.Header().Set("Retry-After", retryAfter(wait))
		writeMessage(w, http.StatusTooManyRequests, "rate limit exceeded")
		return
	}
	if status, msg := h.authorizeLocked(r, account); status != 0 {
		h.mu.Unlock()
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flagshiptest", error="invalid_token"`)
		}
		writeMessage(w, status, msg)
		return
	}
	rep := fn(h, c)
	var body []byte
	if rep.v != nil {
		var err error
		if body, err = marshalJSON(rep.v); err != nil {
			rep.status, body = http.StatusInternalServerError, []byte(`{"message":"encode response"}`)
		}
	}
	h.mu.Unlock()
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(body)
}

// marshalJSON encodes v as writeJSON does.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// statusWriter records the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (a fault's
// Drop hijacks it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Replies.

func answerOK(v any) reply { return reply{http.StatusOK, v} }
func created(v any) reply  { return reply{http.StatusCreated, v} }
func noContent() reply     { return reply{status: http.StatusNoContent} }
func done() reply          { return reply{status: http.StatusOK} } // toggle, panic: 200, no body

// errorBody is the error answer of the management API (spec §9.4).
type errorBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors,omitempty"`
}

func notFound(what, id string) reply {
	return reply{http.StatusNotFound, errorBody{Message: what + " " + quote(id) + " not found"}}
}

// problems collects validation problems by field path.
type problems []admin.FieldError

func (p *problems) add(path, format string, args ...any) {
	*p = append(*p, admin.FieldError{Path: path, Problem: fmt.Sprintf(format, args...)})
}

// addErr adds the field errors err holds (joined *admin.FieldError, as the
// model's Validate methods return), prefixing their paths.
func (p *problems) addErr(prefix string, err error) {
	var errs []error
	if j, isJoin := err.(interface{ Unwrap() []error }); isJoin {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	for _, e := range errs {
		var fe *admin.FieldError
		if errors.As(e, &fe) {
			p.add(joinPath(prefix, fe.Path), "%s", fe.Problem)
		} else {
			p.add(prefix, "%s", e.Error())
		}
	}
}

// reply returns the 400 answer of the problems, or false if there are
// none. The message lists them all, each "path: problem".
func (p problems) reply() (reply, bool) {
	if len(p) == 0 {
		return reply{}, false
	}
	b := errorBody{Errors: map[string][]string{}}
	msgs := make([]string, len(p))
	for i, fe := range p {
		msgs[i] = fe.Path + ": " + fe.Problem
		b.Errors[fe.Path] = append(b.Errors[fe.Path], fe.Problem)
	}
	b.Message = strings.Join(msgs, "; ")
	return reply{http.StatusBadRequest, b}, true
}

// invalid returns the 400 answer of one problem.
func invalid(path, format string, args ...any) reply {
	var p problems
	p.add(path, format, args...)
	r, _ := p.reply()
	return r
}

package flagshiptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"strconv"
	"strings"
)

// Request bodies of the management API are read in two steps: into a
// generic JSON form (numbers kept as written), where partial updates and
// the replacement of sub-collections are applied (spec §3.4), then into
// the admin package's model, which the answers are encoded from.

// decodeGeneric decodes body, one JSON value, keeping numbers as
// json.Number.
func decodeGeneric(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

// decodeBodyObject decodes a body that must be a JSON object.
func decodeBodyObject(body []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("a JSON object is required")
	}
	v, err := decodeGeneric(body)
	if err != nil {
		return nil, err
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		return nil, fmt.Errorf("want a JSON object, got %s", genericKind(v))
	}
	return m, nil
}

// genericKind names the kind of a generic JSON value for messages.
func genericKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a bool"
	case json.Number:
		return "a number"
	case []any:
		return "an array"
	}
	return "an object"
}

// toGeneric returns the generic JSON form of v, a model value.
func toGeneric(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{} // model values always encode
	}
	m, _ := decodeBodyObject(b)
	return m
}

// fromGeneric decodes the generic form m into out, a model value. A
// member of the wrong type is an error naming its path.
func fromGeneric(m map[string]any, out any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = json.Unmarshal(b, out)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return ferr(te.Field, "want %s, got %s", te.Type, te.Value)
	}
	return err
}

// readOnly reports a member the server sets: ignored in request bodies.
func readOnly(key string) bool {
	switch key {
	case "id", "status", "created_at", "updated_at":
		return true
	}
	return false
}

// level is the depth of a campaign's tree.
type level int

const (
	levelVariation level = iota
	levelGroup
	levelCampaign
)

// children returns the member holding the sub-collection of l, "" for a
// variation.
func (l level) children() string {
	switch l {
	case levelCampaign:
		return "variation_groups"
	case levelGroup:
		return "variations"
	}
	return ""
}

func (l level) String() string {
	switch l {
	case levelCampaign:
		return "campaign"
	case levelGroup:
		return "variation group"
	}
	return "variation"
}

// fresh returns a new object of level l from obj, at path: read-only
// members dropped, a new id, and its children fresh too.
func (h *Handler) fresh(obj map[string]any, path string, l level) (map[string]any, error) {
	out := make(map[string]any, len(obj)+1)
	for k, v := range obj {
		switch {
		case readOnly(k):
		case k == l.children() && v != nil:
			items, isArr := v.([]any)
			if !isArr {
				return nil, ferr(joinPath(path, k), "want an array, got %s", genericKind(v))
			}
			kids := make([]any, len(items))
			for i, it := range items {
				ip := fmt.Sprintf("%s[%d]", joinPath(path, k), i)
				child, isObj := it.(map[string]any)
				if !isObj {
					return nil, ferr(ip, "want an object, got %s", genericKind(it))
				}
				var err error
				if kids[i], err = h.fresh(child, ip, l-1); err != nil {
					return nil, err
				}
			}
			out[k] = kids
		default:
			out[k] = v
		}
	}
	out["id"] = h.newID()
	return out, nil
}

// merge returns cur updated by patch, an object of level l at path (spec
// §3.4): members of patch replace those of cur, read-only ones excepted,
// and the sub-collection, if patch has it, is replaced: children with the
// id of one of cur's are that child updated, children without an id are
// new, and cur's children not listed are gone.
func (h *Handler) merge(cur, patch map[string]any, path string, l level) (map[string]any, error) {
	out := maps.Clone(cur)
	for k, v := range patch {
		switch {
		case readOnly(k):
		case k == l.children():
			kids, err := h.mergeChildren(cur[k], v, joinPath(path, k), l-1)
			if err != nil {
				return nil, err
			}
			out[k] = kids
		default:
			out[k] = v
		}
	}
	return out, nil
}

func (h *Handler) mergeChildren(cur, patch any, path string, l level) ([]any, error) {
	items, isArr := patch.([]any)
	if !isArr {
		return nil, ferr(path, "want an array, got %s", genericKind(patch))
	}
	old, _ := cur.([]any)
	out := make([]any, len(items))
	listed := map[string]bool{}
	for i, it := range items {
		ip := fmt.Sprintf("%s[%d]", path, i)
		obj, isObj := it.(map[string]any)
		if !isObj {
			return nil, ferr(ip, "want an object, got %s", genericKind(it))
		}
		var err error
		id, hasID := obj["id"]
		if !hasID || id == nil || id == "" {
			if out[i], err = h.fresh(obj, ip, l); err != nil {
				return nil, err
			}
			continue
		}
		sid, isStr := id.(string)
		if !isStr {
			return nil, ferr(ip+".id", "want a string, got %s", genericKind(id))
		}
		if listed[sid] {
			return nil, ferr(ip+".id", "%s %s listed twice", l, quote(sid))
		}
		listed[sid] = true
		prev := findGeneric(old, sid)
		if prev == nil {
			return nil, ferr(ip+".id", "no %s %s here: leave the id out to create one", l, quote(sid))
		}
		if out[i], err = h.merge(prev, obj, ip, l); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// findGeneric returns the object of items whose id is id, or nil.
func findGeneric(items []any, id string) map[string]any {
	for _, it := range items {
		if m, isObj := it.(map[string]any); isObj && m["id"] == id {
			return m
		}
	}
	return nil
}

// checkAllocations adds a problem for each variation allocation of the
// generic campaign m that is missing or not an integer, which the model
// could not tell (spec §9.3).
func checkAllocations(p *problems, m map[string]any) {
	groups, _ := m["variation_groups"].([]any)
	for i, g := range groups {
		gm, _ := g.(map[string]any)
		vars, _ := gm["variations"].([]any)
		for j, v := range vars {
			vm, _ := v.(map[string]any)
			path := fmt.Sprintf("variation_groups[%d].variations[%d].allocation", i, j)
			a, present := vm["allocation"]
			n, isNum := a.(json.Number)
			switch {
			case !present:
				p.add(path, "required")
			case !isNum:
				p.add(path, "want an integer from 0 to 100, got %s", genericKind(a))
			default:
				if _, err := strconv.ParseInt(n.String(), 10, 32); err != nil {
					p.add(path, "want an integer from 0 to 100, got %s", n)
				}
			}
		}
	}
}

// listPage is the list envelope (spec §3.3).
type listPage struct {
	Items            any `json:"items"`
	TotalCount       int `json:"total_count"`
	CurrentItemCount int `json:"current_item_count"`
	CurrentPage      int `json:"current_page"`
	ItemsPerPage     int `json:"items_per_page"`
	LastPage         int `json:"last_page"`
}

// Pagination (spec §3.3, the fake's rule): pages are 1-based, _page 0 or
// 1 is the first, _max_per_page defaults to 10 and is clamped to 1..100.
const (
	defaultPerPage = 10
	maxPerPage     = 100
)

// paginate answers the page of items that q asks for.
func paginate[T any](items []T, q url.Values) reply {
	page, err := queryInt(q, "_page", 1)
	if err != nil {
		return invalid("_page", "%v", err)
	}
	per, err := queryInt(q, "_max_per_page", defaultPerPage)
	if err != nil {
		return invalid("_max_per_page", "%v", err)
	}
	page, per = max(page, 1), min(max(per, 1), maxPerPage)
	start := len(items)
	if page-1 <= len(items)/per { // no overflow
		start = min((page-1)*per, len(items))
	}
	end := min(start+per, len(items))
	out := make([]T, end-start)
	copy(out, items[start:end])
	return answerOK(listPage{
		Items:            out,
		TotalCount:       len(items),
		CurrentItemCount: len(out),
		CurrentPage:      page,
		ItemsPerPage:     per,
		LastPage:         max((len(items)+per-1)/per, 1),
	})
}

// queryInt reads the integer query parameter name, def when absent.
func queryInt(q url.Values, name string, def int) (int, error) {
	s := strings.TrimSpace(q.Get(name))
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("want an integer, got %s", quote(s))
	}
	return n, nil
}

// bodyError returns the 400 answer of a body that can't be read: a
// problem of a field when err names one.
func bodyError(err error) reply {
	var fe *fieldError
	if errors.As(err, &fe) && fe.path != "" {
		return invalid(fe.path, "%s", fe.msg)
	}
	return invalid("body", "%v", err)
}

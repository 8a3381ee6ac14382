package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
)

// pageSize is the _max_per_page asked for, as Flagship's CLIs do.
const pageSize = 100

// maxPages bounds a listing, against a server that never says it is done.
const maxPages = 10_000

// page is the list envelope (spec §3.3). Only items is relied upon; the
// counts are used when present.
type page struct {
	Items       []json.RawMessage `json:"items"`
	TotalCount  *int              `json:"total_count"`
	CurrentPage *int              `json:"current_page"`
	LastPage    *int              `json:"last_page"`
}

// decodePage decodes a list answer. A bare JSON array is taken as the
// items of a single page.
func decodePage(r request, body []byte) (page, error) {
	var p page
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		if err := json.Unmarshal(body, &p.Items); err != nil {
			return page{}, fmt.Errorf("admin: %s %s: decode response: %w", r.method, r.path, err)
		}
		n := len(p.Items)
		p.TotalCount = &n
		return p, nil
	}
	if err := decodeJSON(r, body, &p); err != nil {
		return page{}, err
	}
	return p, nil
}

// list returns an iterator over the items at path, one page after the
// other. expand, when non-nil, turns one raw item into the items it holds
// (the nested form of the users list).
//
// The first page asked for is _page=0: the API's reference numbers pages
// from 0, while its guide and CLIs start at 1 and the server is thought
// to take both for the first page (spec §3.3). The next page is the one
// after the current_page the server reports; a server that answers
// _page=1 with the page it gave for _page=0 takes both for the first
// page, and that page is skipped (whatever current_page it reports). A server that refuses _page=0 (400) or
// answers it with an empty page while total_count says there are items is
// asked for _page=1 instead. Listing stops at an empty page, when
// total_count items were seen, at last_page, or when a page repeats the
// previous one (a server that ignores _page).
func list[T any](c *Client, ctx context.Context, path string, expand func(json.RawMessage) ([]json.RawMessage, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		fail := func(err error) { yield(zero, err) }
		seen, next := 0, 0
		var prev []json.RawMessage // the previous page, to detect a repeated first page
		for n := 0; n < maxPages; n++ {
			p, err := c.fetchPage(ctx, path, next)
			var ae *APIError
			if n == 0 && next == 0 && errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest && !ae.auth {
				next = 1 // a server numbering from 1 that refuses 0
				p, err = c.fetchPage(ctx, path, next)
			}
			if err != nil {
				fail(err)
				return
			}
			if n == 0 && next == 0 && len(p.Items) == 0 && p.TotalCount != nil && *p.TotalCount > 0 {
				next = 1
				if p, err = c.fetchPage(ctx, path, next); err != nil {
					fail(err)
					return
				}
			}
			if len(p.Items) == 0 {
				return
			}
			if samePage(prev, p.Items) {
				if n == 1 && next == 1 {
					// _page=1 was _page=0 again: the server takes both
					// for the first page (whatever current_page it
					// reports), so the next is 2.
					next++
					continue
				}
				return // the server ignores _page: nothing more to see
			}
			for _, raw := range p.Items {
				items := []json.RawMessage{raw}
				if expand != nil {
					if items, err = expand(raw); err != nil {
						fail(c.itemError(path, err))
						return
					}
				}
				for _, it := range items {
					var v T
					if err := json.Unmarshal(it, &v); err != nil {
						fail(c.itemError(path, err))
						return
					}
					if !yield(v, nil) {
						return
					}
				}
			}
			seen += len(p.Items)
			switch {
			case p.TotalCount != nil && seen >= *p.TotalCount:
				return
			case p.CurrentPage != nil && p.LastPage != nil && *p.CurrentPage >= *p.LastPage:
				return
			case p.CurrentPage != nil && *p.CurrentPage >= next:
				next = *p.CurrentPage + 1
			default:
				next++
			}
			prev = p.Items
		}
		fail(fmt.Errorf("admin: GET %s: more than %d pages", path, maxPages))
	}
}

func (c *Client) itemError(path string, err error) error {
	return fmt.Errorf("admin: GET %s: decode item: %w", path, err)
}

// fetchPage gets one page of the list at path.
func (c *Client) fetchPage(ctx context.Context, path string, n int) (page, error) {
	q := url.Values{"_page": {strconv.Itoa(n)}, "_max_per_page": {strconv.Itoa(pageSize)}}
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, path, q, nil, &raw); err != nil {
		return page{}, err
	}
	return decodePage(request{method: http.MethodGet, path: path}, raw)
}

// samePage reports whether two pages hold the same items.
func samePage(a, b []json.RawMessage) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// Collect returns the items of seq, or the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

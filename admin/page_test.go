package admin_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/admin"
)

// pager serves 7 flags in pages of 3, numbered as the server variant says.
type pager struct {
	first       int  // the number of the first page: 0 or 1
	aliasZero   bool // a first page numbered 1 is also served for _page=0
	refuseZero  bool // _page=0 is refused with 400 (first == 1)
	emptyZero   bool // _page=0 is answered with an empty page (first == 1)
	ignorePage  bool // every request gets the first page
	current     bool // the envelope has current_page and last_page
	total       bool // the envelope has total_count
	bareArray   bool // the answer is a bare array
	itemsSpelld bool // the count is spelled current_items_count (CLI fixtures)
	echoPage    bool // current_page is the _page asked for, even when 0 and 1 are one page
}

const nFlags = 7

func (p pager) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "100", r.URL.Query().Get("_max_per_page"))
		pg, err := strconv.Atoi(r.URL.Query().Get("_page"))
		require.NoError(t, err)
		switch {
		case p.ignorePage:
			pg = p.first
		case p.first == 1 && pg == 0 && p.refuseZero:
			reply(w, 400, `{"message":"_page must be at least 1"}`)
			return
		case p.first == 1 && pg == 0 && p.aliasZero:
			pg = 1
		}
		asked := pg // the page served
		if p.echoPage {
			asked, _ = strconv.Atoi(r.URL.Query().Get("_page"))
		}
		idx := pg - p.first
		if p.first == 1 && pg == 0 && p.emptyZero {
			idx = -1
		}
		var items []string
		for i := idx * 3; idx >= 0 && i < min(idx*3+3, nFlags); i++ {
			items = append(items, fmt.Sprintf(`{"id":"f%d","name":"flag%d","type":"string","extra":{"x":1}}`, i, i))
		}
		list := "[" + strings.Join(items, ",") + "]"
		if p.bareArray {
			reply(w, 200, list)
			return
		}
		body := `{"items":` + list
		if p.total {
			body += fmt.Sprintf(`,"total_count":%d`, nFlags)
		}
		if p.current {
			body += fmt.Sprintf(`,"current_page":%d,"last_page":%d,"items_per_page":3`, asked, p.first+2)
		}
		if p.itemsSpelld {
			body += fmt.Sprintf(`,"current_items_count":%d`, len(items))
		} else {
			body += fmt.Sprintf(`,"current_item_count":%d`, len(items))
		}
		reply(w, 200, body+"}")
	}
}

func TestListPagesWhateverTheNumbering(t *testing.T) {
	tests := []struct {
		name      string
		give      pager
		wantItems int
	}{
		{name: "from 1, 0 is 1, with counts", give: pager{first: 1, aliasZero: true, current: true, total: true}, wantItems: nFlags},
		{name: "from 0, with counts", give: pager{first: 0, current: true, total: true}, wantItems: nFlags},
		{name: "from 0, items only", give: pager{first: 0}, wantItems: nFlags},
		{name: "from 1, 0 is 1, total only", give: pager{first: 1, aliasZero: true, total: true}, wantItems: nFlags},
		{name: "from 1, 0 is 1, items only", give: pager{first: 1, aliasZero: true}, wantItems: nFlags},
		{name: "from 1, 0 refused", give: pager{first: 1, refuseZero: true, total: true}, wantItems: nFlags},
		{name: "from 1, 0 empty", give: pager{first: 1, emptyZero: true, total: true}, wantItems: nFlags},
		{name: "from 1, 0 is 1, current_page echoes _page", give: pager{first: 1, aliasZero: true, current: true, total: true, echoPage: true}, wantItems: nFlags},
		{name: "from 1, 0 is 1, current_page echoes _page, items only", give: pager{first: 1, aliasZero: true, current: true, echoPage: true}, wantItems: nFlags},
		{name: "count spelled with an s", give: pager{first: 1, aliasZero: true, current: true, total: true, itemsSpelld: true}, wantItems: nFlags},
		{name: "page ignored", give: pager{first: 1, ignorePage: true}, wantItems: 3},
		{name: "bare array", give: pager{first: 0, bareArray: true}, wantItems: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.give.handler(t))
			c := f.client(t)
			got, err := admin.Collect(c.ListFlags(t.Context()))
			require.NoError(t, err)
			var names []string
			for _, fl := range got {
				names = append(names, fl.Name)
			}
			var want []string
			for i := range tt.wantItems {
				want = append(want, fmt.Sprintf("flag%d", i))
			}
			assert.Equal(t, want, names)
			assert.LessOrEqual(t, len(f.requests()), 5, "no runaway paging")
		})
	}
}

func TestListStopsWhenTheLoopBreaks(t *testing.T) {
	f := newFake(t, pager{first: 1, aliasZero: true, current: true, total: true}.handler(t))
	c := f.client(t)
	n := 0
	for _, err := range c.ListFlags(t.Context()) {
		require.NoError(t, err)
		if n++; n == 2 {
			break
		}
	}
	assert.Len(t, f.requests(), 1, "the second page is never fetched")
}

func TestListYieldsTheError(t *testing.T) {
	f := newFake(t, failThen(1, ok(`{"items":[{"id":"f0","name":"a"}],"total_count":2,"current_page":1,"last_page":2}`),
		status(http.StatusForbidden)))
	c := f.client(t)
	var names []string
	var errs []error
	for fl, err := range c.ListFlags(t.Context()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, fl.Name)
	}
	assert.Equal(t, []string{"a"}, names)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], admin.ErrForbidden)
}

func TestListUsersFlatOrNested(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "flat", give: `{"items":[{"email":"a@x.io","role":"ADMIN"},{"email":"b@x.io","role":"VIEWER"}],"total_count":2}`},
		{name: "nested", give: `{"items":[{"data":[{"email":"a@x.io","role":"ADMIN"},{"email":"b@x.io","role":"VIEWER"}]}],"total_count":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, ok(tt.give))
			c := f.client(t)
			got, err := admin.Collect(c.ListUsers(t.Context(), envID))
			require.NoError(t, err)
			assert.Equal(t, []admin.User{{Email: "a@x.io", Role: admin.RoleAdmin}, {Email: "b@x.io", Role: admin.RoleViewer}}, got)
		})
	}
}

func TestListOfABadItemFails(t *testing.T) {
	f := newFake(t, ok(`{"items":[{"id":"f0","name":12}],"total_count":1}`))
	c := f.client(t)
	_, err := admin.Collect(c.ListFlags(t.Context()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "decode item")
}

func TestListWithRefusedCredentialsAsksOnce(t *testing.T) {
	f := newFake(t, ok(`{"items":[]}`))
	f.set(func(f *fake) { f.refuseTokens = true }) // a 400 of the token route is no refused _page=0
	c := f.client(t)
	_, err := admin.Collect(c.ListFlags(t.Context()))
	assert.ErrorIs(t, err, admin.ErrUnauthorized)
	assert.Equal(t, 1, f.tokens())
}

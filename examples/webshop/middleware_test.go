package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestVisitorCookie(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI, flagshiptest.WithCampaigns(testCampaigns()...))

	var first, second indexResponse
	resp := shop.do(t, "GET", "/", "", &first)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.Equal(t, visitorCookie, c.Name)
	assert.Equal(t, first.VisitorID, c.Value)
	assert.NoError(t, uuid.Validate(c.Value))
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	assert.Equal(t, 365*24*3600, c.MaxAge)
	assert.False(t, c.Secure, "plain HTTP")

	resp = shop.do(t, "GET", "/", "", &second)
	assert.Empty(t, resp.Cookies(), "the cookie is set once")
	resp = shop.do(t, "GET", "/checkout", "", nil)
	assert.Empty(t, resp.Cookies())
	assert.Equal(t, first.VisitorID, second.VisitorID)
	assert.Equal(t, first.VisitorID, shop.cookie(t))

	// The Decision API saw one visitor, new and then returning.
	var returning []any
	for _, d := range shop.flagship.DecisionRequests() {
		assert.Equal(t, first.VisitorID, d.VisitorID)
		returning = append(returning, d.Context[attrReturning])
	}
	assert.Equal(t, []any{false, true, true}, returning)
}

func TestVisitorCookieInvalid(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI)
	u, err := url.Parse(shop.url)
	require.NoError(t, err)
	shop.http.Jar.SetCookies(u, []*http.Cookie{{Name: visitorCookie, Value: "not-a-uuid"}})

	var got indexResponse
	resp := shop.do(t, "GET", "/", "", &got)
	require.Len(t, resp.Cookies(), 1, "a new id replaces a broken one")
	assert.NoError(t, uuid.Validate(got.VisitorID))
	assert.Equal(t, got.VisitorID, shop.cookie(t))
	assert.Equal(t, false, shop.flagship.DecisionRequests()[0].Context[attrReturning])
}

// TestRequestContext checks the whole context the Decision API receives.
func TestRequestContext(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI)
	shop.do(t, "GET", "/?plan=gold", "", nil,
		"User-Agent", mobileUA, "CF-IPCountry", "fr", "Accept-Language", "en-US,en;q=0.5")

	d := shop.flagship.DecisionRequests()
	require.Len(t, d, 1)
	ctx := d[0].Context
	assert.Equal(t, "mobile", ctx[attrDevice])
	assert.Equal(t, "FR", ctx[attrCountry], "CF-IPCountry wins over Accept-Language")
	assert.Equal(t, "gold", ctx[attrPlan])
	assert.Equal(t, false, ctx[attrReturning])
}

func TestDevice(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "iPhone Safari", give: mobileUA, want: "mobile"},
		{name: "Android Chrome", give: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36", want: "mobile"},
		{name: "Firefox for Android", give: "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0", want: "mobile"},
		{name: "iPhone app without Mobi", give: "MyShop/3.1 (iPhone; iOS 17.5)", want: "mobile"},
		{name: "desktop Firefox", give: desktopUA, want: "desktop"},
		{name: "Android tablet", give: "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36", want: "desktop"},
		{name: "empty", give: "", want: "desktop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, device(tt.give))
		})
	}
}

func TestCountry(t *testing.T) {
	tests := []struct {
		name          string
		giveCF        string
		giveLanguages string
		want          string
	}{
		{name: "Cloudflare", giveCF: "fr", giveLanguages: "en-US", want: "FR"},
		{name: "Cloudflare unknown", giveCF: "XX", giveLanguages: "de-AT,de;q=0.9", want: "AT"},
		{name: "Cloudflare Tor", giveCF: "T1", want: ""},
		{name: "Cloudflare garbage", giveCF: "France", giveLanguages: "fr-FR", want: "FR"},
		{name: "language with region", giveLanguages: "en-GB,en;q=0.8", want: "GB"},
		{name: "language with script", giveLanguages: "zh-Hant-TW", want: "TW"},
		{name: "underscore", giveLanguages: "pt_br", want: "BR"},
		{name: "quality on the first", giveLanguages: "es-MX;q=0.9, es;q=0.8", want: "MX"},
		{name: "language only", giveLanguages: "fr, en-US;q=0.5", want: ""},
		{name: "numeric region", giveLanguages: "es-419", want: ""},
		{name: "wildcard", giveLanguages: "*", want: ""},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("CF-IPCountry", tt.giveCF)
			r.Header.Set("Accept-Language", tt.giveLanguages)
			assert.Equal(t, tt.want, country(r))
		})
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name       string
		giveHeader string
		giveTarget string
		want       string
	}{
		{name: "header", giveHeader: "pro", giveTarget: "/?plan=free", want: "pro"},
		{name: "query", giveTarget: "/?plan=free", want: "free"},
		{name: "none", giveTarget: "/", want: ""},
		{name: "upper case", giveHeader: "PRO", giveTarget: "/", want: ""},
		{name: "not letters", giveTarget: "/?plan=pro%20plus", want: ""},
		{name: "too long", giveTarget: "/?plan=abcdefghijklmnopqrstu", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.giveTarget, nil)
			r.Header.Set("X-Plan", tt.giveHeader)
			assert.Equal(t, tt.want, plan(r))
		})
	}
}

func TestVisitorFromEmptyContext(t *testing.T) {
	v, ok := visitorFrom(context.Background())
	assert.False(t, ok)
	assert.Nil(t, v)
	_, ok = visitorFrom(withVisitor(context.Background(), nil))
	assert.False(t, ok, "a nil visitor is no visitor")
}

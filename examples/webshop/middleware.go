package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/visitor"
)

const (
	// visitorCookie holds the visitor id: a random UUID, set on the first
	// visit.
	visitorCookie = "fs_visitor"
	// visitorCookieMaxAge keeps the id, and so the visitor's variations,
	// for about a year.
	visitorCookieMaxAge = 365 * 24 * time.Hour
)

// Context attributes the middleware derives from each request; campaigns
// target them.
const (
	attrDevice    = "device"    // "mobile" or "desktop", from the User-Agent
	attrCountry   = "country"   // ISO 3166 code, e.g. "FR"; absent if unknown
	attrReturning = "returning" // whether the visitor cookie came with the request
	attrPlan      = "plan"      // X-Plan header or ?plan=, e.g. "pro"; absent if none
)

// visitorKey is the request-context key of the *visitor.Visitor.
type visitorKey struct{}

// visitorFrom returns the visitor the middleware stored in ctx.
func visitorFrom(ctx context.Context) (*visitor.Visitor, bool) {
	v, ok := ctx.Value(visitorKey{}).(*visitor.Visitor)
	return v, ok && v != nil
}

// withVisitor returns a copy of ctx holding v.
func withVisitor(ctx context.Context, v *visitor.Visitor) context.Context {
	return context.WithValue(ctx, visitorKey{}, v)
}

// visitorMiddleware makes the request's visitor for next: its id comes
// from the fs_visitor cookie (a new random one is set when the cookie is
// missing or not a UUID), its context from the request (see
// requestAttributes). The visitor is synchronized under the request's
// context; when that fails the failure is logged and the handlers serve
// the flags' defaults. Handlers get the visitor with visitorFrom.
func visitorMiddleware(client *flagship.Client, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id, returning := visitorIDFrom(r)
		if !returning {
			http.SetCookie(w, newVisitorCookie(id, r.TLS != nil))
		}
		v, err := client.NewVisitor(id, requestAttributes(r, returning))
		if err != nil {
			// Only after client.Close, or for a context value the SDK
			// refuses: requestAttributes sends strings and booleans.
			logger.LogAttrs(ctx, slog.LevelError, "creating the visitor failed", slog.Any("err", err))
			http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
			return
		}
		if err := v.Synchronize(ctx); err != nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "flagship synchronize failed; serving default flags",
				slog.String("visitor", id), slog.Any("err", err))
		}
		next.ServeHTTP(w, r.WithContext(withVisitor(ctx, v)))
	})
}

// visitorIDFrom returns the visitor id of the request's fs_visitor
// cookie and true, or a new random id and false when the cookie is
// missing or is not a UUID.
func visitorIDFrom(r *http.Request) (string, bool) {
	if c, err := r.Cookie(visitorCookie); err == nil {
		if id, err := uuid.Parse(c.Value); err == nil {
			return id.String(), true
		}
	}
	return uuid.NewString(), false
}

// newVisitorCookie returns the cookie that keeps id: out of reach of
// scripts, sent on top-level navigations from other sites (so that a
// visitor following a link keeps its variations), for the whole site.
func newVisitorCookie(id string, secure bool) *http.Cookie {
	return &http.Cookie{
		Name:     visitorCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(visitorCookieMaxAge / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// requestAttributes derives the visitor's context from the request.
func requestAttributes(r *http.Request, returning bool) visitor.Attributes {
	attrs := visitor.Attributes{
		attrDevice:    device(r.UserAgent()),
		attrReturning: returning,
	}
	if c := country(r); c != "" {
		attrs[attrCountry] = c
	}
	if p := plan(r); p != "" {
		attrs[attrPlan] = p
	}
	return attrs
}

// device returns "mobile" for the User-Agent of a phone and "desktop"
// otherwise. Browsers on phones put "Mobi" in their User-Agent (MDN's
// advice); tablets count as desktops.
func device(userAgent string) string {
	if strings.Contains(userAgent, "Mobi") || strings.Contains(userAgent, "iPhone") {
		return "mobile"
	}
	return "desktop"
}

// country returns the visitor's country as an upper-case ISO 3166 code:
// the CF-IPCountry header a Cloudflare proxy adds (except its "XX",
// unknown, and "T1", Tor), else the region of the first language of
// Accept-Language ("fr-CA" gives "CA"), else "".
func country(r *http.Request) string {
	if c := strings.ToUpper(strings.TrimSpace(r.Header.Get("CF-IPCountry"))); isAlpha2(c) && c != "XX" && c != "T1" {
		return c
	}
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	tag, _, _ := strings.Cut(first, ";")
	subtags := strings.FieldsFunc(strings.TrimSpace(tag), func(c rune) bool { return c == '-' || c == '_' })
	if len(subtags) < 2 {
		return ""
	}
	// The region is the first 2-letter subtag after the language:
	// "en-US", "zh-Hant-TW".
	for _, s := range subtags[1:] {
		if isAlpha2(s) {
			return strings.ToUpper(s)
		}
	}
	return ""
}

// plan returns the plan the demo takes from the X-Plan header or the plan
// query parameter, or "" if neither holds 1 to 20 lower-case letters. A
// real shop would take it from the authenticated session.
func plan(r *http.Request) string {
	p := r.Header.Get("X-Plan")
	if p == "" {
		p = r.URL.Query().Get("plan")
	}
	if len(p) == 0 || len(p) > 20 {
		return ""
	}
	for _, c := range p {
		if c < 'a' || c > 'z' {
			return ""
		}
	}
	return p
}

// isAlpha2 reports whether s is two ASCII letters.
func isAlpha2(s string) bool {
	if len(s) != 2 {
		return false
	}
	for i := range 2 {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

package gosdkv2

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	flagshipv2 "github.com/flagship-io/flagship-go-sdk/v2"
	v2bucketing "github.com/flagship-io/flagship-go-sdk/v2/pkg/bucketing"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/cache"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/client"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/decisionapi"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/model"
)

// semverCampaign is the only campaign of the published file using SEMVER_*
// operators ("Semver operators").
const semverCampaign = "cu8scf0q5c5n3s57pp8e"

// refusedPrefix marks the visitor ids of the requests made on purpose with
// items that compatible validation refuses too.
const refusedPrefix = "refused-"

// v2Options points Go SDK v2 at the local server through its own options:
// the Decision API URL (which also carries activations and CONTEXT events)
// and, in BUCKETING mode, the bucketing file's base URL with polling off
// (one download at start, so the requests are deterministic). Its hits go
// to a hard-coded host that only the guard transport rewrites.
func v2Options(srv *serveProc, bucketingMode bool, extra ...client.OptionBuilder) []client.OptionBuilder {
	opts := []client.OptionBuilder{client.WithDecisionAPI(decisionapi.APIUrl(srv.base() + "/v2"))}
	if bucketingMode {
		opts = append(opts, client.WithBucketing(
			v2bucketing.APIOptions(v2bucketing.APIUrl(srv.base())),
			v2bucketing.PollingInterval(-1)))
	}
	return append(opts, extra...)
}

// mode is one run of the suite.
type mode struct {
	name          string
	bucketingMode bool
}

func TestDecisionAPIMode(t *testing.T) { runMode(t, mode{name: "DECISION_API"}) }

func TestBucketingMode(t *testing.T) { runMode(t, mode{name: "BUCKETING", bucketingMode: true}) }

// tally counts what the test drove Go SDK v2 to do, to check against the
// requests it made and what the server recorded.
type tally struct {
	syncs         int            // SynchronizeModifications calls that succeeded
	syncsWithCtx  int            // ... with a non-empty context
	activations   int            // activate calls made (each must be one request)
	hitsByType    map[string]int // hits v2 sent and accepted (returned nil)
	refusedBodies int            // requests sent on purpose with invalid items
	failures      int            // v2 calls that failed
}

// fail reports a failed v2 call, the first ones in full.
func (tl *tally) fail(t *testing.T, format string, args ...any) {
	t.Helper()
	tl.failures++
	if tl.failures <= 10 {
		t.Errorf(format, args...)
	}
}

func runMode(t *testing.T, m mode) {
	doc := readDoc(t, vectorsFile)
	served, reference := doc, doc
	if m.bucketingMode {
		var dropped []string
		served, dropped = doc.withoutSemver(t)
		if len(dropped) != 1 || dropped[0] != semverCampaign {
			t.Fatalf("campaigns with SEMVER_* operators: %v, want only %s", dropped, semverCampaign)
		}
		// Go SDK v2 ignores bucket ranges: its decisions are ours on the
		// same file with every range widened to [0,100].
		reference = served.rangesIgnored(t)
	}
	srv := startServe(t, served.write(t, "bucketing.json"))
	refEngine, servedEngine := engine(t, reference), engine(t, served)

	fs, err := flagshipv2.Start(envID, apiKey, v2Options(srv, m.bucketingMode)...)
	if err != nil {
		t.Fatalf("Go SDK v2 Start: %v", err)
	}

	tl := &tally{hitsByType: map[string]int{}}
	visitors := loadVisitors(t, visitorsPerMode)
	var (
		compared, authCompared, listRefused int
		mismatches                          []string
		rangeDiffs                          = map[string]int{} // campaign -> visitors (BUCKETING)
		semverAssigned                      int
		nullsDropped                        int // BUCKETING: visitors with null flags v2 leaves out
	)
	mismatch := func(format string, args ...any) {
		mismatches = append(mismatches, fmt.Sprintf(format, args...))
	}
	for i, vv := range visitors {
		ctx, hadList := v2Context(vv.Context)
		if hadList {
			// Known limit: v2 accepts only string, bool and number values.
			if _, err := fs.NewVisitor(vv.ID, copyContext(vv.Context)); err == nil {
				mismatch("visitor %q: v2 accepted a context with a list value: %v", vv.ID, vv.Context)
			} else {
				listRefused++
			}
		}
		v, err := fs.NewVisitor(vv.ID, copyContext(ctx))
		if err != nil {
			t.Fatalf("v2 NewVisitor(%q, %v): %v", vv.ID, ctx, err)
		}
		if err := v.SynchronizeModifications(); err != nil {
			t.Fatalf("v2 SynchronizeModifications, visitor %q: %v\nrequests: %s", vv.ID, err, lastExchanges(3))
		}
		tl.syncs++
		if len(ctx) > 0 {
			tl.syncsWithCtx++
		}
		got, want := theirs(v), ours(t, refEngine, vv.ID, "", ctx, m.bucketingMode)
		compared++
		if d := compareOutcomes(got, want); d != "" {
			mismatch("visitor %q, context %v: %s", vv.ID, ctx, d)
		}
		if m.bucketingMode {
			if withNulls := ours(t, refEngine, vv.ID, "", ctx, false); len(withNulls.Flags) != len(want.Flags) {
				nullsDropped++
			}
		}
		for _, c := range got.Campaigns {
			if c.Campaign == semverCampaign {
				semverAssigned++
			}
		}
		if m.bucketingMode {
			// Bucket ranges: where v2 differs from what the server's
			// Decision API would answer.
			for _, c := range diffCampaigns(got.Campaigns, ours(t, servedEngine, vv.ID, "", ctx, true).Campaigns) {
				rangeDiffs[c]++
			}
		}

		activateAll(t, v, i, tl)
		sendHits(t, v, i, tl)

		if i%10 == 0 {
			// Experience continuity: the visitor logs in; v2 keeps the
			// previous id as the anonymous id and decides again.
			authID := "auth-" + vv.ID
			if err := v.Authenticate(authID, nil, true); err != nil {
				t.Fatalf("v2 Authenticate, visitor %q: %v", vv.ID, err)
			}
			tl.syncs++
			if len(ctx) > 0 {
				tl.syncsWithCtx++
			}
			got, want := theirs(v), ours(t, refEngine, authID, vv.ID, ctx, m.bucketingMode)
			authCompared++
			if d := compareOutcomes(got, want); d != "" {
				mismatch("authenticated visitor %q (anonymous %q): %s", authID, vv.ID, d)
			}
			activateAll(t, v, i+1, tl)
			sendHits(t, v, i+1, tl)
		}
	}

	if m.bucketingMode {
		// ActivateCacheModification needs v2's visitor cache, filled by
		// BUCKETING decisions only.
		cacheActivations(t, srv, tl, visitors[:20])
	}
	sendBatches(t, fs, tl)
	if !m.bucketingMode {
		wrongEnvironment(t, srv, tl)
	}

	// CONTEXT events leave in goroutines (BUCKETING mode): wait for them.
	wantCtxEvents := 0
	if m.bucketingMode {
		wantCtxEvents = tl.syncs
	}
	eventsPath := "/v2/" + envID + "/events"
	if !waitFor(10*time.Second, func() bool { return countPath(guard.snapshot(), eventsPath) >= wantCtxEvents }) {
		t.Errorf("CONTEXT events: %d requests after 10 s, want %d", countPath(guard.snapshot(), eventsPath), wantCtxEvents)
	}
	exchanges := guard.take()
	recs, recsOK := srv.records(t)

	// Decisions.
	for i, s := range mismatches {
		if i == 15 {
			t.Errorf("... and %d more decision mismatches", len(mismatches)-i)
			break
		}
		t.Error(s)
	}
	if listRefused == 0 {
		t.Errorf("no visitor had a list-valued context: the known limit was not exercised")
	}
	if m.bucketingMode {
		ranged := served.rangedCampaigns()
		var outside, inside []string
		for c, n := range rangeDiffs {
			if ranged[c] {
				inside = append(inside, fmt.Sprintf("%s (%d visitors)", c, n))
			} else {
				outside = append(outside, fmt.Sprintf("%s (%d visitors)", c, n))
			}
		}
		sort.Strings(inside)
		sort.Strings(outside)
		if len(outside) > 0 {
			t.Errorf("v2's local decisions differ from the Decision API's on campaigns whose bucket range is [0,100]: %v", outside)
		}
		if len(inside) == 0 {
			t.Errorf("no decision differed on a campaign with bucket ranges: the known limit was not exercised")
		}
		t.Logf("%s: bucket ranges ignored by v2: its decisions differ from the Decision API's on %d of the %d ranged campaigns: %s",
			m.name, len(inside), len(ranged), strings.Join(inside, ", "))
		if nullsDropped == 0 {
			t.Errorf("no visitor got a null flag: the known limit was not exercised")
		}
		t.Logf("%s: null flags left out by v2 for %d of %d visitors", m.name, nullsDropped, compared)
	} else if semverAssigned == 0 {
		t.Errorf("no visitor was assigned the SEMVER campaign %s through the Decision API", semverCampaign)
	}

	if tl.failures > 10 {
		t.Errorf("... %d failed v2 calls in all", tl.failures)
	}
	checkTraffic(t, m, exchanges, recs, recsOK, tl)
	t.Logf("%s: %d visitors compared (+%d authenticated re-decisions), %d mismatches; %d list-valued contexts refused by v2 and compared without their lists",
		m.name, compared, authCompared, len(mismatches), listRefused)
}

// v2Context returns the context without its list values (which v2
// refuses), and whether it had any.
func v2Context(c map[string]any) (map[string]any, bool) {
	out := map[string]any{}
	had := false
	for k, v := range c {
		switch v.(type) {
		case []any, map[string]any:
			had = true
			continue
		}
		out[k] = v
	}
	return out, had
}

// copyContext copies a context: v2 converts int values in place.
func copyContext(c map[string]any) model.Context {
	out := model.Context{}
	for k, v := range c {
		out[k] = v
	}
	return out
}

// theirs is Go SDK v2's decision for a synchronized visitor.
func theirs(v *client.Visitor) outcome {
	o := outcome{Flags: map[string]string{}}
	if r := v.GetDecisionResponse(); r != nil {
		for _, c := range r.Campaigns {
			o.Campaigns = append(o.Campaigns, triple{c.ID, c.VariationGroupID, c.Variation.ID})
		}
	}
	for k, fi := range v.GetAllModifications() {
		o.Flags[k] = jsonString(fi.Value)
	}
	return o
}

func compareOutcomes(got, want outcome) string {
	var parts []string
	if fmt.Sprint(got.Campaigns) != fmt.Sprint(want.Campaigns) {
		parts = append(parts, fmt.Sprintf("campaigns: v2 %v, ours %v (differing: %v)", got.Campaigns, want.Campaigns, diffCampaigns(got.Campaigns, want.Campaigns)))
	}
	var flags []string
	for k, w := range want.Flags {
		if g, ok := got.Flags[k]; !ok || g != w {
			flags = append(flags, fmt.Sprintf("%s: v2 %s, ours %s", k, orMissing(g, ok), w))
		}
	}
	for k, g := range got.Flags {
		if _, ok := want.Flags[k]; !ok {
			flags = append(flags, fmt.Sprintf("%s: v2 %s, ours missing", k, g))
		}
	}
	if len(flags) > 0 {
		sort.Strings(flags)
		parts = append(parts, "flags: "+strings.Join(flags, "; "))
	}
	return strings.Join(parts, "; ")
}

func orMissing(s string, ok bool) string {
	if !ok {
		return "missing"
	}
	return s
}

// activateAll activates every flag the visitor got, alternating v2's two
// activation calls: ActivateModification(key), and a typed getter with
// activate=true.
func activateAll(t *testing.T, v *client.Visitor, i int, tl *tally) {
	t.Helper()
	flags := v.GetAllModifications()
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for j, k := range keys {
		var err error
		if (i+j)%2 == 0 {
			err = v.ActivateModification(k)
		} else {
			switch val := flags[k].Value.(type) {
			case bool:
				_, err = v.GetModificationBool(k, !val, true)
			case float64:
				_, err = v.GetModificationNumber(k, 0, true)
			case map[string]any:
				_, err = v.GetModificationObject(k, nil, true)
			case []any:
				_, err = v.GetModificationArray(k, nil, true)
			default: // string, or null (the default is served, and it activates)
				_, err = v.GetModificationString(k, "default", true)
			}
		}
		tl.activations++
		if err != nil {
			tl.fail(t, "v2 activation of %q for visitor %q: %v\nrequests: %s", k, v.ID, err, lastExchanges(2))
		}
	}
}

// sendHits sends one hit of each type v2 has (PAGEVIEW, SCREENVIEW, EVENT,
// TRANSACTION, ITEM), varying the optional and legacy fields.
func sendHits(t *testing.T, v *client.Visitor, i int, tl *tally) {
	t.Helper()
	page := &model.PageHit{BaseHit: model.BaseHit{DocumentLocation: fmt.Sprintf("https://shop.example/product/%d?ref=conformance", i)}}
	switch i % 4 {
	case 1:
		// v2 accepts a location that url.ParseRequestURI accepts,
		// relative paths included.
		page.DocumentLocation = fmt.Sprintf("/checkout?step=%d", i%3)
	case 2:
		// Every legacy analytics field v2 knows.
		yes := i%8 == 2
		page.BaseHit = model.BaseHit{
			DocumentLocation: "https://shop.example/cart", ProtocolVersion: "1", UserIP: "203.0.113.7",
			DocumentReferrer: "https://search.example/?q=shoes", ViewportSize: "1280x720",
			ScreenResolution: "1920x1080", PageTitle: "Cart", DocumentEncoding: "UTF-8",
			ScreenColorDepth: "24-bits", UserLanguage: "fr-fr", JavaEnabled: &yes,
			FlashVersion: "32.0", CurrentSessionTimestamp: 1767225600, SessionNumber: int64(i%5 + 1),
		}
	}
	event := &model.EventHit{Action: "add_to_cart", Label: fmt.Sprintf("sku-%d", i), Value: uint64(i % 7)}
	switch i % 4 {
	case 0:
		event.Category = "Action Tracking"
	case 1:
		event.Category = "User Engagement"
	case 2:
		event.Category = "ACTION_TRACKING" // v2 does not check the category
	case 3:
		// No category at all, as v2's own tests send it.
		event.Label = ""
	}
	tid := fmt.Sprintf("tx-%d", i)
	hits := []model.HitInterface{
		page,
		&model.ScreenHit{BaseHit: model.BaseHit{DocumentLocation: "ProductScreen"}},
		event,
		&model.TransactionHit{TransactionID: tid, Affiliation: "checkout", Revenue: 42.5 + float64(i),
			Shipping: 4.9, Tax: 8.5, Currency: "EUR", CouponCode: "SPRING", PaymentMethod: "card",
			ShippingMethod: "post", ItemCount: 2},
		&model.ItemHit{TransactionID: tid, Name: "Sneakers", Price: 19.99, Quantity: 2, Code: "SKU-42", Category: "shoes"},
	}
	types := []string{"PAGEVIEW", "SCREENVIEW", "EVENT", "TRANSACTION", "ITEM"}
	for j, h := range hits {
		if err := v.SendHit(h); err != nil {
			tl.fail(t, "v2 SendHit %s for visitor %q: %v\nrequests: %s", types[j], v.ID, err, lastExchanges(2))
			continue
		}
		tl.hitsByType[types[j]]++
	}
}

// sendBatches sends v2's BatchHit three ways. v2 fills in the envelope
// (vid, cuid, cid, ds, t) but not the hits in it: a user must call
// SetBaseInfos on each. A batch whose hits were filled in is valid; one
// whose hits were left bare has items without vid or t, which compatible
// validation refuses too (400, which v2 retries once); one with both
// gets a 207, which v2 reports as an error (it wants 200).
func sendBatches(t *testing.T, fs *client.Client, tl *tally) {
	t.Helper()
	filled := func(vid string, hs ...model.HitInterface) []model.HitInterface {
		for _, h := range hs {
			h.SetBaseInfos(envID, vid, nil)
		}
		return hs
	}
	batch := func(hs ...model.HitInterface) *model.BatchHit {
		b := &model.BatchHit{}
		for _, h := range hs {
			b.AddHit(h)
		}
		return b
	}
	v := "batch-visitor"
	if err := fs.SendHit(v, nil, batch(filled(v,
		&model.PageHit{BaseHit: model.BaseHit{DocumentLocation: "https://shop.example/batch"}},
		&model.EventHit{Action: "batch_event", Category: "Action Tracking"},
		&model.TransactionHit{TransactionID: "batch-tx", Affiliation: "checkout", Revenue: 10},
		&model.ItemHit{TransactionID: "batch-tx", Name: "Socks", Code: "SKU-1", Quantity: 1},
		&model.ScreenHit{BaseHit: model.BaseHit{DocumentLocation: "BatchScreen"}},
	)...)); err != nil {
		tl.fail(t, "v2 SendHit of a filled-in BatchHit: %v\nrequests: %s", err, lastExchanges(2))
	} else {
		for _, typ := range []string{"PAGEVIEW", "EVENT", "TRANSACTION", "ITEM", "SCREENVIEW"} {
			tl.hitsByType[typ]++
		}
	}

	v = refusedPrefix + "bare-batch"
	if err := fs.SendHit(v, nil, batch(&model.EventHit{Action: "bare"}, &model.PageHit{BaseHit: model.BaseHit{DocumentLocation: "https://shop.example/bare"}})); err == nil {
		t.Errorf("v2 SendHit of a BatchHit with bare hits: no error, want the server's 400")
	}
	tl.refusedBodies += 2 // v2 retries a 400 once

	v = refusedPrefix + "mixed-batch"
	hs := filled(v, &model.EventHit{Action: "mixed_ok", Category: "User Engagement"})
	hs = append(hs, &model.EventHit{Action: "mixed_bare"})
	if err := fs.SendHit(v, nil, batch(hs...)); err == nil {
		t.Errorf("v2 SendHit of a BatchHit with one bare hit: no error, want v2's error on the server's 207")
	}
	tl.refusedBodies++
}

// wrongEnvironment sends a hit from a v2 client configured with another
// environment id: its cid is not the server's, which compatible validation
// refuses too (400, retried once by v2).
func wrongEnvironment(t *testing.T, srv *serveProc, tl *tally) {
	t.Helper()
	other, err := flagshipv2.Start("another-env", apiKey, v2Options(srv, false)...)
	if err != nil {
		t.Fatalf("Go SDK v2 Start: %v", err)
	}
	if err := other.SendHit(refusedPrefix+"wrong-env", nil, &model.PageHit{BaseHit: model.BaseHit{DocumentLocation: "https://shop.example/"}}); err == nil {
		t.Errorf("v2 SendHit with another environment id: no error, want the server's 400")
	}
	tl.refusedBodies += 2
}

// cacheActivations runs v2's third activation call, ActivateCacheModification,
// which reads the visitor cache (an in-memory custom cache here) that its
// BUCKETING decisions fill.
func cacheActivations(t *testing.T, srv *serveProc, tl *tally, visitors []vectorVisitor) {
	t.Helper()
	store := map[string]map[string]*cache.CampaignCache{}
	fs, err := flagshipv2.Start(envID, apiKey, v2Options(srv, true, client.WithVisitorCache(cache.WithCustomOptions(cache.CustomOptions{
		Getter: func(id string) (map[string]*cache.CampaignCache, error) { return store[id], nil },
		Setter: func(id string, c map[string]*cache.CampaignCache) error { store[id] = c; return nil },
	})))...)
	if err != nil {
		t.Fatalf("Go SDK v2 Start with a visitor cache: %v", err)
	}
	for _, vv := range visitors {
		ctx, _ := v2Context(vv.Context)
		v, err := fs.NewVisitor(vv.ID, copyContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SynchronizeModifications(); err != nil {
			t.Fatalf("v2 SynchronizeModifications with a cache, visitor %q: %v", vv.ID, err)
		}
		tl.syncs++
		if len(ctx) > 0 {
			tl.syncsWithCtx++
		}
		keys := make([]string, 0)
		for k := range v.GetAllModifications() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			tl.activations++
			if err := v.ActivateCacheModification(k); err != nil {
				tl.fail(t, "v2 ActivateCacheModification(%q), visitor %q: %v\nrequests: %s", k, vv.ID, err, lastExchanges(2))
			}
		}
	}
}

func countPath(ex []exchange, path string) int {
	n := 0
	for _, e := range ex {
		if e.Path == path {
			n++
		}
	}
	return n
}

func lastExchanges(n int) string {
	ex := guard.snapshot()
	if len(ex) > n {
		ex = ex[len(ex)-n:]
	}
	var s []string
	for _, e := range ex {
		s = append(s, e.String())
	}
	return strings.Join(s, "\n  ")
}

// checkTraffic checks every request v2 made (as the guard saw it) against
// what the test drove it to do and what the server recorded.
func checkTraffic(t *testing.T, m mode, exchanges []exchange, recs records, recsOK bool, tl *tally) {
	t.Helper()
	campaignsPath := "/v2/" + envID + "/campaigns"
	eventsPath := "/v2/" + envID + "/events"
	bucketingPath := "/" + envID + "/bucketing.json"

	byRoute := map[string]int{}
	var (
		bad                         []string
		hitBodies, actBodies, ctxEv []string
		refusedReq                  []exchange
		sentHits                    = map[string]int{}
		decisionCalls               int
		wantSegments                []string // DECISION_API: the SEGMENT hit each call should record
	)
	for _, e := range exchanges {
		route := e.Method + " " + e.Path
		if e.rewrittenF {
			route += " (collector)"
		}
		byRoute[route]++
		if e.Err != "" {
			bad = append(bad, e.String())
			continue
		}
		marked := strings.Contains(string(e.ReqBody), `"`+refusedPrefix)
		if e.Status < 200 || e.Status > 299 {
			if !marked {
				bad = append(bad, e.String())
			}
		}
		if marked {
			refusedReq = append(refusedReq, e)
			continue
		}
		switch {
		case e.Method == http.MethodPost && e.Path == "/":
			if !e.rewrittenF {
				bad = append(bad, "a hit was not sent to the collector host: "+e.String())
			}
			var probe struct {
				T string            `json:"t"`
				H []json.RawMessage `json:"h"`
			}
			if err := json.Unmarshal(e.ReqBody, &probe); err != nil {
				bad = append(bad, "hit body is not JSON: "+e.String())
				continue
			}
			if probe.T == "BATCH" {
				for _, h := range probe.H {
					hitBodies = append(hitBodies, mustCanonical(t, h))
					sentHits[hitType(h)]++
				}
			} else {
				hitBodies = append(hitBodies, mustCanonical(t, e.ReqBody))
				sentHits[probe.T]++
			}
		case e.Method == http.MethodPost && e.Path == "/v2/activate":
			actBodies = append(actBodies, mustCanonical(t, e.ReqBody))
		case e.Method == http.MethodPost && e.Path == eventsPath:
			ctxEv = append(ctxEv, mustCanonical(t, e.ReqBody))
		case e.Method == http.MethodPost && e.Path == campaignsPath:
			decisionCalls++
			var req struct {
				VisitorID   string         `json:"visitor_id"`
				AnonymousID *string        `json:"anonymous_id"`
				Context     map[string]any `json:"context"`
			}
			if err := json.Unmarshal(e.ReqBody, &req); err != nil {
				bad = append(bad, "Decision API body: "+err.Error()+": "+e.String())
			} else if len(req.Context) > 0 {
				wantSegments = append(wantSegments, segmentKey(req.VisitorID, req.AnonymousID, req.Context))
			}
		case e.Method == http.MethodGet && e.Path == bucketingPath:
		default:
			bad = append(bad, "unexpected request: "+e.String())
		}
	}
	for i, s := range bad {
		if i == 20 {
			t.Errorf("... and %d more", len(bad)-i)
			break
		}
		t.Errorf("request not answered 2xx (or unexpected): %s", s)
	}

	// Requests against what the test drove.
	if m.bucketingMode {
		if decisionCalls != 0 {
			t.Errorf("BUCKETING mode made %d Decision API calls, want 0", decisionCalls)
		}
		// One download per client started (polling off): the main one,
		// the cached one.
		if n := byRoute["GET "+bucketingPath]; n != 2 {
			t.Errorf("bucketing file downloads: %d, want 2 (one per v2 client)", n)
		}
		if len(ctxEv) != tl.syncs {
			t.Errorf("CONTEXT events sent: %d, want one per synchronization (%d)", len(ctxEv), tl.syncs)
		}
	} else {
		if decisionCalls != tl.syncs {
			t.Errorf("Decision API calls: %d, want one per synchronization (%d)", decisionCalls, tl.syncs)
		}
		if len(ctxEv) != 0 {
			t.Errorf("DECISION_API mode sent %d CONTEXT events, want 0", len(ctxEv))
		}
	}
	if len(actBodies) != tl.activations {
		t.Errorf("activation requests: %d, want one per activate call (%d)", len(actBodies), tl.activations)
	}
	if fmt.Sprint(sentHits) != fmt.Sprint(tl.hitsByType) {
		t.Errorf("hits on the wire by type: %v, want %v", sentHits, tl.hitsByType)
	}
	if len(refusedReq) != tl.refusedBodies {
		t.Errorf("requests with items invalid in compatible mode too: %d, want %d", len(refusedReq), tl.refusedBodies)
	}

	var routes []string
	for r, n := range byRoute {
		routes = append(routes, fmt.Sprintf("%s ×%d", r, n))
	}
	sort.Strings(routes)
	t.Logf("%s: %d requests by Go SDK v2 (%s), %d answered outside 2xx or unexpected (other than the %d invalid on purpose); hits sent by type %v, %d activate calls",
		m.name, len(exchanges), strings.Join(routes, ", "), len(bad), len(refusedReq), sentHits, tl.activations)
	if !recsOK {
		return
	}

	// What the server recorded, against what went on the wire.
	var recHits, recDecisionSegments []string
	recByType := map[string]int{}
	for _, h := range recs.Hits {
		var item struct {
			T   string `json:"t"`
			VID string `json:"vid"`
		}
		_ = json.Unmarshal(h.Item, &item)
		if h.EnvID != envID || (h.Route == "events" && (h.Type != item.T || h.VID != item.VID)) {
			t.Errorf("hit record's fields disagree with its item: type %q, vid %q, envId %q: %s", h.Type, h.VID, h.EnvID, h.Item)
		}
		switch h.Route {
		case "events":
			if strings.HasPrefix(h.VID, refusedPrefix) {
				// The accepted item of the 207 batch.
				continue
			}
			recHits = append(recHits, mustCanonical(t, h.Item))
			recByType[h.Type]++
		case "decision":
			if h.Type != "SEGMENT" {
				t.Errorf("hit recorded from a Decision API call of type %q, want SEGMENT: %s", h.Type, h.Item)
			}
			var item struct {
				S map[string]any `json:"s"`
			}
			_ = json.Unmarshal(h.Item, &item)
			cuid := &h.CUID
			if h.CUID == "" {
				cuid = nil
			}
			// The server sends the hit for the anonymous id, with the
			// visitor id as cuid (spec §7.2).
			if cuid != nil {
				recDecisionSegments = append(recDecisionSegments, segmentKey(h.CUID, &h.VID, item.S))
			} else {
				recDecisionSegments = append(recDecisionSegments, segmentKey(h.VID, nil, item.S))
			}
		default:
			t.Errorf("hit recorded on unexpected route %q: %s", h.Route, h.Item)
		}
	}
	sameMultiset(t, "hits", hitBodies, recHits)
	// The Decision API records the context as a SEGMENT hit when the
	// context is not empty (v2 never says visitor_consent false).
	if !m.bucketingMode && len(wantSegments) != tl.syncsWithCtx {
		t.Errorf("Decision API calls with a context: %d, want %d", len(wantSegments), tl.syncsWithCtx)
	}
	sameMultiset(t, "SEGMENT hits from Decision API calls (visitor, anonymous id, context)", wantSegments, recDecisionSegments)

	var recActs []string
	for _, a := range recs.Activations {
		if a.Route != "activate" {
			t.Errorf("activation recorded on route %q (v2 sends trigger_hit false): %s", a.Route, a.Item)
			continue
		}
		var item struct {
			VID  string `json:"vid"`
			CAID string `json:"caid"`
			VAID string `json:"vaid"`
		}
		_ = json.Unmarshal(a.Item, &item)
		if a.EnvID != envID || a.VID != item.VID || a.CAID != item.CAID || a.VAID != item.VAID || a.CAID == "" || a.VAID == "" {
			t.Errorf("activation record's fields disagree with its item: vid %q, caid %q, vaid %q, envId %q: %s", a.VID, a.CAID, a.VAID, a.EnvID, a.Item)
		}
		recActs = append(recActs, mustCanonical(t, a.Item))
	}
	sameMultiset(t, "activations", actBodies, recActs)

	var recCtx []string
	for _, c := range recs.ContextEvents {
		if c.Type != "CONTEXT" || c.VID == "" {
			t.Errorf("context event recorded with type %q, vid %q: %s", c.Type, c.VID, c.Item)
		}
		recCtx = append(recCtx, mustCanonical(t, c.Item))
	}
	sameMultiset(t, "CONTEXT events", ctxEv, recCtx)
	if len(recs.Usage) != 0 || len(recs.Troubleshooting) != 0 {
		t.Errorf("usage/troubleshooting recorded (v2 sends none): %d/%d", len(recs.Usage), len(recs.Troubleshooting))
	}

	// Refusals: only the requests made invalid on purpose, each recorded
	// with its reason; the items of a 207 that it does not list as refused
	// are recorded as hits.
	var partial, recPartial []string
	for _, h := range recs.Hits {
		if h.Route == "events" && strings.HasPrefix(h.VID, refusedPrefix) {
			recPartial = append(recPartial, mustCanonical(t, h.Item))
		}
	}
	refusedItems := 0
	for _, e := range refusedReq {
		if e.Status == http.StatusMultiStatus {
			partial = append(partial, acceptedItems(t, e)...)
		}
		if e.Status == 200 || e.Status == 204 || e.Err != "" {
			t.Errorf("request with items invalid in compatible mode too was accepted: %s", e.String())
			continue
		}
		matched := 0
		for _, r := range recs.Refused {
			if r.Status == e.Status && r.Reason != "" && refusedMatches(t, r, e.ReqBody) {
				matched++
			}
		}
		if matched == 0 {
			t.Errorf("refused request not in the records' refused list: %s", e.String())
		}
	}
	sameMultiset(t, "hits accepted from partly refused batches", partial, recPartial)
	reasons := map[string]int{}
	for _, r := range recs.Refused {
		if r.Reason == "" {
			t.Errorf("refused record without a reason: %+v", r)
		}
		expected := false
		for _, e := range refusedReq {
			if e.Status == r.Status && refusedMatches(t, r, e.ReqBody) {
				expected = true
				break
			}
		}
		if !expected {
			t.Errorf("refused record for a request that should have been accepted: route %s, status %d, reason %q, item %s",
				r.Route, r.Status, r.Reason, truncate(string(r.Item), 300))
		}
		refusedItems++
		reasons[fmt.Sprintf("%d %s", r.Status, r.Reason)]++
	}

	var reasonList []string
	for r, n := range reasons {
		reasonList = append(reasonList, fmt.Sprintf("%q ×%d", r, n))
	}
	sort.Strings(reasonList)
	t.Logf("%s: recorded: hits by type %v, %d activations, %d CONTEXT events, %d SEGMENT hits from Decision API calls; %d refused records for the %d requests invalid on purpose: %s",
		m.name, recByType, len(recActs), len(recCtx), len(recDecisionSegments), refusedItems, len(refusedReq), strings.Join(reasonList, ", "))
}

// acceptedItems returns the items of a batch answered 207 that the answer
// does not list as refused.
func acceptedItems(t *testing.T, e exchange) []string {
	t.Helper()
	var ans struct {
		Refused []struct {
			Index int `json:"index"`
		} `json:"refused"`
	}
	var b struct {
		H []json.RawMessage `json:"h"`
	}
	if err := json.Unmarshal(e.RespBody, &ans); err != nil {
		t.Errorf("207 answer is not the documented JSON: %v: %s", err, e.String())
		return nil
	}
	if err := json.Unmarshal(e.ReqBody, &b); err != nil {
		t.Errorf("207 for a body that is not a batch: %s", e.String())
		return nil
	}
	refused := map[int]bool{}
	for _, r := range ans.Refused {
		refused[r.Index] = true
	}
	var out []string
	for i, h := range b.H {
		if !refused[i] {
			out = append(out, mustCanonical(t, h))
		}
	}
	return out
}

// segmentKey identifies a SEGMENT hit: the visitor, the anonymous id and
// the context, every value in its string form.
func segmentKey(visitorID string, anonymousID *string, ctx map[string]any) string {
	anon := "<none>"
	if anonymousID != nil {
		anon = *anonymousID
	}
	keys := make([]string, 0, len(ctx))
	for k := range ctx {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "visitor %q anonymous %q:", visitorID, anon)
	for _, k := range keys {
		v := ctx[k]
		if f, ok := v.(float64); ok {
			v = strconv.FormatFloat(f, 'f', -1, 64)
		}
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	return b.String()
}

func hitType(raw json.RawMessage) string {
	var h struct {
		T string `json:"t"`
	}
	_ = json.Unmarshal(raw, &h)
	return h.T
}

// refusedMatches reports whether a refused record is about the request
// body: the whole body (index -1) or one of its batch items.
func refusedMatches(t *testing.T, r refusedRecord, body []byte) bool {
	t.Helper()
	item, err := canonical(r.Item)
	if err != nil {
		// A body that was not JSON is recorded as a JSON string.
		var s string
		return json.Unmarshal(r.Item, &s) == nil && s == string(body)
	}
	if item == mustCanonical(t, body) {
		return true
	}
	var b struct {
		H []json.RawMessage `json:"h"`
	}
	if json.Unmarshal(body, &b) == nil {
		for _, h := range b.H {
			if mustCanonical(t, h) == item {
				return true
			}
		}
	}
	return false
}

func sameMultiset(t *testing.T, what string, sent, recorded []string) {
	t.Helper()
	count := map[string]int{}
	for _, s := range sent {
		count[s]++
	}
	for _, r := range recorded {
		count[r]--
	}
	var missing, extra []string
	for s, n := range count {
		for ; n > 0; n-- {
			missing = append(missing, s)
		}
		for ; n < 0; n++ {
			extra = append(extra, s)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("%s: %d sent and accepted but not recorded as sent, e.g. %s", what, len(missing), truncate(strings.Join(first(missing, 3), "\n"), 1200))
	}
	if len(extra) > 0 {
		t.Errorf("%s: %d recorded but not sent as recorded, e.g. %s", what, len(extra), truncate(strings.Join(first(extra, 3), "\n"), 1200))
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

package bucketing_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// exampleFile is a small bucketing file: an A/B test of the checkout
// button shared 50/50 by every visitor, and a toggle for visitors whose
// context has plan "gold".
const exampleFile = `{
  "campaigns": [
    {
      "id": "c-checkout", "type": "ab",
      "bucketRanges": [{"r": [0, 100]}],
      "variationGroups": [{
        "id": "vg-checkout",
        "targeting": {"targetingGroups": [{"targetings": [
          {"key": "fs_all_users", "operator": "EQUALS", "value": ""}
        ]}]},
        "variations": [
          {"id": "var-blue", "allocation": 50, "reference": true,
           "modifications": {"type": "FLAG", "value": {"btn-color": "blue"}}},
          {"id": "var-green", "allocation": 50,
           "modifications": {"type": "FLAG", "value": {"btn-color": "green"}}}
        ]
      }]
    },
    {
      "id": "c-gold", "type": "toggle",
      "bucketRanges": [{"r": [0, 100]}],
      "variationGroups": [{
        "id": "vg-gold",
        "targeting": {"targetingGroups": [{"targetings": [
          {"key": "plan", "operator": "EQUALS", "value": "gold"}
        ]}]},
        "variations": [
          {"id": "var-gold", "allocation": 100,
           "modifications": {"type": "FLAG", "value": {"free-shipping": true}}}
        ]
      }]
    }
  ]
}`

// exampleEngine returns an engine deciding from exampleFile.
func exampleEngine(o bucketing.Options) *bucketing.Engine {
	cfg, err := bucketing.ParseConfig([]byte(exampleFile))
	if err != nil {
		panic(err)
	}
	e := bucketing.NewEngine(o)
	e.Update(cfg)
	return e
}

func ExampleParse() {
	f, err := bucketing.Parse([]byte(exampleFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range f.Campaigns {
		vg := c.VariationGroups[0]
		fmt.Println(c.ID, c.Type, vg.ID, len(vg.Variations), "variations")
	}

	// Anything Flagship would reject is an error naming the path.
	_, err = bucketing.Parse([]byte(`{"campaigns":[{"id":"c","variationGroups":[{"variations":[{"allocation":33.5}]}]}]}`))
	var pe *bucketing.ParseError
	fmt.Println(errors.Is(err, bucketing.ErrInvalidFile), errors.As(err, &pe))
	fmt.Println(pe.Path)
	// Output:
	// c-checkout ab vg-checkout 2 variations
	// c-gold toggle vg-gold 1 variations
	// true true
	// campaigns[0].variationGroups[0].variations[0].allocation
}

// A File can be built in code (tests do) and compiled like a parsed one.
func ExampleCompile() {
	everyone := bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
		{Key: "fs_all_users", Operator: bucketing.OperatorEquals, Value: ""},
	}}}}
	f := &bucketing.File{Campaigns: []bucketing.Campaign{{
		ID:           "c-banner",
		Type:         "toggle",
		BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}},
		VariationGroups: []bucketing.VariationGroup{{
			ID:        "vg-banner",
			Targeting: everyone,
			Variations: []bucketing.Variation{{
				ID:            "var-banner",
				Allocation:    100,
				Modifications: decision.NewModifications("FLAG", map[string]any{"banner": "spring-sale"}),
			}},
		}},
	}}}
	cfg, err := bucketing.Compile(f) // f must not be modified from now on
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.NumCampaigns(), cfg.Panic())

	e := bucketing.NewEngine(bucketing.Options{})
	e.Update(cfg)
	d, err := e.Decide(context.Background(), decision.Request{VisitorID: "visitor-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := d.Campaigns[0].Variation.Modifications.Lookup("banner")
	fmt.Println(d.Campaigns[0].ID, v)
	// Output:
	// 1 false
	// c-banner spring-sale
}

// Decisions are deterministic: a visitor gets the same variation on every
// call and in every process, as with Flagship's Decision API.
func ExampleEngine_Decide() {
	e := exampleEngine(bucketing.Options{})
	ctx := context.Background()

	// Before the first Update, decisions fail with ErrNoConfig.
	_, err := bucketing.NewEngine(bucketing.Options{}).Decide(ctx, decision.Request{VisitorID: "alice"})
	fmt.Println(errors.Is(err, bucketing.ErrNoConfig))

	for _, r := range []decision.Request{
		{VisitorID: "alice", Context: map[string]any{"plan": "gold"}},
		{VisitorID: "bob", Context: map[string]any{"plan": "free"}},
		{VisitorID: "carol"},
	} {
		d, err := e.Decide(ctx, r)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Print(d.VisitorID, ":")
		for _, a := range d.Campaigns {
			fmt.Printf(" %s=%s (%s)", a.ID, a.Variation.ID, a.Reason)
		}
		fmt.Println()
	}
	// Output:
	// true
	// alice: c-checkout=var-green (allocated at bucket 88) c-gold=var-gold (allocated)
	// bob: c-checkout=var-green (allocated at bucket 89)
	// carol: c-checkout=var-blue (allocated at bucket 3)
}

// Explain tells why a visitor got, or missed, each campaign.
func ExampleEngine_Explain() {
	e := exampleEngine(bucketing.Options{})
	x, err := e.Explain(context.Background(), decision.Request{
		VisitorID: "bob",
		Context:   map[string]any{"plan": "free"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range x.Campaigns {
		fmt.Printf("%s: %s %q\n", c.CampaignID, c.Outcome, c.VariationID)
	}
	fmt.Println()
	_, _ = x.WriteTo(os.Stdout)
	// Output:
	// c-checkout: assigned "var-green"
	// c-gold: no variation group matched ""
	//
	// visitor "bob"
	//
	// campaign c-checkout (ab): assigned
	//   variation group vg-checkout: matched
	//     group 0 rule 0: fs_all_users EQUALS "" -> all users
	//   visitor bucket 94; bucket ranges [0,100)
	//   -> variation group vg-checkout, variation var-green (allocated at bucket 89)
	//
	// campaign c-gold (toggle): no variation group matched
	//   variation group vg-gold: not matched
	//     group 0 rule 0: plan EQUALS "gold" against "free" -> false
}

// With an assignment store, a visitor keeps its variation when the
// allocations change. The SDK's default store is a file (assignment.File)
// behind an in-process cache (assignment.Cache).
func ExampleOptions_assignments() {
	ctx := context.Background()
	e := exampleEngine(bucketing.Options{Assignments: assignment.NewMemory(0)})

	d, _ := e.Decide(ctx, decision.Request{VisitorID: "carol"})
	fmt.Println(d.Campaigns[0].Variation.ID, d.Campaigns[0].Reason)

	// Send every new visitor to var-green: carol keeps var-blue.
	f, _ := bucketing.Parse([]byte(exampleFile))
	f.Campaigns[0].VariationGroups[0].Variations[0].Allocation = 0
	f.Campaigns[0].VariationGroups[0].Variations[1].Allocation = 100
	cfg, _ := bucketing.Compile(f)
	e.Update(cfg)

	d, _ = e.Decide(ctx, decision.Request{VisitorID: "carol"})
	fmt.Println(d.Campaigns[0].Variation.ID, d.Campaigns[0].Reason)
	d, _ = e.Decide(ctx, decision.Request{VisitorID: "dave"})
	fmt.Println(d.Campaigns[0].Variation.ID, d.Campaigns[0].Reason)
	// Output:
	// var-blue allocated at bucket 3
	// var-blue assignment history
	// var-green allocated at bucket 69
}

// A Poller keeps an engine up to date from the file's URL and keeps the
// last good file on disk. Here the URL is a local test server.
func ExampleNewPoller() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		const etag = `"v1"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		_, _ = io.WriteString(w, exampleFile)
	}))
	defer srv.Close()
	dir, err := os.MkdirTemp("", "bucketing-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	opts := bucketing.PollerOptions{
		URL:       srv.URL + "/env/bucketing.json",
		CachePath: filepath.Join(dir, "bucketing.json"),
		Logger:    slog.New(slog.DiscardHandler),
		OnUpdate: func(_ context.Context, u bucketing.Update) {
			fmt.Println("installed from", u.Source, u.ETag, u.Config.NumCampaigns(), "campaigns")
		},
	}
	e := bucketing.NewEngine(bucketing.Options{})
	p, err := bucketing.NewPoller(e, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	loaded, err := p.LoadCache(ctx) // no cache file yet
	fmt.Println("cache:", loaded, err)
	changed, err := p.Fetch(ctx) // a 200: installed and cached
	fmt.Println("fetch:", changed, err)
	changed, err = p.Fetch(ctx) // a 304: nothing to do
	fmt.Println("fetch:", changed, err)
	// The owner would now run p.Run(ctx) in a goroutine it stops by
	// cancelling ctx, and waits for.

	// After a restart, the cached file decides before any download.
	srv.Close()
	e2 := bucketing.NewEngine(bucketing.Options{})
	p2, _ := bucketing.NewPoller(e2, opts)
	loaded, err = p2.LoadCache(ctx)
	fmt.Println("cache:", loaded, err)
	d, _ := e2.Decide(ctx, decision.Request{VisitorID: "carol"})
	fmt.Println(d.Campaigns[0].Variation.ID)
	// Output:
	// cache: false <nil>
	// installed from network "v1" 2 campaigns
	// fetch: true <nil>
	// fetch: false <nil>
	// installed from disk "v1" 2 campaigns
	// cache: true <nil>
	// var-blue
}

package visitor_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// exampleDecider assigns every visitor with plan "gold" to one campaign.
var exampleDecider = decision.DeciderFunc(func(_ context.Context, r decision.Request) (decision.Decision, error) {
	if r.Context["plan"] != "gold" {
		return decision.Decision{VisitorID: r.VisitorID}, nil
	}
	return decision.Decision{
		VisitorID: r.VisitorID,
		Campaigns: []decision.Assignment{{
			Campaign: &decision.Campaign{
				ID:             "c_banner",
				Name:           "Home banner",
				Slug:           "home-banner",
				Type:           "ab",
				VariationGroup: decision.VariationGroup{ID: "vg_all", Name: "All users"},
				Variation: decision.Variation{
					ID:   "var_blue",
					Name: "Variation 1",
					Modifications: decision.NewModifications("FLAG", map[string]any{
						"btn-color": "blue",
						"size":      12.0,
					}),
				},
			},
		}},
	}, nil
})

func ExampleNew() {
	v, err := visitor.New("user-4242", visitor.Attributes{"plan": "gold", "age": 31}, visitor.Config{
		EnvID:   "env_8h3k2",
		Decider: exampleDecider,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.String("btn-color", "red")) // not synchronized yet
	if err := v.Synchronize(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v.String("btn-color", "red"))
	fmt.Println(v.Int("size", 10))
	fmt.Println(v.Bool("missing", true))
	age, _ := v.ContextValue("age")
	fmt.Printf("%v %T\n", age, age)
	// Output:
	// red
	// blue
	// 12
	// true
	// 31 float64
}

func ExampleNew_invalidContext() {
	_, err := visitor.New("user-4242", visitor.Attributes{"tags": []string{"a"}}, visitor.Config{
		Decider: exampleDecider,
	})
	fmt.Println(err)
	// Output:
	// visitor: context key "tags": unsupported type []string (want a string, number or bool)
}

func ExampleVisitor_Info() {
	v, _ := visitor.New("user-4242", visitor.Attributes{"plan": "gold"}, visitor.Config{Decider: exampleDecider})
	_ = v.Synchronize(context.Background())

	info, ok := v.Info("btn-color")
	fmt.Println(ok, info.CampaignID, info.CampaignSlug, info.VariationGroupID, info.VariationID, info.ModificationType)
	_, ok = v.Info("missing")
	fmt.Println(ok)
	// Output:
	// true c_banner home-banner vg_all var_blue FLAG
	// false
}

func ExampleVisitor_Evaluate() {
	v, _ := visitor.New("user-4242", visitor.Attributes{"plan": "gold"}, visitor.Config{Decider: exampleDecider})
	fmt.Println(v.Evaluate("btn-color", "red").Reason)
	_ = v.Synchronize(context.Background())

	for _, key := range []string{"btn-color", "size", "missing"} {
		e := v.Evaluate(key, "red")
		fmt.Printf("%s: %v (%s)\n", e.Key, e.Value, e.Reason)
	}
	// Output:
	// not synchronized
	// btn-color: blue (found)
	// size: red (type mismatch)
	// missing: red (flag not found)
}

func ExampleVisitor_UpdateContextAndSynchronize() {
	v, _ := visitor.New("user-4242", nil, visitor.Config{Decider: exampleDecider})
	_ = v.Synchronize(context.Background())
	fmt.Println(v.String("btn-color", "red"))

	_ = v.UpdateContextAndSynchronize(context.Background(), visitor.Attributes{"plan": "gold"})
	fmt.Println(v.String("btn-color", "red"))
	// Output:
	// red
	// blue
}

// printTracker prints the records visitors hand it, in place of the SDK's
// durable queue, and what it is asked to purge.
type printTracker struct{}

func (printTracker) Enqueue(_ context.Context, r hits.Record) error {
	id := r.VisitorID()
	if r.AnonymousID() != "" {
		id += " (was " + r.AnonymousID() + ")"
	}
	fmt.Println("queued", r.Kind(), r.Type(), id, string(r.Fields()))
	return nil
}

func (printTracker) Purge(_ context.Context, _ string, visitorIDs ...string) error {
	fmt.Println("purge", visitorIDs)
	return nil
}

// exampleConfig is a visitor Config with a fixed clock and record ids, so
// that the examples print the same thing on every run.
func exampleConfig() visitor.Config {
	return visitor.Config{
		EnvID:   "env_8h3k2",
		Decider: exampleDecider,
		Tracker: printTracker{},
		Now:     func() time.Time { return time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC) },
		NewID:   func() uuid.UUID { return uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01") },
	}
}

// Activate reports that the visitor saw a flag's variation; Activating
// reads and activates at once. Repeats within DedupWindow are dropped.
func ExampleVisitor_Activate() {
	ctx := context.Background()
	v, _ := visitor.New("user-4242", visitor.Attributes{"plan": "gold"}, exampleConfig())
	_ = v.Synchronize(ctx)

	fmt.Println(v.Activate(ctx, "btn-color"))
	fmt.Println(v.Activating(ctx).String("btn-color", "red")) // a repeat: not queued again
	// No campaign sets "missing": the visitor saw the default, there is
	// nothing to activate and nothing is queued.
	fmt.Println(v.Activate(ctx, "missing"), v.Has("missing"))
	// Output:
	// queued activation ACTIVATION user-4242 {"caid":"vg_all","vaid":"var_blue"}
	// <nil>
	// blue
	// <nil> false
}

// SendHit validates the hit and hands it to the Tracker; an invalid hit
// is refused with an error naming the field.
func ExampleVisitor_SendHit() {
	ctx := context.Background()
	v, _ := visitor.New("user-4242", nil, exampleConfig())

	err := v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Value: 3})
	fmt.Println(err)

	err = v.SendHit(ctx, hits.Page{URL: "/checkout"})
	var verr *hits.ValidationError
	fmt.Println(errors.Is(err, hits.ErrInvalidHit), errors.As(err, &verr), verr.Field)
	// Output:
	// queued hit EVENT user-4242 {"ec":"Action Tracking","ea":"add_to_cart","ev":3}
	// <nil>
	// true true dl
}

// Without consent only the consent hit is sent. Withdrawing consent also
// asks the Tracker, when it is a Purger, to drop the visitor's queued
// hits.
func ExampleVisitor_SetConsent() {
	ctx := context.Background()
	v, _ := visitor.New("user-4242", nil, exampleConfig())

	fmt.Println(v.SetConsent(ctx, false))
	err := v.SendHit(ctx, hits.Screen{Name: "home"})
	fmt.Println(errors.Is(err, visitor.ErrNoConsent), v.HasConsented())
	// Output:
	// purge [user-4242]
	// queued consent EVENT user-4242 {"ec":"User Engagement","ea":"fs_consent","el":"go:false"}
	// <nil>
	// true false
}

// Authenticate switches to the customer id after a login; the anonymous
// id is kept for experience continuity, and hits carry both.
func ExampleVisitor_Authenticate() {
	ctx := context.Background()
	v, _ := visitor.New("anon-77", nil, exampleConfig())

	_ = v.Authenticate("user-4242")
	fmt.Println(v.ID(), v.AnonymousID())
	_ = v.SendHit(ctx, hits.Page{URL: "https://shop.example/account"})

	_ = v.Unauthenticate()
	fmt.Printf("%s %q\n", v.ID(), v.AnonymousID())
	err := v.Unauthenticate()
	fmt.Println(errors.Is(err, visitor.ErrNotAuthenticated))
	// Output:
	// user-4242 anon-77
	// queued hit PAGEVIEW user-4242 (was anon-77) {"dl":"https://shop.example/account"}
	// anon-77 ""
	// true
}

// Flags lists every flag of the visitor, sorted by key, with where it
// comes from.
func ExampleVisitor_Flags() {
	v, _ := visitor.New("user-4242", visitor.Attributes{"plan": "gold"}, visitor.Config{Decider: exampleDecider})
	_ = v.Synchronize(context.Background())

	for _, f := range v.Flags() {
		fmt.Println(f.Key, f.Value, f.Info.CampaignID, f.Info.VariationID)
	}
	fmt.Println(v.Has("size"), v.Has("missing"))
	// Output:
	// btn-color blue c_banner var_blue
	// size 12 c_banner var_blue
	// true false
}

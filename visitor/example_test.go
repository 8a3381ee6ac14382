package visitor_test

import (
	"context"
	"fmt"

	"github.com/seed27eed597/flagship-go/decision"
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

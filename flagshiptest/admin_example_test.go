package flagshiptest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http/httptest"
	"strings"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// A campaign created and switched on through the management API is what
// the Decision API serves; environment panic through it empties the
// answers. In a test, NewServer and Server.AdminClient do the set-up.
func ExampleHandler_management() {
	h, err := flagshiptest.NewHandler("env_1")
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	a := h.AdminAccess()
	adm, err := admin.New(a.AccountID, a.Credentials,
		admin.WithBaseURL(srv.URL+"/v1"), admin.WithAuthURL(srv.URL), admin.WithHTTPClient(srv.Client()))
	if err != nil {
		panic(err)
	}
	defer adm.Close()
	ctx := context.Background()
	decide := func() { // asks the Decision API for visitor v1's flags
		resp, err := srv.Client().Post(srv.URL+"/v2/env_1/campaigns", "application/json",
			strings.NewReader(`{"visitorId":"v1","trigger_hit":false}`))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var d struct {
			Campaigns []struct {
				Variation struct {
					Modifications struct{ Value map[string]any }
				}
			}
			Panic bool
		}
		if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
			panic(err)
		}
		flags := map[string]any{}
		for _, c := range d.Campaigns {
			maps.Copy(flags, c.Variation.Modifications.Value)
		}
		fmt.Println("panic:", d.Panic, "flags:", flags)
	}

	p, err := adm.CreateProject(ctx, admin.Project{Name: "shop"})
	if err != nil {
		panic(err)
	}
	c, err := adm.CreateCampaign(ctx, "env_1", admin.Campaign{
		ProjectID: p.ID, Name: "New checkout", Type: admin.TypeToggle,
		VariationGroups: []admin.VariationGroup{{Variations: []admin.Variation{{
			Name: "on", Reference: true, Allocation: 100,
			Modifications: &admin.Modifications{Value: map[string]any{"new_checkout": true}},
		}}}},
	})
	if err != nil {
		panic(err)
	}
	decide() // a draft: not served
	if err := adm.SwitchCampaign(ctx, "env_1", c.ID, admin.StatusActive); err != nil {
		panic(err)
	}
	decide()
	if err := adm.SetPanic(ctx, "env_1", true); err != nil {
		panic(err)
	}
	decide()
	// Output:
	// panic: false flags: map[]
	// panic: false flags: map[new_checkout:true]
	// panic: true flags: map[]
}

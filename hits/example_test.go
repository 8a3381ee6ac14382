package hits_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/hits"
)

func ExampleNewRecord() {
	id := uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01")
	created := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

	r, err := hits.NewRecord(id, "env_8h3k2", "user-4242", "", created, hits.Event{
		Category: hits.ActionTracking,
		Action:   "add_to_cart",
		Label:    "sku-12",
		Value:    3,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Kind(), r.Type())
	fmt.Println(string(r.Fields()))

	_, err = hits.NewRecord(id, "env_8h3k2", "user-4242", "", created, hits.Page{URL: "/checkout"})
	var verr *hits.ValidationError
	fmt.Println(errors.Is(err, hits.ErrInvalidHit), errors.As(err, &verr), verr.Field)
	fmt.Println(err)
	// Output:
	// hit EVENT
	// {"ec":"Action Tracking","ea":"add_to_cart","el":"sku-12","ev":3}
	// true true dl
	// hits: invalid PAGEVIEW: URL (dl) must be an absolute URL
}

func ExampleAppendEventsBatch() {
	created := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	page, err := hits.NewRecord(uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01"),
		"env_8h3k2", "user-4242", "anon-77", created, hits.Page{URL: "https://shop.example/checkout"})
	if err != nil {
		fmt.Println(err)
		return
	}
	consent, err := hits.NewRecord(uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a02"),
		"env_8h3k2", "anon-78", "", created.Add(time.Second), hits.Consent{Consented: true})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Encode at send time: qt is the age of each record at that moment.
	now := created.Add(1500 * time.Millisecond)
	body, err := hits.AppendEventsBatch(nil, "env_8h3k2", []hits.Record{page, consent}, now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(body))
	// Output:
	// {"cid":"env_8h3k2","ds":"APP","t":"BATCH","qt":0,"h":[{"t":"PAGEVIEW","vid":"anon-77","cuid":"user-4242","qt":1500,"dl":"https://shop.example/checkout"},{"t":"EVENT","vid":"anon-78","cuid":null,"qt":500,"ec":"User Engagement","ea":"fs_consent","el":"go:true"}]}
}

func ExampleAppendActivationBatch() {
	created := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	act, err := hits.NewRecord(uuid.MustParse("0b6c1f1e-6a55-4c59-9d0e-3d6f0f1c2a01"),
		"env_8h3k2", "user-4242", "anon-77", created,
		hits.Activation{VariationGroupID: "vg_all", VariationID: "var_blue"})
	if err != nil {
		fmt.Println(err)
		return
	}
	body, err := hits.AppendActivationBatch(nil, "env_8h3k2", []hits.Record{act}, created.Add(1830*time.Millisecond))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(act.Kind())
	fmt.Println(string(body))
	// Output:
	// activation
	// {"cid":"env_8h3k2","batch":[{"vid":"user-4242","aid":"anon-77","caid":"vg_all","vaid":"var_blue","qt":1830}]}
}

func ExampleResolution() {
	hit := hits.Screen{Name: "home", Common: hits.Common{ScreenResolution: hits.Resolution(640, 480)}}
	fmt.Println(hit.ScreenResolution, hit.Validate())
	// Output: 640x480 <nil>
}

// A ValidationError names the first rule a hit breaks, with the field's
// wire name and Go name; it wraps ErrInvalidHit.
func ExampleValidationError() {
	err := hits.Transaction{ID: "T-1001", Affiliation: "checkout", Revenue: 59.9, Currency: "euro"}.Validate()
	var verr *hits.ValidationError
	if errors.As(err, &verr) {
		fmt.Println(verr.Type, verr.Field, verr.Name)
		fmt.Println(verr.Rule)
	}
	fmt.Println(errors.Is(err, hits.ErrInvalidHit))

	err = hits.Event{Category: "Clicks", Action: "checkout"}.Validate()
	fmt.Println(err)
	// Output:
	// TRANSACTION tc Currency
	// must be 3 ASCII letters (ISO 4217)
	// true
	// hits: invalid EVENT: Category (ec) must be "Action Tracking" or "User Engagement"
}

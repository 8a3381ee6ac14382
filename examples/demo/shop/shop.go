package shop

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

const shopURL = "https://shop.example"

// shop is the simulated web shop: each visit is one visitor's session,
// served the way a handler using the SDK would serve it.
type shop struct {
	client *flagship.Client
	// explainer is a bucketing engine on the same file, used only to tell
	// which campaigns' targeting each visitor matched, so that the report
	// can show the split among the visitors a campaign was open to.
	explainer *bucketing.Engine
}

var (
	devices   = weighted[string]{{"mobile", 55}, {"desktop", 45}}
	countries = weighted[string]{{"FR", 30}, {"DE", 20}, {"GB", 20}, {"US", 20}, {"ES", 10}}
	loyalties = weighted[string]{{"none", 50}, {"silver", 30}, {"gold", 20}}
	products  = []struct {
		sku, name, category string
		price               float64
	}{
		{"SKU-TEE", "Organic T-shirt", "apparel", 24.90},
		{"SKU-MUG", "Enamel mug", "kitchen", 12.50},
		{"SKU-BAG", "Canvas tote", "accessories", 19.00},
		{"SKU-CAP", "Wool cap", "apparel", 29.00},
		{"SKU-PEN", "Fountain pen", "stationery", 45.00},
	}
)

type weighted[T any] []struct {
	v T
	w int
}

func (ws weighted[T]) pick(r *rand.Rand) T {
	n := r.IntN(100)
	for _, x := range ws {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return ws[len(ws)-1].v
}

// visit runs visitor i through the shop: home page, product page, maybe
// the cart and checkout, maybe a purchase. Its random choices depend only
// on i, so that every run simulates the same visitors.
func (s *shop) visit(ctx context.Context, i int, t *tally) error {
	r := rand.New(rand.NewPCG(0x5eed, uint64(i)))
	id := fmt.Sprintf("visitor-%05d", i)
	attrs := visitor.Attributes{
		"device":    devices.pick(r),
		"country":   countries.pick(r),
		"loyalty":   loyalties.pick(r),
		"returning": r.IntN(100) < 40,
	}
	v, err := s.client.NewVisitor(id, attrs)
	if err != nil {
		return err
	}
	// send and activate note each record the shop made, for the report to
	// match against what the local server received.
	send := func(h hits.Hit) error {
		if err := v.SendHit(ctx, h); err != nil {
			return err
		}
		t.expect(hitKey(id, h))
		return nil
	}
	activate := func(key string) error {
		info, _ := v.Info(key)
		if err := v.Activate(ctx, key); err != nil {
			return err
		}
		t.expect(activationKey(id, info.VariationID))
		return nil
	}

	// Home page. The first Synchronize decides locally and queues the
	// visitor's context (a SEGMENT hit) durably.
	begin := time.Now()
	if err := v.Synchronize(ctx); err != nil {
		return err
	}
	t.syncLatencies = append(t.syncLatencies, time.Since(begin))
	t.expect(segmentKey(id)) // the context hit of the first Synchronize
	if v.Bool("darkMode", false) {
		if err := activate("darkMode"); err != nil {
			return err
		}
	}
	if err := send(hits.Page{URL: shopURL + "/"}); err != nil {
		return err
	}

	// Product page: the multivariate test's layout and button text.
	p := products[r.IntN(len(products))]
	layout := v.String("productLayout", "grid")
	cta := v.String("ctaText", "Add to cart")
	if v.Has("productLayout") {
		if err := activate("productLayout"); err != nil {
			return err
		}
	}
	if err := send(hits.Page{URL: shopURL + "/products/" + p.sku}); err != nil {
		return err
	}
	addChance := 45
	if cta == "Buy now" {
		addChance += 6
	}
	if layout == "list" {
		addChance += 3
	}
	added := r.IntN(100) < addChance
	var purchased bool
	defer func() { t.record(v, s.eligibility(ctx, id, attrs), purchased) }()
	if !added {
		return nil
	}
	if err := send(hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: p.sku}); err != nil {
		return err
	}

	// Checkout: synchronize again for the latest flags. The context has
	// not changed, so this is the decision alone.
	begin = time.Now()
	if err := v.Synchronize(ctx); err != nil {
		return err
	}
	t.decideLatencies = append(t.decideLatencies, time.Since(begin))
	flow := v.String("checkoutFlow", "classic")
	threshold := v.Float64("freeShippingThreshold", 50)
	for _, key := range []string{"checkoutFlow", "freeShippingThreshold"} {
		if v.Has(key) {
			if err := activate(key); err != nil {
				return err
			}
		}
	}
	if err := send(hits.Page{URL: shopURL + "/checkout"}); err != nil {
		return err
	}
	buyChance := 30
	if flow == "one-page" {
		buyChance += 8
	}
	if threshold == 0 {
		buyChance += 5
	}
	if r.IntN(100) >= buyChance {
		return nil
	}

	// Purchase: the transaction, one item hit per line, and an event.
	lines := []struct {
		sku, name, category string
		price               float64
	}{p}
	if r.IntN(100) < 40 {
		lines = append(lines, products[r.IntN(len(products))])
	}
	var revenue float64
	for _, l := range lines {
		revenue += l.price
	}
	shipping := 4.90
	if revenue >= threshold {
		shipping = 0
	}
	tid := fmt.Sprintf("T-%05d", i)
	if err := send(hits.Transaction{
		ID: tid, Affiliation: "checkout", Revenue: revenue + shipping, Shipping: shipping,
		Currency: "EUR", ItemCount: len(lines), PaymentMethod: "card", ShippingMethod: "standard",
	}); err != nil {
		return err
	}
	for _, l := range lines {
		if err := send(hits.Item{
			TransactionID: tid, Name: l.name, Code: l.sku, Price: l.price, Quantity: 1, Category: l.category,
		}); err != nil {
			return err
		}
	}
	if err := send(hits.Event{Category: hits.ActionTracking, Action: "purchase", Label: tid}); err != nil {
		return err
	}
	purchased = true
	t.revenue += revenue + shipping
	return nil
}

// eligibility returns the ids of the campaigns whose targeting the visitor
// matched, whether or not the allocation gave it a variation.
func (s *shop) eligibility(ctx context.Context, id string, attrs visitor.Attributes) map[string]bool {
	x, err := s.explainer.Explain(ctx, decision.Request{VisitorID: id, Context: map[string]any(attrs)})
	if err != nil {
		return nil
	}
	in := make(map[string]bool, len(x.Campaigns))
	for _, c := range x.Campaigns {
		if c.VariationGroupID != "" {
			in[c.CampaignID] = true
		}
	}
	return in
}

// Keys identifying records, the same for what the shop sent and what the
// local server received: the visitor, the type, and what tells the
// visitor's records of that type apart.
func hitKey(visitorID string, h hits.Hit) string {
	switch h := h.(type) {
	case hits.Page:
		return "PAGEVIEW|" + visitorID + "|" + h.URL
	case hits.Event:
		return "EVENT|" + visitorID + "|" + h.Action + "|" + h.Label
	case hits.Transaction:
		return "TRANSACTION|" + visitorID + "|" + h.ID
	case hits.Item:
		return "ITEM|" + visitorID + "|" + h.TransactionID + "|" + h.Code
	}
	return fmt.Sprintf("%s|%s|%T", h.HitType(), visitorID, h)
}

func segmentKey(visitorID string) string { return "SEGMENT|" + visitorID }

func activationKey(visitorID, variationID string) string {
	return "ACTIVATION|" + visitorID + "|" + variationID
}

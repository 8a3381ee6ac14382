package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Flags the shop reads, with the values served when the visitor has none
// (no campaign, Flagship unreachable, panic mode).
const (
	flagCTAColor     = "cta_color" // the colour of the buy buttons on /
	defaultCTAColor  = "blue"
	flagBanner       = "banner" // a banner on /; "" shows none
	defaultBanner    = ""
	flagCheckoutFlow = "checkout_flow" // "classic" or "one_page"
	defaultFlow      = "classic"
)

const (
	currency        = "EUR"
	maxPurchaseBody = 64 << 10
	maxLines        = 20 // lines per purchase
	maxQuantity     = 10 // units per line
)

// product is an article of the catalog. Prices are in cents.
type product struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	PriceCents int64  `json:"price_cents"`
}

// catalog returns the shop's articles.
func catalog() []product {
	return []product{
		{SKU: "TEE-001", Name: "Gopher T-shirt", Category: "apparel", PriceCents: 1990},
		{SKU: "MUG-002", Name: "Gopher mug", Category: "kitchen", PriceCents: 990},
		{SKU: "STK-003", Name: "Sticker pack", Category: "stationery", PriceCents: 450},
	}
}

// shop serves the shop's routes. It is safe for concurrent use.
type shop struct {
	client   *flagship.Client
	log      *slog.Logger
	products []product
	bySKU    map[string]product
}

// newServer returns the shop's handler: GET /, GET /checkout and
// POST /purchase behind the visitor middleware, and GET /healthz, which
// needs no visitor. The client stays the caller's.
func newServer(client *flagship.Client, logger *slog.Logger) http.Handler {
	s := &shop{client: client, log: logger, products: catalog(), bySKU: map[string]product{}}
	for _, p := range s.products {
		s.bySKU[p.SKU] = p
	}
	mux := http.NewServeMux()
	withVisitor := func(h http.HandlerFunc) http.Handler { return visitorMiddleware(client, logger, h) }
	mux.Handle("GET /{$}", withVisitor(s.index))
	mux.Handle("GET /checkout", withVisitor(s.checkout))
	mux.Handle("POST /purchase", withVisitor(s.purchase))
	mux.HandleFunc("GET /healthz", s.healthz)
	return mux
}

// indexResponse is the home page: the catalog and how to show it.
type indexResponse struct {
	VisitorID string    `json:"visitor_id"`
	CTAColor  string    `json:"cta_color"`
	Banner    string    `json:"banner,omitempty"`
	Currency  string    `json:"currency"`
	Products  []product `json:"products"`
}

// index serves the product list. The cta_color and banner flags decide
// how it looks, and are activated as they are read: the visitor sees
// them. It sends a PAGEVIEW hit.
func (s *shop) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.mustVisitor(r)
	// Activating reads activate the flag they read, when a campaign sets
	// it; a default served is not activated.
	show := v.Activating(ctx)
	resp := indexResponse{
		VisitorID: v.ID(),
		CTAColor:  show.String(flagCTAColor, defaultCTAColor),
		Banner:    show.String(flagBanner, defaultBanner),
		Currency:  currency,
		Products:  s.products,
	}
	s.sendHit(r, v, hits.Page{URL: pageURL(r)})
	s.writeJSON(w, r, http.StatusOK, resp)
}

// checkoutResponse is the checkout flow to show.
type checkoutResponse struct {
	Flow  string   `json:"flow"`
	Steps []string `json:"steps"`
}

// checkout serves the checkout flow the checkout_flow flag selects, then
// activates it: here the activation is explicit, after the answer is
// built.
func (s *shop) checkout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := s.mustVisitor(r)
	resp := checkoutResponse{Flow: v.String(flagCheckoutFlow, defaultFlow)}
	switch resp.Flow {
	case "one_page":
		resp.Steps = []string{"cart", "payment"}
	default:
		resp.Flow = defaultFlow // an unknown value from the dashboard
		resp.Steps = []string{"cart", "address", "shipping", "payment", "review"}
	}
	s.sendHit(r, v, hits.Page{URL: pageURL(r)})
	s.writeJSON(w, r, http.StatusOK, resp)
	if err := v.Activate(ctx, flagCheckoutFlow); err != nil {
		// A visitor without a variation (the default was shown) activates
		// nothing and gets nil. A failure costs the report one exposure.
		s.log.LogAttrs(ctx, slog.LevelWarn, "activation failed", slog.String("flag", flagCheckoutFlow), slog.Any("err", err))
	}
}

// purchaseRequest is the body of POST /purchase.
type purchaseRequest struct {
	Items []purchaseLine `json:"items"`
}

type purchaseLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// purchaseResponse confirms an order.
type purchaseResponse struct {
	OrderID    string `json:"order_id"`
	TotalCents int64  `json:"total_cents"`
	Currency   string `json:"currency"`
	Items      int    `json:"items"`
}

// purchase records an order and tracks it: a TRANSACTION hit, an ITEM hit
// per line, and an EVENT labelled with the checkout flow the visitor was
// shown. Tracking failures are logged: the order stands.
func (s *shop) purchase(w http.ResponseWriter, r *http.Request) {
	v := s.mustVisitor(r)
	req, err := decodePurchase(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type line struct {
		p        product
		quantity int
	}
	lines := make([]line, 0, len(req.Items))
	seen := map[string]bool{}
	var total int64
	units := 0
	for i, it := range req.Items {
		p, ok := s.bySKU[it.SKU]
		switch {
		case !ok:
			http.Error(w, fmt.Sprintf("items[%d]: unknown sku %q", i, it.SKU), http.StatusBadRequest)
			return
		case seen[it.SKU]:
			http.Error(w, fmt.Sprintf("items[%d]: sku %q already ordered", i, it.SKU), http.StatusBadRequest)
			return
		case it.Quantity < 1 || it.Quantity > maxQuantity:
			http.Error(w, fmt.Sprintf("items[%d]: quantity %d: want 1 to %d", i, it.Quantity, maxQuantity), http.StatusBadRequest)
			return
		}
		seen[it.SKU] = true
		lines = append(lines, line{p, it.Quantity})
		total += p.PriceCents * int64(it.Quantity)
		units += it.Quantity
	}

	// A real shop would charge and store the order here.
	orderID := "ord-" + uuid.NewString()

	// The Item hits must follow their Transaction.
	s.sendHit(r, v, hits.Transaction{
		ID:          orderID,
		Affiliation: "purchase",
		Revenue:     euros(total),
		Currency:    currency,
		ItemCount:   units,
	})
	for _, l := range lines {
		s.sendHit(r, v, hits.Item{
			TransactionID: orderID,
			Name:          l.p.Name,
			Code:          l.p.SKU,
			Price:         euros(l.p.PriceCents),
			Quantity:      l.quantity,
			Category:      l.p.Category,
		})
	}
	s.sendHit(r, v, hits.Event{
		Category: hits.ActionTracking,
		Action:   "purchase",
		Label:    v.String(flagCheckoutFlow, defaultFlow),
	})
	s.writeJSON(w, r, http.StatusCreated, purchaseResponse{
		OrderID: orderID, TotalCents: total, Currency: currency, Items: units,
	})
}

// decodePurchase reads and checks the body of POST /purchase.
func decodePurchase(w http.ResponseWriter, r *http.Request) (purchaseRequest, error) {
	var req purchaseRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPurchaseBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("invalid body: %w", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return req, errors.New("invalid body: want a single JSON object")
	}
	if len(req.Items) == 0 || len(req.Items) > maxLines {
		return req, fmt.Errorf("items: want 1 to %d lines", maxLines)
	}
	return req, nil
}

// healthzResponse reports the service's health and the SDK's status.
type healthzResponse struct {
	Status   string `json:"status"`
	Flagship string `json:"flagship"`
}

// healthz answers 200 as long as the service runs: without Flagship the
// shop still works, on default flags, so the SDK's status (NOT_READY,
// READY, PANIC) is reported, not judged.
func (s *shop) healthz(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, healthzResponse{Status: "ok", Flagship: s.client.Status().String()})
}

// mustVisitor returns the request's visitor. The routes that call it are
// behind visitorMiddleware, so it is always there.
func (s *shop) mustVisitor(r *http.Request) *visitor.Visitor {
	v, ok := visitorFrom(r.Context())
	if !ok {
		panic("webshop: no visitor in the request context: route not behind visitorMiddleware")
	}
	return v
}

// sendHit queues h for delivery, logging a failure: tracking never fails
// a request.
func (s *shop) sendHit(r *http.Request, v *visitor.Visitor, h hits.Hit) {
	if err := v.SendHit(r.Context(), h); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "hit not sent", slog.String("type", string(h.HitType())), slog.Any("err", err))
	}
}

// writeJSON writes v as the JSON answer.
func (s *shop) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "writing the answer failed", slog.Any("err", err))
	}
}

// pageURL returns the absolute URL of the request's page, without its
// query (which may hold personal data), for PAGEVIEW hits.
func pageURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path}).String()
}

// euros converts cents to the amounts hits carry.
func euros(cents int64) float64 { return float64(cents) / 100 }

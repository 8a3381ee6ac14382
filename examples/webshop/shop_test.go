package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestDeviceTargeting checks that the context the middleware derives
// from the request reaches the decision, in both modes: the orange button
// of the campaign targeting device == "mobile" goes to phones only, and
// only phones activate it.
func TestDeviceTargeting(t *testing.T) {
	tests := []struct {
		name       string
		giveUA     string
		giveHeader []string
		wantColor  string
		wantBanner string
		wantGroups []string
	}{
		{name: "mobile", giveUA: mobileUA, wantColor: "orange", wantGroups: []string{"vg_mobile-cta"}},
		{name: "desktop", giveUA: desktopUA, wantColor: defaultCTAColor},
		{name: "no user agent", wantColor: defaultCTAColor},
		{
			name: "desktop pro", giveUA: desktopUA, giveHeader: []string{"X-Plan", "pro"},
			wantColor: defaultCTAColor, wantBanner: "Free shipping for pro members", wantGroups: []string{"vg_pro-banner"},
		},
	}
	for _, mode := range modes() {
		for _, tt := range tests {
			t.Run(mode.String()+"/"+tt.name, func(t *testing.T) {
				shop := newTestShop(t, mode, flagshiptest.WithCampaigns(testCampaigns()...))
				var got indexResponse
				shop.do(t, "GET", "/", "", &got, append([]string{"User-Agent", tt.giveUA}, tt.giveHeader...)...)
				assert.Equal(t, tt.wantColor, got.CTAColor)
				assert.Equal(t, tt.wantBanner, got.Banner)
				assert.Len(t, got.Products, len(catalog()))

				shop.flush(t)
				assert.Equal(t, tt.wantGroups, shop.activatedGroups(t, got.VisitorID))
			})
		}
	}
}

// TestPurchase goes through the shop and checks what Flagship received:
// the page views, the transaction and its items under the order's id, the
// conversion event, and one activation per flag shown.
func TestPurchase(t *testing.T) {
	for _, mode := range modes() {
		t.Run(mode.String(), func(t *testing.T) {
			shop := newTestShop(t, mode, flagshiptest.WithCampaigns(testCampaigns()...))

			var home indexResponse
			shop.do(t, "GET", "/", "", &home, "User-Agent", mobileUA)
			require.Equal(t, "orange", home.CTAColor)
			var checkout checkoutResponse
			shop.do(t, "GET", "/checkout", "", &checkout, "User-Agent", mobileUA)
			assert.Equal(t, checkoutResponse{Flow: "one_page", Steps: []string{"cart", "payment"}}, checkout)
			var order purchaseResponse
			resp := shop.do(t, "POST", "/purchase",
				`{"items":[{"sku":"TEE-001","quantity":2},{"sku":"STK-003","quantity":1}]}`, &order,
				"User-Agent", mobileUA, "Content-Type", "application/json")
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			assert.True(t, strings.HasPrefix(order.OrderID, "ord-"), order.OrderID)
			assert.Equal(t, purchaseResponse{OrderID: order.OrderID, TotalCents: 2*1990 + 450, Currency: "EUR", Items: 3}, order)

			shop.flush(t)
			id := home.VisitorID
			assert.Equal(t, id, shop.cookie(t))

			var pages []any
			for _, h := range shop.hitsOf("PAGEVIEW") {
				assert.Equal(t, id, h.VisitorID)
				pages = append(pages, h.Fields["dl"])
			}
			assert.Equal(t, []any{shop.url + "/", shop.url + "/checkout"}, pages)

			tx := shop.hitsOf("TRANSACTION")
			require.Len(t, tx, 1)
			assert.Equal(t, id, tx[0].VisitorID)
			assert.Equal(t, order.OrderID, tx[0].Fields["tid"])
			assert.Equal(t, "purchase", tx[0].Fields["ta"])
			assert.Equal(t, 44.3, tx[0].Fields["tr"])
			assert.Equal(t, "EUR", tx[0].Fields["tc"])
			assert.Equal(t, 3.0, tx[0].Fields["icn"])

			type item struct {
				tid, code string
				price     float64
				quantity  float64
			}
			var items []item
			for _, h := range shop.hitsOf("ITEM") {
				assert.Equal(t, id, h.VisitorID)
				items = append(items, item{h.Fields["tid"].(string), h.Fields["ic"].(string), h.Fields["ip"].(float64), h.Fields["iq"].(float64)})
			}
			assert.Equal(t, []item{{order.OrderID, "TEE-001", 19.9, 2}, {order.OrderID, "STK-003", 4.5, 1}}, items)

			events := shop.hitsOf("EVENT")
			require.Len(t, events, 1)
			assert.Equal(t, "Action Tracking", events[0].Fields["ec"])
			assert.Equal(t, "purchase", events[0].Fields["ea"])
			assert.Equal(t, "one_page", events[0].Fields["el"])

			// The button on / and the flow on /checkout; /purchase
			// reads the flow for its event label but shows nothing, so
			// it activates nothing.
			assert.Equal(t, []string{"vg_mobile-cta", "vg_checkout-flow"}, shop.activatedGroups(t, id))
		})
	}
}

func TestPurchaseInvalid(t *testing.T) {
	tests := []struct {
		name     string
		giveBody string
		wantErr  string
	}{
		{name: "not JSON", giveBody: `items`, wantErr: "invalid body"},
		{name: "unknown field", giveBody: `{"items":[{"sku":"TEE-001","quantity":1}],"total":0}`, wantErr: `unknown field "total"`},
		{name: "two objects", giveBody: `{"items":[{"sku":"TEE-001","quantity":1}]}{}`, wantErr: "single JSON object"},
		{name: "no items", giveBody: `{"items":[]}`, wantErr: "want 1 to 20 lines"},
		{name: "unknown sku", giveBody: `{"items":[{"sku":"NOPE","quantity":1}]}`, wantErr: `items[0]: unknown sku "NOPE"`},
		{name: "zero quantity", giveBody: `{"items":[{"sku":"TEE-001","quantity":0}]}`, wantErr: "items[0]: quantity 0"},
		{name: "too many", giveBody: `{"items":[{"sku":"TEE-001","quantity":11}]}`, wantErr: "items[0]: quantity 11"},
		{
			name: "same sku twice", giveBody: `{"items":[{"sku":"TEE-001","quantity":1},{"sku":"TEE-001","quantity":1}]}`,
			wantErr: `items[1]: sku "TEE-001" already ordered`,
		},
	}
	shop := newTestShop(t, flagship.DecisionAPI)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "POST", shop.url+"/purchase", strings.NewReader(tt.giveBody))
			require.NoError(t, err)
			resp, err := shop.http.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Contains(t, string(body), tt.wantErr)
		})
	}
	shop.flush(t)
	assert.Empty(t, shop.hitsOf("TRANSACTION"))
	assert.Empty(t, shop.hitsOf("ITEM"))
}

func TestRoutes(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI)
	tests := []struct {
		giveMethod, givePath string
		wantStatus           int
	}{
		{giveMethod: "GET", givePath: "/nope", wantStatus: http.StatusNotFound},
		{giveMethod: "POST", givePath: "/", wantStatus: http.StatusMethodNotAllowed},
		{giveMethod: "GET", givePath: "/purchase", wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.giveMethod+" "+tt.givePath, func(t *testing.T) {
			resp := shop.do(t, tt.giveMethod, tt.givePath, "", nil)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
		})
	}
	assert.Empty(t, shop.flagship.DecisionRequests(), "no visitor for unknown routes")
}

func TestHealthz(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI)
	var got healthzResponse
	resp := shop.do(t, "GET", "/healthz", "", &got)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, healthzResponse{Status: "ok", Flagship: "READY"}, got)
	assert.Empty(t, resp.Cookies(), "health checks are not visitors")
	assert.Empty(t, shop.flagship.DecisionRequests())
}

// TestDefaultsWhenFlagshipFails checks that the shop serves default flags
// when the Decision API fails, and still tracks.
func TestDefaultsWhenFlagshipFails(t *testing.T) {
	shop := newTestShop(t, flagship.DecisionAPI, flagshiptest.WithCampaigns(testCampaigns()...))
	shop.flagship.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: http.StatusServiceUnavailable})

	var home indexResponse
	resp := shop.do(t, "GET", "/", "", &home, "User-Agent", mobileUA)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, defaultCTAColor, home.CTAColor)
	var checkout checkoutResponse
	shop.do(t, "GET", "/checkout", "", &checkout, "User-Agent", mobileUA)
	assert.Equal(t, defaultFlow, checkout.Flow)

	shop.flush(t)
	assert.Len(t, shop.hitsOf("PAGEVIEW"), 2)
	assert.Empty(t, shop.flagship.Activations(), "defaults are not activated")
}

// TestDemoCampaigns runs the shop on campaigns.json, the file the package
// documentation serves with "flagship serve".
func TestDemoCampaigns(t *testing.T) {
	data, err := os.ReadFile("campaigns.json")
	require.NoError(t, err)
	_, err = bucketing.Parse(data)
	require.NoError(t, err)

	shop := newTestShop(t, flagship.Bucketing, flagshiptest.WithBucketingFile(data))
	var home indexResponse
	shop.do(t, "GET", "/", "", &home, "User-Agent", mobileUA, "X-Plan", "pro")
	assert.Equal(t, "orange", home.CTAColor)
	assert.Equal(t, "Free shipping for pro members", home.Banner)
	var checkout checkoutResponse
	shop.do(t, "GET", "/checkout", "", &checkout)
	assert.Contains(t, []string{"classic", "one_page"}, checkout.Flow)

	shop.flush(t)
	assert.ElementsMatch(t, []string{"vg_mobile-cta", "vg_pro-banner", "vg_checkout-flow"}, shop.activatedGroups(t, home.VisitorID))
}

package hits_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

const badUTF8 = "a\xffb"

func validPage() hits.Page { return hits.Page{URL: "https://shop.example/checkout"} }

func validTransaction() hits.Transaction {
	return hits.Transaction{ID: "#309830", Affiliation: "purchases"}
}

func validItem() hits.Item {
	return hits.Item{TransactionID: "#309830", Name: "ATX2080", Code: "cg_atx_20802020"}
}

func validEvent() hits.Event {
	return hits.Event{Category: hits.ActionTracking, Action: "add_to_cart"}
}

// with returns a copy of h changed by f.
func with[H any](h H, f func(*H)) H {
	f(&h)
	return h
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name string
		give hits.Hit
	}{
		{name: "page", give: validPage()},
		{name: "page with query, fragment and unicode", give: hits.Page{URL: "http://shop.example:8080/caf\u00e9?a=1&b=<2>#top"}},
		{name: "page URL of exactly 2048 bytes", give: hits.Page{URL: "https://x.example/" + strings.Repeat("a", 2048-18)}},
		{name: "page with all common fields", give: hits.Page{URL: "https://x.example", Common: hits.Common{
			UserIP: "203.0.113.7", ScreenResolution: "1920x1080", Language: "fr-fr", SessionNumber: 3, SessionTimestamp: 1767225600,
		}}},
		{name: "common IPv6", give: hits.Screen{Name: "home", Common: hits.Common{UserIP: "2001:db8::1"}}},
		{name: "common IPv4-mapped IPv6", give: hits.Screen{Name: "home", Common: hits.Common{UserIP: "::ffff:192.0.2.1"}}},
		{name: "common resolution 1x1", give: hits.Screen{Name: "home", Common: hits.Common{ScreenResolution: "1x1"}}},
		{name: "common language of 20 bytes", give: hits.Screen{Name: "home", Common: hits.Common{Language: strings.Repeat("l", 20)}}},
		{name: "screen", give: hits.Screen{Name: "Checkout \u2192 pay"}},
		{name: "transaction", give: validTransaction()},
		{name: "transaction with all fields", give: hits.Transaction{
			ID: "#1", Affiliation: "purchases", Revenue: 120.5, Shipping: 4.99, Tax: 20.1, Currency: "EUR",
			CouponCode: "SUMMER2026", PaymentMethod: "card", ShippingMethod: "express", ItemCount: 3,
		}},
		{name: "transaction refund with negative revenue", give: with(validTransaction(), func(h *hits.Transaction) { h.Revenue = -12.5 })},
		{name: "transaction lower-case currency", give: with(validTransaction(), func(h *hits.Transaction) { h.Currency = "eur" })},
		{name: "item", give: validItem()},
		{name: "item with all fields", give: hits.Item{TransactionID: "#1", Name: "GPU", Code: "sku-1", Price: 599.99, Quantity: 2, Category: "hardware"}},
		{name: "event action tracking", give: validEvent()},
		{name: "event user engagement with label and value", give: hits.Event{Category: hits.UserEngagement, Action: "click_basket", Label: "basket button", Value: 7}},
		{name: "event action of 500 bytes", give: hits.Event{Category: hits.ActionTracking, Action: strings.Repeat("a", 500)}},
		{name: "segment", give: hits.Segment{Context: map[string]any{
			"s": "x", "b": true, "f64": 1.5, "f32": float32(2.5), "i": 31, "i8": int8(-8), "i16": int16(16), "i32": int32(32),
			"i64": int64(64), "u": uint(1), "u8": uint8(8), "u16": uint16(16), "u32": uint32(32), "u64": uint64(64), "": "empty key",
		}}},
		{name: "activation", give: hits.Activation{VariationGroupID: "vg_all", VariationID: "var_blue"}},
		{name: "consent true", give: hits.Consent{Consented: true}},
		{name: "consent false", give: hits.Consent{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.NoError(t, tt.give.Validate())
		})
	}
}

func TestValidateRejects(t *testing.T) {
	const (
		required  = "is required"
		utf8Rule  = "must be valid UTF-8"
		absURL    = "must be an absolute URL"
		negative  = "must not be negative"
		finite    = "must be a finite number"
		ipRule    = "must be an IPv4 or IPv6 address"
		srRule    = `must be "<width>x<height>" with positive integers`
		currency  = "must be 3 ASCII letters (ISO 4217)"
		category  = `must be "Action Tracking" or "User Engagement"`
		max10     = "must be at most 10 bytes"
		max500    = "must be at most 500 bytes"
		max2048   = "must be at most 2048 bytes"
		notEmpty  = "must not be empty"
		notScalar = "must be a string, bool or number, not "
	)
	long := func(n int) string { return strings.Repeat("x", n) }
	page := func(c hits.Common) hits.Page { return hits.Page{URL: "https://x.example", Common: c} }
	tests := []struct {
		name      string
		give      hits.Hit
		wantType  hits.Type
		wantField string
		wantName  string
		wantRule  string
	}{
		{"page URL missing", hits.Page{}, hits.TypePage, "dl", "URL", required},
		{"page URL relative", hits.Page{URL: "/checkout"}, hits.TypePage, "dl", "URL", absURL},
		{"page URL without host", hits.Page{URL: "mailto:a@b.example"}, hits.TypePage, "dl", "URL", absURL},
		{"page URL without scheme", hits.Page{URL: "//shop.example/x"}, hits.TypePage, "dl", "URL", absURL},
		{"page URL unparsable", hits.Page{URL: "https://[::1"}, hits.TypePage, "dl", "URL", absURL},
		{"page URL with control character", hits.Page{URL: "https://x.example/\n"}, hits.TypePage, "dl", "URL", absURL},
		{"page URL too long", hits.Page{URL: "https://x.example/" + long(2048-17)}, hits.TypePage, "dl", "URL", max2048},
		{"page URL invalid UTF-8", hits.Page{URL: "https://x.example/" + badUTF8}, hits.TypePage, "dl", "URL", utf8Rule},
		{"common IP garbage", page(hits.Common{UserIP: "not-an-ip"}), hits.TypePage, "uip", "UserIP", ipRule},
		{"common IP truncated", page(hits.Common{UserIP: "1.2.3"}), hits.TypePage, "uip", "UserIP", ipRule},
		{"common IP with zone", page(hits.Common{UserIP: "fe80::1%eth0"}), hits.TypePage, "uip", "UserIP", ipRule},
		{"common resolution without x", page(hits.Common{ScreenResolution: "640"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution without height", page(hits.Common{ScreenResolution: "640x"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution without width", page(hits.Common{ScreenResolution: "x480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution zero width", page(hits.Common{ScreenResolution: "0x480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution zero height", page(hits.Common{ScreenResolution: "640x0"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution negative", page(hits.Common{ScreenResolution: "-640x480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution with sign", page(hits.Common{ScreenResolution: "+640x480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution upper-case X", page(hits.Common{ScreenResolution: "640X480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution with space", page(hits.Common{ScreenResolution: "640 x480"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution two x", page(hits.Common{ScreenResolution: "1x2x3"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common resolution overflow", page(hits.Common{ScreenResolution: "99999999999999999999x1"}), hits.TypePage, "sr", "ScreenResolution", srRule},
		{"common language too long", page(hits.Common{Language: long(21)}), hits.TypePage, "ul", "Language", "must be at most 20 bytes"},
		{"common language invalid UTF-8", page(hits.Common{Language: badUTF8}), hits.TypePage, "ul", "Language", utf8Rule},
		{"common session number negative", page(hits.Common{SessionNumber: -1}), hits.TypePage, "sn", "SessionNumber", negative},
		{"common session timestamp negative", page(hits.Common{SessionTimestamp: -1}), hits.TypePage, "cst", "SessionTimestamp", negative},
		{"screen name missing", hits.Screen{}, hits.TypeScreen, "dl", "Name", required},
		{"screen name too long", hits.Screen{Name: long(2049)}, hits.TypeScreen, "dl", "Name", max2048},
		{"screen name invalid UTF-8", hits.Screen{Name: badUTF8}, hits.TypeScreen, "dl", "Name", utf8Rule},
		{"screen common checked", hits.Screen{Name: "home", Common: hits.Common{UserIP: "x"}}, hits.TypeScreen, "uip", "UserIP", ipRule},
		{"transaction ID missing", with(validTransaction(), func(h *hits.Transaction) { h.ID = "" }), hits.TypeTransaction, "tid", "ID", required},
		{"transaction ID too long", with(validTransaction(), func(h *hits.Transaction) { h.ID = long(501) }), hits.TypeTransaction, "tid", "ID", max500},
		{"transaction affiliation missing", with(validTransaction(), func(h *hits.Transaction) { h.Affiliation = "" }), hits.TypeTransaction, "ta", "Affiliation", required},
		{"transaction affiliation too long", with(validTransaction(), func(h *hits.Transaction) { h.Affiliation = long(501) }), hits.TypeTransaction, "ta", "Affiliation", max500},
		{"transaction revenue NaN", with(validTransaction(), func(h *hits.Transaction) { h.Revenue = math.NaN() }), hits.TypeTransaction, "tr", "Revenue", finite},
		{"transaction shipping +Inf", with(validTransaction(), func(h *hits.Transaction) { h.Shipping = math.Inf(1) }), hits.TypeTransaction, "ts", "Shipping", finite},
		{"transaction tax -Inf", with(validTransaction(), func(h *hits.Transaction) { h.Tax = math.Inf(-1) }), hits.TypeTransaction, "tt", "Tax", finite},
		{"transaction currency too short", with(validTransaction(), func(h *hits.Transaction) { h.Currency = "EU" }), hits.TypeTransaction, "tc", "Currency", currency},
		{"transaction currency too long", with(validTransaction(), func(h *hits.Transaction) { h.Currency = "EURO" }), hits.TypeTransaction, "tc", "Currency", currency},
		{"transaction currency digit", with(validTransaction(), func(h *hits.Transaction) { h.Currency = "E1R" }), hits.TypeTransaction, "tc", "Currency", currency},
		{"transaction currency symbol", with(validTransaction(), func(h *hits.Transaction) { h.Currency = "E@R" }), hits.TypeTransaction, "tc", "Currency", currency},
		{"transaction coupon too long", with(validTransaction(), func(h *hits.Transaction) { h.CouponCode = long(11) }), hits.TypeTransaction, "tcc", "CouponCode", max10},
		{"transaction coupon invalid UTF-8", with(validTransaction(), func(h *hits.Transaction) { h.CouponCode = badUTF8 }), hits.TypeTransaction, "tcc", "CouponCode", utf8Rule},
		{"transaction payment method too long", with(validTransaction(), func(h *hits.Transaction) { h.PaymentMethod = long(11) }), hits.TypeTransaction, "pm", "PaymentMethod", max10},
		{"transaction shipping method too long", with(validTransaction(), func(h *hits.Transaction) { h.ShippingMethod = long(11) }), hits.TypeTransaction, "sm", "ShippingMethod", max10},
		{"transaction item count negative", with(validTransaction(), func(h *hits.Transaction) { h.ItemCount = -1 }), hits.TypeTransaction, "icn", "ItemCount", negative},
		{"transaction common checked", with(validTransaction(), func(h *hits.Transaction) { h.ScreenResolution = "big" }), hits.TypeTransaction, "sr", "ScreenResolution", srRule},
		{"transaction first failure wins", hits.Transaction{Currency: "x"}, hits.TypeTransaction, "tid", "ID", required},
		{"item transaction ID missing", with(validItem(), func(h *hits.Item) { h.TransactionID = "" }), hits.TypeItem, "tid", "TransactionID", required},
		{"item transaction ID too long", with(validItem(), func(h *hits.Item) { h.TransactionID = long(501) }), hits.TypeItem, "tid", "TransactionID", max500},
		{"item name missing", with(validItem(), func(h *hits.Item) { h.Name = "" }), hits.TypeItem, "in", "Name", required},
		{"item name too long", with(validItem(), func(h *hits.Item) { h.Name = long(501) }), hits.TypeItem, "in", "Name", max500},
		{"item code missing", with(validItem(), func(h *hits.Item) { h.Code = "" }), hits.TypeItem, "ic", "Code", required},
		{"item code too long", with(validItem(), func(h *hits.Item) { h.Code = long(501) }), hits.TypeItem, "ic", "Code", max500},
		{"item price NaN", with(validItem(), func(h *hits.Item) { h.Price = math.NaN() }), hits.TypeItem, "ip", "Price", finite},
		{"item quantity negative", with(validItem(), func(h *hits.Item) { h.Quantity = -2 }), hits.TypeItem, "iq", "Quantity", negative},
		{"item category too long", with(validItem(), func(h *hits.Item) { h.Category = long(501) }), hits.TypeItem, "iv", "Category", max500},
		{"item category invalid UTF-8", with(validItem(), func(h *hits.Item) { h.Category = badUTF8 }), hits.TypeItem, "iv", "Category", utf8Rule},
		{"item common checked", with(validItem(), func(h *hits.Item) { h.Language = long(21) }), hits.TypeItem, "ul", "Language", "must be at most 20 bytes"},
		{"event category missing", with(validEvent(), func(h *hits.Event) { h.Category = "" }), hits.TypeEvent, "ec", "Category", required},
		{"event category unknown", with(validEvent(), func(h *hits.Event) { h.Category = "action tracking" }), hits.TypeEvent, "ec", "Category", category},
		{"event action missing", with(validEvent(), func(h *hits.Event) { h.Action = "" }), hits.TypeEvent, "ea", "Action", required},
		{"event action too long", with(validEvent(), func(h *hits.Event) { h.Action = long(501) }), hits.TypeEvent, "ea", "Action", max500},
		{"event action invalid UTF-8", with(validEvent(), func(h *hits.Event) { h.Action = badUTF8 }), hits.TypeEvent, "ea", "Action", utf8Rule},
		{"event label too long", with(validEvent(), func(h *hits.Event) { h.Label = long(501) }), hits.TypeEvent, "el", "Label", max500},
		{"event label invalid UTF-8", with(validEvent(), func(h *hits.Event) { h.Label = badUTF8 }), hits.TypeEvent, "el", "Label", utf8Rule},
		{"event value negative", with(validEvent(), func(h *hits.Event) { h.Value = -1 }), hits.TypeEvent, "ev", "Value", negative},
		{"event common checked", with(validEvent(), func(h *hits.Event) { h.SessionNumber = -1 }), hits.TypeEvent, "sn", "SessionNumber", negative},
		{"segment nil context", hits.Segment{}, hits.TypeSegment, "s", "Context", notEmpty},
		{"segment empty context", hits.Segment{Context: map[string]any{}}, hits.TypeSegment, "s", "Context", notEmpty},
		{"segment list value", hits.Segment{Context: map[string]any{"tags": []string{"a"}}}, hits.TypeSegment, "s", "Context", `value of "tags" ` + notScalar + "[]string"},
		{"segment nil value", hits.Segment{Context: map[string]any{"a": "ok", "n": nil}}, hits.TypeSegment, "s", "Context", `value of "n" ` + notScalar + "<nil>"},
		{"segment map value", hits.Segment{Context: map[string]any{"m": map[string]any{}}}, hits.TypeSegment, "s", "Context", `value of "m" ` + notScalar + "map[string]interface {}"},
		{"segment NaN value", hits.Segment{Context: map[string]any{"f": math.NaN()}}, hits.TypeSegment, "s", "Context", `value of "f" ` + finite},
		{"segment float32 Inf value", hits.Segment{Context: map[string]any{"f": float32(math.Inf(1))}}, hits.TypeSegment, "s", "Context", `value of "f" ` + finite},
		{"segment invalid UTF-8 value", hits.Segment{Context: map[string]any{"s": badUTF8}}, hits.TypeSegment, "s", "Context", `value of "s" ` + utf8Rule},
		{"segment invalid UTF-8 key", hits.Segment{Context: map[string]any{badUTF8: "v"}}, hits.TypeSegment, "s", "Context", `key "a\xffb" ` + utf8Rule},
		{"segment first bad key in sorted order", hits.Segment{Context: map[string]any{"b": nil, "a": nil}}, hits.TypeSegment, "s", "Context", `value of "a" ` + notScalar + "<nil>"},
		{"activation variation group missing", hits.Activation{VariationID: "v"}, hits.TypeActivation, "caid", "VariationGroupID", required},
		{"activation variation missing", hits.Activation{VariationGroupID: "vg"}, hits.TypeActivation, "vaid", "VariationID", required},
		{"activation invalid UTF-8", hits.Activation{VariationGroupID: badUTF8, VariationID: "v"}, hits.TypeActivation, "caid", "VariationGroupID", utf8Rule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, hits.ErrInvalidHit)
			var verr *hits.ValidationError
			require.ErrorAs(t, err, &verr)
			assert.Equal(t, tt.wantType, verr.Type)
			assert.Equal(t, tt.wantField, verr.Field)
			assert.Equal(t, tt.wantName, verr.Name)
			assert.Equal(t, tt.wantRule, verr.Rule)
		})
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := hits.Page{URL: "/checkout"}.Validate()
	assert.EqualError(t, err, "hits: invalid PAGEVIEW: URL (dl) must be an absolute URL")
	assert.True(t, errors.Is(err, hits.ErrInvalidHit))
}

func TestHitType(t *testing.T) {
	tests := []struct {
		give hits.Hit
		want hits.Type
	}{
		{give: hits.Page{}, want: hits.TypePage},
		{give: hits.Screen{}, want: hits.TypeScreen},
		{give: hits.Transaction{}, want: hits.TypeTransaction},
		{give: hits.Item{}, want: hits.TypeItem},
		{give: hits.Event{}, want: hits.TypeEvent},
		{give: hits.Segment{}, want: hits.TypeSegment},
		{give: hits.Activation{}, want: hits.TypeActivation},
		{give: hits.Consent{}, want: hits.TypeEvent},
		{give: &hits.Page{}, want: hits.TypePage},
	}
	for _, tt := range tests {
		t.Run(string(tt.want), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.HitType())
		})
	}
}

func TestResolution(t *testing.T) {
	tests := []struct {
		name       string
		giveWidth  int
		giveHeight int
		want       string
	}{
		{name: "vga", giveWidth: 640, giveHeight: 480, want: "640x480"},
		{name: "one pixel", giveWidth: 1, giveHeight: 1, want: "1x1"},
		{name: "zero width", giveWidth: 0, giveHeight: 480, want: ""},
		{name: "zero height", giveWidth: 640, giveHeight: 0, want: ""},
		{name: "negative", giveWidth: -640, giveHeight: 480, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hits.Resolution(tt.giveWidth, tt.giveHeight)
			assert.Equal(t, tt.want, got)
			c := hits.Common{ScreenResolution: got}
			assert.NoError(t, hits.Screen{Name: "s", Common: c}.Validate(), "Resolution output validates")
		})
	}
}

package hits

import "net/url"

// Page is a PAGEVIEW hit: the visitor arrived on a web page. Send one each
// time a visitor arrives on a new page.
//
// Wire members, in order: dl, then the [Common] members.
type Page struct {
	// URL ("dl") is the page's absolute URL (scheme and host present), at
	// most 2048 bytes. Required.
	URL string
	Common
}

// HitType returns [TypePage].
func (Page) HitType() Type { return TypePage }

// Validate reports the first rule p breaks, as a [*ValidationError].
func (p Page) Validate() error {
	v := checker{t: TypePage}
	v.required("dl", "URL", p.URL, 2048)
	if v.err == nil {
		if u, err := url.Parse(p.URL); err != nil || u.Scheme == "" || u.Host == "" {
			v.fail("dl", "URL", "must be an absolute URL")
		}
	}
	p.Common.check(&v)
	return v.result()
}

func (p Page) appendFields(b []byte) []byte {
	b = appendStringMember(b, "dl", p.URL)
	return p.Common.appendFields(b)
}

// Screen is a SCREENVIEW hit: the visitor arrived on an app screen or
// interface. Send one each time a visitor arrives on a new screen.
//
// Wire members, in order: dl, then the [Common] members.
type Screen struct {
	// Name ("dl") names the screen, at most 2048 bytes. Required.
	Name string
	Common
}

// HitType returns [TypeScreen].
func (Screen) HitType() Type { return TypeScreen }

// Validate reports the first rule s breaks, as a [*ValidationError].
func (s Screen) Validate() error {
	v := checker{t: TypeScreen}
	v.required("dl", "Name", s.Name, 2048)
	s.Common.check(&v)
	return v.result()
}

func (s Screen) appendFields(b []byte) []byte {
	b = appendStringMember(b, "dl", s.Name)
	return s.Common.appendFields(b)
}

// Transaction is a TRANSACTION hit: the visitor completed a transaction.
// Zero numeric fields and empty strings are not sent.
//
// Wire members, in order: tid, ta, tr, ts, tt, tc, tcc, pm, sm, icn, then
// the [Common] members.
type Transaction struct {
	// ID ("tid") identifies the transaction, at most 500 bytes. Required.
	ID string
	// Affiliation ("ta") is the transaction name: the goal's name in the
	// reporting, at most 500 bytes. Required.
	Affiliation string
	// Revenue ("tr") is the total revenue, shipping and tax included.
	Revenue float64
	// Shipping ("ts") is the shipping cost.
	Shipping float64
	// Tax ("tt") is the total tax.
	Tax float64
	// Currency ("tc") is the ISO 4217 code of the currency of all the
	// amounts: exactly 3 ASCII letters, e.g. "EUR".
	Currency string
	// CouponCode ("tcc") is the coupon code used, at most 10 bytes.
	CouponCode string
	// PaymentMethod ("pm") is the payment method, at most 10 bytes.
	PaymentMethod string
	// ShippingMethod ("sm") is the shipping method, at most 10 bytes.
	ShippingMethod string
	// ItemCount ("icn") is the number of items, >= 0.
	ItemCount int
	Common
}

// HitType returns [TypeTransaction].
func (Transaction) HitType() Type { return TypeTransaction }

// Validate reports the first rule t breaks, as a [*ValidationError].
func (t Transaction) Validate() error {
	v := checker{t: TypeTransaction}
	v.required("tid", "ID", t.ID, 500)
	v.required("ta", "Affiliation", t.Affiliation, 500)
	v.finite("tr", "Revenue", t.Revenue)
	v.finite("ts", "Shipping", t.Shipping)
	v.finite("tt", "Tax", t.Tax)
	if t.Currency != "" && !currencyCode(t.Currency) {
		v.fail("tc", "Currency", "must be 3 ASCII letters (ISO 4217)")
	}
	v.optional("tcc", "CouponCode", t.CouponCode, 10)
	v.optional("pm", "PaymentMethod", t.PaymentMethod, 10)
	v.optional("sm", "ShippingMethod", t.ShippingMethod, 10)
	v.nonNegative("icn", "ItemCount", int64(t.ItemCount))
	t.Common.check(&v)
	return v.result()
}

func (t Transaction) appendFields(b []byte) []byte {
	b = appendStringMember(b, "tid", t.ID)
	b = appendStringMember(b, "ta", t.Affiliation)
	b = appendOptFloat(b, "tr", t.Revenue)
	b = appendOptFloat(b, "ts", t.Shipping)
	b = appendOptFloat(b, "tt", t.Tax)
	b = appendOptString(b, "tc", t.Currency)
	b = appendOptString(b, "tcc", t.CouponCode)
	b = appendOptString(b, "pm", t.PaymentMethod)
	b = appendOptString(b, "sm", t.ShippingMethod)
	b = appendOptInt(b, "icn", int64(t.ItemCount))
	return t.Common.appendFields(b)
}

func currencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20 // lower-case ASCII letters
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Item is an ITEM hit: one line of a [Transaction], sent after it with the
// same transaction id. Zero numeric fields and empty strings are not sent.
//
// Wire members, in order: tid, in, ic, ip, iq, iv, then the [Common]
// members.
type Item struct {
	// TransactionID ("tid") is the ID of the transaction the item belongs
	// to, at most 500 bytes. Required.
	TransactionID string
	// Name ("in") is the product name, at most 500 bytes. Required.
	Name string
	// Code ("ic") is the item code or SKU, at most 500 bytes. Required.
	Code string
	// Price ("ip") is the unit price.
	Price float64
	// Quantity ("iq") is the number of units, >= 0.
	Quantity int
	// Category ("iv") is the item category, at most 500 bytes.
	Category string
	Common
}

// HitType returns [TypeItem].
func (Item) HitType() Type { return TypeItem }

// Validate reports the first rule it breaks, as a [*ValidationError].
func (it Item) Validate() error {
	v := checker{t: TypeItem}
	v.required("tid", "TransactionID", it.TransactionID, 500)
	v.required("in", "Name", it.Name, 500)
	v.required("ic", "Code", it.Code, 500)
	v.finite("ip", "Price", it.Price)
	v.nonNegative("iq", "Quantity", int64(it.Quantity))
	v.optional("iv", "Category", it.Category, 500)
	it.Common.check(&v)
	return v.result()
}

func (it Item) appendFields(b []byte) []byte {
	b = appendStringMember(b, "tid", it.TransactionID)
	b = appendStringMember(b, "in", it.Name)
	b = appendStringMember(b, "ic", it.Code)
	b = appendOptFloat(b, "ip", it.Price)
	b = appendOptInt(b, "iq", int64(it.Quantity))
	b = appendOptString(b, "iv", it.Category)
	return it.Common.appendFields(b)
}

// EventCategory is the category of an [Event]: [ActionTracking] or
// [UserEngagement].
type EventCategory string

// Event categories, as sent on the wire.
const (
	ActionTracking EventCategory = "Action Tracking"
	UserEngagement EventCategory = "User Engagement"
)

// Event is an EVENT hit: anything the visitor did, such as a click or a
// newsletter subscription; its Action is the KPI name in the reporting.
//
// Wire members, in order: ec, ea, el, ev, then the [Common] members.
type Event struct {
	// Category ("ec") is [ActionTracking] or [UserEngagement]. Required.
	Category EventCategory
	// Action ("ea") is the event action, at most 500 bytes. Required.
	Action string
	// Label ("el") is an optional label, at most 500 bytes.
	Label string
	// Value ("ev") is an optional value, >= 0; 0 is not sent.
	Value int64
	Common
}

// HitType returns [TypeEvent].
func (Event) HitType() Type { return TypeEvent }

// Validate reports the first rule e breaks, as a [*ValidationError].
func (e Event) Validate() error {
	v := checker{t: TypeEvent}
	switch e.Category {
	case ActionTracking, UserEngagement:
	case "":
		v.fail("ec", "Category", "is required")
	default:
		v.fail("ec", "Category", `must be "Action Tracking" or "User Engagement"`)
	}
	v.required("ea", "Action", e.Action, 500)
	v.optional("el", "Label", e.Label, 500)
	v.nonNegative("ev", "Value", e.Value)
	e.Common.check(&v)
	return v.result()
}

func (e Event) appendFields(b []byte) []byte {
	b = appendStringMember(b, "ec", string(e.Category))
	b = appendStringMember(b, "ea", e.Action)
	b = appendOptString(b, "el", e.Label)
	b = appendOptInt(b, "ev", e.Value)
	return e.Common.appendFields(b)
}

// Package hits defines the hits the SDK tracks, validates them, stamps
// them as [Record] values for the delivery queue, and encodes records as
// request bodies for Flagship's events and activation endpoints.
//
// # Types
//
// Users send a [Page] (web page view), [Screen] (app screen view),
// [Transaction], [Item] (a line of a transaction) or [Event]. Each embeds
// [Common] for the optional visitor fields (IP, screen resolution,
// language, session). The SDK emits three hits of its own: [Segment] (the
// visitor context, bucketing mode), [Activation] (exposure to a variation)
// and [Consent]. All implement the sealed [Hit] interface.
//
// Hits are plain values, sent through a visitor
// ([github.com/seed27eed597/flagship-go/visitor.Visitor.SendHit]):
//
//	err := v.SendHit(ctx, hits.Transaction{ID: "T-1001", Affiliation: "checkout",
//		Revenue: 59.9, Currency: "EUR", ItemCount: 2})
//	var verr *hits.ValidationError
//	if errors.As(err, &verr) {
//		log.Printf("bad %s field %s: %s", verr.Type, verr.Field, verr.Rule)
//	}
//
// [NewRecord] validates a hit and stamps it with an idempotency key,
// environment id, visitor ids and creation time; the visitor does this
// for you. The record's [Kind] decides where it goes: [KindHit] and
// [KindConsent] records to the events endpoint, [KindActivation] records
// to the activation endpoint. Records are what the durable queue
// ([github.com/seed27eed597/flagship-go/eventqueue]) stores and its sinks
// send. A Record is sealed: built only by NewRecord (or read back from its
// checksummed binary form by [Record.UnmarshalBinary]), it is valid by
// construction and immutable, and its hit is encoded once, when it is
// built; the queue and the wire encoders trust it and check nothing
// again. An activation record carries its ids typed ([Record.Activation]).
//
// # Validation
//
// Hits are validated before they are enqueued (spec §7.5). A
// [*ValidationError] wrapping [ErrInvalidHit] names the first broken rule
// and its field, by wire name (Field) and Go name (Name). A [Record] that
// cannot be stamped (an empty environment or visitor id, a zero id, a
// creation time outside the years 1970 to 2200, ...) is an error wrapping
// [ErrInvalidRecord], and so is the zero Record wherever one is given;
// so is a visitor id or anonymous id (vid, cuid, aid) longer than
// [MaxVisitorIDBytes] (1,024). Every string must be valid UTF-8, every
// float finite, and lengths are in bytes.
//
//	Hit          Field (wire)                 Rule
//	Page         URL (dl)                     required; absolute URL (scheme and host); <= 2048
//	Screen       Name (dl)                    required; <= 2048
//	Transaction  ID (tid), Affiliation (ta)   required; <= 500
//	             Currency (tc)                3 ASCII letters (ISO 4217) if set
//	             CouponCode (tcc), PaymentMethod (pm), ShippingMethod (sm)  <= 10
//	             ItemCount (icn)              >= 0
//	Item         TransactionID (tid), Name (in), Code (ic)  required; <= 500
//	             Quantity (iq)                >= 0
//	             Category (iv)                <= 500
//	Event        Category (ec)                required; ActionTracking or UserEngagement
//	             Action (ea)                  required; <= 500
//	             Label (el)                   <= 500
//	             Value (ev)                   >= 0
//	Common       UserIP (uip)                 IPv4 or IPv6 address if set
//	             ScreenResolution (sr)        "<w>x<h>", positive integers, if set
//	             Language (ul)                <= 20
//	             SessionNumber (sn), SessionTimestamp (cst)  >= 0
//	Segment      Context (s)                  not empty; values string, bool, Go int or float
//	Activation   VariationGroupID (caid), VariationID (vaid)  required
//
// # Wire format
//
// Optional fields are omitted when zero. Strings are escaped as
// encoding/json does with HTML escaping off; numbers are written as
// encoding/json writes them (12.5, 1e+21). A hit's own members come in
// its documented order: the type's fields in declaration order, then the
// [Common] fields (uip, sr, ul, sn, cst).
//
// [AppendEventsBatch] writes an events-endpoint body:
//
//	{"cid":"env","ds":"APP","t":"BATCH","qt":0,"h":[
//	  {"t":"PAGEVIEW","vid":"anon-1","cuid":"user-42","qt":1500,"dl":"https://shop.example/"}]}
//
// vid is the anonymous id of an authenticated visitor, whose cuid is then
// its authenticated id; an anonymous visitor's cuid is null.
// [AppendActivationBatch] writes an activation-endpoint body, where vid is
// always the visitor id and aid the anonymous id:
//
//	{"cid":"env","batch":[{"vid":"user-42","aid":"anon-1","caid":"vg","vaid":"var","qt":12}]}
//
// [Record.WireSize] is the size of the body that carries a record alone,
// measured without encoding it: sinks with a body limit refuse a larger
// record before it is queued.
//
// # Caveats
//
// The queue time "qt" is computed when the body is encoded, from the
// record's Created time to the now passed in: encode at send time and
// again for every retry, never ahead of time.
//
// Hits older than 4 hours must be dropped rather than sent (spec §7.6);
// that is the queue's job. This package encodes whatever it is given.
//
// Nothing here checks consent or panic mode; the visitor package decides
// what is tracked.
//
// Hits and records are plain values, safe for concurrent use as long as
// nobody modifies them; every function of the package is safe for
// concurrent use.
package hits

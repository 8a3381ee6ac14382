// Quickstart is the usage part of the Flagship Python SDK 1.1.0 guide
// translated to Go statement by statement: each Python statement of the
// guide is a "// Python:" comment right above its Go equivalent.
//
// It runs offline, against a Flagship-compatible server started in the
// same process on 127.0.0.1 (package flagshiptest), with the guide's own
// environment id and API key:
//
//	go run ./examples/quickstart
//
// The guide's snippets each create their own visitor; here one visitor,
// "user_#1234", goes through all of them. Where the guide lost a line
// (the published page dropped some), the statement is rebuilt from the
// guide's parameter tables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"time"

	// Python: from flagship.app import Flagship
	// Python: from flagship.config import Config
	// Python: from flagship.handler import FlagshipEventHandler
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// closeTimeout bounds the delivery of what is still queued when the
// client closes.
const closeTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run starts the local Flagship server, walks through the guide, and then
// prints what the server received.
func run(ctx context.Context, w io.Writer) (err error) {
	local, err := startLocalFlagship()
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, local.Close()) }()
	if err := quickstart(ctx, w, local); err != nil {
		return err
	}
	return local.report(w)
}

// customEventHandler prints what the SDK logs and the failures it reports.
// Go splits Flagship's event handler by audience: on_log becomes a hook
// on the logger's records (flagship.LogHook), and on_exception_raised a
// flagship.NotificationHandler, which receives failures as notifications
// whose Err is set. The SDK calls both from its own goroutines as well as
// from the caller's, so they write through a lockedWriter.
//
// Python: class CustomEventHandler(FlagshipEventHandler):
type customEventHandler struct {
	// Python:     def __init__(self):
	// Python:         FlagshipEventHandler.__init__(self)
	w io.Writer
}

// onLog receives every record the SDK logs at Info and above (the hook's
// level without another slog.Handler behind it).
//
// Python:     def on_log(self, level, message):
func (h customEventHandler) onLog(_ context.Context, r slog.Record) {
	// Python:         print("Log >> " + message)
	fmt.Fprintln(h.w, "Log >> "+r.Message)
}

// OnNotification receives the SDK's notifications; the failures are
// those whose Err is set, the others (status changes, batches sent...)
// are ignored here.
//
// Python:     def on_exception_raised(self, exception, traceback):
func (h customEventHandler) OnNotification(_ context.Context, n flagship.Notification) {
	if n.Err == nil {
		return
	}
	// Python:         FlagshipEventHandler.on_exception_raised(self, exception, traceback)
	// (the base class does nothing: no Go counterpart)
	// Python:         print("Exception >> " + str(exception))
	fmt.Fprintln(h.w, "Exception >> "+n.Err.Error())
}

// quickstart is the guide. It prints the flag values it reads and the
// failures the event handler receives to w.
func quickstart(ctx context.Context, w io.Writer, local *localFlagship) (err error) {
	out := &lockedWriter{w: w}

	// Python: Flagship.instance().start(Config("your_env_id", "your_api_key",
	// Python:                                  mode=Config.Mode.DECISION_API,
	// Python:                                  event_handler=CustomEventHandler()))
	handler := customEventHandler{w: out}
	fs, err := flagship.New(ctx, "your_env_id", "your_api_key", append(local.Options(),
		flagship.WithMode(flagship.DecisionAPI), // or flagship.Bucketing
		flagship.WithLogger(slog.New(flagship.LogHook(nil, handler.onLog))),
		flagship.WithNotifications(handler),
	)...)
	if err != nil {
		return err
	}
	// Python has no counterpart: Close delivers the hits and activations
	// still queued, within closeTimeout, and stops the client.
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		err = errors.Join(err, fs.Close(closeCtx))
	}()

	// Python: context = {'isVip': True}
	attrs := visitor.Attributes{"isVip": true}
	// Python: visitor = Flagship.instance().create_visitor("user_#1234", context)
	v, err := fs.NewVisitor("user_#1234", attrs)
	if err != nil {
		return err
	}

	// Python: visitor.update_context(('age', 31), True)
	if err := v.UpdateContextAndSynchronize(ctx, visitor.Attributes{"age": 31}); err != nil {
		// A refused context value, or a failed synchronization (which
		// the event handler's OnNotification printed too). The visitor keeps
		// its previous flags, or serves the defaults.
		fmt.Fprintln(out, "update_context failed, serving defaults")
	}

	// Python: visitor.synchronize_modifications()
	if err := v.Synchronize(ctx); err != nil {
		fmt.Fprintln(out, "synchronize_modifications failed, serving defaults")
	}

	// Python: vip_feature_enabled = visitor.get_modification('vip_feature', False)
	vipFeatureEnabled := v.Bool("vip_feature", false)
	fmt.Fprintln(out, "vip_feature:", vipFeatureEnabled)

	// Python: visitor.get_modification_info('vip_feature')
	info, ok := v.Info("vip_feature")
	if ok {
		fmt.Fprintf(out, "vip_feature info: campaignId=%s variationGroupId=%s variationId=%s\n",
			info.CampaignID, info.VariationGroupID, info.VariationID)
	} else {
		fmt.Fprintln(out, "vip_feature info: None")
	}

	// The guide writes get_modification('vip_feature', True), which passes
	// True as the default; activate is the third parameter.
	//
	// Python: vip_feature_enabled = visitor.get_modification('vip_feature', False, True)
	vipFeatureEnabled = v.Activating(ctx).Bool("vip_feature", false)
	fmt.Fprintln(out, "vip_feature (activated):", vipFeatureEnabled)

	// Go's getters are typed: the default of an array flag is a []any.
	//
	// Python: menu_order = visitor.get_modification('menu_order', False)
	menuOrder := v.Array("menu_order", nil)
	fmt.Fprintln(out, "menu_order:", menuOrder)
	// Python: visitor.activate_modification('menu_order')
	if err := v.Activate(ctx, "menu_order"); err != nil {
		// Not when no campaign sets menu_order: that activates nothing.
		fmt.Fprintln(out, "activate_modification failed:", err)
	}

	// Go's Page takes an absolute URL; an app screen or a script name is a
	// hits.Screen.
	//
	// Python: visitor.send_hit(Page("https://www.my_domain.com/my_page"))
	if err := v.SendHit(ctx, hits.Page{URL: "https://www.my_domain.com/my_page"}); err != nil {
		return err
	}
	// Python: visitor.send_hit(Transaction("#309830", "purchases")
	// Python:                  .with_total_revenue(420.0)
	// Python:                  .with_shipping_cost(10.0)
	// Python:                  .with_shipping_method("express")
	// Python:                  .with_taxes(70.0)
	// Python:                  .with_currency("EUR")
	// Python:                  .with_payment_method("card")
	// Python:                  .with_item_count(1)
	// Python:                  .with_coupon_code("SAVE10"))
	if err := v.SendHit(ctx, hits.Transaction{
		ID:             "#309830",
		Affiliation:    "purchases",
		Revenue:        420.0, // the item, shipping and tax
		Shipping:       10.0,
		ShippingMethod: "express",
		Tax:            70.0,
		Currency:       "EUR",
		PaymentMethod:  "card",
		ItemCount:      1,
		CouponCode:     "SAVE10",
	}); err != nil {
		return err
	}
	// Python: visitor.send_hit(Item("#309830", "ATX2080", "cg_atx_20802020")
	// Python:                  .with_price(340.0)
	// Python:                  .with_item_quantity(1)
	// Python:                  .with_item_category("hardware"))
	if err := v.SendHit(ctx, hits.Item{
		TransactionID: "#309830",
		Name:          "ATX2080",
		Code:          "cg_atx_20802020",
		Price:         340.0,
		Quantity:      1,
		Category:      "hardware",
	}); err != nil {
		return err
	}
	// Python: visitor.send_hit(Event(EventCategory.USER_ENGAGEMENT, "click_basket")
	// Python:                  .with_event_label('basket button')
	// Python:                  .with_resolution(640, 480))
	if err := v.SendHit(ctx, hits.Event{
		Category: hits.UserEngagement,
		Action:   "click_basket",
		Label:    "basket button",
		Common:   hits.Common{ScreenResolution: hits.Resolution(640, 480)},
	}); err != nil {
		return err
	}
	fmt.Fprintln(out, "hits sent: PAGEVIEW TRANSACTION ITEM EVENT")

	// Beyond the guide: the event handler at work. The local server
	// answers the next Decision API call with a 503; Synchronize returns
	// the error, the handler's OnNotification prints it, and the visitor keeps
	// the flags of its last successful synchronization.
	if err := local.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteDecision, Status: 503}); err != nil {
		return err
	}
	// Python: visitor.synchronize_modifications()
	if err := v.Synchronize(ctx); err != nil {
		fmt.Fprintln(out, "synchronize_modifications failed, keeping vip_feature:", v.Bool("vip_feature", false))
	}
	return nil
}

// lockedWriter serializes writes to w. It is safe for concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

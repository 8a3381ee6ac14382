package flagship_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// The examples run against a local Flagship-compatible server
// (flagshiptest) serving two campaigns: an A/B test on the checkout
// button, and a VIP-only toggle.

// exampleServer starts the local server and returns the options that point
// a client at it, and a function that stops it.
func exampleServer() (*flagshiptest.Handler, []flagship.Option, func()) {
	vip := flagshiptest.Toggle("vip", map[string]any{"vip_feature": true, "menu_order": []any{"deals", "home"}})
	vip.VariationGroups[0].Targeting.Groups[0].Rules[0].Key = "isVip"
	vip.VariationGroups[0].Targeting.Groups[0].Rules[0].Value = true
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green", "discount": 10.0})),
		vip,
	))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	dir, err := os.MkdirTemp("", "flagship-example")
	if err != nil {
		panic(err)
	}
	return h, flagshiptest.ClientOptions(srv.URL, dir), func() {
		srv.Close()
		os.RemoveAll(dir)
	}
}

// Example is the whole flow of the Flagship Python SDK's documentation:
// start, create a visitor, synchronize, read a flag, activate, send a hit.
func Example() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	// Flagship.instance().start(Config("your_env_id", "your_api_key"))
	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key", opts...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx)

	// visitor = Flagship.instance().create_visitor("user_#1234", {'isVip': True})
	v, err := fs.NewVisitor("user_#1234", visitor.Attributes{"isVip": true})
	if err != nil {
		panic(err)
	}
	// visitor.synchronize_modifications()
	if err := v.Synchronize(ctx); err != nil {
		fmt.Println("synchronize:", err) // flags keep their defaults
	}
	// visitor.get_modification('vip_feature', False, True)
	fmt.Println(v.Activating(ctx).Bool("vip_feature", false))
	// visitor.send_hit(Event(EventCategory.USER_ENGAGEMENT, "click_basket"))
	if err := v.SendHit(ctx, hits.Event{Category: hits.UserEngagement, Action: "click_basket"}); err != nil {
		panic(err)
	}
	// Deliver what is queued now, rather than when a batch fills.
	if err := fs.Flush(ctx); err != nil {
		panic(err)
	}
	fmt.Println(len(h.Activations()), "activation")
	for _, hit := range h.Hits() {
		// The Decision API records the visitor's context as a SEGMENT hit.
		fmt.Println(hit.Type, hit.VisitorID)
	}
	// Output:
	// true
	// 1 activation
	// SEGMENT user_#1234
	// EVENT user_#1234
}

// create_visitor(visitor_id, context)
func ExampleClient_NewVisitor() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key", opts...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx)

	v, err := fs.NewVisitor("user_#1234", visitor.Attributes{"isVip": true, "age": 31})
	if err != nil {
		panic(err)
	}
	fmt.Println(v.ID())
	_, err = fs.NewVisitor("user_#1234", visitor.Attributes{"tags": []string{"a"}})
	fmt.Println(err)
	// Output:
	// user_#1234
	// visitor: context key "tags": unsupported type []string (want a string, number or bool)
}

// startVisitor starts a client on the example server and returns a visitor
// that is not synchronized yet.
func startVisitor(opts []flagship.Option, attrs visitor.Attributes) (*flagship.Client, *visitor.Visitor) {
	fs, err := flagship.New(context.Background(), flagshiptest.EnvID, "your_api_key", opts...)
	if err != nil {
		panic(err)
	}
	v, err := fs.NewVisitor("user_#1234", attrs)
	if err != nil {
		panic(err)
	}
	return fs, v
}

// update_context(('age', 31), True): set context and synchronize at once.
func Example_updateContext() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, nil)
	defer fs.Close(ctx)

	fmt.Println(v.Bool("vip_feature", false))
	if err := v.UpdateContextAndSynchronize(ctx, visitor.Attributes{"isVip": true, "age": 31}); err != nil {
		panic(err)
	}
	fmt.Println(v.Bool("vip_feature", false))
	// Output:
	// false
	// true
}

// synchronize_modifications()
func Example_synchronizeModifications() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, visitor.Attributes{"isVip": true})
	defer fs.Close(ctx)

	fmt.Println(v.String("btn-color", "blue"), "before")
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}
	fmt.Println(v.String("btn-color", "blue"), "after")
	// Output:
	// blue before
	// green after
}

// get_modification(key, default_value, activate=False)
func Example_getModification() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, visitor.Attributes{"isVip": true})
	defer fs.Close(ctx)
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}

	fmt.Println(v.String("btn-color", "blue"))
	fmt.Println(v.Float64("discount", 0))
	fmt.Println(v.Int("discount", 0))
	fmt.Println(v.String("discount", "none")) // not a string: the default
	fmt.Println(v.Evaluate("discount", "none").Reason)
	fmt.Println(v.Activating(ctx).Array("menu_order", nil)) // activate=True
	// Output:
	// green
	// 10
	// 10
	// none
	// type mismatch
	// [deals home]
}

// get_modification_info(key)
func Example_getModificationInfo() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, nil)
	defer fs.Close(ctx)
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}

	info, ok := v.Info("btn-color")
	fmt.Println(ok, info.CampaignID, info.VariationGroupID, info.VariationID, info.Reference)
	_, ok = v.Info("vip_feature")
	fmt.Println(ok)
	// Output:
	// true checkout vg_checkout var_green false
	// false
}

// activate_modification(key)
func Example_activateModification() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, nil)
	defer fs.Close(ctx)
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}

	if err := v.Activate(ctx, "btn-color"); err != nil {
		panic(err)
	}
	// Deliver what is queued now, rather than when a batch fills.
	if err := fs.Flush(ctx); err != nil {
		panic(err)
	}
	a := h.Activations()[0]
	fmt.Println(a.VisitorID, a.VariationGroupID, a.VariationID)
	// No variation sets "no-such-flag": nothing to activate, no error.
	fmt.Println(v.Activate(ctx, "no-such-flag"), v.Has("no-such-flag"))
	// Output:
	// user_#1234 vg_checkout var_green
	// <nil> false
}

// send_hit(hit)
func Example_sendHit() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, nil)
	defer fs.Close(ctx)

	for _, hit := range []hits.Hit{
		hits.Page{URL: "https://shop.example/checkout"},
		hits.Transaction{ID: "#309830", Affiliation: "purchases", Revenue: 42.5, Currency: "EUR"},
		hits.Item{TransactionID: "#309830", Name: "ATX2080", Code: "cg_atx_20802020", Price: 42.5, Quantity: 1},
		hits.Event{Category: hits.UserEngagement, Action: "click_basket", Label: "basket button",
			Common: hits.Common{ScreenResolution: hits.Resolution(640, 480)}},
	} {
		if err := v.SendHit(ctx, hit); err != nil {
			panic(err)
		}
	}
	// Deliver what is queued now, rather than when a batch fills.
	if err := fs.Flush(ctx); err != nil {
		panic(err)
	}
	for _, hit := range h.Hits() {
		fmt.Println(hit.Type, hit.VisitorID)
	}
	fmt.Println(v.SendHit(ctx, hits.Page{URL: "checkout"}))
	// Output:
	// PAGEVIEW user_#1234
	// TRANSACTION user_#1234
	// ITEM user_#1234
	// EVENT user_#1234
	// visitor: send hit: hits: invalid PAGEVIEW: URL (dl) must be an absolute URL
}

// Flagsmith: has_feature(name), feature_enabled(name), get_value(name)
func Example_flagsmithFeatures() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, visitor.Attributes{"isVip": true})
	defer fs.Close(ctx)
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}

	fmt.Println(v.Has("vip_feature"), v.Has("unknown"))     // has_feature
	fmt.Println(v.Bool("vip_feature", false))               // feature_enabled
	fmt.Println(v.Value("btn-color", nil), v.Value("x", 0)) // get_value
	// Output:
	// true false
	// true
	// green 0
}

// Flagsmith: set_trait(key, value), get_trait(key)
func Example_flagsmithTraits() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, nil)
	defer fs.Close(ctx)

	if err := v.SetContext("plan", "gold"); err != nil { // set_trait
		panic(err)
	}
	plan, ok := v.ContextValue("plan") // get_trait
	fmt.Println(plan, ok)
	fmt.Println(v.SetContext("fs_client", "x"))
	// Output:
	// gold true
	// visitor: context key "fs_client": keys starting with "fs_" are reserved for the SDK
}

// Flagsmith: get_flags()
func Example_flagsmithGetFlags() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, v := startVisitor(opts, visitor.Attributes{"isVip": true})
	defer fs.Close(ctx)
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}

	for _, f := range v.Flags() {
		fmt.Println(f.Key, f.Value, f.Info.CampaignID)
	}
	// Output:
	// btn-color green checkout
	// discount 10 checkout
	// menu_order [deals home] vip
	// vip_feature true vip
}

// Bucketing mode: the client downloads the environment's bucketing file
// at start and decides locally; Flush delivers what the durable queue
// holds and QueueStats reads its counters.
func ExampleClient_QueueStats() {
	h, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key",
		append(opts, flagship.WithMode(flagship.Bucketing))...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx)

	v, err := fs.NewVisitor("user_#1234", visitor.Attributes{"isVip": false})
	if err != nil {
		panic(err)
	}
	if err := v.Synchronize(ctx); err != nil { // local: no network call
		panic(err)
	}
	if err := v.Activate(ctx, "btn-color"); err != nil {
		panic(err)
	}
	if err := v.SendHit(ctx, hits.Page{URL: "https://shop.example/"}); err != nil {
		panic(err)
	}
	if err := fs.Flush(ctx); err != nil {
		panic(err)
	}
	for _, s := range fs.QueueStats().Sinks {
		fmt.Printf("%s: sent %d, waiting %d\n", s.Name, s.Sent, s.Depth)
	}
	fmt.Println("server received", len(h.Hits()), "hits and", len(h.Activations()), "activation")
	// Output:
	// http-hits: sent 2, waiting 0
	// http-activations: sent 1, waiting 0
	// server received 2 hits and 1 activation
}

// DeliveryOptions.Sinks adds destinations beside Flagship's endpoints:
// here a function that prints what it receives. Each sink has its own
// backlog in the queue file; a record leaves it once Send returned nil.
func ExampleWithDelivery() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()

	printer := eventqueue.SinkConfig{
		Name:  "printer",
		Kinds: []hits.Kind{hits.KindHit},
		Sink: eventqueue.SinkFunc(func(_ context.Context, batch []eventqueue.Record) error {
			for _, r := range batch {
				fmt.Println(r.Type(), r.VisitorID())
			}
			return nil
		}),
	}
	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key",
		append(opts, flagship.WithDelivery(flagship.DeliveryOptions{Sinks: []eventqueue.SinkConfig{printer}}))...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx)

	v, err := fs.NewVisitor("user_#1234", nil)
	if err != nil {
		panic(err)
	}
	if err := v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "signup"}); err != nil {
		panic(err)
	}
	if err := fs.Flush(ctx); err != nil {
		panic(err)
	}
	// Output:
	// EVENT user_#1234
}

// WithEndpoints points a client at a Flagship-compatible server, such as
// "flagship serve" or flagshiptest, by its base URL alone: the Decision
// API, activation, hits and bucketing file endpoints follow the server's
// layout.
func ExampleWithEndpoints() {
	h, err := flagshiptest.NewHandler(flagshiptest.EnvID, flagshiptest.WithCampaigns(
		flagshiptest.Campaign("checkout", flagshiptest.Variation("var_green", 100, map[string]any{"btn-color": "green"}))))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir, err := os.MkdirTemp("", "flagship-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key",
		flagship.WithEndpoints(flagship.Endpoints{Base: srv.URL}), // e.g. "http://127.0.0.1:8080"
		flagship.WithCacheDir(dir))
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx)
	v, err := fs.NewVisitor("user_#1234", nil)
	if err != nil {
		panic(err)
	}
	if err := v.Synchronize(ctx); err != nil {
		panic(err)
	}
	fmt.Println(v.String("btn-color", "blue"), len(h.DecisionRequests()), "decision request")
	// Output: green 1 decision request
}

// LogHook calls a function with every record the SDK logs, like the
// on_log hook of Flagship's SDKs, then passes it to the logger's handler
// (here a text handler on io.Discard, enabled at Debug).
func ExampleLogHook() {
	onLog := func(_ context.Context, r slog.Record) {
		if r.Message != "status changed" {
			return
		}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "status" {
				fmt.Println(r.Level, r.Message, a.Value)
			}
			return true
		})
	}
	logger := slog.New(flagship.LogHook(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug}), onLog))
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key", append(opts, flagship.WithLogger(logger))...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx) // the status changes to CLOSED
	// Output:
	// DEBUG status changed READY
	// DEBUG status changed CLOSED
}

// WithNotifications receives typed notifications for machines, such as
// status changes and failures (those with Err set, Flagship's
// on_exception_raised); NotificationFunc adapts a function.
func ExampleWithNotifications() {
	_, opts, stop := exampleServer()
	defer stop()
	ctx := context.Background()
	notify := flagship.NotificationFunc(func(_ context.Context, n flagship.Notification) {
		if n.Kind == flagship.NotifyStatusChanged {
			fmt.Println(n.Kind, n.Previous, "->", n.Status)
		}
	})
	fs, err := flagship.New(ctx, flagshiptest.EnvID, "your_api_key", append(opts, flagship.WithNotifications(notify))...)
	if err != nil {
		panic(err)
	}
	defer fs.Close(ctx) // the status changes to CLOSED
	// Output:
	// status changed NOT_READY -> READY
	// status changed READY -> CLOSED
}

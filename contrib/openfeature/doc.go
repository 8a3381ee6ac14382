// Package fsopenfeature is an [OpenFeature] provider for the Flagship SDK
// (module github.com/seed27eed597/flagship-go): applications evaluate
// flags through OpenFeature's Go SDK (github.com/open-feature/go-sdk),
// and a [flagship.Client] decides them. The package is named
// fsopenfeature, not openfeature, so that it does not clash with the
// OpenFeature package at call sites; its module is
// github.com/seed27eed597/flagship-go/contrib/openfeature, so that only
// its users compile OpenFeature's SDK.
//
// # Usage
//
// [New] wraps a client you made and close; [Open] starts one that the
// provider closes on Shutdown:
//
//	p, err := fsopenfeature.Open(ctx, envID, apiKey, fsopenfeature.Options{},
//		flagship.WithMode(flagship.Bucketing))
//	if err != nil {
//		return err // flagship.New's errors: ErrInvalidConfig, ErrUnauthorized...
//	}
//	if err := openfeature.SetProviderWithContextAndWait(ctx, p); err != nil {
//		log.Print(err) // not ready yet: flags serve defaults until it is
//	}
//	defer openfeature.Shutdown() // closes the client Open started
//
//	client := openfeature.NewDefaultClient()
//	ec := openfeature.NewEvaluationContext("user-4242", map[string]any{"plan": "gold"})
//	color := client.String(ctx, "btn-color", "blue", ec)
//	client.Track(ctx, "checkout", ec, openfeature.NewTrackingEventDetails(59.9))
//
// # Evaluation
//
// Each evaluation context is a visitor of its own
// ([flagship.Client.NewVisitor]): the targeting key is the visitor id,
// and the other attributes are its context. Attributes take what
// [visitor.Attributes] takes (strings, booleans, numbers of any Go type,
// json.Number), plus time.Time, sent as an RFC 3339 string in UTC to the
// second ("2024-05-01T12:00:00Z"), whose string order is time order for
// targeting's comparisons. Anything else (nil, slices, maps, structs),
// and what visitor refuses (a key starting with "fs_", an integer beyond
// ±2^53, invalid UTF-8...), fails the evaluation with INVALID_CONTEXT and
// a message naming the key. A missing or empty targeting key is
// TARGETING_KEY_MISSING.
//
// Flag values are JSON: a boolean evaluation wants a boolean, a string
// evaluation a string, a float evaluation any number, an int evaluation
// a number with an integral value within the range of int, an object
// evaluation an object or an array (returned as a copy). Another type is
// TYPE_MISMATCH, and the default is served.
//
// A value a campaign served has the variation id as its variant, reason
// SPLIT for an A/B test (campaign type "ab", whose variations are
// allocated pseudorandomly) and TARGETING_MATCH for every other type
// (toggle, perso, deployment...), and flag metadata named as in
// Flagship's JavaScript SDK: campaignId, campaignType, variationGroupId,
// variationId and isReference (a bool) always; campaignName, slug,
// variationGroupName and variationName when they are set (see the Meta
// constants). The default is served with reason DEFAULT when no campaign
// gives the visitor the flag, or when its variation sets it to null
// (Flagship's "use the default": variant and metadata are then set); with
// reason DISABLED in panic mode.
//
// Errors serve the default with reason ERROR and one of these codes:
//
//   - FLAG_NOT_FOUND: in BUCKETING mode, no campaign of the environment
//     sets the key ([flagship.Client.FlagDefined]). DECISION_API mode
//     learns only the flags of each visitor: a key it does not have is
//     DEFAULT.
//   - TYPE_MISMATCH, TARGETING_KEY_MISSING, INVALID_CONTEXT: see above.
//   - PROVIDER_NOT_READY: the client has no decision data yet (BUCKETING
//     mode before its first bucketing file).
//   - PARSE_ERROR: the Decision API answered a body that is not a
//     campaigns document ([decision.ErrBadResponse]).
//   - GENERAL: any other failure to decide: the network, a 5xx, a
//     timeout or the caller's ctx ending, a closed client, a provider
//     shut down.
//
// # Decisions and the cache
//
// An evaluation makes one decision (a Decision API call in DECISION_API
// mode, a local computation in BUCKETING mode) for its context, and
// keeps the synchronized visitor in a cache, so that the flags of one
// request cost one decision: by default 10,000 contexts
// ([DefaultCacheSize]) for one second ([DefaultCacheTTL]), least
// recently used first out (Options.CacheSize and Options.CacheTTL;
// negative disables it). The key is the targeting key and the
// attributes, whatever their order: contexts that differ in any value or
// type (the string "1" and the number 1) are different visitors; int 1
// and float 1.0, which a visitor stores alike, are one. Concurrent
// evaluations of one context share one decision; a failed decision is
// not kept. A new bucketing file, and panic mode starting or ending,
// empty the cache.
//
// # Exposure
//
// By default an evaluation served by a campaign activates its variation:
// it tells Flagship the visitor saw it, as Flagship's SDKs do when a
// flag's value is read with visitorExposed, and as LaunchDarkly's and
// GrowthBook's SDKs record an exposure on evaluation. The evaluation
// only hands the exposure to a goroutine of the provider (as
// LaunchDarkly's SDK hands evaluation events to its event processor),
// which activates it off the request path: the activation is queued
// without waiting for the disk ([visitor.Visitor.Activating]), and the
// visitor drops a repeat within [visitor.DedupWindow], so the ten
// evaluations of one request activate each variation once. Before Init,
// after Shutdown, or with 4,096 exposures waiting, an evaluation
// activates itself: none is dropped. Shutdown queues those still held;
// [Provider.Flush] waits for them and delivers. A flag no campaign gives
// the visitor activates nothing (the visitor saw your default), nor does
// a TYPE_MISMATCH; a null value activates its variation.
// Options.NoActivation turns this off.
//
// # Events
//
// OpenFeature emits PROVIDER_READY when Init succeeds and PROVIDER_ERROR
// when it fails. The provider emits on [Provider.EventChannel]:
//
//   - PROVIDER_READY when the client becomes ready after Init failed, and
//     when downloads of the bucketing file succeed again after
//     PROVIDER_STALE (or a new file arrives);
//   - PROVIDER_STALE when a download of the bucketing file fails after
//     the provider was ready (once per run of failures): flags serve the
//     last good file;
//   - PROVIDER_CONFIGURATION_CHANGED when a new bucketing file changes
//     flags, with FlagChanges listing their keys (those whose campaigns,
//     targeting, allocations or values changed), and when panic mode
//     starts or ends, with a message saying so;
//   - PROVIDER_ERROR with code PROVIDER_FATAL when the client is closed
//     under the provider.
//
// # Tracking
//
// [Provider.Track] sends a Flagship EVENT hit (category Action Tracking,
// action the event name, value the details' value rounded to an integer)
// for the visitor of the targeting key. OpenFeature's Track returns no
// error: failures are logged on Options.Logger.
//
// # Caveats
//
//   - A client given to [New] is never closed by the provider: close it
//     after OpenFeature's Shutdown. One made by [Open] is closed by
//     Shutdown, which delivers what it queued while its ctx is live
//     ([DefaultShutdownTimeout] for the ctx-less Shutdown).
//   - SPLIT and TARGETING_MATCH follow the campaign type in both modes:
//     the Decision API does not say how a variation was chosen, and in
//     BUCKETING mode an A/B test's variation also depends on targeting.
//   - Put only stable attributes in the evaluation context (no request
//     time, no request id): a context that changes on every evaluation is
//     a new visitor every time, which costs a decision, and activates
//     again (repeats are dropped per visitor). For the same reason, after
//     the cache TTL the same context activates again.
//   - In panic mode evaluations still decide, since in DECISION_API mode
//     decisions are how the client learns that the panic ended.
//   - Events are sent by a goroutine of the provider (started by Init,
//     stopped by Shutdown), so the client's goroutines never wait for
//     OpenFeature; events it has not read are queued, and beyond 16 they
//     are coalesced into one configuration change (with every flag key)
//     and the last state event.
//   - The flag metadata maps are shared between evaluations: OpenFeature
//     copies them before handing them to hooks and callers, but code
//     calling the provider's methods directly must not modify them.
//   - OpenFeature's Go SDK v1.20 needs Go 1.26, so this module does;
//     the SDK's core module keeps its own Go version.
//
// [OpenFeature]: https://openfeature.dev
package fsopenfeature

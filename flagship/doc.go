// Package flagship is the front door of the SDK: [New] starts a [Client]
// for one Flagship environment, and the client makes visitors whose flags
// are resolved either by the Flagship Decision API or locally from the
// environment's bucketing file, and whose hits and activations it
// delivers.
//
// # Quick start
//
//	c, err := flagship.New(ctx, envID, apiKey)
//	if errors.Is(err, flagship.ErrNotReady) {
//		log.Print(err) // BUCKETING mode, no file yet: c works and keeps trying
//	} else if err != nil {
//		return err // ErrInvalidConfig, ErrStorage, ErrUnauthorized...
//	}
//	defer c.Close(context.Background())
//
//	v, err := c.NewVisitor("user-4242", visitor.Attributes{"plan": "gold"})
//	if err != nil {
//		return err
//	}
//	if err := v.Synchronize(ctx); err != nil {
//		log.Print(err) // flags keep serving their previous values or defaults
//	}
//	color := v.String("btn-color", "blue")
//	_ = v.Activate(ctx, "btn-color")
//	_ = v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "checkout"})
//
// # Modes
//
// In [DecisionAPI] mode (the default) each Synchronize is one call to the
// Decision API, bounded by [DecisionAPIOptions].Timeout. In [Bucketing]
// mode the client downloads the bucketing file at start, keeps the last
// good copy in the cache directory ([WithCacheDir]) so that a restart
// works without network, polls it ([BucketingOptions].PollingInterval,
// with jitter, conditional requests), and decides locally with Flagship's
// own algorithm. A broken download never replaces the file in use.
//
// # Sticky assignments
//
// In BUCKETING mode visitors keep their variations when allocations
// change, one-visitor-one-test holds, and an authenticated visitor keeps
// what its anonymous id was given, through an assignment store
// ([AssignmentOptions].Store): by default a bounded file in the cache
// directory ([AssignmentsFileName], 90 days); an [assignment.Memory]; or
// Redis (module github.com/seed27eed597/flagship-go/contrib/redis), which
// the replicas of a service share. Decisions read it through an
// in-process cache ([AssignmentOptions].Cache): a returning visitor costs a
// memory lookup; a miss costs one read of the store, which a decision
// waits for at most 20 ms; writes go behind the request. When the store
// fails, decisions go on without the visitor's past assignments and do
// not write over them (fail-open; FailClosed fails them instead), a
// breaker stops calling it, and notifications say so
// ([Client.AssignmentStats]).
// Withdrawing consent deletes a visitor's assignments, and
// [Client.EraseVisitorData] erases a visitor.
//
// # Start-up
//
// In BUCKETING mode, without a cached file, New waits for the first
// download while its ctx is live, so give it a ctx with a deadline. If
// the ctx ends first, New returns a working client together with an
// error wrapping [ErrNotReady] and the last download's error (a
// *bucketing.FetchError naming the URL, the status and the environment):
// the client keeps downloading in the background, with backoff (1 s, 2 s,
// 4 s... up to the polling interval), logs the first failure of each run
// of failures at Warn, and becomes READY when the file arrives. Until then
// its flags serve defaults and Synchronize fails with ErrNotReady and the
// same reason. A 401 or 403 before the client is ready fails New with
// [ErrUnauthorized] instead, leaving nothing running.
//
// # Status
//
// [Client.Status] is NOT_READY until decision data exists (BUCKETING mode
// before its first file), READY, or PANIC while the environment is in
// panic mode, when flags serve defaults and nothing is tracked, and
// CLOSED once [Client.Close] was called, after which every call that does
// I/O, the visitors' included, fails with [ErrClosed].
// [Client.WaitReady] waits for data; status changes are reported as
// notifications.
//
// # Notifications and logs
//
// Two channels, each reaching the user once. Logs, for people, go only to
// the [*slog.Logger] of [WithLogger] (slog.Default() if none); [LogHook]
// wraps a slog.Handler to call a function with every record, like the
// on_log hook of Flagship's SDKs. Notifications, for machines (metrics,
// alerts), go only to the [NotificationHandler] of [WithNotifications]:
// typed [Notification] values (status changed, bucketing updated or
// failed, synchronize failed, batch sent, ...), failures being those whose
// Err is set (Flagship's on_exception_raised). [NotificationFunc] adapts a
// function, and [LogNotifications] writes notifications to a logger.
// [Client.Subscribe] adds handlers to a running client, for integrations
// that wrap a client they were given (an OpenFeature provider following
// configuration changes: [NotifyBucketingUpdated] names the flag keys that
// changed).
//
// # Metrics and tracing
//
// An [Observer] ([WithObserver]) measures the client: it is told of the
// start and end of each decision, bucketing download, batch send and
// enqueue ([Op], [OpResult]), with a context it may put a span in, gets
// every notification, and may read the client's gauges (Status,
// QueueStats, AssignmentStats, BucketingStatus). The core imports no
// metrics library; github.com/seed27eed597/flagship-go/contrib/otel
// implements an Observer with OpenTelemetry. Without one, the request
// path pays a nil check.
//
// # Delivery
//
// Hits and activations leave visitors through the [visitor.Tracker]
// interface into a durable queue ([eventqueue]) on one file in the cache
// directory: SendHit and Activate return once the record is fsynced
// (concurrent calls share one commit). What the SDK sends on its own on
// the request path (the consent and context hits Synchronize owes, the
// activations of [visitor.Visitor.Activating] reads) is handed to the
// queue without waiting for the fsync: it joins the commit the queue
// starts at once, so a crash within about one fsync (0.3-3 ms) can lose
// it, and a failed commit is reported as [NotifyDeliveryFailed]. An
// unchanged context is sent once per visitor id and
// [DeliveryOptions].ContextHitWindow,
// whatever Visitor value synchronizes. Background dispatchers deliver
// batches to the events and activation endpoints ([eventqueue/httpsink]),
// retrying failures with backoff and moving what the server refuses or
// what is older than 4 hours to the file's dead letters. Delivery is at
// least once and survives crashes, outages and restarts: [Client.Close]
// delivers until its context ends and the next client on the file sends
// the rest. [Client.Flush] delivers now; [Client.QueueStats] reads the
// counters; [DeliveryOptions].Sinks adds destinations and
// [DeliveryOptions].Tracker replaces the queue.
//
// # Disk
//
// The SDK keeps its files in one cache directory: [WithCacheDir], else
// {os.UserCacheDir()}/flagship/{envID}, else none (there is no shared
// fallback under the system's temporary directory). When it cannot use
// the disk (no cache directory, a read-only or full file system), New
// fails in both modes with an error wrapping [ErrStorage] that names the
// option to set. [DeliveryOptions].InMemory runs without files: hits and
// activations wait in a bounded queue in memory, which a crash loses (New
// logs that once at Warn), and in BUCKETING mode, when the cache directory
// cannot be used, the bucketing file is not cached and assignments stay
// in memory.
//
// # Configuration
//
// Every setting is an [Option] given to New, each with a default that
// suits production. The options that group settings take a struct whose
// zero value is valid: a zero field means its default.
//
//   - [WithMode]: [DecisionAPI] (default) or [Bucketing].
//   - [WithEndpoints]: where requests go; the zero [Endpoints] is
//     Flagship's production endpoints ([DefaultDecisionAPIURL],
//     [DefaultActivateURL], [DefaultEventsURL], [DefaultBucketingURL]).
//     Endpoints.Base is the root URL of a Flagship-compatible server
//     ("flagship serve", flagshiptest) and sets all four; each other field
//     overrides one.
//   - [WithHTTPClient]: the *http.Client of every call; default the SDK's
//     own.
//   - [WithDecisionAPI]: [DecisionAPIOptions] (Timeout, default
//     [DefaultDecisionTimeout]).
//   - [WithBucketing]: [BucketingOptions] (PollingInterval, default
//     [DefaultPollingInterval], negative to fetch once; FetchTimeout,
//     default [DefaultFetchTimeout]).
//   - [WithDelivery]: [DeliveryOptions]: the queue file, batching
//     (100 records or 5 s), HitTimeout ([DefaultHitTimeout]), MaxAge
//     ([DefaultHitMaxAge]), retry backoff (1 s to 1 min), bounds (100,000
//     records per destination, 64 MiB), buffered commits (default
//     durable), the context hit window (30 min), extra Sinks, NoHTTP, a
//     Tracker replacing the queue, or InMemory instead of the file.
//   - [WithAssignments]: [AssignmentOptions] (Store, default a file in
//     the cache directory; Cache, the in-process cache's settings).
//   - [WithCacheDir]: default {os.UserCacheDir()}/flagship/{envID}; none
//     without $HOME (see Disk).
//   - [WithLogger]: default slog.Default().
//   - [WithNotifications]: default none.
//   - [WithObserver]: default none.
//   - [WithClock]: default time.Now.
//
// An option given twice keeps the last value; a struct option replaces
// the whole struct. README.md lists every option and field with its
// default (a test keeps those tables true). Invalid options make New fail
// with an error wrapping [ErrInvalidConfig] that lists every problem and
// names each field, as in "DeliveryOptions.BatchSize 5000: want 1 to
// 1000, or 0 for the default".
//
// # Testing code that uses the SDK
//
// Package [github.com/seed27eed597/flagship-go/flagshiptest] is a local
// Flagship-compatible server, like net/http/httptest: point a client at
// it with its Server.Options method (or
// WithEndpoints(Endpoints{Base: srv.URL})), give it campaigns, and read back
// the hits and activations your code sent after [Client.Flush]. It
// injects faults (status codes, dropped connections, latency, panic
// mode) to test how your service behaves when Flagship does not.
//
// # Caveats
//
// The API key travels only in request headers: it is never logged,
// written to disk or included in errors, and never sent to another
// origin: a redirect away from the scheme, host and port of the URL
// called is refused with an error. Close stops every goroutine the
// client started, the keep-alive connections of its own HTTP client
// included (a goroutine leak check such as goleak.VerifyNone passes
// after it, against a server still running); a Client cannot be
// restarted.
package flagship

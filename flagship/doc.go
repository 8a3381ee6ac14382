// Package flagship is the front door of the SDK: [New] starts a [Client]
// for one Flagship environment, and the client makes visitors whose flags
// are resolved either by the Flagship Decision API or locally from the
// environment's bucketing file, and whose hits and activations it
// delivers.
//
// # Quick start
//
//	c, err := flagship.New(ctx, envID, apiKey)
//	if err != nil {
//		return err // wraps flagship.ErrInvalidConfig
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
// Decision API, bounded by [WithDecisionTimeout]. In [Bucketing] mode the
// client downloads the bucketing file at start, keeps the last good copy
// in the cache directory ([WithCacheDir]) so that a restart works without
// network, polls it ([WithPollingInterval], with jitter, conditional
// requests), and decides locally with Flagship's own algorithm. A broken
// download never replaces the file in use.
//
// # Sticky assignments
//
// In BUCKETING mode visitors keep their variations when allocations
// change, one-visitor-one-test holds, and an authenticated visitor keeps
// what its anonymous id was given, through an assignment store
// ([WithAssignmentStore]): by default a bounded file in the cache
// directory ([AssignmentsFileName], 90 days); an [assignment.Memory]; or
// Redis (module github.com/seed27eed597/flagship-go/contrib/redis), which
// the replicas of a service share. Decisions read it through an
// in-process cache ([WithAssignmentCache]): a returning visitor costs a
// memory lookup; a miss costs one read of the store, which a decision
// waits for at most 20 ms; writes go behind the request. When the store
// fails, decisions go on without the visitor's past assignments and do
// not write over them (fail-open; FailClosed fails them instead), a
// breaker stops calling it, and events say so ([Client.AssignmentStats]).
// Withdrawing consent deletes a visitor's assignments, and
// [Client.EraseVisitorData] erases a visitor.
// Without a cached file, New waits for the first download while its ctx is
// live, so give it a ctx with a deadline.
//
// # Status
//
// [Client.Status] is NOT_READY until decision data exists (BUCKETING mode
// before its first file), READY, or PANIC while the environment is in
// panic mode, when flags serve defaults and nothing is tracked.
// [Client.WaitReady] waits for data; status changes are reported as
// events.
//
// # Events and logs
//
// Logs go to the [*slog.Logger] of [WithLogger] (slog.Default() if none).
// [WithEventHandler] takes an [EventHandler], mirroring the on_log and
// on_exception_raised hooks of Flagship's SDKs, with typed [Event] values
// (status changed, bucketing updated or failed, synchronize failed, ...);
// [LogEvents] writes events to a logger.
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
// it, and a failed commit is reported as [EventDeliveryFailed]. An
// unchanged context is sent once per visitor id and [WithContextHitWindow],
// whatever Visitor value synchronizes. Background dispatchers deliver
// batches to the events and activation endpoints ([eventqueue/httpsink]),
// retrying failures with backoff and moving what the server refuses or
// what is older than 4 hours to the file's dead letters. Delivery is at
// least once and survives crashes, outages and restarts: [Client.Close]
// delivers until its context ends and the next client on the file sends
// the rest. [Client.Flush] delivers now; [Client.QueueStats] reads the
// counters; [WithSink] adds destinations; [WithTracker] replaces the
// queue.
//
// # Configuration
//
// Every setting is an [Option] given to New, each with a default that
// suits production: the With* functions of this package, from
// [WithMode] to [WithRetryBackoff]. README.md lists them all with their
// defaults (a test keeps that table true). Invalid options make New fail
// with an error wrapping [ErrInvalidConfig] that lists every problem.
//
// # Testing code that uses the SDK
//
// Package [github.com/seed27eed597/flagship-go/flagshiptest] is a local
// Flagship-compatible server, like net/http/httptest: point a client at
// it with its Server.Options method, give it campaigns, and read back
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

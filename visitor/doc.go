// Package visitor is one user of the service as the SDK sees it: an id, an
// optional anonymous id, a context, and the modifications (flags) resolved
// for it.
//
// Visitors are made by
// [github.com/seed27eed597/flagship-go/flagship.Client.NewVisitor], which
// wires them to the client's Decider and durable delivery. [New] with a
// [Config] builds one directly, for tests of code that uses visitors: only
// Config.Decider is required (a [decision.DeciderFunc] will do).
//
//	v, err := client.NewVisitor("user-4242", visitor.Attributes{"plan": "gold"})
//	if err != nil {
//		return err // ErrEmptyID, ErrInvalidID, or an *AttributeError naming the key
//	}
//	if err := v.Synchronize(ctx); err != nil {
//		log.Print(err) // the visitor keeps its previous flags (or defaults)
//	}
//	color := v.Activating(ctx).String("btn-color", "blue") // read and activate
//	err = v.SendHit(ctx, hits.Event{Category: hits.ActionTracking, Action: "checkout"})
//
// # Context
//
// The context ([Attributes]) holds strings, booleans and numbers, taken
// by their kind so that named types (type Plan string) are accepted; any
// Go integer or float is stored as float64, the number type targeting
// compares. What could never be delivered is refused by the call that
// sets it, with an [*AttributeError] naming the key (it wraps
// [ErrInvalidAttribute]): invalid UTF-8, a key longer than
// [MaxContextKeyBytes] or a string longer than [MaxContextValueBytes], an
// integer beyond ±2^53 ([MaxContextInteger], which a JSON number would
// round), a number that is not finite, any other type. Visitor ids and
// anonymous ids must be valid UTF-8 and at most [MaxIDBytes] long, or
// [New] and [Visitor.Authenticate] fail with [ErrInvalidID]. In BUCKETING
// mode, a context whose hit is too large for a destination as a whole is
// refused by [Visitor.Synchronize]. The SDK sets fs_client and
// fs_version itself ([PredefinedContext]); other keys starting with "fs_"
// are refused. [Visitor.SetContext], [Visitor.UpdateContext] and
// [Visitor.UpdateContextAndSynchronize] change it; [Visitor.ContextValue]
// and [Visitor.Context] read it.
//
// # Flags
//
// [Visitor.Synchronize] resolves the visitor's campaigns: a Decision API
// call in DECISION_API mode, a local computation in BUCKETING mode. On
// failure the visitor keeps the flags it had and the error is returned.
// When calls overlap, the result of the last one started wins.
//
// Reads never fail and do no I/O: [Visitor.String], [Visitor.Bool],
// [Visitor.Float64], [Visitor.Int], [Visitor.Object], [Visitor.Array] and
// [Visitor.Value] return the caller's default when the flag is missing, is
// null, has another type, or the environment is in panic mode. When
// several campaigns set a key, the later campaign wins.
// [Visitor.Evaluate] says which of these happened; [Visitor.Info] tells
// where a flag comes from (campaign, variation group, variation);
// [Visitor.Has] and [Visitor.Flags] list what the visitor has.
//
// # Tracking
//
// [Visitor.Activate] reports that the visitor saw a flag's variation;
// reads through [Visitor.Activating] do it as they read, and report
// failures to Config.OnActivateError since a read returns no error. An
// identical activation within [DedupWindow] is not queued again, and a
// key the visitor has no variation for activates nothing (Activate
// returns nil: the visitor saw the default).
// [Visitor.SendHit] sends a hit from package hits. Both validate, stamp
// and hand a [hits.Record] to the [Tracker], the client's durable queue;
// nil means the Tracker accepted it. What a Visitor sends on its own on
// the request path (the consent and context hits Synchronize owes, the
// activations of activating reads) goes to the Tracker's EnqueueAsync
// when it is an [AsyncTracker], which does not wait for the disk.
//
// Consent is true by default and sends no hit. [WithConsent] or
// [Visitor.SetConsent] queue the consent hit, the one hit sent without
// consent; withdrawing consent also asks the Tracker, if it is a
// [Purger], to drop the visitor's queued hits and activations. In
// BUCKETING mode (Config.ContextHits) Synchronize also queues a SEGMENT
// hit when the context changed since the last one; with
// Config.SentContexts ([SentContexts]), since the last one any Visitor
// value sent for the same visitor id within a window.
//
// [Visitor.Authenticate] and [Visitor.Unauthenticate] switch between the
// anonymous id and a customer id for experience continuity;
// [WithAnonymousID] creates a visitor already authenticated.
//
// # Errors
//
// Branch with [errors.Is] on [ErrNoConsent] and [ErrPanicMode] (nothing
// was queued), [hits.ErrInvalidHit] (SendHit, with a
// [*hits.ValidationError] naming the field), [ErrEmptyID], [ErrInvalidID],
// [ErrInvalidAttribute], [ErrNotAuthenticated], [ErrInvalidOptions] and
// [ErrNoTracker]; Synchronize returns the Decider's error (see
// [decision.ErrUnauthorized] and the other errors of package decision),
// or an error wrapping [hits.ErrInvalidRecord] for a context hit refused
// for good.
//
// # Caveats
//
// A Visitor is safe for concurrent use, but it is meant to live for one
// request or session: create one per visitor and request, it is cheap.
// Scalar reads take no lock and allocate nothing. Flag values of type
// object or array are copied on each read so that callers cannot change
// the values other visitors share; reading them allocates. Callbacks of
// [Config] run synchronously on the caller's goroutine.
package visitor

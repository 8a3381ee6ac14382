// Package visitor is one user of the service as the SDK sees it: an id, an
// optional anonymous id, a context, and the modifications (flags) resolved
// for it.
//
// Visitors are made by flagship.Client.NewVisitor, which wires them to the
// client's Decider and delivery; [New] with a [Config] builds one directly,
// for tests of code that uses visitors.
//
// # Context
//
// The context ([Attributes]) holds strings, booleans and numbers; any Go
// integer or float is stored as float64, the number type targeting
// compares. Anything else is refused with an [*AttributeError] naming the
// key. The SDK sets fs_client and fs_version itself; keys starting with
// "fs_" are reserved.
//
//	v.SetContext("plan", "gold")
//	v.UpdateContext(visitor.Attributes{"age": 31, "isVIP": true})
//	plan, _ := v.ContextValue("plan")
//
// # Flags
//
// [Visitor.Synchronize] resolves the visitor's campaigns: a Decision API
// call in DECISION_API mode, a local computation in BUCKETING mode. On
// failure the visitor keeps the flags it had and the error is returned.
//
// Reads never fail and do no I/O: [Visitor.String], [Visitor.Bool],
// [Visitor.Float64], [Visitor.Int], [Visitor.Object], [Visitor.Array] and
// [Visitor.Value] return the caller's default when the flag is missing, is
// null, has another type, or the environment is in panic mode.
// [Visitor.Evaluate] says which of these happened; [Visitor.Info] tells
// where a flag comes from (campaign, variation group, variation);
// [Visitor.Has] and [Visitor.Flags] list what the visitor has.
//
// # Tracking
//
// [Visitor.Activate] reports that the visitor saw a flag's variation;
// reads through [Visitor.Activating] do it as they read, so they hand an
// activation to the Tracker (the client's delivery) like Activate does.
// [Visitor.SendHit] sends a hit from package hits. Both validate, stamp
// and hand a hits.Record to the [Tracker]; they send nothing without
// consent ([Visitor.SetConsent], [WithConsent]) or in panic mode, and
// return [ErrNoConsent] or [ErrPanicMode] then.
//
// [Visitor.Authenticate] and [Visitor.Unauthenticate] switch between the
// anonymous id and a customer id for experience continuity.
//
// # Caveats
//
// A Visitor is safe for concurrent use, but it is meant to live for one
// request or session: create one per visitor and request, it is cheap.
// Flag values of type object or array are copied on each read so that
// callers cannot change the values other visitors share; reading them
// allocates.
package visitor

// Package fsotelhook records OpenFeature flag evaluations on OpenTelemetry
// spans, following the semantic conventions of feature flags: each
// evaluation adds an event named "feature_flag.evaluation" to the span of
// the evaluation's context.
//
//	openfeature.AddHooks(fsotelhook.New(fsotelhook.Options{}))
//	...
//	ctx, span := tracer.Start(r.Context(), "checkout")
//	color, _ := client.StringValue(ctx, "btn-color", "blue", evalCtx)
//	span.End() // with an event: feature_flag.key=btn-color, feature_flag.result.variant=...
//
// [Hook] implements the [openfeature.Hook] of
// github.com/open-feature/go-sdk: it works with any provider, Flagship's
// (module github.com/seed27eed597/flagship-go/contrib/openfeature) or
// another. It is a package of its own so that users of package fsotel
// alone do not compile the OpenFeature SDK.
//
// # Attributes
//
// Each event has these attributes (semantic conventions v1.43):
//
//   - feature_flag.key: the flag's key.
//   - feature_flag.provider.name: the provider's name (its Metadata).
//   - feature_flag.result.reason: the resolution's reason, lower-case
//     ("targeting_match", "split", "default", "static", "cached",
//     "disabled", "stale", "error"...), "unknown" when it gave none.
//   - feature_flag.result.variant: the variant, when the provider gave
//     one.
//   - feature_flag.set.id and feature_flag.version: the flag metadata
//     "flagSetId" and "version", when the provider sets them (strings).
//   - error.type, on error: the error code, lower-case ("flag_not_found",
//     "type_mismatch", "provider_not_ready", "general"...).
//
// and, only if [Options] asks for them, because they may hold personal
// data:
//
//   - feature_flag.context.id: the evaluation context's targeting key,
//     which is usually a visitor or user id ([Options].ContextID).
//   - feature_flag.result.value: the value evaluated
//     ([Options].Value).
//   - feature_flag.error.message: the provider's error message, which
//     may quote the context ([Options].ErrorMessage).
//
// # Caveats
//
//   - The event goes to the span of the ctx given to the evaluation
//     (trace.SpanFromContext). Without a recording span there, nothing is
//     recorded, and the hook costs a context lookup.
//   - The semantic conventions define feature_flag.evaluation as an event
//     that may be emitted as a log record; this hook emits it as a span
//     event, which every tracing back end shows beside the request.
//   - An evaluation failure does not set the span's status: serving a
//     default is not the request's failure. error.type tells it.
//   - The hook runs in its Finally stage: a Before hook of another hook
//     that fails leaves no reason nor error code in the details, so the
//     event says "unknown" with the default value.
package fsotelhook

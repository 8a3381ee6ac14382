package fsotel

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// ScopeName is the instrumentation scope of the Observer's meter and
// tracer: the module path. Views (sdkmetric.NewView) can select the
// Observer's metrics with it.
const ScopeName = "github.com/seed27eed597/flagship-go/contrib/otel"

// Metric names (see the package documentation for each one's instrument,
// unit and attributes).
const (
	metricStatus           = "flagship.client.status"
	metricDecisionDuration = "flagship.decision.duration"
	metricDecisions        = "flagship.decisions"
	metricSyncFailures     = "flagship.synchronize.failures"
	metricFileAge          = "flagship.bucketing.file.age"
	metricFetchDuration    = "flagship.bucketing.fetch.duration"
	metricFetchFailures    = "flagship.bucketing.fetch.failures"
	metricQueueDepth       = "flagship.queue.depth"
	metricQueueOldest      = "flagship.queue.oldest_record.age"
	metricDeadLetterCount  = "flagship.queue.dead_letter.count"
	metricEnqueued         = "flagship.queue.enqueued.records"
	metricRefused          = "flagship.queue.refused.records"
	metricEnqueueDuration  = "flagship.queue.enqueue.duration"
	metricDelivered        = "flagship.queue.delivered.records"
	metricRetried          = "flagship.queue.retried.records"
	metricDeadLettered     = "flagship.queue.dead_lettered.records"
	metricDestRefusals     = "flagship.queue.destination.refusals"
	metricSendDuration     = "flagship.queue.send.duration"
	metricLookups          = "flagship.assignment.cache.lookups"
	metricStoreErrors      = "flagship.assignment.store.errors"
	metricDegraded         = "flagship.assignment.degraded_reads"
	metricBreakerState     = "flagship.assignment.breaker.state"
)

// Span names.
const (
	spanDecide = "flagship.decide"
	spanFetch  = "flagship.bucketing.fetch"
	spanSend   = "flagship.queue.send"
)

// Attributes of the Observer's own (semantic conventions' keys come from
// semconv).
const (
	keyEnvID            = attribute.Key("flagship.env_id")
	keyMode             = attribute.Key("flagship.mode")
	keyStatus           = attribute.Key("flagship.status")
	keySink             = attribute.Key("flagship.sink")
	keyRecordKind       = attribute.Key("flagship.record.kind")
	keyAsync            = attribute.Key("flagship.queue.async")
	keyRefusalReason    = attribute.Key("flagship.refusal.reason")
	keyDeadLetterReason = attribute.Key("flagship.dead_letter.reason")
	keyCacheResult      = attribute.Key("flagship.cache.result")
	keyStoreOperation   = attribute.Key("flagship.store.operation")
	keyBreakerState     = attribute.Key("flagship.breaker.state")
	keyCampaigns        = attribute.Key("flagship.decision.campaigns")
	keyPanic            = attribute.Key("flagship.decision.panic")
	keyChanged          = attribute.Key("flagship.bucketing.changed")
	keyRecords          = attribute.Key("flagship.send.records")
)

// reserved reports whether k is set by the Observer, and so may not be
// in Options.Attributes.
func reserved(k attribute.Key) bool {
	switch k {
	case keyEnvID, keyMode, keyStatus, keySink, keyRecordKind, keyAsync, keyRefusalReason,
		keyDeadLetterReason, keyCacheResult, keyStoreOperation, keyBreakerState, keyCampaigns,
		keyPanic, keyChanged, keyRecords, semconv.ErrorTypeKey, semconv.URLFullKey,
		semconv.ServerAddressKey, semconv.ServerPortKey, semconv.HTTPResponseStatusCodeKey:
		return true
	}
	return false
}

// Values of flagship.dead_letter.reason.
const (
	deadExpired = "expired"
	deadRefused = "refused"
)

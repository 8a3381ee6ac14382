package fsotel

import (
	"errors"

	"go.opentelemetry.io/otel/metric"
)

// instruments are the Observer's metrics.
type instruments struct {
	// Synchronous, recorded as operations end and notifications arrive.
	decisionDuration metric.Float64Histogram
	syncFailures     metric.Int64Counter
	fetchDuration    metric.Float64Histogram
	fetchFailures    metric.Int64Counter
	enqueued         metric.Int64Counter
	refused          metric.Int64Counter
	enqueueDuration  metric.Float64Histogram
	delivered        metric.Int64Counter
	retried          metric.Int64Counter
	deadLettered     metric.Int64Counter
	destRefusals     metric.Int64Counter
	sendDuration     metric.Float64Histogram

	// Observable, read from the client by the callback each Attach
	// registers.
	decisions    metric.Int64ObservableCounter
	status       metric.Int64ObservableGauge
	fileAge      metric.Float64ObservableGauge
	queueDepth   metric.Int64ObservableUpDownCounter
	queueOldest  metric.Float64ObservableGauge
	deadLetters  metric.Int64ObservableUpDownCounter
	lookups      metric.Int64ObservableCounter
	storeErrors  metric.Int64ObservableCounter
	degraded     metric.Int64ObservableCounter
	breakerState metric.Int64ObservableGauge
	observables  []metric.Observable
}

// Bucket boundaries, in seconds: local decisions and enqueues take
// microseconds, calls to Flagship milliseconds to seconds. Views can
// change them.
func localBuckets() []float64 {
	return []float64{
		0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
		0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
	}
}

func remoteBuckets() []float64 {
	return []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
}

func newInstruments(m metric.Meter) (instruments, error) {
	var i instruments
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	i.decisionDuration, err = m.Float64Histogram(metricDecisionDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of visitors' decisions (Synchronize): a Decision API call, or a local computation in BUCKETING mode."),
		metric.WithExplicitBucketBoundaries(localBuckets()...))
	check(err)
	i.syncFailures, err = m.Int64Counter(metricSyncFailures, metric.WithUnit("{call}"),
		metric.WithDescription("Failed Synchronize calls, by error type (the visitor keeps its previous flags)."))
	check(err)
	i.fetchDuration, err = m.Float64Histogram(metricFetchDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of downloads of the bucketing file."),
		metric.WithExplicitBucketBoundaries(remoteBuckets()...))
	check(err)
	i.fetchFailures, err = m.Int64Counter(metricFetchFailures, metric.WithUnit("{fetch}"),
		metric.WithDescription("Failed downloads of the bucketing file (the previous file stays in use)."))
	check(err)
	i.enqueued, err = m.Int64Counter(metricEnqueued, metric.WithUnit("{record}"),
		metric.WithDescription("Hits, activations and consents accepted by the delivery queue."))
	check(err)
	i.refused, err = m.Int64Counter(metricRefused, metric.WithUnit("{record}"),
		metric.WithDescription("Records the delivery queue refused, by reason."))
	check(err)
	i.enqueueDuration, err = m.Float64Histogram(metricEnqueueDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of handing a record to the delivery queue (durable ones wait for the disk)."),
		metric.WithExplicitBucketBoundaries(localBuckets()...))
	check(err)
	i.delivered, err = m.Int64Counter(metricDelivered, metric.WithUnit("{record}"),
		metric.WithDescription("Records a destination confirmed."))
	check(err)
	i.retried, err = m.Int64Counter(metricRetried, metric.WithUnit("{record}"),
		metric.WithDescription("Records of failed sends, to be sent again."))
	check(err)
	i.deadLettered, err = m.Int64Counter(metricDeadLettered, metric.WithUnit("{record}"),
		metric.WithDescription("Records moved to the dead letters: refused for good, or expired."))
	check(err)
	i.destRefusals, err = m.Int64Counter(metricDestRefusals, metric.WithUnit("{refusal}"),
		metric.WithDescription("Episodes of a destination refusing delivery itself (a revoked key, a redirect...); its records are retried."))
	check(err)
	i.sendDuration, err = m.Float64Histogram(metricSendDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of sends of batches of records to a destination."),
		metric.WithExplicitBucketBoundaries(remoteBuckets()...))
	check(err)

	i.decisions, err = m.Int64ObservableCounter(metricDecisions, metric.WithUnit("{decision}"),
		metric.WithDescription("Visitors' decisions (Synchronize), every one counted; flagship.decision.duration samples the BUCKETING ones."))
	check(err)
	i.status, err = m.Int64ObservableGauge(metricStatus, metric.WithUnit("{state}"),
		metric.WithDescription("The client's status: 1 for the current one, 0 for the others."))
	check(err)
	i.fileAge, err = m.Float64ObservableGauge(metricFileAge, metric.WithUnit("s"),
		metric.WithDescription("Time since the bucketing file in use was last downloaded or confirmed unchanged."))
	check(err)
	i.queueDepth, err = m.Int64ObservableUpDownCounter(metricQueueDepth, metric.WithUnit("{record}"),
		metric.WithDescription("Records waiting for delivery to a destination."))
	check(err)
	i.queueOldest, err = m.Float64ObservableGauge(metricQueueOldest, metric.WithUnit("s"),
		metric.WithDescription("Age of the oldest record waiting for a destination (0 when none waits)."))
	check(err)
	i.deadLetters, err = m.Int64ObservableUpDownCounter(metricDeadLetterCount, metric.WithUnit("{record}"),
		metric.WithDescription("Records held in the queue file's dead letters."))
	check(err)
	i.lookups, err = m.Int64ObservableCounter(metricLookups, metric.WithUnit("{key}"),
		metric.WithDescription("Keys the assignment cache looked up: found in memory (hit) or read from the store (miss)."))
	check(err)
	i.storeErrors, err = m.Int64ObservableCounter(metricStoreErrors, metric.WithUnit("{call}"),
		metric.WithDescription("Failed calls of the assignment store."))
	check(err)
	i.degraded, err = m.Int64ObservableCounter(metricDegraded, metric.WithUnit("{read}"),
		metric.WithDescription("Reads of assignments answered without the store (fail-open decisions, fail-closed refusals)."))
	check(err)
	i.breakerState, err = m.Int64ObservableGauge(metricBreakerState, metric.WithUnit("{state}"),
		metric.WithDescription("The assignment store breaker's state: 1 for the current one, 0 for the others."))
	check(err)
	i.observables = []metric.Observable{i.decisions, i.status, i.fileAge, i.queueDepth, i.queueOldest, i.deadLetters,
		i.lookups, i.storeErrors, i.degraded, i.breakerState}
	return i, errors.Join(errs...)
}

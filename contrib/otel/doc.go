// Package fsotel measures Flagship clients with OpenTelemetry: [Observer]
// implements [flagship.Observer], recording metrics and spans through the
// OpenTelemetry API, for the SDK of your choice to export.
//
//	obs, err := fsotel.New(fsotel.Options{}) // the global providers
//	if err != nil {
//		return err
//	}
//	c, err := flagship.New(ctx, envID, apiKey, flagship.WithObserver(obs))
//
// Options gives a MeterProvider and a TracerProvider instead of the
// global ones, and Attributes to add to every metric point and span. One
// Observer serves any number of clients; each client's metrics and spans
// carry its environment id (flagship.env_id). The Observer closes
// nothing: close the clients, then shut the providers down, so that
// their last export includes what Close delivered.
//
// Flag evaluations through OpenFeature are recorded by the hook of
// package [github.com/seed27eed597/flagship-go/contrib/otel/fsotelhook].
//
// The module is github.com/seed27eed597/flagship-go/contrib/otel, so that
// only its users compile OpenTelemetry; it is also the instrumentation
// scope ([ScopeName]).
//
// # Metrics
//
// Names and units follow OpenTelemetry's conventions (a Prometheus
// exporter shows flagship.queue.delivered.records as
// flagship_queue_delivered_records_total, flagship.decision.duration as
// flagship_decision_duration_seconds). Every point has flagship.env_id
// and the Options' Attributes, and the attributes listed.
//
// Counters and histograms, recorded as things happen:
//
//	flagship.decision.duration           histogram s         flagship.mode, error.type  Synchronize's decisions: every Decision API call, one local computation in LocalDecisionSampling
//	flagship.synchronize.failures        counter {call}      flagship.mode, error.type  failed Synchronize calls (the visitor keeps its flags)
//	flagship.bucketing.fetch.duration    histogram s         error.type                 downloads of the bucketing file
//	flagship.bucketing.fetch.failures    counter {fetch}     error.type                 failed downloads (one cut short by Close is not counted)
//	flagship.queue.enqueued.records      counter {record}    flagship.record.kind       records the queue accepted (hit, activation, consent)
//	flagship.queue.refused.records       counter {record}    flagship.record.kind, flagship.refusal.reason  records it refused (flagship.RefusalReason)
//	flagship.queue.enqueue.duration      histogram s         flagship.record.kind, flagship.queue.async     enqueues accepted (durable ones wait for the disk)
//	flagship.queue.delivered.records     counter {record}    flagship.sink              records a destination confirmed
//	flagship.queue.retried.records       counter {record}    flagship.sink              records of failed sends, to be sent again
//	flagship.queue.dead_lettered.records counter {record}    flagship.sink, flagship.dead_letter.reason  "expired" or "refused"
//	flagship.queue.destination.refusals  counter {refusal}   flagship.sink              episodes of a destination refusing delivery itself
//	flagship.queue.send.duration         histogram s         flagship.sink, error.type  sends of batches
//
// Gauges and sums read from the client when the reader collects
// (observable instruments; flagship.assignment.* in BUCKETING mode only):
//
//	flagship.decisions                   counter {decision}  flagship.mode              every decision (Synchronize), sampled or not
//	flagship.client.status               gauge {state}       flagship.status            1 for the current status, 0 for the others
//	flagship.bucketing.file.age          gauge s                                        since the file in use was downloaded or confirmed (BUCKETING, once checked)
//	flagship.queue.depth                 updowncounter {record}  flagship.sink          records waiting per destination
//	flagship.queue.oldest_record.age     gauge s             flagship.sink              age of the oldest waiting record, 0 if none
//	flagship.queue.dead_letter.count     updowncounter {record}                         records held in the dead letters
//	flagship.assignment.cache.lookups    counter {key}       flagship.cache.result      "hit" (memory) or "miss" (read from the store)
//	flagship.assignment.store.errors     counter {call}      flagship.store.operation   failed "load" and "save" calls of the store
//	flagship.assignment.degraded_reads   counter {read}                                 reads answered without the store
//	flagship.assignment.breaker.state    gauge {state}       flagship.breaker.state     1 for the current state ("closed", "open", "half-open"), 0 for the others
//
// The state metrics follow OpenMetrics' StateSet, as the semantic
// conventions' hw.status does: one point per state, 1 for the current
// one, so that a query reads the current state without knowing codes.
// flagship.status is "NOT_READY", "READY", "PANIC" or "CLOSED";
// flagship.mode "DECISION_API" or "BUCKETING".
//
// error.type is absent on success; on failure it is the HTTP status when
// there was one ("503"), else one of "timeout", "canceled", "closed",
// "not_ready", "response_too_large", "bad_response", "invalid_request",
// "destination_refused", "refused", "network" or "_OTHER". Every
// attribute has a bounded set of values: no visitor id, no URL, no error
// message.
//
// The delivery counters agree with [flagship.Client.QueueStats]: after a
// Flush, enqueued equals Stats.Enqueued and delivered, retried and
// dead-lettered equal each sink's Sent, Retried and DeadLettered (except
// when an enqueue fails after the queue took the record: a failed commit
// or the caller's ctx ending while it waits for the disk, which
// QueueStats counts as enqueued and the Observer as refused). They are
// synchronous counters, fed by the client's notifications, so that they
// keep their values after Close, for the providers' last export.
//
// # Spans
//
//	flagship.decide           client    a Decision API call (DECISION_API mode): url.full, server.address,
//	                                    server.port, http.response.status_code (on error), flagship.decision.campaigns,
//	                                    flagship.decision.panic, flagship.mode
//	flagship.bucketing.fetch  client    a download of the bucketing file: url.full, server.address, server.port,
//	                                    http.response.status_code, flagship.bucketing.changed
//	flagship.queue.send       producer  a send of a batch to a destination: flagship.sink, flagship.send.records,
//	                                    http.response.status_code (on error)
//
// Each has flagship.env_id and the Options' Attributes; a failed one has
// the error status, error.type and an exception event (as
// span.RecordError makes). The span of a Decision API call is a child of
// the span in Synchronize's ctx; the others are roots, made by the
// client's own goroutines. The context of each operation holds its span,
// so an instrumented HTTP client (otelhttp) given with
// [flagship.WithHTTPClient] makes its request spans children of it.
//
// A decision in BUCKETING mode has no span: it is a local computation of
// microseconds on the request path, where a span would cost more than
// the decision. It is measured by flagship.decision.duration alone,
// without an allocation (see Overhead); so is an enqueue.
//
// # Overhead
//
// On the request path, a BUCKETING-mode decision takes about a
// microsecond, and each measurement of OpenTelemetry's SDK costs a
// sizeable part of that (BenchmarkSDKRecord: about 130 to 250 ns for a
// histogram point with two attributes, built in advance), on top of the
// client's two clock reads (about 70 ns). So the Observer counts every
// local decision with an atomic add (flagship.decisions) but measures
// the duration of one in [DefaultLocalDecisionSampling] (32), chosen at
// random: for the others StartOp returns a nil function, and the client
// reads no clock. Failures are all counted, from the client's
// notifications (flagship.synchronize.failures). Options.
// LocalDecisionSampling changes the rate (1 measures every decision).
// Decision API calls, which take milliseconds, and enqueues, which wait
// for the disk when durable, are always measured. The Observer adds no
// allocation, no lock and no span to a local decision. The README gives
// the figures of BenchmarkOverheadSynchronize and
// BenchmarkOverheadSendHit.
//
// # Caveats
//
//   - Nothing recorded holds the API key or a visitor's data: the URLs
//     are the SDK's endpoints without credentials nor query, and the
//     error messages of spans leave out what servers answered (the
//     message of a Decision API error, the body of a refused send), which
//     may quote the request, and the detail of an invalid request. Errors
//     of sinks of your own are recorded as they are: keep visitor data
//     out of them.
//   - Two clients of one environment on one Observer have the same
//     attributes: their counters add up, and of their gauges (status,
//     depths) only one is kept. Give each its own Observer, told apart by
//     an attribute of Options.Attributes.
//   - The observable metrics are read from the client at each collection:
//     QueueStats reads the oldest record of each backlog from the queue
//     file (one read transaction per non-empty backlog), so collect every
//     few seconds, not continuously. Close unregisters them: the last
//     export after Close has the counters and histograms only.
//   - http.response.status_code is set on a successful Decision API call
//     or send only when the SDK reports it; today it reports the status
//     of failures only (and every download's).
//   - The Observer's methods run on the SDK's goroutines and its callers',
//     and never block; a slow exporter is the SDK processor's concern
//     (use a batch span processor in production).
package fsotel

// Package httpsink is the [eventqueue.Sink] that delivers queued records
// to Flagship's HTTP endpoints: hits and consent events to the events
// endpoint as BATCH bodies (spec §7.1), activations to the activation
// endpoint as batch bodies (spec §3.1).
//
// # Requests
//
// [Sink.Send] splits a batch by endpoint and environment id, keeping the
// order of the records within each endpoint, and packs each part greedily
// into bodies of at most Options.MaxBodyBytes (2.5 MB by default, like
// Flagship's own SDKs). The requests go out one after the other; the
// first failure ends the Send. The queue then retries the whole batch, so
// the requests already confirmed are sent again: delivery is at least
// once.
//
// Every body is encoded when its request is sent, so the queue time
// ("qt") of each item is recomputed at each attempt (spec §7.6).
//
// # Errors
//
// A 2xx answer confirms a request. A network error, a timeout, 408, 429
// and 5xx are retryable: Send returns a plain error, wrapped with
// [eventqueue.RetryAfter] when the answer carries a Retry-After header.
// Any other status, redirects included, is final: Send returns a
// [*StatusError] marked with [eventqueue.Permanent], carrying the start
// of the server's answer. So are a record that the encoder refuses and a
// record too large for a body on its own. The queue isolates such
// records by splitting the batch.
//
// The API key is sent, as x-api-key, on activation requests only. It
// never appears in an error, a log or the printed form of a [Sink].
//
// # Caveats
//
// A Send that fails part way re-sends, on retry, the requests that had
// succeeded; Flagship's collectors see those records twice. The events
// and activation wire formats carry no idempotency key.
//
// Records older than [DefaultMaxAge] are dropped by Flagship's SDKs
// rather than sent; the queue does the same with the MaxAge of the sink's
// configuration, not this package.
package httpsink

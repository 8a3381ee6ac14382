// Package httpsink is the [eventqueue.Sink] that delivers queued records
// to Flagship's HTTP endpoints: hits and consent events to the events
// endpoint as BATCH bodies (spec §7.1), activations to the activation
// endpoint as batch bodies (spec §3.1).
//
// The flagship client builds one itself, for two backlogs of its queue
// (hits and consents, activations), so that an outage of one endpoint
// does not hold back the other. To build the same pipeline by hand:
//
//	hs, err := httpsink.New(httpsink.Options{
//		EventsURL:   "https://events.flagship.io",
//		ActivateURL: "https://decision.flagship.io/v2/activate",
//		APIKey:      apiKey,
//	})
//	if err != nil {
//		return err // wraps httpsink.ErrInvalidOptions, naming the field
//	}
//	defer hs.Close()
//	q, err := eventqueue.Open(path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{
//		{Name: "hits", Sink: hs, Kinds: []hits.Kind{hits.KindHit, hits.KindConsent}, MaxAge: httpsink.DefaultMaxAge},
//		{Name: "activations", Sink: hs, Kinds: []hits.Kind{hits.KindActivation}, MaxAge: httpsink.DefaultMaxAge},
//	}})
//
// # Requests
//
// [Sink.Send] splits a batch by endpoint and environment id, keeping the
// order of the records within each endpoint, and packs each part greedily
// into bodies of at most Options.MaxBodyBytes (2.5 MB by default, like
// Flagship's own SDKs). The requests go out one after the other; the
// first failure ends the Send. Every body is encoded when its request is
// sent ([hits.AppendEventsBatch], [hits.AppendActivationBatch]), so the
// queue time ("qt") of each item is recomputed at each attempt (spec
// §7.6).
//
// # Errors
//
// A 2xx answer confirms a request. Every other outcome is classified by
// the queue's rule ("Refusals" in package eventqueue), and every non-2xx
// answer is a [*StatusError] (find it with [errors.As]) carrying the
// start of the server's answer:
//
//   - A refusal of the destination, whatever the records: a redirect
//     (3xx, see below), 401 or 403 (a revoked or wrong key), 407 (a proxy
//     wants credentials), 404 or 405 (a wrong URL). Send marks it
//     [eventqueue.Systemic]: the queue retries it with backoff,
//     dead-letters nothing and reports it (eventqueue's
//     EventDestinationRefused) until the endpoint accepts records again.
//   - Retryable: a network error, a timeout, 408, 429 and 5xx. Send
//     returns a plain error.
//   - A refusal of the content: any other status (400, 413, 422, ...).
//     Send marks it [eventqueue.Permanent], and so are a record that the
//     encoder refuses and a record too large for a body on its own (which
//     the queue refuses at Enqueue, asking [Sink.RecordSize], so that one
//     reaches Send only from an older queue file or a smaller
//     MaxBodyBytes), whose errors name the record. The queue isolates the records at fault by
//     splitting the batch and moves them to its dead letters; but when
//     every record of the batch is refused alike (a proxy answering 400
//     to every request, an environment id the endpoint refuses), it
//     treats the refusal as systemic.
//
// Systemic and retryable errors are wrapped with [eventqueue.RetryAfter]
// when the answer carries a Retry-After header.
//
// # Partial refusals (207)
//
// A server that judges a batch item by item (flagshiptest and "flagship
// serve" do) answers 207 Multi-Status when it refuses some items only,
// with the body
//
//	{"message": "...", "accepted": 99, "refused": [{"index": 3, "reason": "h[3].dl: ..."}]}
//
// whose indexes are those of the items in the request body's h (or batch)
// array. Send maps them to the records, goes on with its next request,
// and returns an [eventqueue.Partial] error: nil for the records
// delivered, a [*StatusError] with status 207 and the item's reason,
// marked [eventqueue.Permanent], for each record refused. The queue
// deletes the delivered records and dead-letters the refused ones at
// once: nothing is split or sent again. A 207 that names no item, or
// whose body can't be read (not JSON, over 1 MiB, an index the request
// did not have or named twice), is a 2xx like any other: the request is
// taken as delivered, since the server said so, and nothing is logged.
// Flagship's own collector is not known to answer 207.
//
// # Redirects
//
// A body is written once and never re-sent, so no redirect delivers
// anything: every redirect is a refusal of the destination (its URL must
// be fixed), systemic as above. The Sink's own HTTP client (and the
// flagship client's) follows none: a 307 or 308 answer, and a 301, 302 or
// 303 one, which would turn the POST into a GET, are [*StatusError]s. A
// redirect to another origin (scheme, host or port) is refused before
// anything is sent there, so that the API key never leaves the
// configured host: Send returns an error saying "redirect to another
// origin refused", marked with [eventqueue.Systemic]. A caller's
// Options.HTTPClient follows its own policy; a redirect it followed as a
// GET is systemic too, as nothing was delivered.
//
// The API key is sent, as x-api-key, on activation requests only. It
// never appears in an error, a log or the printed form of a [Sink].
//
// # Caveats
//
// A Sink is safe for concurrent use. Close closes the idle connections of
// the HTTP client the Sink made (never those of Options.HTTPClient); the
// Sink stays usable. Until then, that client's keep-alive connections stay
// open (two goroutines each) for up to 90 s of idleness: call Close when
// done with the Sink, for example before a goroutine leak check.
//
// A Send that fails part way makes the queue retry the whole batch, so
// the requests that had succeeded are sent again: delivery is at least
// once, and Flagship's collectors see those records twice, as the events
// and activation wire formats carry no idempotency key.
//
// Records older than [DefaultMaxAge] are dropped by Flagship's SDKs
// rather than sent; the queue does the same with the MaxAge of the
// sink's [eventqueue.SinkConfig], not this package, which sends whatever
// it is given.
package httpsink

// Package kafkasink delivers the durable queue's records to Kafka: an
// [eventqueue.Sink] that produces each record as one message through
// github.com/segmentio/kafka-go. It is the only package of the SDK that
// imports kafka-go.
//
// # Use
//
//	ks, err := kafkasink.New(kafkasink.Options{
//		Brokers: []string{"kafka-1:9092", "kafka-2:9092"},
//		Topic:   "flagship-events",
//	})
//	if err != nil {
//		return err // wraps kafkasink.ErrInvalidOptions
//	}
//	defer ks.Close() // after the client's Close, which flushes through it
//	client, err := flagship.New(ctx, envID, apiKey, flagship.WithDelivery(flagship.DeliveryOptions{
//		Sinks: []eventqueue.SinkConfig{ks.Config()},
//	}))
//
// [New] does not connect: the first Send does, and unreachable brokers
// are retried by the queue. [Sink.Config] returns the queue settings of
// the Kafka backlog ([DefaultName], batches of [DefaultBatchSize] records
// or [DefaultFlushInterval], no MaxAge, and a SendTimeout that leaves
// kafka-go time for its own attempts); change the returned
// [eventqueue.SinkConfig] before passing it on. [Options.Writer] takes a
// caller's *kafka.Writer instead of Brokers; it must be synchronous and
// require acknowledgements.
//
// The Kafka backlog has its own progress in the queue file: a Kafka
// outage does not hold back the HTTP delivery to Flagship, nor the other
// way round, until the backlog of the destination that is down reaches
// the queue's bounds (flagship.DeliveryOptions MaxRecords and MaxBytes):
// the queue then refuses new records, for every destination. Set
// flagship.DeliveryOptions.NoHTTP to send to Kafka alone.
// [eventqueue.Queue] can also drive the sink
// without a flagship client.
//
// # Messages
//
// One message per record. The key is the visitor id, and the writer
// partitions by a hash of the key (Murmur2, as Java's default
// partitioner), so a visitor's messages share a partition and keep their
// order. The message timestamp is the record's creation time. The value
// is JSON, schema version [SchemaVersion]:
//
//	{
//	  "schema": 1,
//	  "id": "4f9a0c57-1f6e-4a8e-9a3d-0d3c2b1e5a77",
//	  "kind": "hit",
//	  "type": "TRANSACTION",
//	  "env_id": "c0ffee",
//	  "visitor_id": "customer-42",
//	  "anonymous_id": "7e0a5d2c-...",
//	  "created": "2026-11-21T09:30:00.125Z",
//	  "fields": {"transaction_id": "T-1001", "affiliation": "checkout",
//	             "revenue": 59.9, "currency": "EUR", "item_count": 2}
//	}
//
// "id" is the record's UUID, the same across redeliveries: consumers
// de-duplicate on it (delivery is at least once). "kind" is "hit",
// "activation" or "consent"; "type" the hit type (PAGEVIEW, SCREENVIEW,
// TRANSACTION, ITEM, EVENT, SEGMENT, or ACTIVATION). "anonymous_id" is
// present only for an authenticated visitor, whose "visitor_id" is then
// the authenticated id. "fields" holds the hit's own fields under readable
// names (Flagship's wire names in brackets):
//
//	common        user_ip (uip), screen_resolution (sr), language (ul),
//	              session_number (sn), session_timestamp (cst)
//	PAGEVIEW      url (dl)
//	SCREENVIEW    name (dl)
//	TRANSACTION   transaction_id (tid), affiliation (ta), revenue (tr),
//	              shipping (ts), tax (tt), currency (tc), coupon_code (tcc),
//	              payment_method (pm), shipping_method (sm), item_count (icn)
//	ITEM          transaction_id (tid), name (in), code (ic), price (ip),
//	              quantity (iq), category (iv)
//	EVENT         category (ec), action (ea), label (el), value (ev)
//	SEGMENT       context (s)
//	ACTIVATION    variation_group_id (caid), variation_id (vaid)
//
// A consent is an EVENT: category "User Engagement", action "fs_consent",
// label "go:true" or "go:false". Members a record holds under other names
// keep them. Headers repeat what consumers route and de-duplicate on:
// [HeaderSchemaVersion], [HeaderKind], [HeaderHitType], [HeaderRecordID].
//
// # Delivery
//
// A record leaves the queue only once Kafka acknowledged its message
// (acks=all by default, see [Options].RequiredAcks). Kafka confirms per
// partition, so a Send can deliver part of a batch: it reports that with
// [eventqueue.Partial] and only the rest is retried. Failures follow the
// queue's rule ("Refusals" in package eventqueue):
//
//   - A refusal of the sink by the cluster is systemic: an authorization
//     denied (TOPIC_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED
//     and the other *_AUTHORIZATION_FAILED codes) or an authentication
//     refused (SASL_AUTHENTICATION_FAILED, an unsupported SASL mechanism,
//     security disabled on the broker). Send marks it
//     [eventqueue.Systemic]: the queue retries it with backoff,
//     dead-letters nothing, and reports it (eventqueue's
//     EventDestinationRefused) until the cluster takes records again.
//   - Network errors, retriable broker errors and a missing topic are
//     retried by the queue with backoff.
//   - A message too large for the broker (one too large for
//     MaxMessageBytes is refused by the queue's Enqueue, which asks
//     [Sink.RecordSize], and reaches Send only from an older queue file or
//     a smaller MaxMessageBytes), and a
//     record the broker declares invalid, are permanent: that record goes
//     to the dead letters with Kafka's reason, its neighbours are
//     delivered. The errors Send finds itself name the record. When every
//     record of a batch is refused alike (a broker whose
//     message.max.bytes is below every message), the queue takes it for
//     a systemic refusal and dead-letters nothing.
//
// A broker that closes the connection on a failed SASL handshake, as
// some do instead of answering with an error code, looks like a network
// error: retried, but not reported as a refusal.
//
// Send never waits for kafka-go's BatchTimeout: a flush of a partial
// batch costs one produce request per partition for each 500 records or
// MaxMessageBytes bytes. kafka-go acknowledges each produce request on
// its own; Send hands it at most one per partition at a time, and holds
// back the later messages of a visitor whose message failed, so that a
// retry never lets a visitor's later message overtake an earlier one.
//
// # Caveats
//
// A Sink is safe for concurrent use. Close closes the writer New built,
// waiting for batches a cancelled Send left in flight (up to
// MaxAttempts × WriteTimeout with brokers that do not answer); it never
// closes a caller's Writer. [Sink.Stats] returns kafka-go's writer
// counters; the queue's own counters are in [eventqueue.Queue.Stats].
package kafkasink

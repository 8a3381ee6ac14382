// Package eventqueue is the SDK's durable event pipeline: a bounded,
// crash-safe queue of hit records on one bbolt file, delivered to one or
// more sinks with batching, retries and dead letters. The flagship client
// opens one by default; use the package directly to build other pipelines
// or tools.
//
// # Writing
//
// [Open] opens the file (mode 0600) with a lock timeout: a second process
// gets [ErrQueueLocked], not a hang. [Queue.Enqueue] stores a record for
// every sink that takes its kind and, in the default [Durable] mode,
// returns nil only once the record is committed and fsynced. Everything
// pending is committed in one transaction as soon as the previous commit
// ends (group commit, no fixed delay), by the queue's writer goroutine or
// by an Enqueue that finds no commit running, so concurrent callers share
// fsyncs and a lone caller waits for no other goroutine. [Buffered] mode
// returns before the commit, which follows within Options.BufferDelay.
// The queue is bounded (Options.MaxRecords per sink, Options.MaxBytes in
// all): when full, Enqueue fails at once with [ErrQueueFull].
//
// # Delivering
//
// Each sink has its own backlog (a bucket keyed by big-endian sequence
// numbers, so reading is FIFO) written in the same transaction, and its
// own dispatcher, so a slow or dead sink never holds back another.
// [Queue.Run] runs the dispatchers: a batch leaves when it holds
// SinkConfig.BatchSize records or SinkConfig.FlushInterval after its
// first record, and its records are deleted only once the [Sink]
// confirmed them, by the next commit (deletes of several batches and new
// records share its fsync). Delivery is at least once; each record carries a UUID
// consumers can de-duplicate on.
//
// A failed Send is retried with jittered exponential backoff, honouring
// [RetryAfter], forever, unless the sink marks the error [Permanent]: the
// queue then splits the batch to find the records at fault and moves only
// those to the dead letters, with the error as the reason. Records older
// than SinkConfig.MaxAge are moved there too, as [ReasonExpired]; a record
// that cannot be decoded, as corrupt. Nothing leaves the queue silently:
// [Queue.DeadLetters] lists them and [Queue.Replay] sends them again.
//
// # Stored form
//
// Each record is a versioned binary envelope: format version, kind,
// attempt count, UUID, creation time, then the hit type, environment id,
// visitor id, anonymous id and the hit's fields (JSON). Dead letters keep
// the envelope as it was, with the sink, the reason and the time.
//
// # Also in the file
//
// [Queue.History] is a durable [bucketing.History] (sticky assignments)
// committed with the queue's transactions. [Queue.Purge] deletes a
// visitor's records (consent withdrawal). [Queue.Stats] returns the
// counters; [Compact] gives the space of deleted records back to the file
// system. The flagship CLI's queue command wraps the inspection calls.
//
// # Caveats
//
// One process at a time may open a file. A batch being sent when Purge
// runs is still delivered. The Flagship wire protocol has no field for the
// record's UUID: Flagship's collectors cannot de-duplicate the rare
// duplicates a retry after a lost confirmation sends.
package eventqueue

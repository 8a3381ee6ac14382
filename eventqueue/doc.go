// Package eventqueue is the SDK's durable event pipeline: a bounded,
// crash-safe queue of [hits.Record] values on one bbolt file, delivered to
// one or more sinks with batching, retries and dead letters. The flagship
// client opens one by default (its file is {cache dir}/queue.db); use the
// package directly to build other pipelines or tools.
//
// # Use
//
// A [Sink] is one method, Send(ctx, []Record) error; [SinkFunc] adapts a
// function. [Open] the file with a [SinkConfig] per destination, run
// [Queue.Run] in a goroutine you stop, and [Queue.Enqueue] records:
//
//	q, err := eventqueue.Open(path, eventqueue.Options{
//		Sinks: []eventqueue.SinkConfig{{Name: "events", Sink: sink}},
//	})
//	if err != nil {
//		return err // wraps ErrQueueLocked when another process holds the file
//	}
//	defer q.Close()
//	go q.Run(ctx)                 // Close stops it and waits for it
//	err = q.Enqueue(ctx, record)  // nil: the record is on disk
//	err = q.Flush(ctx)            // deliver now, wait for the sinks' confirmation
//
// [github.com/seed27eed597/flagship-go/eventqueue/httpsink] delivers to
// Flagship's endpoints and
// [github.com/seed27eed597/flagship-go/eventqueue/kafkasink] to Kafka;
// flagship.DeliveryOptions.Sinks adds SinkConfigs to a client's queue.
//
// # Writing
//
// [Open] creates the file (mode 0600) if needed and takes its lock, waiting
// at most Options.LockTimeout: a second process gets [ErrQueueLocked], not
// a hang. Enqueue stores a record for every sink that takes its kind and,
// in the default [Durable] mode, returns nil only once the record is
// committed and fsynced. Everything pending is committed in one
// transaction as soon as the previous commit ends (group commit, no fixed
// delay), so concurrent callers share fsyncs and a lone caller waits for
// no other goroutine. [Buffered] mode returns before the commit, which
// follows within Options.BufferDelay. The queue is bounded
// (Options.MaxRecords per sink, Options.MaxBytes in all): when full,
// Enqueue fails at once with [ErrQueueFull] and stores nothing. A record
// larger than a sink that takes it can carry (a Sink that is a
// [RecordSizer], as the HTTP and Kafka sinks are) is refused the same
// way, with a [*RecordTooLargeError] naming the sink, the size and the
// limit: it is never accepted, then dead-lettered.
//
// # Delivering
//
// Each sink has its own backlog, read in FIFO order, and its own
// dispatcher in Run, so a slow or dead sink never holds back another. A
// batch leaves when it holds SinkConfig.BatchSize records or
// SinkConfig.FlushInterval after its first record; its records are deleted
// only once the sink confirmed them, by the next commit. Delivery is at
// least once: after a crash or a lost confirmation a record is sent again,
// with the same UUID (Record.ID) consumers can de-duplicate on.
//
// A failed Send is retried with jittered exponential backoff (at most
// SinkConfig.RetryMax apart), honouring [RetryAfter], for as long as the
// record lives. A sink that confirms records one by one returns
// [Partial]. Records older than SinkConfig.MaxAge go to the dead letters
// as [ReasonExpired], and a stored record that cannot be decoded as
// corrupt. [Queue.DeadLetters] lists them and [Queue.Replay] moves them
// back to their backlogs.
//
// # Refusals
//
// A refusal is classified once, by the same rule for every sink:
//
//   - A refusal of the records' content (an HTTP 4xx about an item, a
//     schema error, a message too large) is final: the sink marks it
//     [Permanent]. The queue sends the batch again in halves, down to
//     single records, to find the records at fault, delivers the others,
//     and moves only those to the dead letters, with the error as the
//     reason.
//   - A refusal of the destination itself is not the records' fault: a
//     revoked or missing key (HTTP 401, 403, 407; Kafka authorization and
//     SASL failures), a redirect (any 3xx), a wrong URL (404, 405). The
//     sink marks it [Systemic]. And when every record of a split batch
//     is refused alike (the same error message) and none is delivered,
//     as a proxy answering 400 to everything does, the queue takes the
//     refusal for a systemic one too. A systemic refusal is retried with
//     the same backoff, dead-letters nothing, and is reported once per
//     episode: an [EventDestinationRefused] event and a Warn log, then an
//     Info log when the sink delivers again. [Queue.Flush] keeps waiting
//     meanwhile, as for an outage.
//   - Everything else (network errors, timeouts, HTTP 408, 429, 5xx) is
//     retried with backoff.
//
// So that refusals of different records never look alike, a sink names
// the record (its ID) in an error about its content, as httpsink and
// kafkasink do for what they refuse themselves. A lone record refused
// (a batch of one) is taken for bad content, unless the last batch of
// its sink was refused alike, with the same error and no delivery
// since. A batch refused exactly as last time (the same records, the
// same error) is not split again.
//
// # Also in the file
//
// [Queue.Purge] deletes a
// visitor's records except consent records (consent withdrawal).
// [Queue.Stats] returns the counters, [Queue.Peek] the head of a backlog,
// and [Compact] gives the space of deleted records back to the file
// system; the flagship CLI's queue command wraps them. Each record is
// stored as a versioned binary envelope (kind, attempts, UUID, creation
// time, type, ids and the hit's fields as JSON) with a CRC-32C checksum.
//
// # Errors
//
// Branch with [errors.Is] on [ErrQueueFull], [ErrQueueLocked],
// [ErrClosed], [ErrInvalidOptions], [ErrInvalidRecord] (the zero
// [hits.Record], or a record no sink takes), [ErrNotQueueFile] (another
// bbolt file, or a newer format, left untouched) and [ErrUnknownSink].
//
// # Caveats
//
// A Queue is safe for concurrent use; Run may be called once at a time.
// Open starts one writer goroutine, which Close stops: always Close the
// queue. Without Run nothing is delivered, and Flush waits for ctx unless
// the backlogs are empty. Close leaves undelivered records in the file for
// the next Open.
//
// What is durable: an acknowledged Enqueue in Durable mode; in Buffered
// mode a crash loses at most the last BufferDelay. [Queue.EnqueueAsync]
// does not wait for the disk: its record joins the next commit, which the
// writer starts at once, so a crash loses at most the records of the
// commit in progress (about one fsync, 0.3-3 ms). Deletes of delivered
// records are committed with the next write, so a crash just after a
// delivery sends those records again.
//
// One process at a time may open a file. A batch being sent when Purge
// runs is still delivered. The dead letters are bounded too
// (Options.MaxDeadLetters): beyond it the oldest are deleted, with a log
// line. Flagship's wire protocol has no field for the record's UUID, so
// Flagship's collectors cannot de-duplicate the rare repeats.
//
// The queue cannot tell a destination that refuses everything from a
// batch made only of records bad in the same way: such a batch is
// retried as a systemic refusal, until its records expire (MaxAge) or
// records the destination accepts join a batch with them, which then
// isolates them. Isolating a batch of n records costs up to 2n-1 sends,
// again at each attempt while new records join the refused batch.
package eventqueue

// How the package is built (for those who change it).
//
// Files, by concern:
//
//	queue.go        Queue, Open, Close: the file, its buckets and the sinks' states
//	enqueue.go      Enqueue: validation, capacity, and the transaction of a commit group
//	limit.go        RecordSizer: the sinks' record size limits Enqueue checks
//	groupcommit.go  groupCommit: gathers writes and commits them in groups (its contract is there)
//	dispatch.go     Run, Flush and each sink's delivery loop: read a batch, send it, back off
//	split.go        send: permanent, systemic and partial failures, split to isolate the
//	                records at fault, and the judgement of their refusals (its rule is there)
//	delete.go       the deletes of delivered records and the attempts counter
//	deadletter.go   moving records to the dead letters
//	inspect.go      Stats, Peek, DeadLetters, Replay, Purge, Compact
//	envelope.go     the stored form of a record
//
// Goroutines and what they own:
//
//   - The writer (groupCommit.writer), started by Open and stopped by
//     Close, commits the pending group whenever woken. A Durable Enqueue
//     that finds no commit running commits the group on its own
//     goroutine instead (groupCommit.tryCommit); Flush (Buffered) and
//     Purge commit it with commitNow.
//   - Run starts one dispatcher per configured sink and waits for them;
//     Close waits for Run (runWG) before the writer's last commit, so the
//     dispatchers' last deletes are committed. A dispatcher alone reads
//     and writes its sinkState's from, purges, alike and refusing, and
//     alone calls its Sink.
//   - Everything else runs on the caller's goroutine.
//
// Locks, outermost first; a goroutine holding one may take only those
// after it:
//
//  1. Queue.deadMu: one dead-letter transaction at a time (deadLetter,
//     Replay), each with its update of deadCount.
//  2. groupCommit.commitMu: one group commit at a time.
//  3. Queue.mu: capacity (Queue.bytes, Queue.full, sinkState.depth),
//     Queue.progress, and the moment Close sets closed.
//  4. groupCommit.mu: the pending group.
//
// bbolt's own writer lock (db.Update) is taken under 1 or 2, or with no
// lock held (a dispatcher's deleteNow and bumpAttempts, Purge), never
// under 3 or 4. Logs and events are emitted with none of these locks
// held, since a log handler may Enqueue. The counters
// (sinkState.committed, deleting, bytes and the statistics) are atomics
// read without a lock; Flush reads depth minus deleting under Queue.mu,
// and deleting is decreased before a backlog shrinks, so Flush may
// overcount for a moment but never undercounts.

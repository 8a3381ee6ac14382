// Package assignment keeps visitors' sticky assignments: per visitor id
// (or anonymous id, or decision group), the variation each variation group
// gave it and whether it was activated (Flagship's visitor cache, spec
// §8). They keep a visitor on its variation when allocations change, and
// make one-visitor-one-test and anonymous-to-authenticated continuity
// hold. The bucketing engine reads and writes them through the small
// [Store] interface; it lives here, below both bucketing and the SDK,
// because where assignments live is a concern of its own: the delivery
// queue knows nothing about them, and stores that bring dependencies
// (Redis) live in modules of their own.
//
// # Stores
//
//   - [Memory]: in the process, bounded (least recently used out). For
//     tests and for services where stickiness may be best effort.
//   - [File]: a bbolt file on the local disk, the SDK's default; bounded
//     by [DefaultFileMaxEntries] keys and [DefaultFileTTL] (90 days, as
//     Flagship's self-hosted decision API), in a compact binary encoding.
//   - The Redis store of module
//     github.com/seed27eed597/flagship-go/contrib/redis, shared by the
//     replicas of a service, in the layout of Flagship's self-hosted
//     decision API.
//
// # Merging
//
// Save merges: each variation group saved replaces what its key held for
// that group, except that an activation is never lost ([MergeOne]): once
// a variation was activated, a later non-activated save of the same
// variation keeps it activated, whatever concurrent writers do. A
// different variation replaces it, as Flagship's decision logic requires
// when a variation was deleted or a visitor inherits its anonymous id's.
//
// # The cache
//
// [Cache] sits in front of any store and is what decisions read: a
// bounded in-process map with a TTL; concurrent misses of a key share one
// read, and the keys one decision misses are read in one call; a decision
// waits for a read at most [CacheOptions].ReadBudget (20 ms) and never past
// its ctx; writes go to memory at once and to the store behind the
// request, batched, by [Cache.Run]; a circuit breaker stops calling a
// failing store. When a read fails, the decision goes on without the
// visitor's assignments and its fresh allocations are not written over
// what the store holds (fail-open), unless FailClosed makes it fail with
// [ErrUnavailable]. Failures and breaker changes are events and log
// lines; [Cache.Stats] reads the state.
//
// # Caveats
//
// A Cache trusts what it read for its TTL (30 s): a replica sees another
// replica's new assignments for a visitor it has in memory only after
// that. Writes are not waited for: a crash loses those not yet written
// (the file store fsyncs each batch, normally within milliseconds).
package assignment

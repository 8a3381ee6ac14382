// Package fsredis keeps the SDK's sticky assignments (Flagship's visitor
// cache: which variation each visitor got in each variation group, and
// whether it was activated) in Redis. [Store] implements
// [assignment.Store] on a go-redis client that you create and close:
//
//	client := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
//	defer client.Close() // after the flagship client; the Store never closes it
//	store, err := fsredis.New(client, envID)
//
// The package is named fsredis, not redis, so that it does not clash with
// go-redis at every call site; its module is
// github.com/seed27eed597/flagship-go/contrib/redis, so that only its
// users compile go-redis.
//
// # Layout
//
// The layout is that of Flagship's self-hosted decision API, so that a
// team running it can share the data. Each key (a visitor id, an
// anonymous id or a decision group) is one Redis hash named prefix + key,
// where the prefix is "fs:" + envID + ":" by default ([WithKeyPrefix]; an
// empty prefix gives the decision API's exact keys, the bare visitor id).
// The hash has one field per variation group id, whose value is the JSON
// {"VariationID":"…","Activated":true} (encoding/json's field names), and
// a field "ts" with the time of the last save in unix milliseconds:
//
//	HGETALL fs:env-123:visitor-1
//	1) "vg-home"
//	2) "{\"VariationID\":\"var-blue\",\"Activated\":true}"
//	3) "ts"
//	4) "1700000000123"
//
// Every save refreshes the key's expiry to the TTL, [DefaultTTL] (90 days,
// as in the decision API) unless [WithTTL] says otherwise; loads do not.
//
// # Merge
//
// [Store.Save] merges with [assignment.MergeOne]'s rule, as the SDK's
// other stores do: each variation group takes the saved assignment,
// except that saving a variation non-activated over the same variation
// activated leaves it activated, so an activation is never lost. A
// different variation replaces it, activated or not, as in Flagship's
// decision logic (the remembered variation was deleted, or the visitor
// inherits its anonymous id's). The rule is
// enforced on the server by a Lua script, one call per key, so it holds
// under concurrent writers in any number of processes. The same script
// sets "ts" and the expiry, so the writes, the time stamp and the TTL of
// a key change together, atomically (the decision API sends them in a
// pipeline, which is not atomic).
//
// # Round trips
//
// [Store.Load] sends one HGETALL per key, [Store.Save] one script call per
// key and [Store.Delete] one DEL per key, each batch in one pipeline: one
// round trip for all the keys of a call. The script is sent by its SHA1
// (EVALSHA); when the server does not have it (after a restart, a
// failover or SCRIPT FLUSH) the entries it refused are sent again with
// the script's source, in a second round trip.
//
// # Errors
//
// Errors wrap go-redis's, prefixed "fsredis: load:", "fsredis: save:" or
// "fsredis: delete:". A stored field that cannot be decoded, or a key that
// holds something other than a hash, is skipped by Load and reported once
// per call at Warn on the [WithLogger] logger, wrapping
// [assignment.ErrCorrupt]: it never fails the load. Save writes a valid
// value over an undecodable one.
//
// # Caveats
//
//   - A cluster client splits each pipeline by node, so a call costs one
//     round trip per node that holds one of its keys. Keys of one call may
//     be in different slots: no multi-key command is used.
//   - Every Load reaches Redis. Put an [assignment.Cache] in front of the
//     Store to bound how long a decision waits for it and to keep it off
//     the request path; the SDK does this by default.
//   - go-redis bounds each call by ctx only if the client has
//     ContextTimeoutEnabled; otherwise a server that does not answer
//     holds a call for the client's ReadTimeout (3 s by default). With
//     go-redis's defaults (3 retries of 5 dials), a call to a dead server
//     takes seconds to fail unless ctx ends it first.
//   - The Store works with any go-redis v9 client: standalone, failover
//     (sentinel), ring or cluster. The server needs EVAL and EVALSHA
//     (Redis 2.6 or later; allowed by your ACL) and its Lua cjson library.
//   - A variation group id "ts" cannot be stored: the field holds the save
//     time. Save skips it. Flagship's ids are never "ts".
//   - With an empty prefix, the keys are bare visitor ids: make sure no
//     other data in the database uses such keys.
package fsredis

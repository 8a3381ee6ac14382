// Package lru is a bounded, sharded, least-recently-used map with an
// optional time to live, for the SDK's in-process caches (assignments,
// context hits sent).
package lru

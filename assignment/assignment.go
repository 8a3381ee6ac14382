package assignment

import (
	"context"
	"maps"
)

// Assignment is a remembered variation of one variation group.
type Assignment struct {
	VariationID string
	// Activated tells that the visitor was exposed to the variation
	// (an activation was sent). Only activated ab assignments restrict
	// later decisions under one-visitor-one-test. Once true for a
	// variation it stays true for that variation: see [MergeOne].
	Activated bool
}

// Assignments is the assignments stored under one key (a visitor id, an
// anonymous id or a base64-encoded decision group), by variation group
// id. Maps returned by a [Store] may be shared: never modify them.
type Assignments map[string]Assignment

// Entry is the assignments to save under one key.
type Entry struct {
	Key         string
	Assignments Assignments
}

// Store keeps visitors' assignments: where sticky variations live
// (Flagship's visitor cache). [Memory], [File] and the Redis store of
// module github.com/seed27eed597/flagship-go/contrib/redis implement it;
// [Cache] puts an in-process cache in front of any of them.
//
// Implementations must be safe for concurrent use and honour ctx.
type Store interface {
	// Load sets into[i] to the assignments stored under keys[i], or nil
	// if there are none, in one round trip to the store (the engine reads
	// a visitor id with its anonymous id together). into has at least
	// len(keys) elements. The maps set must not be modified by the
	// caller.
	Load(ctx context.Context, keys []string, into []Assignments) error
	// Save merges each entry into what its key holds, with [MergeOne]'s
	// rule for each variation group, atomically per key: an activation
	// is never lost, whatever concurrent writers do. It refreshes each
	// key's expiry; an entry without assignments only refreshes an
	// existing key. A failed Save may have saved some entries: saving
	// them again is harmless, since the caller resends the newest state.
	// The field name "ts" is reserved (Flagship's Redis layout).
	Save(ctx context.Context, entries []Entry) error
	// Delete removes every assignment stored under keys (consent
	// withdrawal, erasure). Missing keys are not an error.
	Delete(ctx context.Context, keys []string) error
}

// MergeOne returns what a variation group holds after saving next over
// cur (had reports whether there was a cur): next, except that an
// activation is never lost: when cur is the same variation activated,
// it stays activated. A different variation replaces cur, activated or
// not, as in Flagship's decision logic (the remembered variation was
// deleted, or the visitor inherits its anonymous id's).
func MergeOne(cur Assignment, had bool, next Assignment) Assignment {
	if had && cur.Activated && !next.Activated && cur.VariationID == next.VariationID {
		return cur
	}
	return next
}

// Merge returns the assignments of cur after saving next over them, with
// [MergeOne]'s rule for each variation group. It returns a new map and
// modifies neither argument; it returns cur itself when next changes
// nothing.
func Merge(cur, next Assignments) Assignments {
	changed := false
	for vg, n := range next {
		c, had := cur[vg]
		if m := MergeOne(c, had, n); !had || m != c {
			changed = true
			break
		}
	}
	if !changed {
		return cur
	}
	out := make(Assignments, len(cur)+len(next))
	maps.Copy(out, cur)
	for vg, n := range next {
		c, had := cur[vg]
		out[vg] = MergeOne(c, had, n)
	}
	return out
}

// LocalStore is implemented by stores whose reads are local (memory, or
// a file on a local disk like [File]), never a network round trip. A
// [Cache] reads them on the decision's goroutine: handing such a read to
// another goroutine would cost more than the read.
type LocalStore interface {
	Store
	// LocalReads reports whether reads are local.
	LocalReads() bool
}

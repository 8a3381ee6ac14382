package visitor

import (
	"hash/maphash"
	"math"
	"math/bits"
	"time"

	"github.com/seed27eed597/flagship-go/internal/lru"
)

// Defaults of [NewSentContexts].
const (
	// DefaultSentContexts is how many visitor ids a SentContexts
	// remembers.
	DefaultSentContexts = 100_000
	// DefaultContextHitWindow is how long an unchanged context is not sent
	// again: about a visit (the session length analytics tools use).
	DefaultContextHitWindow = 30 * time.Minute
)

// SentContexts remembers, per visitor id, the last context sent in a
// context (SEGMENT) hit, so that the Visitor values a service creates for
// each request do not each send the same context again: an identical
// context hit (same visitor id, anonymous id and context) is skipped
// within the window after it was queued. A changed context is always
// sent. It is bounded: beyond its size the least recently used visitor
// ids are forgotten, and their next context hit is sent.
//
// A SentContexts is safe for concurrent use; share one per client.
type SentContexts struct {
	m      *lru.Map[string, uint64]
	window time.Duration
	seed   maphash.Seed
}

// NewSentContexts returns a SentContexts of at most about max visitor
// ids (0 means [DefaultSentContexts]) and the given window (0 means
// [DefaultContextHitWindow]).
func NewSentContexts(max int, window time.Duration) *SentContexts {
	if max <= 0 {
		max = DefaultSentContexts
	}
	if window <= 0 {
		window = DefaultContextHitWindow
	}
	return &SentContexts{m: lru.New[string, uint64](max), window: window, seed: maphash.MakeSeed()}
}

// fingerprint hashes an anonymous id and a context, whatever the order
// of the map: each entry's hash is summed.
func (s *SentContexts) fingerprint(anonymousID string, ctx map[string]any) uint64 {
	sum := maphash.String(s.seed, anonymousID)
	for k, v := range ctx {
		h := maphash.String(s.seed, k)
		var hv uint64
		switch x := v.(type) {
		case string:
			hv = maphash.String(s.seed, x) ^ 0x9e3779b97f4a7c15
		case float64:
			hv = maphash.Comparable(s.seed, math.Float64bits(x)) ^ 0x632be59bd9b4e019
		case bool:
			hv = 0x85ebca6b
			if x {
				hv = 0xc2b2ae35
			}
		default:
			hv = maphash.Comparable(s.seed, 0) // no other types reach here
		}
		sum += bits.RotateLeft64(h, 17) ^ hv*0xff51afd7ed558ccd
	}
	return sum
}

// seen reports whether the context hit with fingerprint fp was queued
// for visitorID within the window.
func (s *SentContexts) seen(visitorID string, fp uint64, now time.Time) bool {
	got, ok := s.m.Get(visitorID, now.UnixNano())
	return ok && got == fp
}

// record remembers that the context hit fp was queued for visitorID.
func (s *SentContexts) record(visitorID string, fp uint64, now time.Time) {
	s.m.Put(visitorID, fp, now.Add(s.window).UnixNano())
}

// Forget drops what was remembered for the visitor ids, so that their next
// context hit is sent: the SDK calls it when a visitor withdraws consent
// or is erased.
func (s *SentContexts) Forget(visitorIDs ...string) {
	for _, id := range visitorIDs {
		s.m.Delete(id)
	}
}

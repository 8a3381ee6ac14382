package hits

import "github.com/seed27eed597/flagship-go/internal/jsonenc"

// MaxVisitorIDBytes bounds a record's VisitorID and AnonymousID (the
// wire's vid, cuid and aid), in bytes. Flagship documents no limit; ids
// are user ids, emails, UUIDs or hashes, far below it, and a hit field's
// own longest limit is 2,048 (dl). [NewRecord] refuses longer ids, and
// so do visitors, when they are created or authenticated.
const MaxVisitorIDBytes = 1024

// maxQueueTimeDigits is the widest queue time ("qt") the encoders write:
// now.Sub(created) saturates at 1<<63-1 ns, 9223372036854 ms.
const maxQueueTimeDigits = 13

// Fixed parts of the request bodies AppendEventsBatch and
// AppendActivationBatch write for one record.
const (
	eventsBodyOverhead = len(`{"cid":,"ds":"APP","t":"BATCH","qt":0,"h":[{"t":,"vid":,"qt":}]}`)
	cuidNullLen        = len(`,"cuid":null`)
	cuidKeyLen         = len(`,"cuid":`)
	activationOverhead = len(`{"cid":,"batch":[{"vid":,"caid":,"vaid":,"qt":}]}`)
	aidKeyLen          = len(`,"aid":`)
)

// WireSize returns the size in bytes of the request body that carries r
// alone to its endpoint: what [AppendEventsBatch] (a hit or consent
// record) or [AppendActivationBatch] (an activation) writes for r, with
// the queue time at its widest, so that no later send of r is larger. A
// sink that bounds its request bodies compares it with its bound before
// r is queued, rather than refuse r once it is stored. It is 0 for the
// zero Record, and computed without encoding r.
func (r Record) WireSize() int {
	if r.bin == nil {
		return 0
	}
	n := jsonenc.StringLen(r.envID) + maxQueueTimeDigits
	if r.kind == KindActivation {
		n += activationOverhead + jsonenc.StringLen(r.visitorID) +
			jsonenc.StringLen(r.caid) + jsonenc.StringLen(r.vaid)
		if r.anonymousID != "" {
			n += aidKeyLen + jsonenc.StringLen(r.anonymousID)
		}
		return n
	}
	n += eventsBodyOverhead + jsonenc.StringLen(string(r.typ))
	if r.anonymousID != "" {
		n += jsonenc.StringLen(r.anonymousID) + cuidKeyLen + jsonenc.StringLen(r.visitorID)
	} else {
		n += jsonenc.StringLen(r.visitorID) + cuidNullLen
	}
	if m := len(r.members()); m > 0 {
		n += 1 + m // the comma before the members
	}
	return n
}

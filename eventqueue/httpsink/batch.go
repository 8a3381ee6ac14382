package httpsink

import (
	"context"
	"fmt"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

// endpoint is where a record goes.
type endpoint uint8

const (
	eventsEndpoint endpoint = iota
	activateEndpoint
)

// String returns "events" or "activate", the StatusError.Endpoint values.
func (ep endpoint) String() string {
	if ep == activateEndpoint {
		return "activate"
	}
	return "events"
}

// endpointOf returns the endpoint of a record of kind k. Records of an
// unknown kind go to the events endpoint, whose encoder refuses them.
func endpointOf(k hits.Kind) endpoint {
	if k == hits.KindActivation {
		return activateEndpoint
	}
	return eventsEndpoint
}

// appendBody appends to b the body of a request to ep carrying recs.
func (ep endpoint) appendBody(b []byte, envID string, recs []hits.Record, now time.Time) ([]byte, error) {
	if ep == activateEndpoint {
		return hits.AppendActivationBatch(b, envID, recs, now)
	}
	return hits.AppendEventsBatch(b, envID, recs, now)
}

// group is the records bound for one endpoint and environment, which
// share request bodies. Its records are scratch.recs[start:end].
type group struct {
	ep         endpoint
	env        string
	start, end int
}

// scratch holds the buffers of one Send. Sinks pool them.
type scratch struct {
	recs   []hits.Record // the batch's records, grouped
	groups []group
	idx    []int // group of each batch record, while splitting
	sizes  []int // size of each record's body on its own, for packing
	body   []byte
	// order is the index in the batch of each record of recs; empty when
	// recs is in the batch's order.
	order []int
	// refused is what the last 207 answer refused (post).
	refused []itemRefusal
	// errs is nil until an answer refuses items (a 207), then one entry
	// per record of the batch, in its order: the refusal of each record
	// refused (noteRefused). Never pooled: Send's Partial keeps it.
	errs []error
	// failAt is the position in recs of the first record of the request
	// that failed: it and every record after it are not confirmed.
	failAt int
}

// Bounds on what a pooled scratch keeps, so that one huge batch does not
// pin its memory.
const (
	maxPooledRecs = 4096 // for recs, idx and sizes
	maxPooledBody = 2 * DefaultMaxBodyBytes
)

func (s *Sink) getScratch() *scratch {
	if sc, ok := s.scratch.Get().(*scratch); ok {
		return sc
	}
	return new(scratch)
}

func (s *Sink) putScratch(sc *scratch) {
	clear(sc.recs) // keep no reference to the caller's records
	sc.recs = sc.recs[:0]
	if cap(sc.recs) > maxPooledRecs {
		sc.recs = nil
	}
	if cap(sc.idx) > maxPooledRecs {
		sc.idx = nil
	}
	if cap(sc.sizes) > maxPooledRecs {
		sc.sizes = nil
	}
	if cap(sc.order) > maxPooledRecs {
		sc.order = nil
	}
	sc.order = sc.order[:0]
	clear(sc.refused) // drop the reasons
	sc.refused = sc.refused[:0]
	if cap(sc.refused) > maxPooledRecs {
		sc.refused = nil
	}
	sc.errs = nil
	if cap(sc.body) > max(maxPooledBody, 2*s.maxBody) {
		sc.body = nil
	}
	clear(sc.groups) // drop the env strings
	sc.groups = sc.groups[:0]
	s.scratch.Put(sc)
}

// split copies batch into sc.recs grouped by endpoint and environment, in
// the order each group first appears, keeping the order of the records
// within each group, and sets sc.groups.
func (sc *scratch) split(batch []eventqueue.Record) {
	sc.groups = sc.groups[:0]
	sc.recs = sc.recs[:0]
	sc.order = sc.order[:0]
	sc.errs = nil
	ep, env := endpointOf(batch[0].Kind()), batch[0].EnvID()
	one := true
	for i := range batch {
		if endpointOf(batch[i].Kind()) != ep || batch[i].EnvID() != env {
			one = false
			break
		}
	}
	if one { // the usual case: no sorting
		for i := range batch {
			sc.recs = append(sc.recs, batch[i].Record)
		}
		sc.groups = append(sc.groups, group{ep: ep, env: env, start: 0, end: len(batch)})
		return
	}
	// A counting sort. Finding a record's group is a linear search, but
	// each group costs at least one request, which dwarfs the search.
	sc.idx = sc.idx[:0]
	for i := range batch {
		ep, env := endpointOf(batch[i].Kind()), batch[i].EnvID()
		k := 0
		for k < len(sc.groups) && (sc.groups[k].ep != ep || sc.groups[k].env != env) {
			k++
		}
		if k == len(sc.groups) {
			sc.groups = append(sc.groups, group{ep: ep, env: env})
		}
		sc.groups[k].end++ // a count for now
		sc.idx = append(sc.idx, k)
	}
	off := 0
	for k := range sc.groups {
		n := sc.groups[k].end
		sc.groups[k].start, sc.groups[k].end = off, off
		off += n
	}
	sc.recs = append(sc.recs, make([]hits.Record, len(batch))...)
	sc.order = append(sc.order, make([]int, len(batch))...)
	for i := range batch {
		g := &sc.groups[sc.idx[i]]
		sc.recs[g.end] = batch[i].Record
		sc.order[g.end] = i
		g.end++
	}
}

// sendGroup sends the records of g in as few bodies as MaxBodyBytes
// allows, in order. When it fails, sc.failAt is the position of the
// first record not confirmed.
func (s *Sink) sendGroup(ctx context.Context, sc *scratch, g group) error {
	sc.failAt = g.start
	recs := sc.recs[g.start:g.end]
	// The usual case: everything fits in one body, encoded once.
	body, err := g.ep.appendBody(sc.body[:0], g.env, recs, s.now())
	if err != nil {
		return invalid(g.ep, recs, err)
	}
	sc.body = body
	if len(body) <= s.maxBody {
		if err := s.post(ctx, sc, g.ep); err != nil {
			return err
		}
		sc.noteRefused(g.ep, g.start, len(recs))
		return nil
	}

	// Learn the size of each record's item from its body on its own: a
	// body of items i..j-1 is empty + sum(sizes[i:j]) + (j-i-1) commas.
	// A record too large on its own fails the batch before any request.
	// The encoder accepted every record above, so it accepts any subset:
	// its errors are ignored below.
	now := s.now()
	b, _ := g.ep.appendBody(sc.body[:0], g.env, nil, now)
	empty := len(b)
	sc.sizes = sc.sizes[:0]
	for i := range recs {
		b, _ = g.ep.appendBody(b[:0], g.env, recs[i:i+1], now)
		if len(b) > s.maxBody {
			return s.tooLarge(&recs[i], len(b))
		}
		sc.sizes = append(sc.sizes, len(b)-empty)
	}
	sc.body = b

	for i := 0; i < len(recs); {
		sc.failAt = g.start + i
		j, size := i+1, empty+sc.sizes[i]
		for j < len(recs) && size+1+sc.sizes[j] <= s.maxBody {
			size += 1 + sc.sizes[j]
			j++
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("httpsink: %s: %w", g.ep, err)
		}
		// qt is recomputed for each request, and may have gained digits
		// since the sizes were taken: drop records until the body fits.
		for {
			sc.body, _ = g.ep.appendBody(sc.body[:0], g.env, recs[i:j], s.now())
			excess := len(sc.body) - s.maxBody
			if excess <= 0 {
				break
			}
			if j == i+1 {
				return s.tooLarge(&recs[i], len(sc.body))
			}
			for excess > 0 && j > i+1 {
				j--
				excess -= 1 + sc.sizes[j]
			}
		}
		if err := s.post(ctx, sc, g.ep); err != nil {
			return err
		}
		sc.noteRefused(g.ep, g.start+i, j-i)
		i = j
	}
	return nil
}

// invalid returns the permanent error for records the encoder refused
// with err: the first invalid record's, naming its id, if one is found.
func invalid(ep endpoint, recs []hits.Record, err error) error {
	for i := range recs {
		if verr := recs[i].Validate(); verr != nil {
			err = fmt.Errorf("record %s: %w", recs[i].ID(), verr)
			break
		}
	}
	return eventqueue.Permanent(fmt.Errorf("httpsink: %s: %w", ep, err))
}

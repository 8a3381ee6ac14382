package httpsink

import (
	"encoding/json"
	"net/http"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// maxMultiStatus bounds what is read of a 207's body: a refusal of every
// item of a large body, with long reasons, fits.
const maxMultiStatus = 1 << 20

// itemRefusal is one item of a request body that a 207 answer refuses:
// its index among the body's items and the server's reason.
type itemRefusal struct {
	index  int
	reason string
}

// multiStatus is the body of a 207 answer to a batch (flagshiptest's and
// "flagship serve"'s): the items refused, by index, with their reasons.
type multiStatus struct {
	Refused *[]struct {
		Index  *int   `json:"index"`
		Reason string `json:"reason"`
	} `json:"refused"`
}

// readMultiStatus appends to refused the items a 207's body refuses. A
// body it cannot read (not JSON, no refused array, an entry without an
// index) adds nothing: the answer is a 2xx, and the request taken as
// delivered. Indexes are checked against the request's items by
// noteRefused.
func (s *Sink) readMultiStatus(resp *http.Response, refused []itemRefusal) []itemRefusal {
	b, err := httpx.ReadBody(resp, maxMultiStatus)
	if err != nil {
		return refused
	}
	var ms multiStatus
	if json.Unmarshal(b, &ms) != nil || ms.Refused == nil {
		return refused
	}
	n := len(refused)
	for _, r := range *ms.Refused {
		if r.Index == nil {
			return refused[:n]
		}
		refused = append(refused, itemRefusal{index: *r.Index, reason: s.reason([]byte(r.Reason))})
	}
	return refused
}

// noteRefused marks, among the records of the batch, those sc.refused
// names, the items of the body that carried the records at positions
// [start, start+n) of sc.recs, as refused for good, with their reasons.
// An answer naming an item the body does not have, or naming one twice,
// is taken as a 2xx without refusals: nothing is marked.
func (sc *scratch) noteRefused(ep endpoint, start, n int) {
	if len(sc.refused) == 0 {
		return
	}
	seen := make(map[int]bool, len(sc.refused))
	for _, r := range sc.refused {
		if r.index < 0 || r.index >= n || seen[r.index] {
			return
		}
		seen[r.index] = true
	}
	if sc.errs == nil {
		sc.errs = make([]error, len(sc.recs))
	}
	for _, r := range sc.refused {
		sc.errs[sc.batchIndex(start+r.index)] = eventqueue.Permanent(&StatusError{
			Endpoint:   ep.String(),
			StatusCode: http.StatusMultiStatus,
			Body:       r.reason,
		})
	}
}

// batchIndex returns the index in the batch given to Send of the record
// at position p of sc.recs.
func (sc *scratch) batchIndex(p int) int {
	if len(sc.order) == 0 {
		return p
	}
	return sc.order[p]
}

// result returns what Send returns once its requests are done: nil, or,
// when some answer was a 207 refusing items, an eventqueue.Partial whose
// entries are nil for the records delivered, the refusal for those
// refused, and err for those from position failAt on when err is not nil
// (the requests not confirmed).
func (sc *scratch) result(err error, failAt int) error {
	if sc.errs == nil {
		return err
	}
	if err != nil {
		for p := failAt; p < len(sc.recs); p++ {
			sc.errs[sc.batchIndex(p)] = err
		}
	}
	return eventqueue.Partial(sc.errs)
}

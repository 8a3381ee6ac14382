package eventqueue

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// How a failed Send is judged (the rule of "Refusals" in the package
// documentation):
//
//   - An error the sink marks [Systemic], or any error but a permanent
//     one, is retried by the dispatcher: nothing is isolated.
//   - A [Permanent] refusal of several records is isolated: the records
//     are sent again in halves, recursively, down to single records.
//     The records found refused stay in the backlog until the isolation
//     ends (isolation); then judge decides for all of them at once.
//   - If the sink delivered some other record of the batch meanwhile,
//     or the refusals differ, they are about the records' content: the
//     refused records go to the dead letters.
//   - If every record was refused alike (the same message) and none was
//     delivered, the destination refuses, not the records: nothing is
//     dead-lettered and the batch is retried as Systemic. So is a lone
//     record refused as the last batch refused alike was, with no
//     delivery in between: a trickle of one-record batches to a
//     destination that refuses everything dead-letters at most the
//     first.
//   - A batch refused again exactly as last time (the same records, the
//     same refusal) is systemic at once, without isolating it again:
//     nothing new can be learnt, and a refusing destination is spared
//     2n-1 requests per attempt.
//
// The split's halves keep the batch's order. A half delivered moves the
// read position (forget) past the refused records before it, which are
// dead-lettered by judge, as something was delivered.

// send sends recs, a batch read from s's backlog, isolates the records
// at fault of a permanent refusal, and judges the refusals. It returns a
// *sendError for a failure the dispatcher retries.
func (q *Queue) send(ctx context.Context, s *sinkState, recs []Record, items []item) error {
	var iso isolation
	err := q.sendPart(ctx, s, recs, items, &iso, true)
	err = q.judge(ctx, s, &iso, err)
	if err == nil && iso.delivered > 0 && s.refusing {
		s.refusing = false
		q.log.LogAttrs(ctx, slog.LevelInfo, "destination delivers again", slog.String("sink", s.cfg.Name))
	}
	return err
}

// isolation is what the isolation of one batch found so far.
type isolation struct {
	bad               []badRecord // refused for good, in backlog order
	first             error       // the first refusal
	firstSeq, lastSeq uint64      // of the first and last refused records
	alike             bool        // every refusal has first's message
	delivered         int         // records the sink confirmed
}

// refuse notes that the sink refused the record (key, seq) for good.
func (iso *isolation) refuse(key []byte, seq uint64, err error) {
	msg := err.Error()
	switch {
	case len(iso.bad) == 0:
		iso.first, iso.firstSeq, iso.alike = err, seq, true
	case msg != iso.first.Error():
		iso.alike = false
	}
	iso.lastSeq = seq
	iso.bad = append(iso.bad, badRecord{key: key, reason: msg})
}

// refusal is a batch whose every record was refused alike, none
// delivered.
type refusal struct {
	reason      string
	first, last uint64 // Seq of its first and last records
	n           int
}

// again reports whether recs are r's records, refused by err as they
// were.
func (r refusal) again(recs []Record, err error) bool {
	if r.n == 0 || r.n != len(recs) || recs[0].Seq != r.first || recs[len(recs)-1].Seq != r.last {
		return false
	}
	e, ok := refusalOf(err, len(recs))
	return ok && e.Error() == r.reason
}

// refusalOf returns the refusal err gives every record of a batch of n,
// if there is one: a permanent batch error, or a Partial whose every
// entry is permanent with the same message.
func refusalOf(err error, n int) (error, bool) {
	errs, ok := PartialErrors(err)
	if !ok {
		return err, IsPermanent(err)
	}
	if len(errs) != n {
		return nil, false
	}
	for _, e := range errs {
		if e == nil || !IsPermanent(e) || e.Error() != errs[0].Error() {
			return nil, false
		}
	}
	return errs[0], true
}

// refusedAlike is the systemic error of records refused alike.
func refusedAlike(err error) error {
	return Systemic(errfmt.Errorf("eventqueue: every record refused alike, none delivered: %w", err))
}

// sendPart sends recs, the batch (whole) or a part of it being isolated,
// and notes in iso what was delivered and refused for good. It returns a
// *sendError for a failure the dispatcher retries, or ctx's error.
func (q *Queue) sendPart(ctx context.Context, s *sinkState, recs []Record, items []item, iso *isolation, whole bool) error {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	var done func(error)
	if q.opts.StartSend != nil {
		sctx, done = q.opts.StartSend(sctx, s.cfg.Name, len(recs))
	}
	start := time.Now()
	err := s.cfg.Sink.Send(sctx, recs)
	latency := time.Since(start)
	cancel()
	if done != nil {
		done(err)
	}
	switch {
	case err == nil:
		// Counters first: Flush returns once the backlog shrinks.
		s.sent.Add(uint64(len(recs)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(recs), Latency: latency})
		iso.delivered += len(recs)
		q.forget(s, items)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case whole && s.alike.again(recs, err):
		e, _ := refusalOf(err, len(recs))
		return q.retry(ctx, s, items, refusedAlike(e))
	case isPartial(err, len(recs)):
		return q.sendPartial(ctx, s, recs, items, err, latency, iso)
	case IsPermanent(err) && !isAnyPartial(err):
		// (A Partial of the wrong length tells nothing of the records at
		// fault: the whole batch is retried, below.)
		if len(recs) == 1 {
			iso.refuse(items[0].key[:], recs[0].Seq, err)
			return nil
		}
		mid := len(recs) / 2
		if err := q.sendPart(ctx, s, recs[:mid], items[:mid], iso, false); err != nil {
			return err
		}
		return q.sendPart(ctx, s, recs[mid:], items[mid:], iso, false)
	}
	return q.retry(ctx, s, items, err)
}

// retry counts a failed attempt of the records and returns the error
// that makes the dispatcher back off.
func (q *Queue) retry(ctx context.Context, s *sinkState, items []item, err error) error {
	s.retried.Add(uint64(len(items)))
	if e := q.bumpAttempts(s, items); e != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "counting attempts failed", slog.String("sink", s.cfg.Name), slog.Any("err", e))
	}
	return &sendError{n: len(items), err: err}
}

// judge decides the fate of the records iso found refused for good once
// the isolation ended, err saying how: nil, or the failure the
// dispatcher retries. It returns the error of send.
func (q *Queue) judge(ctx context.Context, s *sinkState, iso *isolation, err error) error {
	if iso.delivered > 0 {
		s.alike = refusal{}
	}
	if len(iso.bad) == 0 {
		return err
	}
	if iso.delivered == 0 && iso.alike {
		if err != nil {
			// Cut short with nothing told apart: the refused records are
			// sent again with the rest.
			return err
		}
		r := refusal{reason: iso.first.Error(), first: iso.firstSeq, last: iso.lastSeq, n: len(iso.bad)}
		lone := len(iso.bad) == 1 && s.alike.reason != r.reason
		s.alike = r
		if !lone {
			items := make([]item, len(iso.bad))
			for i, b := range iso.bad {
				copy(items[i].key[:], b.key)
			}
			return q.retry(ctx, s, items, refusedAlike(iso.first))
		}
		// A lone record, refused unlike the last one: taken for its
		// content.
	} else {
		s.alike = refusal{}
	}
	if e := q.deadLetter(ctx, s, iso.bad); e != nil {
		if iso.delivered > 0 {
			// Records delivered after them moved the read position past
			// them: read from the start again.
			s.rewind.Store(true)
		}
		return errors.Join(err, e)
	}
	return err
}

func isPartial(err error, n int) bool {
	errs, ok := PartialErrors(err)
	return ok && len(errs) == n
}

// sendPartial handles a batch its sink delivered in part: the delivered
// records are deleted now (not by the writer: the read position must not
// move past the failed ones), and the failed ones are retried, or, when
// all their errors are permanent, isolated.
func (q *Queue) sendPartial(ctx context.Context, s *sinkState, recs []Record, items []item, err error, latency time.Duration, iso *isolation) error {
	errs, _ := PartialErrors(err)
	var okItems, failItems []item
	var failRecs []Record
	var retry, last error
	for i, e := range errs {
		if e == nil {
			okItems = append(okItems, items[i])
			continue
		}
		failRecs, failItems, last = append(failRecs, recs[i]), append(failItems, items[i]), e
		// The error retried is the first systemic one, else the first
		// retryable one.
		if !IsPermanent(e) && (retry == nil || IsSystemic(e) && !IsSystemic(retry)) {
			retry = e
		}
	}
	if e := q.deleteNow(s, okItems); e != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "deleting delivered records failed; they will be sent again", slog.String("sink", s.cfg.Name), slog.Any("err", e))
		return &sendError{n: len(recs), err: errors.Join(e, err)}
	}
	if len(okItems) > 0 {
		s.sent.Add(uint64(len(okItems)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(okItems), Latency: latency})
		iso.delivered += len(okItems)
	}
	switch {
	case retry != nil:
		return q.retry(ctx, s, failItems, retry)
	case len(failRecs) == 1:
		iso.refuse(failItems[0].key[:], failRecs[0].Seq, last)
		return nil
	}
	// Several permanent failures: a destination may reject a group of
	// records for one of them (a Kafka partition's batch for one message
	// too large), so send them again in halves to find the culprits.
	mid := len(failRecs) / 2
	if err := q.sendPart(ctx, s, failRecs[:mid], failItems[:mid], iso, false); err != nil {
		return err
	}
	return q.sendPart(ctx, s, failRecs[mid:], failItems[mid:], iso, false)
}

func isAnyPartial(err error) bool {
	_, ok := PartialErrors(err)
	return ok
}

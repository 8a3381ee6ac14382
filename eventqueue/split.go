package eventqueue

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// send sends recs; on a permanent rejection it splits them to isolate the
// records at fault.
func (q *Queue) send(ctx context.Context, s *sinkState, recs []Record, items []item) error {
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	start := time.Now()
	err := s.cfg.Sink.Send(sctx, recs)
	latency := time.Since(start)
	cancel()
	switch {
	case err == nil:
		// Counters first: Flush returns once the backlog shrinks.
		s.sent.Add(uint64(len(recs)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(recs), Latency: latency})
		q.forget(s, items)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case isPartial(err, len(recs)):
		return q.sendPartial(ctx, s, recs, items, err, latency)
	case IsPermanent(err) && !errors.As(err, new(*partialError)):
		// (A Partial of the wrong length tells nothing of the records at
		// fault: the whole batch is retried, below.)
		if len(recs) == 1 {
			return q.deadLetter(ctx, s, []badRecord{{key: items[0].key[:], reason: err.Error()}})
		}
		mid := len(recs) / 2
		if err := q.send(ctx, s, recs[:mid], items[:mid]); err != nil {
			return err
		}
		return q.send(ctx, s, recs[mid:], items[mid:])
	}
	s.retried.Add(uint64(len(recs)))
	if e := q.bumpAttempts(s, items); e != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "counting attempts failed", slog.String("sink", s.cfg.Name), slog.Any("err", e))
	}
	return &sendError{n: len(recs), err: err}
}

func isPartial(err error, n int) bool {
	var pe *partialError
	return errors.As(err, &pe) && len(pe.errs) == n
}

// sendPartial handles a batch its sink delivered in part: the delivered
// records are deleted now (not by the writer: the read position must not
// move past the failed ones), and the failed ones are retried, or, when
// all their errors are permanent, isolated and dead-lettered.
func (q *Queue) sendPartial(ctx context.Context, s *sinkState, recs []Record, items []item, err error, latency time.Duration) error {
	var pe *partialError
	errors.As(err, &pe)
	var okItems, failItems []item
	var failRecs []Record
	var retry, last error
	for i, e := range pe.errs {
		if e == nil {
			okItems = append(okItems, items[i])
			continue
		}
		failRecs, failItems, last = append(failRecs, recs[i]), append(failItems, items[i]), e
		if retry == nil && !IsPermanent(e) {
			retry = e
		}
	}
	if err := q.deleteNow(s, okItems); err != nil {
		q.log.LogAttrs(ctx, slog.LevelWarn, "deleting delivered records failed; they will be sent again", slog.String("sink", s.cfg.Name), slog.Any("err", err))
		return &sendError{n: len(recs), err: errors.Join(err, pe)}
	}
	if len(okItems) > 0 {
		s.sent.Add(uint64(len(okItems)))
		s.batches.Add(1)
		s.lastLatency.Store(int64(latency))
		q.emit(ctx, Event{Kind: EventBatchSent, Sink: s.cfg.Name, N: len(okItems), Latency: latency})
	}
	switch {
	case retry != nil:
		s.retried.Add(uint64(len(failRecs)))
		if e := q.bumpAttempts(s, failItems); e != nil {
			q.log.LogAttrs(ctx, slog.LevelWarn, "counting attempts failed", slog.String("sink", s.cfg.Name), slog.Any("err", e))
		}
		return &sendError{n: len(failRecs), err: retry}
	case len(failRecs) == 1:
		return q.deadLetter(ctx, s, []badRecord{{key: failItems[0].key[:], reason: last.Error()}})
	}
	// Several permanent failures: a destination may reject a group of
	// records for one of them (a Kafka partition's batch for one message
	// too large), so send them again in halves to find the culprits.
	mid := len(failRecs) / 2
	if err := q.send(ctx, s, failRecs[:mid], failItems[:mid]); err != nil {
		return err
	}
	return q.send(ctx, s, failRecs[mid:], failItems[mid:])
}

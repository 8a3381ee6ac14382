package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// Run delivers every sink's backlog, one goroutine per sink, until ctx
// ends or the queue is closed, then waits for them and returns nil. It
// follows the durable queue's rules (see package eventqueue): a batch
// leaves with BatchSize records or FlushInterval after it started
// waiting; a failure is retried with jittered exponential backoff from
// RetryInitial to RetryMax, never sooner than an eventqueue.RetryAfter;
// a Permanent refusal is isolated by sending halves, and the records at
// fault are dropped, unless every record was refused alike and none
// delivered (a Systemic refusal, retried); records older than MaxAge are
// dropped as expired.
func (q *memQueue) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // ends with the dispatchers: when ctx ends, or Close
		defer wg.Done()
		select {
		case <-q.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, s := range q.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.dispatch(ctx, s)
		}()
	}
	wg.Wait()
	return nil
}

// dispatch is one sink's delivery loop.
func (q *memQueue) dispatch(ctx context.Context, s *memSink) {
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(s.cfg.RetryInitial),
		backoff.WithMaxInterval(s.cfg.RetryMax),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0.5),
		backoff.WithMaxElapsedTime(0), // forever: records leave by delivery, expiry or refusal
	)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	timerOn, due := false, false
	for ctx.Err() == nil {
		q.mu.Lock()
		n := len(s.recs)
		q.mu.Unlock()
		switch {
		case n == 0:
			due = false
			if timerOn {
				timer.Stop()
				timerOn = false
			}
			select {
			case <-s.notify:
			case <-ctx.Done():
			}
			continue
		case n < s.cfg.BatchSize && !due && s.urgent.Load() == 0:
			if !timerOn {
				timer.Reset(s.cfg.FlushInterval)
				timerOn = true
			}
			select {
			case <-s.notify:
			case <-timer.C:
				timerOn, due = false, true
			case <-ctx.Done():
			}
			continue
		}
		err := q.deliver(ctx, s)
		if err == nil {
			bo.Reset()
			due = false
			continue
		}
		if ctx.Err() != nil {
			return
		}
		delay := min(bo.NextBackOff(), s.cfg.RetryMax)
		if d, ok := eventqueue.RetryAfterOf(err); ok {
			delay = max(delay, min(d, s.cfg.MaxRetryAfter))
		}
		q.reportFailure(ctx, s, err, delay)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		due = true // retry without waiting for the interval
	}
}

// reportFailure logs a failed send, at Warn for the first of a run of
// failures (or of a systemic refusal) and at Debug for the others, and
// emits its events.
func (q *memQueue) reportFailure(ctx context.Context, s *memSink, err error, delay time.Duration) {
	var sendErr *memSendError
	n := 0
	if errors.As(err, &sendErr) {
		n = sendErr.n
	}
	attrs := []slog.Attr{slog.String("sink", s.cfg.Name), slog.Duration("in", delay), slog.Any("err", err)}
	switch {
	case eventqueue.IsSystemic(err) && !s.refusing:
		s.refusing, s.failing = true, true
		q.log.LogAttrs(ctx, slog.LevelWarn, "destination refuses delivery; nothing is dropped, will retry until it delivers again", attrs...)
		q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventDestinationRefused, Sink: s.cfg.Name, N: n, Delay: delay, Err: err})
	case !s.failing:
		s.failing = true
		q.log.LogAttrs(ctx, slog.LevelWarn, "send failed, will retry", attrs...)
	default:
		q.log.LogAttrs(ctx, slog.LevelDebug, "send failed again, will retry", attrs...)
	}
	q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventBatchFailed, Sink: s.cfg.Name, N: n, Delay: delay, Err: err})
}

// memSendError is a retryable failure of a send of n records.
type memSendError struct {
	n   int
	err error
}

func (e *memSendError) Error() string { return e.err.Error() }
func (e *memSendError) Unwrap() error { return e.err }

// memSend is what the sends of one batch found: per record of the
// batch, whether it left the backlog (delivered or dropped), and the
// records refused for good.
type memSend struct {
	batch     []eventqueue.Record
	done      []bool
	delivered int
	refused   []int // indexes in batch, in order
	first     error // the first refusal
	alike     bool  // every refusal has first's message
}

func (m *memSend) refuse(i int, err error) {
	switch {
	case len(m.refused) == 0:
		m.first, m.alike = err, true
	case err.Error() != m.first.Error():
		m.alike = false
	}
	m.refused = append(m.refused, i)
}

// deliver drops the expired records at the head of s's backlog, sends
// one batch, and settles its records. It returns a *memSendError (or
// ctx's error) when the batch is to be retried.
func (q *memQueue) deliver(ctx context.Context, s *memSink) error {
	batch := q.take(ctx, s)
	if len(batch) == 0 {
		return nil
	}
	m := &memSend{batch: batch, done: make([]bool, len(batch))}
	idx := make([]int, len(batch))
	for i := range idx {
		idx[i] = i
	}
	err := q.sendPart(ctx, s, m, idx, true)
	err = q.judge(ctx, s, m, err)
	if err == nil && s.failing {
		// Before settle: whoever Flush wakes sees the recovery logged.
		s.failing, s.refusing = false, false
		q.log.LogAttrs(ctx, slog.LevelInfo, "sink delivers again", slog.String("sink", s.cfg.Name))
	}
	q.settle(s, m, err != nil)
	return err
}

// take drops the expired records among the first BatchSize of s's
// backlog and returns the batch to send, marking it as being sent.
func (q *memQueue) take(ctx context.Context, s *memSink) []eventqueue.Record {
	now := q.now()
	q.mu.Lock()
	window := min(len(s.recs), s.cfg.BatchSize)
	expired := 0
	var size int64
	if s.cfg.MaxAge > 0 {
		// Compact the window toward its end, keeping the order.
		w := window
		for i := window - 1; i >= 0; i-- {
			if now.Sub(s.recs[i].rec.Created()) > s.cfg.MaxAge {
				expired++
				size += s.recs[i].size
				continue
			}
			w--
			s.recs[w] = s.recs[i]
		}
		clear(s.recs[:w])
		s.recs = s.recs[w:]
		window -= expired
		// Counters first: Flush returns once the backlog shrinks.
		s.expired.Add(uint64(expired))
		s.deadLettered.Add(uint64(expired))
		q.dead.Add(uint64(expired))
		q.shrunkLocked(s, expired, size)
	}
	batch := make([]eventqueue.Record, window)
	for i := range batch {
		r := &s.recs[i]
		batch[i] = eventqueue.Record{Record: r.rec, Seq: r.seq, Attempts: r.attempts}
	}
	s.sending = window
	q.mu.Unlock()
	if expired > 0 {
		q.log.LogAttrs(ctx, slog.LevelError, "records expired before delivery: dropped (no dead letters in memory)",
			slog.String("sink", s.cfg.Name), slog.Int("records", expired), slog.Duration("max_age", s.cfg.MaxAge))
		q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventDeadLettered, Sink: s.cfg.Name, N: expired, Reason: eventqueue.ReasonExpired})
	}
	return batch
}

// sendPart sends the records idx of the batch (the whole batch, or a part
// being isolated), and notes in m what was delivered and refused for
// good. It returns a *memSendError for a failure to retry, or ctx's error.
func (q *memQueue) sendPart(ctx context.Context, s *memSink, m *memSend, idx []int, whole bool) error {
	recs := make([]eventqueue.Record, len(idx))
	for i, j := range idx {
		recs[i] = m.batch[j]
	}
	sctx, cancel := context.WithTimeout(ctx, s.cfg.SendTimeout)
	var done func(error)
	if q.startSend != nil {
		sctx, done = q.startSend(sctx, s.cfg.Name, len(recs))
	}
	start := time.Now()
	err := s.cfg.Sink.Send(sctx, recs)
	latency := time.Since(start)
	cancel()
	if done != nil {
		done(err)
	}
	perRecord, isPartial := eventqueue.PartialErrors(err)
	switch {
	case err == nil:
		q.delivered(ctx, s, m, idx, latency)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case whole && eventqueue.IsPermanent(err) && s.lastRefusal != "" && err.Error() == s.lastRefusal:
		// Refused again as last time, nothing delivered since: the
		// destination refuses, and isolating again would tell nothing.
		s.retried.Add(uint64(len(idx)))
		return &memSendError{n: len(idx), err: refusedAlike(err)}
	case isPartial && len(perRecord) == len(idx):
		return q.sendPartial(ctx, s, m, idx, perRecord, latency)
	case eventqueue.IsPermanent(err) && !isPartial:
		// (A Partial of the wrong length tells nothing of the records at
		// fault: the whole batch is retried, below, as eventqueue does.)
		if len(idx) == 1 {
			m.refuse(idx[0], err)
			return nil
		}
		mid := len(idx) / 2
		if err := q.sendPart(ctx, s, m, idx[:mid], false); err != nil {
			return err
		}
		return q.sendPart(ctx, s, m, idx[mid:], false)
	}
	s.retried.Add(uint64(len(idx)))
	return &memSendError{n: len(idx), err: err}
}

// sendPartial handles a send the sink confirmed in part: the records
// delivered leave, the others are retried, or isolated when every one of
// their errors is permanent.
func (q *memQueue) sendPartial(ctx context.Context, s *memSink, m *memSend, idx []int, errs []error, latency time.Duration) error {
	var ok, failed []int
	var retry, last error
	for i, e := range errs {
		if e == nil {
			ok = append(ok, idx[i])
			continue
		}
		failed, last = append(failed, idx[i]), e
		if !eventqueue.IsPermanent(e) && (retry == nil || eventqueue.IsSystemic(e) && !eventqueue.IsSystemic(retry)) {
			retry = e
		}
	}
	if len(ok) > 0 {
		q.delivered(ctx, s, m, ok, latency)
	}
	switch {
	case retry != nil:
		s.retried.Add(uint64(len(failed)))
		return &memSendError{n: len(failed), err: retry}
	case len(failed) == 1:
		m.refuse(failed[0], last)
		return nil
	}
	mid := len(failed) / 2
	if err := q.sendPart(ctx, s, m, failed[:mid], false); err != nil {
		return err
	}
	return q.sendPart(ctx, s, m, failed[mid:], false)
}

// delivered notes that the records idx of the batch were confirmed.
func (q *memQueue) delivered(ctx context.Context, s *memSink, m *memSend, idx []int, latency time.Duration) {
	for _, j := range idx {
		m.done[j] = true
	}
	m.delivered += len(idx)
	s.sent.Add(uint64(len(idx)))
	s.batches.Add(1)
	s.lastLatency.Store(int64(latency))
	s.refusing = false
	q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventBatchSent, Sink: s.cfg.Name, N: len(idx), Latency: latency})
}

// judge decides the fate of the records m found refused for good once
// the sends of the batch ended, err saying how; it returns the error of
// deliver. Records refused for their content (something else was
// delivered, or the refusals differ, or a lone record refused unlike the
// last refusal) are dropped; records all refused alike with nothing
// delivered are a refusal of the destination, retried.
func (q *memQueue) judge(ctx context.Context, s *memSink, m *memSend, err error) error {
	if m.delivered > 0 {
		s.lastRefusal = ""
	}
	if len(m.refused) == 0 {
		return err
	}
	if m.delivered == 0 && m.alike {
		if err != nil {
			return err // cut short: the refused records are sent again with the rest
		}
		reason := m.first.Error()
		lone := len(m.refused) == 1 && s.lastRefusal != reason
		s.lastRefusal = reason
		if !lone {
			s.retried.Add(uint64(len(m.refused)))
			return &memSendError{n: len(m.refused), err: refusedAlike(m.first)}
		}
	} else {
		s.lastRefusal = ""
	}
	for _, j := range m.refused {
		m.done[j] = true
	}
	n := len(m.refused)
	s.deadLettered.Add(uint64(n))
	q.dead.Add(uint64(n))
	q.log.LogAttrs(ctx, slog.LevelError, "records refused for good: dropped (no dead letters in memory)",
		slog.String("sink", s.cfg.Name), slog.Int("records", n), slog.Any("err", m.first))
	q.emit(ctx, eventqueue.Event{Kind: eventqueue.EventDeadLettered, Sink: s.cfg.Name, N: n, Reason: m.first.Error()})
	return err
}

// refusedAlike is the systemic error of records refused alike.
func refusedAlike(err error) error {
	return eventqueue.Systemic(fmt.Errorf("every record refused alike, none delivered: %w", err))
}

// settle ends the send of the batch: the records done leave the backlog,
// the others stay at its head in order, with one more attempt if the
// send failed.
func (q *memQueue) settle(s *memSink, m *memSend, failed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := s.sending
	s.sending = 0
	if n > len(s.recs) {
		return // Close dropped the backlog
	}
	var size int64
	left := 0
	w := n
	for i := n - 1; i >= 0; i-- {
		r := s.recs[i]
		if m.done[i] {
			size += r.size
			left++
			continue
		}
		if failed {
			r.attempts++
		}
		w--
		s.recs[w] = r
	}
	clear(s.recs[:w])
	s.recs = s.recs[w:]
	if len(s.recs) == 0 {
		s.recs = nil // let the array go
	}
	q.shrunkLocked(s, left, size)
}

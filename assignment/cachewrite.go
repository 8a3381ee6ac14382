package assignment

import (
	"context"
	"log/slog"
	"time"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// Save implements [Store]: it merges the entries into memory at once
// and queues them for [Cache.Run] to write; it never waits for the
// store. For a key not in memory (its read failed or was not waited
// for), only activated assignments are kept: a decision made without
// the visitor's assignments must not write its fresh allocations over
// what the store holds. Beyond MaxPendingWrites keys waiting, writes of
// new keys are dropped and counted.
func (c *Cache) Save(ctx context.Context, entries []Entry) error {
	if c.closed.Load() {
		return ErrClosed
	}
	now := c.opts.Now().UnixNano()
	queued := false
	c.mu.Lock()
	for _, e := range entries {
		if len(e.Assignments) == 0 {
			continue
		}
		a := e.Assignments
		loaded := false
		c.m.Update(e.Key, now, 0, false, func(cur Assignments, _ bool) Assignments {
			loaded = true
			return Merge(cur, a)
		})
		if !loaded {
			if a = activatedOnly(a); a == nil {
				continue
			}
		}
		cur, ok := c.pending[e.Key]
		if !ok && len(c.pending) >= c.opts.MaxPendingWrites {
			c.dropped.Add(1)
			if !c.full {
				c.full = true
				c.mu.Unlock()
				c.log.LogAttrs(ctx, slog.LevelWarn, "assignment writes dropped: too many waiting", slog.Int("max", c.opts.MaxPendingWrites))
				c.emit(ctx, Event{Kind: EventWritesDropped, N: c.opts.MaxPendingWrites})
				c.mu.Lock()
			}
			continue
		}
		c.pending[e.Key] = Merge(cur, a)
		queued = true
	}
	c.mu.Unlock()
	if queued {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// activatedOnly returns the activated assignments of a, or nil.
func activatedOnly(a Assignments) Assignments {
	var out Assignments
	for vg, x := range a {
		if x.Activated {
			if out == nil {
				out = make(Assignments, len(a))
			}
			out[vg] = x
		}
	}
	return out
}

// Delete implements [Store]: it forgets keys in memory and in the
// writes waiting, then deletes them from the store, waiting for it
// (within ctx).
func (c *Cache) Delete(ctx context.Context, keys []string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.writeMu.Lock() // a write in flight lands before the delete
	defer c.writeMu.Unlock()
	c.mu.Lock()
	c.epoch++
	for _, k := range keys {
		c.m.Delete(k)
		delete(c.pending, k)
	}
	c.mu.Unlock()
	err := c.store.Delete(ctx, keys)
	// A read that began while the store deleted may have seen the keys.
	c.mu.Lock()
	c.epoch++
	for _, k := range keys {
		c.m.Delete(k)
	}
	c.mu.Unlock()
	if err != nil {
		err = errfmt.Errorf("assignment: delete %d keys: %w", len(keys), err)
		c.failed(ctx, "delete", len(keys), err)
		return err
	}
	return nil
}

// Run writes saved assignments to the store, in batches of at most
// WriteBatch, as they come, until ctx ends; failed writes are kept and
// tried again once the breaker lets them. It returns nil when ctx ends.
// What still waits then is written by [Cache.Flush].
func (c *Cache) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if c.realClock {
		t := time.NewTicker(clockTick)
		defer t.Stop()
		tick = t.C
		c.coarse.Store(time.Now().UnixNano())
		defer c.coarse.Store(0)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
			c.coarse.Store(time.Now().UnixNano())
			continue
		case <-c.wake:
		}
		for {
			if d := c.br.wait(c.opts.Now()); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				}
			}
			// A write started is not cut short when ctx ends: Run stops
			// between batches.
			n, err := c.writeBatch(context.WithoutCancel(ctx))
			if n == 0 {
				break
			}
			if err != nil && ctx.Err() != nil {
				return nil
			}
		}
	}
}

// Flush writes every assignment waiting, ignoring the breaker, and
// returns the first failure; ctx bounds it.
func (c *Cache) Flush(ctx context.Context) error {
	for {
		n, err := c.writeBatch(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// writeBatch writes up to WriteBatch waiting keys; it returns how many
// it tried.
func (c *Cache) writeBatch(ctx context.Context) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return 0, nil
	}
	entries := make([]Entry, 0, min(len(c.pending), c.opts.WriteBatch))
	c.writing = make(map[string]Assignments, cap(entries))
	for k, a := range c.pending {
		if len(entries) == c.opts.WriteBatch {
			break
		}
		entries = append(entries, Entry{Key: k, Assignments: a})
		c.writing[k] = a
		delete(c.pending, k)
	}
	c.full = false
	c.mu.Unlock()

	wctx, cancel := context.WithTimeout(ctx, c.opts.WriteTimeout)
	err := c.store.Save(wctx, entries)
	cancel()

	c.mu.Lock()
	if err != nil {
		// Back in the queue, under what was saved meanwhile.
		for k, a := range c.writing {
			c.pending[k] = Merge(a, c.pending[k])
		}
	} else {
		// A read out since before the write may not see it.
		for k, a := range c.writing {
			if call := c.inflight[k]; call != nil {
				if call.landed == nil {
					call.landed = make(map[string]Assignments)
				}
				call.landed[k] = Merge(call.landed[k], a)
			}
		}
	}
	c.writing = nil
	c.mu.Unlock()
	if err != nil {
		err = errfmt.Errorf("assignment: save %d keys: %w", len(entries), err)
		c.saveFailures.Add(1)
		c.failed(ctx, "save", len(entries), err)
		return len(entries), err
	}
	c.saved.Add(uint64(len(entries)))
	c.succeeded(ctx)
	return len(entries), nil
}

package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/hits"
)

// AssignmentsFileName is the name of the default assignment store's
// file in the cache directory.
const AssignmentsFileName = "assignments.db"

// openAssignments opens BUCKETING mode's assignment store: the caller's
// (AssignmentOptions.Store), or the local file in dir, behind the cache
// unless it is in memory already. Without dir (DeliveryOptions.InMemory
// and no usable cache directory), or with DeliveryOptions.InMemory and a
// file that cannot be opened, the default store is in memory.
func (c *Client) openAssignments(ctx context.Context, dir string) error {
	cfg := &c.cfg
	store := cfg.assignments.Store
	if store == nil && dir == "" {
		store = assignment.NewMemory(0)
	}
	if store == nil {
		path := filepath.Join(dir, AssignmentsFileName)
		f, err := assignment.OpenFile(path, assignment.FileOptions{Logger: c.logBase, Now: cfg.now})
		switch {
		case errors.Is(err, assignment.ErrLocked):
			return fmt.Errorf("flagship: %w", err)
		case err != nil && cfg.delivery.InMemory:
			c.log.LogAttrs(ctx, slog.LevelWarn, "assignment file unusable: assignments are kept in memory", slog.Any("err", err))
			store = assignment.NewMemory(0)
		case err != nil:
			return storageError("assignment file", err, // err names the path
				"give a writable directory with WithCacheDir, a store with AssignmentOptions.Store, or run without files with DeliveryOptions.InMemory")
		default:
			c.assignFile = f
			store = f
		}
	}
	switch s := store.(type) {
	case *assignment.Memory:
		c.assignments = s
		return nil
	case *assignment.Cache:
		c.assignments = s // the caller's: run and closed by the caller
		return nil
	}
	o := cfg.assignments.Cache
	o.Logger = c.logBase.With("component", "assignments")
	if cfg.clockSet {
		o.Now = cfg.now // else the cache's cheaper reading of the real clock
	}
	userEvent := o.OnEvent
	o.OnEvent = func(ctx context.Context, e assignment.Event) {
		c.assignmentEvent(ctx, e)
		if userEvent != nil {
			userEvent(ctx, e)
		}
	}
	c.assignCache = assignment.NewCache(store, o)
	c.assignments = c.assignCache
	return nil
}

// startAssignmentWriter writes the cache's saves behind the requests
// until ctx ends.
func (c *Client) startAssignmentWriter(ctx context.Context) {
	if c.assignCache == nil {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		_ = c.assignCache.Run(ctx) // returns nil when ctx ends
	}()
}

// flushAssignments writes the assignments the cache holds for the store.
func (c *Client) flushAssignments(ctx context.Context) error {
	if c.assignCache == nil {
		return nil
	}
	if err := c.assignCache.Flush(ctx); err != nil {
		return fmt.Errorf("flagship: close: assignments not written: %w", err)
	}
	return nil
}

// closeAssignments releases what openAssignments opened.
func (c *Client) closeAssignments() {
	if c.assignCache != nil {
		_ = c.assignCache.Close()
	}
	if c.assignFile != nil {
		if err := c.assignFile.Close(); err != nil {
			c.log.Error("closing the assignment file failed", slog.Any("err", err))
		}
	}
}

// assignmentEvent turns a cache event into a notification.
func (c *Client) assignmentEvent(ctx context.Context, e assignment.Event) {
	switch e.Kind {
	case assignment.EventStoreFailed:
		c.emit(ctx, Notification{Kind: NotifyAssignmentStoreFailed, Reason: e.Op, N: e.N, Err: e.Err})
	case assignment.EventBreakerChanged:
		c.emit(ctx, Notification{Kind: NotifyAssignmentStoreState, Reason: e.State.String(), Err: e.Err})
	case assignment.EventWritesDropped:
		c.emit(ctx, Notification{Kind: NotifyAssignmentStoreFailed, Reason: "writes dropped", N: e.N,
			Err: errors.New("flagship: assignment writes dropped: too many waiting for the store")})
	}
}

// AssignmentStats returns the state and counters of the cache in front of
// BUCKETING mode's assignment store: the breaker's state, hits and
// misses, failures, writes waiting. It is the zero value in DECISION_API
// mode and when the store is used without the SDK's cache (an
// [assignment.Memory], or an [assignment.Cache] of the caller's).
func (c *Client) AssignmentStats() assignment.CacheStats {
	if !c.wired.Load() || c.assignCache == nil {
		return assignment.CacheStats{}
	}
	return c.assignCache.Stats()
}

// EraseVisitorData deletes what the client holds about the given visitor
// ids (a right-to-erasure request): their assignments in the store,
// waiting for the store, and their hits and activations still in the
// queue (consent records are kept: they prove the withdrawal). Hits
// already delivered are Flagship's. It returns ErrClosed after Close.
func (c *Client) EraseVisitorData(ctx context.Context, visitorIDs ...string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	c.sentContexts.Forget(visitorIDs...)
	return clientTracker{c}.Purge(ctx, c.envID, visitorIDs...)
}

// deleteAssignments deletes the visitors' assignments (consent
// withdrawal, erasure).
func (c *Client) deleteAssignments(ctx context.Context, visitorIDs []string) error {
	if c.assignments == nil || len(visitorIDs) == 0 {
		return nil
	}
	if err := c.assignments.Delete(ctx, visitorIDs); err != nil {
		return fmt.Errorf("flagship: delete assignments: %w", err)
	}
	return nil
}

// recordActivation tells the bucketing engine's assignment store about an
// activation, as Flagship's activation endpoint does (spec §8.2).
func (c *Client) recordActivation(ctx context.Context, r hits.Record) {
	vgID, varID, ok := r.Activation()
	if c.engine == nil || c.assignments == nil || !ok {
		return
	}
	if err := c.engine.RecordActivation(ctx, r.VisitorID(), vgID, varID); err != nil {
		c.log.LogAttrs(ctx, slog.LevelWarn, "assignment write failed", slog.Any("err", err))
	}
}

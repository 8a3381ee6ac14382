package fsopenfeature

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed27eed597/flagship-go/visitor"
)

// exposureBuffer is how many exposures wait for the exposure goroutine;
// beyond it, an evaluation reports its exposure itself.
const exposureBuffer = 4096

// exposure is an evaluation whose variation the visitor saw.
type exposure struct {
	ctx  context.Context // the evaluation's, without its cancellation
	v    *visitor.Visitor
	flag string
}

// exposures hands exposures to a goroutine of the provider, as
// LaunchDarkly's event processor does with evaluation events: an
// evaluation only sends on a channel, and the activation (a record built
// and queued, de-duplicated by the visitor) is made off the request
// path. When the goroutine is not running (before Init, after Shutdown)
// or the channel is full, the evaluation activates itself: no exposure
// is dropped.
type exposures struct {
	ch      chan exposure
	pending atomic.Int64 // sent and not yet activated

	// mu is held to send, so that once run has set open to false under
	// it, no send can follow the drain.
	mu   sync.RWMutex
	open bool
}

func newExposures(size int) *exposures {
	return &exposures{ch: make(chan exposure, size)}
}

// report activates flag for v, through the goroutine when it runs.
func (e *exposures) report(ctx context.Context, v *visitor.Visitor, flag string) {
	e.mu.RLock()
	if e.open {
		e.pending.Add(1)
		select {
		case e.ch <- exposure{ctx: context.WithoutCancel(ctx), v: v, flag: flag}:
			e.mu.RUnlock()
			return
		default:
			e.pending.Add(-1)
		}
	}
	e.mu.RUnlock()
	activateNow(ctx, v, flag)
}

// activateNow reports the exposure through an activating read, which
// queues without waiting for the disk and drops a repeat within
// visitor.DedupWindow.
func activateNow(ctx context.Context, v *visitor.Visitor, flag string) {
	v.Activating(ctx).Bool(flag, false)
}

// start opens the channel to run, the goroutine the caller starts.
func (e *exposures) start() {
	e.mu.Lock()
	e.open = true
	e.mu.Unlock()
}

// run activates the exposures sent until stop is closed, then those
// still in the channel.
func (e *exposures) run(stop <-chan struct{}) {
	for {
		select {
		case x := <-e.ch:
			e.activate(x)
		case <-stop:
			e.mu.Lock()
			e.open = false // later reports activate themselves
			e.mu.Unlock()
			for {
				select {
				case x := <-e.ch:
					e.activate(x)
				default:
					return
				}
			}
		}
	}
}

func (e *exposures) activate(x exposure) {
	activateNow(x.ctx, x.v, x.flag)
	e.pending.Add(-1)
}

// wait waits until every exposure sent so far was activated, or ctx
// ends.
func (e *exposures) wait(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for e.pending.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("fsopenfeature: flush: %d exposures not yet queued: %w", e.pending.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

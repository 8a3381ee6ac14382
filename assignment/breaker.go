package assignment

import (
	"fmt"
	"sync"
	"time"
)

// BreakerState is the state of a [Cache]'s circuit breaker.
type BreakerState uint8

const (
	// BreakerClosed: the store is used normally.
	BreakerClosed BreakerState = iota
	// BreakerOpen: the store failed repeatedly; loads are not tried
	// (decisions go on without assignments, or fail when fail-closed)
	// and writes wait, until the cooldown ends.
	BreakerOpen
	// BreakerHalfOpen: the cooldown ended; one call probes the store,
	// whose outcome closes or reopens the breaker.
	BreakerHalfOpen
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint8(s))
}

// breaker opens after threshold consecutive failures, for cooldown; then
// lets one probe through.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu       sync.Mutex
	state    BreakerState
	failures int
	until    time.Time // while open: when a probe may go
	probing  bool      // half-open: the probe is out
}

// allow reports whether a call may go to the store now. An open breaker
// whose cooldown ended lets exactly one caller through as the probe
// (probe true); the state then changes to half-open (changed true).
func (b *breaker) allow(now time.Time) (ok, probe, changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return true, false, false
	case BreakerOpen:
		if now.Before(b.until) {
			return false, false, false
		}
		b.state, b.probing = BreakerHalfOpen, true
		return true, true, true
	default: // half-open
		if b.probing {
			return false, false, false
		}
		b.probing = true
		return true, true, false
	}
}

// wait returns how long until a call may go (0: now).
func (b *breaker) wait(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && now.Before(b.until) {
		return b.until.Sub(now)
	}
	return 0
}

// success records a call that worked; changed reports a state change
// (to closed).
func (b *breaker) success() (changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures = 0
	b.probing = false
	if b.state == BreakerClosed {
		return false
	}
	b.state = BreakerClosed
	return true
}

// failure records a failed call; changed reports that the breaker
// opened.
func (b *breaker) failure(now time.Time) (changed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures++
	b.probing = false
	if b.state == BreakerOpen {
		b.until = now.Add(b.cooldown) // a write tried after the cooldown failed
		return false
	}
	if b.state == BreakerClosed && b.failures < b.threshold {
		return false
	}
	b.state = BreakerOpen
	b.until = now.Add(b.cooldown)
	return true
}

func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

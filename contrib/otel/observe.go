package fsotel

import (
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/seed27eed597/flagship-go/flagship"
)

// observe reports the observable metrics of client c, of environment e
// and mode mode.
func (o *Observer) observe(ob metric.Observer, c *flagship.Client, e *env, mode flagship.Mode) {
	m := &o.m
	status := c.Status()
	for s := range nStatuses {
		ob.ObserveInt64(m.status, bool01(flagship.Status(s) == status), e.status[s].obs...)
	}
	if int(status) >= nStatuses {
		ob.ObserveInt64(m.status, 1, e.other(keyStatus, status.String()).obs...)
	}

	if int(mode) < nModes {
		ob.ObserveInt64(m.decisions, e.decisions[mode].Load(), e.decide[mode].obs...)
	}

	q := c.QueueStats()
	for _, s := range q.Sinks {
		set := e.sink(s.Name)
		ob.ObserveInt64(m.queueDepth, s.Depth, set.obs...)
		ob.ObserveFloat64(m.queueOldest, s.OldestAge.Seconds(), set.obs...)
	}
	ob.ObserveInt64(m.deadLetters, q.DeadLetters, e.base.obs...)

	if mode != flagship.Bucketing {
		return
	}
	if b, ok := c.BucketingStatus(); ok && b.Loaded && !b.Checked.IsZero() {
		ob.ObserveFloat64(m.fileAge, time.Since(b.Checked).Seconds(), e.base.obs...)
	}
	a := c.AssignmentStats()
	ob.ObserveInt64(m.lookups, int64(a.Hits), e.lookupHit.obs...)
	ob.ObserveInt64(m.lookups, int64(a.Misses), e.lookupMiss.obs...)
	ob.ObserveInt64(m.storeErrors, int64(a.LoadFailures), e.storeLoad.obs...)
	ob.ObserveInt64(m.storeErrors, int64(a.SaveFailures), e.storeSave.obs...)
	ob.ObserveInt64(m.degraded, int64(a.Degraded), e.base.obs...)
	for s := range nBreakers {
		ob.ObserveInt64(m.breakerState, bool01(int(a.State) == s), e.breaker[s].obs...)
	}
}

func bool01(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

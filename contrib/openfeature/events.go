package fsopenfeature

import (
	"context"
	"errors"
	"slices"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
)

// maxPendingEvents bounds the events waiting for OpenFeature to read
// EventChannel; beyond it they are coalesced (see emit).
const maxPendingEvents = 16

// Messages of the configuration changes panic mode makes.
const (
	msgPanicOn  = "Flagship panic mode: every flag serves its default value (reason DISABLED)"
	msgPanicOff = "Flagship panic mode ended: flags serve their campaigns' values again"
)

// EventChannel returns the channel of the provider's events, which
// OpenFeature reads: PROVIDER_READY when the client becomes ready after
// Init failed or after PROVIDER_STALE, PROVIDER_ERROR (fatal) when the
// client is closed under the provider, PROVIDER_STALE while downloads of
// the bucketing file fail, and PROVIDER_CONFIGURATION_CHANGED when a new
// bucketing file changes flags (FlagChanges lists them) and when panic
// mode begins or ends. See the package documentation for the details.
//
// Events are sent by a goroutine of the provider, started by Init and
// stopped by Shutdown, which closes the channel: the client's goroutines
// never wait for the reader. Events the reader has not taken wait in a
// queue; beyond 16 of them, the queue is coalesced into one
// configuration change listing every flag key that changed and the
// latest state event, so that the last state always arrives.
func (p *Provider) EventChannel() <-chan openfeature.Event {
	return p.events
}

// deliverEvents sends the pending events to p.events until Shutdown.
func (p *Provider) deliverEvents() {
	for {
		select {
		case <-p.stop:
			return
		case <-p.signal:
		}
		for {
			p.mu.Lock()
			if len(p.pending) == 0 {
				p.mu.Unlock()
				break
			}
			ev := p.pending[0]
			p.pending = p.pending[1:]
			p.mu.Unlock()
			select {
			case p.events <- ev:
			case <-p.stop:
				return
			}
		}
	}
}

// emit queues ev for EventChannel. p.mu must be held.
func (p *Provider) emit(ev openfeature.Event) {
	if p.closed.Load() {
		return
	}
	ev.ProviderName = ProviderName
	p.pending = append(p.pending, ev)
	if len(p.pending) > maxPendingEvents {
		p.pending = coalesce(p.pending)
	}
	select {
	case p.signal <- struct{}{}:
	default: // already signalled
	}
}

// coalesce returns one configuration change holding the flag changes of
// every change in evs, followed by the last state event of evs.
func coalesce(evs []openfeature.Event) []openfeature.Event {
	var keys []string
	var changed bool
	var state *openfeature.Event
	for i := range evs {
		if evs[i].EventType == openfeature.ProviderConfigChange {
			changed = true
			keys = append(keys, evs[i].FlagChanges...)
		} else {
			state = &evs[i]
		}
	}
	var out []openfeature.Event
	if changed {
		slices.Sort(keys)
		out = append(out, openfeature.Event{
			ProviderName: ProviderName,
			EventType:    openfeature.ProviderConfigChange,
			ProviderEventDetails: openfeature.ProviderEventDetails{
				Message:     "several Flagship configuration changes",
				FlagChanges: slices.Compact(keys),
			},
		})
	}
	if state != nil {
		out = append(out, *state)
	}
	return out
}

func stateEvent(t openfeature.EventType, msg string) openfeature.Event {
	return openfeature.Event{EventType: t, ProviderEventDetails: openfeature.ProviderEventDetails{Message: msg}}
}

// onNotification follows the client: it empties the decision cache when
// the configuration changes and emits the events the changes make. It
// runs on the client's goroutines and never blocks.
func (p *Provider) onNotification(_ context.Context, n flagship.Notification) {
	switch n.Kind {
	case flagship.NotifyStatusChanged:
		p.onStatusChanged(n)
	case flagship.NotifyBucketingUpdated:
		p.cache.invalidate()
		p.metas.clear()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.backToReady("Flagship bucketing file updated")
		if p.state == stateReady && len(n.Keys) > 0 {
			p.emit(openfeature.Event{
				EventType: openfeature.ProviderConfigChange,
				ProviderEventDetails: openfeature.ProviderEventDetails{
					Message:     "Flagship bucketing file updated",
					FlagChanges: slices.Clone(n.Keys),
				},
			})
		}
	case flagship.NotifyBucketingFailed:
		var fe *bucketing.FetchError
		if !errors.As(n.Err, &fe) {
			return // a cache write, not a download: the file in use is current
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.state == stateReady {
			p.state = stateStale
			p.emit(stateEvent(openfeature.ProviderStale, "Flagship bucketing file cannot be refreshed: "+n.Err.Error()))
		}
	case flagship.NotifyBucketingRecovered:
		p.mu.Lock()
		defer p.mu.Unlock()
		p.backToReady("Flagship bucketing file downloads recovered")
	}
}

// backToReady emits PROVIDER_READY if the provider is stale. p.mu must be
// held.
func (p *Provider) backToReady(msg string) {
	if p.state == stateStale {
		p.state = stateReady
		p.emit(stateEvent(openfeature.ProviderReady, msg))
	}
}

func (p *Provider) onStatusChanged(n flagship.Notification) {
	panicChanged := n.Status != flagship.StatusClosed && (n.Status == flagship.StatusPanic) != (n.Previous == flagship.StatusPanic)
	if panicChanged {
		p.cache.invalidate()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case n.Status == flagship.StatusClosed:
		if p.state != stateFatal {
			p.state = stateFatal
			ev := stateEvent(openfeature.ProviderError, "the Flagship client was closed")
			ev.ErrorCode = openfeature.ProviderFatalCode
			p.emit(ev)
		}
		return
	case p.state == stateError && (n.Status == flagship.StatusReady || n.Status == flagship.StatusPanic):
		// Init failed; the client is ready now.
		p.state = stateReady
		p.emit(stateEvent(openfeature.ProviderReady, "Flagship client ready"))
	}
	if panicChanged && (p.state == stateReady || p.state == stateStale) {
		msg := msgPanicOff
		if n.Status == flagship.StatusPanic {
			msg = msgPanicOn
		}
		p.emit(stateEvent(openfeature.ProviderConfigChange, msg))
	}
}

package flagship_test

import (
	"context"
	"log/slog"
	"sync"

	"github.com/seed27eed597/flagship-go/flagship"
)

// syncEvents records events, log records and errors.
type syncEvents struct {
	mu     sync.Mutex
	events []flagship.Event
	logs   []slog.Record
	errs   []error
}

func (s *syncEvents) OnLog(_ context.Context, r slog.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs = append(s.logs, r)
}

func (s *syncEvents) OnError(_ context.Context, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
}

func (s *syncEvents) OnEvent(_ context.Context, e flagship.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

// saw reports whether an event of kind k was received; for
// EventStatusChanged, with the given status.
func (s *syncEvents) saw(k flagship.EventKind, st flagship.Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if e.Kind == k && (k != flagship.EventStatusChanged || e.Status == st) {
			return true
		}
	}
	return false
}

func (s *syncEvents) of(k flagship.EventKind) []flagship.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flagship.Event
	for _, e := range s.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func (s *syncEvents) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

package flagship_test

import (
	"bytes"
	"context"
	"sync"

	"github.com/seed27eed597/flagship-go/flagship"
)

// syncEvents records notifications; it is safe for concurrent use.
type syncEvents struct {
	mu     sync.Mutex
	events []flagship.Notification
}

func (s *syncEvents) OnNotification(_ context.Context, n flagship.Notification) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, n)
}

// saw reports whether a notification of kind k was received; for
// NotifyStatusChanged, with the given status.
func (s *syncEvents) saw(k flagship.NotificationKind, st flagship.Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if e.Kind == k && (k != flagship.NotifyStatusChanged || e.Status == st) {
			return true
		}
	}
	return false
}

func (s *syncEvents) of(k flagship.NotificationKind) []flagship.Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []flagship.Notification
	for _, e := range s.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for concurrent use, for loggers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

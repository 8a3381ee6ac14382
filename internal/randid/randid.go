// Package randid makes random (version 4) UUIDs from crypto/rand without
// an allocation per id: a [Source] reads the random bytes of 256 ids at a
// time, as google/uuid's optional pool does, but per Source rather than
// process-wide.
package randid

import (
	"crypto/rand"
	"sync"

	"github.com/google/uuid"
)

// Source makes random UUIDs. The zero Source is ready to use; it is safe
// for concurrent use.
type Source struct {
	mu  sync.Mutex
	buf [256 * 16]byte
	off int // the next unused byte of buf; len(buf) when used up
	ok  bool
}

// New returns a random version 4, variant RFC 4122 UUID.
func (s *Source) New() uuid.UUID {
	var u uuid.UUID
	s.mu.Lock()
	if !s.ok || s.off == len(s.buf) {
		// crypto/rand.Read never fails (Go 1.24: it crashes the program
		// rather than return weak bytes).
		_, _ = rand.Read(s.buf[:])
		s.off, s.ok = 0, true
	}
	copy(u[:], s.buf[s.off:s.off+16])
	s.off += 16
	s.mu.Unlock()
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant RFC 4122
	return u
}

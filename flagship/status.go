package flagship

import "fmt"

// Status is the client's readiness (Flagship's SDK status).
type Status int32

const (
	// StatusNotReady: no decision data yet (BUCKETING mode before the
	// first bucketing file). Flags serve their defaults.
	StatusNotReady Status = iota
	// StatusReady: decisions work.
	StatusReady
	// StatusPanic: the environment is in panic mode (spec §9.3): flags
	// serve defaults and nothing is tracked until the panic ends.
	StatusPanic
	// StatusClosed: [Client.Close] was called. It is final: calls that
	// do I/O fail with [ErrClosed].
	StatusClosed
)

// String returns "NOT_READY", "READY", "PANIC" or "CLOSED".
func (s Status) String() string {
	switch s {
	case StatusNotReady:
		return "NOT_READY"
	case StatusReady:
		return "READY"
	case StatusPanic:
		return "PANIC"
	case StatusClosed:
		return "CLOSED"
	}
	return fmt.Sprintf("Status(%d)", int32(s))
}

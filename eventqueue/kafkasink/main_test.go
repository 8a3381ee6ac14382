package kafkasink

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind: a closed sink,
// or a caller's writer closed by its caller, stops kafka-go's.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

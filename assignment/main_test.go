package assignment_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if a goroutine outlives them: a
// Cache's background reads and Run must all have returned.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

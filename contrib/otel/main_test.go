package fsotel_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes what it starts: clients, servers, providers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

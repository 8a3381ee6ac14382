package main

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the Kafka demo on fewer visitors, with the broker outage:
// exit code 0 means every record reached Flagship's endpoints and the
// topic exactly once (run checks the topic's offsets).
func TestRun(t *testing.T) {
	code, err := run(context.Background(), 1_000, 16, 300*time.Millisecond, false)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

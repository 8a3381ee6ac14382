package eventqueue_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The tests that need a second process re-execute the test binary with
// -test.run=^TestHelperProcess$ and these variables set.
const (
	helperRoleEnv = "EVENTQUEUE_TEST_HELPER_ROLE"
	helperPathEnv = "EVENTQUEUE_TEST_HELPER_PATH"

	roleHold    = "hold"    // open the queue, print "ready", hold it until stdin closes, print "closed"
	roleEnqueue = "enqueue" // enqueue from many goroutines, print "ack <id>" per acknowledged record
)

// helperSink is the sink the helper processes and their parents configure.
const helperSink = "rec"

// TestHelperProcess is not a test: it is the second process of the tests
// that need one. It exits instead of returning.
func TestHelperProcess(t *testing.T) {
	role := os.Getenv(helperRoleEnv)
	if role == "" {
		t.Skip("helper process for the multi-process tests")
	}
	path := os.Getenv(helperPathEnv)
	switch role {
	case roleHold:
		os.Exit(holdQueue(path))
	case roleEnqueue:
		os.Exit(enqueueForever(path))
	}
	fmt.Fprintf(os.Stderr, "unknown role %q\n", role)
	os.Exit(2)
}

func holdQueue(path string) int {
	q, err := eventqueue.Open(path, eventqueue.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	if err := q.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("closed")
	return 0
}

// enqueueForever enqueues hits from 32 goroutines until it is killed. Each
// acknowledged record's id is written to stdout at once, in one write.
func enqueueForever(path string) int {
	q, err := eventqueue.Open(path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{{
		Name: helperSink,
		Sink: eventqueue.SinkFunc(func(context.Context, []eventqueue.Record) error { return nil }),
	}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	failed := make(chan error, 1)
	for range 32 {
		go func() {
			for {
				r, err := hits.NewRecord(uuid.New(), "env", "visitor-"+uuid.NewString()[:8], "", time.Now(), hits.Page{URL: "https://example.com/crash"})
				if err == nil {
					err = q.Enqueue(context.Background(), r)
				}
				if err != nil {
					select {
					case failed <- err:
					default:
					}
					return
				}
				mu.Lock()
				_, _ = out.WriteString("ack " + r.ID().String() + "\n")
				err = out.Flush()
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	err = <-failed
	fmt.Fprintln(os.Stderr, "enqueue:", err)
	return 3
}

package eventqueue_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

// TestCrashDurability is the acceptance test of Durable mode: a child
// process enqueues from 32 goroutines and prints the id of each record
// whose Enqueue returned nil; it is SIGKILLed at a random moment; then
// every printed id must be delivered from the file. The 20 rounds share
// one file, so each round also resumes after the previous crash.
func TestCrashDurability(t *testing.T) {
	const rounds = 20
	path := queuePath(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	total := 0
	for round := range rounds {
		wait := time.Duration(20+rng.IntN(131)) * time.Millisecond
		acked := crashChild(t, path, wait)
		delivered := deliverAll(t, path)
		missing := 0
		for id := range acked {
			if !delivered[id] {
				missing++
			}
		}
		require.Zero(t, missing, "round %d: %d of %d acknowledged records lost (killed %v after the first ack)", round, missing, len(acked), wait)
		total += len(acked)
	}
	t.Logf("%d rounds, %d acknowledged records, none lost", rounds, total)
}

// crashChild runs the enqueueing child on path, kills it wait after its
// first acknowledgement and returns the acknowledged ids.
func crashChild(t *testing.T, path string, wait time.Duration) map[uuid.UUID]bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperRoleEnv+"="+roleEnqueue, helperPathEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	acked := map[uuid.UUID]bool{}
	first := make(chan struct{})
	read := make(chan error, 1)
	go func() {
		var once sync.Once
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				once.Do(func() { close(first) })
				if errors.Is(err, io.EOF) {
					err = nil
				}
				read <- err
				return
			}
			id, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "ack ")
			if !ok {
				continue // not ours (the testing package's output)
			}
			u, err := uuid.Parse(id)
			if err != nil {
				read <- err
				return
			}
			acked[u] = true
			once.Do(func() { close(first) })
		}
	}()
	select {
	case <-first:
	case <-time.After(waitLimit):
	}
	time.Sleep(wait)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	require.NoError(t, <-read) // the reader is done with acked
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "child: %s", stderr.String())
	ws, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled(), "the child exited by itself: %v: %s", err, stderr.String())
	require.NotEmpty(t, acked, "no acknowledgement: %s", stderr.String())
	return acked
}

// deliverAll opens the queue at path, delivers its backlog and returns
// the delivered ids.
func deliverAll(t *testing.T, path string) map[uuid.UUID]bool {
	t.Helper()
	rec := &recorder{}
	cfg := fastSink(helperSink, rec)
	cfg.BatchSize = 1000
	q, err := eventqueue.Open(path, eventqueue.Options{Sinks: []eventqueue.SinkConfig{cfg}, Logger: testLogger(t)})
	require.NoError(t, err)
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	flush(t, q)
	cancel()
	require.NoError(t, <-done)
	dead, err := q.DeadLetters(10)
	require.NoError(t, err)
	assert.Empty(t, dead, "no record torn by the crash")
	delivered := map[uuid.UUID]bool{}
	for _, id := range rec.ids() {
		delivered[id] = true
	}
	require.NoError(t, q.Close())
	return delivered
}

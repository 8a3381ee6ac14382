package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the Kafka demo on fewer visitors with a broker outage long
// enough that the queue itself must retry Kafka (kafka-go's own quick
// attempts give up first): exit code 0 means every record reached
// Flagship's endpoints and the topic.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	code, res, err := run(context.Background(), &out, config{visitors: 1_000, workers: 16, outage: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, out.String())
	}
	if res.sent == 0 || res.messages < int64(res.sent) {
		t.Fatalf("kafka sink sent %d, topic holds %d", res.sent, res.messages)
	}
	if res.retried == 0 {
		t.Errorf("the queue never retried Kafka during the outage\n%s", out.String())
	}
	if !strings.Contains(out.String(), "OK: every record enqueued was delivered.") {
		t.Errorf("output:\n%s", out.String())
	}
}

// TestRunOneVisitor: the outage still happens (after the only visitor)
// and the run ends.
func TestRunOneVisitor(t *testing.T) {
	var out bytes.Buffer
	code, res, err := run(context.Background(), &out, config{visitors: 1, workers: 1, outage: 100 * time.Millisecond})
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v\n%s", code, err, out.String())
	}
	if res.sent == 0 {
		t.Fatal("nothing sent to Kafka")
	}
}

// TestRunInterrupted: cancelling during the outage ends the run promptly
// with a failure, not after the outage or the flush timeout. Both last
// over an hour here: a run that returns at all was ended by its ctx.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	time.AfterFunc(500*time.Millisecond, cancel)
	type ended struct {
		code int
		err  error
	}
	done := make(chan ended, 1)
	go func() {
		code, _, err := run(ctx, &out, config{visitors: 400, workers: 4, outage: time.Hour})
		done <- ended{code, err}
	}()
	select {
	case e := <-done:
		if e.err == nil && e.code == 0 {
			t.Fatalf("an interrupted run succeeded\n%s", out.String())
		}
	case <-time.After(time.Minute): // a hang guard, far below the outage
		t.Fatal("the interrupted run did not stop")
	}
}

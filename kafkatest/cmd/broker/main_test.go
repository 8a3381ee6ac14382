package main

import (
	"bufio"
	"context"
	"io"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun starts the broker, produces to its topic through kafka-go, and
// stops it by cancelling the context.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, pw, "events", 2) }()
	addr, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	tr := &kafka.Transport{}
	w := &kafka.Writer{Addr: kafka.TCP(addr[:len(addr)-1]), Topic: "events", Transport: tr, RequiredAcks: kafka.RequireAll}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	err = w.WriteMessages(wctx, kafka.Message{Key: []byte("k"), Value: []byte("v")})
	wcancel()
	w.Close()
	tr.CloseIdleConnections()
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), io.Discard, "events", 0); err == nil {
		t.Fatal("run accepted 0 partitions")
	}
}

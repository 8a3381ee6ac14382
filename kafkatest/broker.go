// Package kafkatest runs a broker that speaks the Kafka wire protocol
// (github.com/twmb/franz-go/pkg/kfake) on 127.0.0.1, for the Kafka sink's
// tests, benchmarks and demo. It is a module of its own because kfake
// needs a newer Go than the SDK does.
package kafkatest

import (
	"fmt"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a one-node Kafka cluster on 127.0.0.1 that keeps its data in
// a directory, so that it can be stopped and restarted on the same port
// with its topics and messages.
type Broker struct {
	mu      sync.Mutex
	cluster *kfake.Cluster
	port    int
	opts    []kfake.Opt
}

// Start starts a broker storing its data in dir, with the given topics
// (name → partitions) and kfake options.
func Start(dir string, topics map[string]int32, opts ...kfake.Opt) (*Broker, error) {
	b := &Broker{}
	b.opts = append(b.opts, kfake.DataDir(dir), kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, fmt.Sprintf("127.0.0.1:%d", b.port))
		}))
	for t, n := range topics {
		b.opts = append(b.opts, kfake.SeedTopics(n, t))
	}
	b.opts = append(b.opts, opts...)
	if err := b.start(); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Broker) start() error {
	c, err := kfake.NewCluster(b.opts...)
	if err != nil {
		return fmt.Errorf("kafkatest: start broker: %w", err)
	}
	b.cluster = c
	if b.port == 0 {
		_, port, _ := net.SplitHostPort(c.ListenAddrs()[0])
		fmt.Sscan(port, &b.port)
	}
	return nil
}

// Addr returns the broker's "127.0.0.1:port".
func (b *Broker) Addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

// Cluster returns the running kfake cluster, nil while stopped.
func (b *Broker) Cluster() *kfake.Cluster {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cluster
}

// Stop stops the broker: connections are closed and the port refuses
// new ones. Its data stays in its directory.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cluster != nil {
		b.cluster.Close()
		b.cluster = nil
	}
}

// Restart starts a stopped broker again on the same port with the same
// data.
func (b *Broker) Restart() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cluster != nil {
		return nil
	}
	return b.start()
}

// Close stops the broker.
func (b *Broker) Close() { b.Stop() }

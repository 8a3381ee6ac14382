package redistest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters without replicas, each a
// [Server] with its own cluster bus port, whose 16384 slots are split
// evenly between them.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts n masters (n >= 1), assigns the slots, joins them
// and waits until every node reports the cluster ok. Cleanup stops them.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{}
	for range n {
		bus := FreePort(tb)
		c.Nodes = append(c.Nodes, Start(tb,
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus),
			"--cluster-node-timeout", "5000",
		))
	}
	const slots = 16384
	for i, s := range c.Nodes {
		lo, hi := i*slots/n, (i+1)*slots/n-1
		if _, err := s.Do("CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(lo), strconv.Itoa(hi)); err != nil {
			tb.Fatalf("redistest: cluster addslotsrange on %s: %v", s.Addr(), err)
		}
	}
	for _, s := range c.Nodes[1:] {
		bus := busPort(tb, s)
		if _, err := c.Nodes[0].Do("CLUSTER", "MEET", "127.0.0.1", strconv.Itoa(s.Port()), bus); err != nil {
			tb.Fatalf("redistest: cluster meet %s: %v", s.Addr(), err)
		}
	}
	deadline := time.Now().Add(startTimeout)
	for _, s := range c.Nodes {
		for {
			info, err := s.Do("CLUSTER", "INFO")
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r\n") &&
				strings.Contains(info, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("redistest: cluster not ok on %s within %v: %q %v", s.Addr(), startTimeout, info, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return c
}

// Addrs returns the nodes' host:port.
func (c *Cluster) Addrs() []string {
	out := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		out[i] = s.Addr()
	}
	return out
}

// busPort returns the cluster bus port that s was started with.
func busPort(tb testing.TB, s *Server) string {
	tb.Helper()
	for i, a := range s.args {
		if a == "--cluster-port" && i+1 < len(s.args) {
			return s.args[i+1]
		}
	}
	tb.Fatalf("redistest: %s has no cluster port", s.Addr())
	return ""
}

// Package redistest runs throwaway redis-server processes on 127.0.0.1
// for tests: each on a free port with its own directory, no persistence,
// stopped by tb.Cleanup. It never uses a shared instance on 6379.
//
// When redis-server is not on PATH the test is skipped, unless the
// environment variable FLAGSHIP_REQUIRE_REDIS is 1 (as in CI), in which
// case it fails: CI never skips these tests silently.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing
// redis-server from a skip into a failure when it is "1".
const RequireEnv = "FLAGSHIP_REQUIRE_REDIS"

const startTimeout = 10 * time.Second

// Binary returns the path of redis-server, skipping tb if there is none
// (failing it if RequireEnv is set).
func Binary(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("redis-server")
	if err == nil {
		return p
	}
	if os.Getenv(RequireEnv) == "1" {
		tb.Fatalf("redistest: redis-server not found and %s=1: %v", RequireEnv, err)
	}
	tb.Skipf("redistest: redis-server not found (set %s=1 to fail instead): %v", RequireEnv, err)
	return ""
}

// Available reports whether redis-server is on PATH, for benchmarks that
// fall back to something else. It fails tb like [Binary] when RequireEnv
// is set and there is none.
func Available(tb testing.TB) bool {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("redistest: redis-server not found and %s=1: %v", RequireEnv, err)
		}
		return false
	}
	return true
}

// Server is one redis-server process. Its methods are safe for concurrent
// use; they fail the test that started it on error.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts a redis-server on a free loopback port, waits until it
// answers PING and registers its [Server.Stop] with tb.Cleanup. extra
// arguments are added to the command line.
func Start(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	bin := Binary(tb)
	var last error
	for range 3 { // the free port may be taken before the server binds it
		s := &Server{tb: tb, bin: bin, dir: tb.TempDir(), port: FreePort(tb), args: extra}
		if last = s.start(); last == nil {
			tb.Cleanup(s.Stop)
			return s
		}
	}
	tb.Fatalf("redistest: %v", last)
	return nil
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the server's port.
func (s *Server) Port() int { return s.port }

// Stop kills the server with SIGKILL, as a crash would, and waits for it
// to exit. Its data is lost (nothing is persisted). Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
}

// Restart stops the server if it runs and starts it again, empty, on the
// same port and directory, and waits until it answers PING.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("redistest: restart: %v", err)
	}
}

// Pause makes the server hold every client's commands for d (CLIENT PAUSE
// ALL) and returns at once.
func (s *Server) Pause(d time.Duration) {
	s.tb.Helper()
	if _, err := s.Do("CLIENT", "PAUSE", strconv.FormatInt(d.Milliseconds(), 10), "ALL"); err != nil {
		s.tb.Fatalf("redistest: pause: %v", err)
	}
}

// Do sends one command on a new connection and returns its reply, which
// must be a simple string, an integer or a bulk string ("" for nil). An
// error reply is returned as an error.
func (s *Server) Do(args ...string) (string, error) {
	return do(s.Addr(), args...)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logPath := filepath.Join(s.dir, "redis.log")
	args := append([]string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--logfile", logPath,
		"--daemonize", "no",
	}, s.args...)
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { // owned by s: Stop kills the process and waits for done
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(startTimeout)
	for {
		reply, err := do(s.Addr(), "PING")
		if err == nil && reply == "PONG" {
			return nil
		}
		select {
		case <-done:
			s.cmd, s.done = nil, nil
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, tail(logPath))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			s.cmd, s.done = nil, nil
			return fmt.Errorf("redis-server on port %d: no PONG within %v (last: %q, %v): %s",
				s.port, startTimeout, reply, err, tail(logPath))
		}
	}
}

// FreePort returns a TCP port that was free on 127.0.0.1 a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// do sends one RESP command on a new connection and reads its reply.
func do(addr string, args ...string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", errors.New(line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if n == -1 {
			return "", nil // nil
		}
		if err != nil || n < 0 {
			return "", fmt.Errorf("bulk reply %q", line)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	default:
		return "", fmt.Errorf("unsupported reply %q", line)
	}
}

// tail returns the end of the server's log, for error messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

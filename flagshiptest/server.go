package flagshiptest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// Server is a [Handler] for the environment [EnvID] served over HTTP on
// 127.0.0.1, in the manner of httptest.Server. Its Handler methods are
// promoted, except that SetCampaigns and FailNext fail the test instead of
// returning an error (SetBucketingFile still returns its error, so that
// tests can check that an invalid file is refused).
//
// A Server is safe for concurrent use. Build one with [NewServer].
type Server struct {
	*Handler
	// URL is the server's base URL, http://127.0.0.1:port, with no
	// trailing slash.
	URL string

	tb        testing.TB
	srv       *httptest.Server
	closeOnce sync.Once
}

// NewServer starts a server for the environment [EnvID] with the handler
// options opts, listening on 127.0.0.1 on a free port, and registers its
// Close with tb.Cleanup. It fails the test if the options are invalid or
// it can't listen. It never listens beyond the loopback interface.
func NewServer(tb testing.TB, opts ...HandlerOption) *Server {
	tb.Helper()
	h, err := NewHandler(EnvID, opts...)
	if err != nil {
		tb.Fatalf("flagshiptest: %v", err)
		return nil // for a testing.TB whose Fatalf returns
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("flagshiptest: listen on 127.0.0.1: %v", err)
		return nil
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	s := &Server{Handler: h, URL: srv.URL, tb: tb, srv: srv}
	tb.Cleanup(s.Close)
	return s
}

// Close ends pending fault latencies, closes the server and waits for its
// requests to finish. It is safe to call more than once; NewServer
// registers it with tb.Cleanup.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.stop()
		s.srv.Close()
	})
}

// Client returns an HTTP client for the server. Its idle connections are
// closed with the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// SetCampaigns is [Handler.SetCampaigns], failing the test on error.
func (s *Server) SetCampaigns(c ...bucketing.Campaign) {
	s.tb.Helper()
	if err := s.Handler.SetCampaigns(c...); err != nil {
		s.tb.Fatalf("flagshiptest: SetCampaigns: %v", err)
	}
}

// FailNext is [Handler.FailNext], failing the test on error.
func (s *Server) FailNext(n int, f Fault) {
	s.tb.Helper()
	if err := s.Handler.FailNext(n, f); err != nil {
		s.tb.Fatalf("flagshiptest: FailNext: %v", err)
	}
}

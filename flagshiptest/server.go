package flagshiptest

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// Server is a [Handler] for the environment [EnvID] served over HTTP on
// 127.0.0.1, in the manner of httptest.Server. Its Handler methods are
// promoted, except that SetCampaigns and FailNext fail the test instead of
// returning an error (SetBucketingFile still returns its error, so that
// tests can check that an invalid file is refused), and that Refusals
// marks the refusals as read (Records does not). The refusals the test
// never read fail it when it ends (see [NewServer]).
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
// options opts (validation [Strict] unless [WithValidation] says
// otherwise), listening on 127.0.0.1 on a free port, and registers with
// tb.Cleanup its Close and then the report of refusals: every item or
// request the server refused and the test never read with
// [Server.Refusals] fails the test (reading Records does not count), with one
// tb.Errorf listing each with its reason. A test that provokes refusals
// on purpose reads them, and so accepts them. Requests a [Fault] answered
// are not refusals.
//
// NewServer fails the test if the options are invalid or it can't listen.
// It never listens beyond the loopback interface.
func NewServer(tb testing.TB, opts ...HandlerOption) *Server {
	tb.Helper()
	h, err := NewHandler(EnvID, opts...)
	if err != nil {
		tb.Fatalf("flagshiptest: %v", err)
		return nil // for a testing.TB whose Fatalf returns
	}
	h.trackUnread = true // before serving anything
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("flagshiptest: listen on 127.0.0.1: %v", err)
		return nil
	}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: h}}
	srv.Start()
	s := &Server{Handler: h, URL: srv.URL, tb: tb, srv: srv}
	tb.Cleanup(func() {
		s.Close()
		s.reportUnread()
	})
	return s
}

// Refusals is [Handler.Refusals], and marks every refusal so far as read:
// the test does not fail for them.
func (s *Server) Refusals() []Refusal { return s.refusalsRead(true) }

// maxReportedItem bounds the item shown for a refusal in the report.
const maxReportedItem = 300

// reportUnread fails the test for the refusals it never read.
func (s *Server) reportUnread() {
	rs := s.readUnread()
	if len(rs) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "flagshiptest: the server refused %d item(s) that the test never read with Server.Refusals:", len(rs))
	for _, r := range rs {
		where := "the request"
		if r.Index >= 0 {
			where = "item " + strconv.Itoa(r.Index)
		}
		fmt.Fprintf(&b, "\n  %s, %s (status %d): %s", r.Route, where, r.Status, r.Reason)
		if r.VisitorID != "" {
			fmt.Fprintf(&b, " [vid=%q]", r.VisitorID)
		}
		if item := strings.ToValidUTF8(string(r.Item), "?"); item != "" {
			if len(item) > maxReportedItem {
				item = strings.ToValidUTF8(item[:maxReportedItem], "") + "…"
			}
			fmt.Fprintf(&b, "\n    %s", item)
		}
	}
	s.tb.Errorf("%s", b.String())
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

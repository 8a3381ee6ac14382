package flagshiptest

import (
	"time"

	"github.com/seed27eed597/flagship-go/admin"
)

// AdminURL returns the base URL of the server's management API, version
// prefix included: s.URL + "/v1". The token routes are at s.URL.
func (s *Server) AdminURL() string { return s.URL + "/v1" }

// AdminOptions returns the admin options that point an admin client at
// the server: admin.WithBaseURL([Server.AdminURL]), admin.WithAuthURL(s.URL)
// and admin.WithHTTPClient(s.Client()). Give them to admin.New with the
// account and credentials of [Handler.AdminAccess], or use
// [Server.AdminClient].
func (s *Server) AdminOptions() []admin.Option {
	return []admin.Option{
		admin.WithBaseURL(s.AdminURL()),
		admin.WithAuthURL(s.URL),
		admin.WithHTTPClient(s.Client()),
	}
}

// AdminClient returns an admin client of the server's account, with its
// credentials and [Server.AdminOptions], then opts. It fails the test if
// admin.New fails, and registers the client's Close with tb.Cleanup.
func (s *Server) AdminClient(opts ...admin.Option) *admin.Client {
	s.tb.Helper()
	a := s.AdminAccess()
	c, err := admin.New(a.AccountID, a.Credentials, append(s.AdminOptions(), opts...)...)
	if err != nil {
		s.tb.Fatalf("flagshiptest: AdminClient: %v", err)
		return nil
	}
	s.tb.Cleanup(func() { _ = c.Close() })
	return c
}

// SetAdminRateLimit is [Handler.SetAdminRateLimit], failing the test on
// error.
func (s *Server) SetAdminRateLimit(perSecond float64, burst int) {
	s.tb.Helper()
	if err := s.Handler.SetAdminRateLimit(perSecond, burst); err != nil {
		s.tb.Fatalf("flagshiptest: SetAdminRateLimit: %v", err)
	}
}

// SetPublicationDelay is [Handler.SetPublicationDelay], failing the test
// on error.
func (s *Server) SetPublicationDelay(d time.Duration) {
	s.tb.Helper()
	if err := s.Handler.SetPublicationDelay(d); err != nil {
		s.tb.Fatalf("flagshiptest: SetPublicationDelay: %v", err)
	}
}

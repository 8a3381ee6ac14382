package flagshiptest

import (
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
)

// PollingInterval is the bucketing polling interval [Server.Options]
// sets: short enough that a test sees a [Handler.SetCampaigns] quickly,
// long enough not to flood the server.
const PollingInterval = 100 * time.Millisecond

// Endpoints returns the option that points a flagship client at the
// server, and only that: flagship.WithEndpoints with
// flagship.Endpoints{Base: s.URL}, which sets the Decision API,
// activation, hits and bucketing endpoints in the server's layout.
func (s *Server) Endpoints() flagship.Option {
	return flagship.WithEndpoints(flagship.Endpoints{Base: s.URL})
}

// Options returns the flagship options that point a client at the server:
// see [ClientOptions], with a cache directory in a fresh tb.TempDir(). Give
// them to flagship.New with s.EnvID(); options given after them override
// them (a flagship.WithBucketing after them replaces the whole
// BucketingOptions, its polling interval included).
func (s *Server) Options() []flagship.Option {
	return ClientOptions(s.URL, s.tb.TempDir())
}

// ClientOptions returns the flagship options that point a client at a
// Handler served at baseURL (for example by your own httptest.Server or
// mux): flagship.WithEndpoints with baseURL as Endpoints.Base, the cache
// directory cacheDir, and polling every [PollingInterval].
func ClientOptions(baseURL, cacheDir string) []flagship.Option {
	return []flagship.Option{
		flagship.WithEndpoints(flagship.Endpoints{Base: baseURL}),
		flagship.WithCacheDir(cacheDir),
		flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: PollingInterval}),
	}
}

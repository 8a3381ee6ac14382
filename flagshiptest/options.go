package flagshiptest

import (
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
)

// PollingInterval is the bucketing polling interval [Server.Options]
// sets: short enough that a test sees a [Handler.SetCampaigns] quickly,
// long enough not to flood the server.
const PollingInterval = 100 * time.Millisecond

// Options returns the flagship options that point a client at the server:
// see [ClientOptions], with a cache directory in a fresh tb.TempDir(). Give
// them to flagship.New with s.EnvID(); options given after them override
// them.
func (s *Server) Options() []flagship.Option {
	return ClientOptions(s.URL, s.tb.TempDir())
}

// ClientOptions returns the flagship options that point a client at a
// Handler served at baseURL (for example by your own httptest.Server or
// mux): the Decision API ({baseURL}/v2), activation
// ({baseURL}/v2/activate), hits ({baseURL}/events) and bucketing
// ({baseURL}) URLs, the cache directory cacheDir, and polling every
// [PollingInterval].
func ClientOptions(baseURL, cacheDir string) []flagship.Option {
	baseURL = strings.TrimSuffix(baseURL, "/")
	return []flagship.Option{
		flagship.WithDecisionAPIURL(baseURL + "/v2"),
		flagship.WithActivateURL(baseURL + "/v2/activate"),
		flagship.WithEventsURL(baseURL + "/events"),
		flagship.WithBucketingURL(baseURL),
		flagship.WithCacheDir(cacheDir),
		flagship.WithPollingInterval(PollingInterval),
	}
}

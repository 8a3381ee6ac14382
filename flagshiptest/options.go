package flagshiptest

import (
	"time"

	"github.com/seed27eed597/flagship-go/flagship"
)

// PollingInterval is the bucketing polling interval [Server.Options]
// sets: short enough that a test sees a [Handler.SetCampaigns] quickly,
// long enough not to flood the server.
const PollingInterval = 100 * time.Millisecond

// Options returns the flagship options that point a client at the server:
// the Decision API ({URL}/v2), activation ({URL}/v2/activate), hits
// ({URL}/events) and bucketing ({URL}) URLs, a cache directory in a fresh
// tb.TempDir(), and polling every [PollingInterval]. Give them to
// flagship.New with s.EnvID(); options given after them override them.
func (s *Server) Options() []flagship.Option {
	return []flagship.Option{
		flagship.WithDecisionAPIURL(s.URL + "/v2"),
		flagship.WithActivateURL(s.URL + "/v2/activate"),
		flagship.WithEventsURL(s.URL + "/events"),
		flagship.WithBucketingURL(s.URL),
		flagship.WithCacheDir(s.tb.TempDir()),
		flagship.WithPollingInterval(PollingInterval),
	}
}

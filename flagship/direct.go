package flagship

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
)

// apiKey holds the API key; it never prints.
type apiKey string

// String implements fmt.Stringer so that the key never prints.
func (apiKey) String() string { return "REDACTED" }

// directSender is the delivery used until the durable queue: each record
// is posted at once, in a batch of one, to its endpoint. Enqueue returns
// nil only once the endpoint accepted it.
type directSender struct {
	envID       string
	key         *apiKey // a pointer, so that printing the sender shows no key
	eventsURL   string
	activateURL string
	client      *http.Client
	owned       bool // client was made here, so its idle connections are ours to close
	timeout     time.Duration
	now         func() time.Time
}

func newDirectSender(envID, key string, cfg *config) *directSender {
	k := apiKey(key)
	return &directSender{
		envID:       envID,
		key:         &k,
		eventsURL:   cfg.eventsURL,
		activateURL: cfg.activateURL,
		client:      httpClientFor(cfg, cfg.hitTimeout),
		owned:       cfg.httpClient == nil,
		timeout:     cfg.hitTimeout,
		now:         cfg.now,
	}
}

// Enqueue posts r to the events or activation endpoint.
func (s *directSender) Enqueue(ctx context.Context, r hits.Record) error {
	var (
		body []byte
		err  error
		url  = s.eventsURL
	)
	recs := []hits.Record{r}
	if r.Kind == hits.KindActivation {
		url = s.activateURL
		body, err = hits.AppendActivationBatch(nil, s.envID, recs, s.now())
	} else {
		body, err = hits.AppendEventsBatch(nil, s.envID, recs, s.now())
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDelivery, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "flagship-go/"+decision.SDKVersion)
	req.Header.Set("x-sdk-client", "go")
	req.Header.Set("x-sdk-version", decision.SDKVersion)
	if r.Kind == hits.KindActivation && *s.key != "" {
		req.Header.Set("x-api-key", string(*s.key))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDelivery, r.Kind, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%w: %s: status %d", ErrDelivery, r.Kind, resp.StatusCode)
	}
	return nil
}

func (s *directSender) close() {
	if s.owned {
		s.client.CloseIdleConnections()
	}
}

package decision

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/internal/httpx"
)

// Defaults used by a zero [APIOptions].
const (
	// DefaultAPIURL is the base URL of the SaaS Decision API.
	DefaultAPIURL = "https://decision.flagship.io/v2"
	// DefaultTimeout bounds each Decision API call.
	DefaultTimeout = 2 * time.Second
	// DefaultMaxResponseBytes bounds the size of a response body (1 MiB).
	DefaultMaxResponseBytes = 1 << 20
)

const (
	// maxErrorBody bounds how much of a non-2xx body is read for its message.
	maxErrorBody = 16 << 10
	// maxMessageBytes bounds APIError.Message.
	maxMessageBytes = 200
)

// APIOptions configures an [APIClient]. The zero value is valid.
type APIOptions struct {
	// BaseURL is the Decision API base URL, with or without a trailing
	// slash. Empty means [DefaultAPIURL].
	BaseURL string
	// HTTPClient sends the requests. It is the caller's, used as is and
	// never closed. nil means a client of the APIClient's own, on a
	// transport of its own whose idle connections [APIClient.Close]
	// closes, with Timeout as its timeout; it follows redirects only
	// within the origin (scheme, host and port) of BaseURL, so that the
	// API key never reaches another host: a redirect elsewhere fails the
	// call with an error saying so.
	HTTPClient *http.Client
	// Timeout bounds each call (through the call's context, in addition to
	// any HTTPClient timeout). 0 means [DefaultTimeout].
	Timeout time.Duration
	// SDKVersion is sent in the x-sdk-version and User-Agent headers.
	// Empty means [SDKVersion].
	SDKVersion string
	// MaxResponseBytes bounds a response body; larger bodies fail with
	// [ErrResponseTooLarge]. 0 means [DefaultMaxResponseBytes].
	MaxResponseBytes int64
	// ContextDefaults are sent with every request's context, for the keys
	// it lacks: the SDK's predefined keys (fs_client, fs_version). Kept,
	// not copied; must not be modified.
	ContextDefaults map[string]any
}

// apiKey holds the Decision API key. It prints and logs as "REDACTED".
type apiKey string

// LogValue implements [slog.LogValuer] so that the key never reaches logs.
func (apiKey) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String implements [fmt.Stringer] so that the key never prints.
func (apiKey) String() string { return "REDACTED" }

// APIClient is a [Decider] that asks the Flagship Decision API
// (DECISION_API mode) for the campaigns of each visitor.
//
// An APIClient is immutable and safe for concurrent use. The only
// resource it holds is the keep-alive connections of the HTTP client it
// made when APIOptions.HTTPClient is nil, which [APIClient.Close] closes.
// It never retries: a failed call returns an error and the caller decides
// whether to try again.
type APIClient struct {
	endpoint    string
	key         *apiKey // a pointer so that printing the client shows no key
	userAgent   string
	sdkVersion  string
	httpClient  httpx.Client
	timeout     time.Duration
	maxResponse int64
	defaults    map[string]any
}

var _ Decider = (*APIClient)(nil)

// NewAPIClient returns a client for the environment envID authenticated by
// the API key key. Both are required; an empty one, or an invalid option,
// returns an error wrapping [ErrInvalidOptions]. The key is sent only in the
// x-api-key header and never appears in errors.
func NewAPIClient(envID, key string, o APIOptions) (*APIClient, error) {
	switch {
	case envID == "":
		return nil, fmt.Errorf("%w: empty environment id", ErrInvalidOptions)
	case key == "":
		return nil, fmt.Errorf("%w: empty API key", ErrInvalidOptions)
	case o.Timeout < 0:
		return nil, fmt.Errorf("%w: negative Timeout", ErrInvalidOptions)
	case o.MaxResponseBytes < 0:
		return nil, fmt.Errorf("%w: negative MaxResponseBytes", ErrInvalidOptions)
	}
	base := o.BaseURL
	if base == "" {
		base = DefaultAPIURL
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute http or https URL without query", ErrInvalidOptions)
	}
	c := &APIClient{
		endpoint:    strings.TrimRight(base, "/") + "/" + url.PathEscape(envID) + "/campaigns?exposeAllKeys=true",
		timeout:     o.Timeout,
		sdkVersion:  o.SDKVersion,
		maxResponse: o.MaxResponseBytes,
		defaults:    o.ContextDefaults,
	}
	k := apiKey(key)
	c.key = &k
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	if c.sdkVersion == "" {
		c.sdkVersion = SDKVersion
	}
	if c.maxResponse == 0 {
		c.maxResponse = DefaultMaxResponseBytes
	}
	c.userAgent = "flagship-go/" + c.sdkVersion
	c.httpClient = httpx.ClientFor(o.HTTPClient, c.timeout)
	return c, nil
}

// Close closes the idle connections of the HTTP client the APIClient
// made when APIOptions.HTTPClient was nil, so that none of its
// goroutines outlives the caller's use of it; it does nothing to a
// caller's HTTPClient. The APIClient stays usable: a later call opens a
// new connection. Close is safe to call more than once.
func (c *APIClient) Close() {
	c.httpClient.CloseIdle()
}

// Decide asks the Decision API for the campaigns of r's visitor, as a
// visitor who consented to data collection. It implements [Decider].
func (c *APIClient) Decide(ctx context.Context, r Request) (Decision, error) {
	return c.DecideConsent(ctx, r, true)
}

// DecideConsent is [APIClient.Decide] with the visitor's consent stated:
// when consented is false the Decision API is told not to record the
// visitor's context. Decisions are the same either way.
//
// The call is bounded by ctx and by APIOptions.Timeout. Errors wrap
// [ErrInvalidRequest] (no network call was made), the transport error
// (errors.Is(err, context.DeadlineExceeded) on timeout), [ErrResponseTooLarge]
// or [ErrBadResponse], or are an [*APIError] for a non-2xx status.
// A panic-mode answer is not an error: it returns Decision{Panic: true}.
func (c *APIClient) DecideConsent(ctx context.Context, r Request, consented bool) (Decision, error) {
	body, err := encodeRequest(r, consented, c.defaults)
	if err != nil {
		return Decision{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return Decision{}, fmt.Errorf("decision: fetch campaigns: %w", err)
	}
	req.Header.Set("x-api-key", string(*c.key))
	req.Header.Set("x-sdk-client", "go")
	req.Header.Set("x-sdk-version", c.sdkVersion)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return Decision{}, fmt.Errorf("decision: fetch campaigns: %w", err)
	}
	defer httpx.DrainClose(resp.Body)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return Decision{}, &APIError{StatusCode: resp.StatusCode, Message: c.errorMessage(b)}
	}
	if resp.StatusCode == http.StatusNoContent {
		return Decision{VisitorID: r.VisitorID}, nil
	}
	b, err := httpx.ReadBody(resp, c.maxResponse)
	var tooLarge *httpx.TooLargeError
	if errors.As(err, &tooLarge) {
		return Decision{}, fmt.Errorf("%w: %w", ErrResponseTooLarge, err)
	}
	if err != nil {
		return Decision{}, fmt.Errorf("decision: read campaigns: %w", err)
	}
	d, err := parseResponse(b)
	if err != nil {
		return Decision{}, err
	}
	d.VisitorID = r.VisitorID
	return d, nil
}

// wireRequest is the body of POST /{envId}/campaigns (spec §2.3).
type wireRequest struct {
	VisitorID      string         `json:"visitorId"`
	AnonymousID    *string        `json:"anonymousId"`
	Context        map[string]any `json:"context"`
	TriggerHit     bool           `json:"trigger_hit"`
	VisitorConsent bool           `json:"visitor_consent"`
	DecisionGroup  string         `json:"decision_group,omitempty"`
}

func encodeRequest(r Request, consented bool, defaults map[string]any) ([]byte, error) {
	if r.VisitorID == "" {
		return nil, fmt.Errorf("%w: empty visitor id", ErrInvalidRequest)
	}
	w := wireRequest{
		VisitorID:      r.VisitorID,
		Context:        r.Context,
		VisitorConsent: consented,
		DecisionGroup:  r.DecisionGroup,
	}
	if r.AnonymousID != "" {
		w.AnonymousID = &r.AnonymousID
	}
	if w.Context == nil {
		w.Context = map[string]any{}
	}
	if missing(r.Context, defaults) {
		merged := make(map[string]any, len(r.Context)+len(defaults))
		for k, v := range defaults {
			merged[k] = v
		}
		for k, v := range r.Context {
			merged[k] = v
		}
		w.Context = merged
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("%w: context: %v", ErrInvalidRequest, err)
	}
	return b, nil
}

// missing reports whether defaults has a key ctx lacks.
func missing(ctx, defaults map[string]any) bool {
	for k := range defaults {
		if _, ok := ctx[k]; !ok {
			return true
		}
	}
	return false
}

// errorMessage extracts the "message" of a JSON error body, made safe to
// print: the API key is redacted wherever it stands as a whole token (see
// [httpx.RedactToken]), control characters become spaces and the result is
// cut to maxMessageBytes on a rune boundary.
func (c *APIClient) errorMessage(b []byte) string {
	var body struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &body) != nil || body.Message == "" {
		return ""
	}
	m := httpx.RedactToken(body.Message, string(*c.key))
	m = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(m, "\uFFFD"))
	if len(m) <= maxMessageBytes {
		return m
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(m[cut]) {
		cut--
	}
	return m[:cut] + "…"
}

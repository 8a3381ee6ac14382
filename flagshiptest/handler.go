package flagshiptest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// Route names, as used by [Fault], [Handler.Bodies] and [Record].
const (
	RouteDecision        = "decision"        // POST /v2/{envID}/campaigns
	RouteActivate        = "activate"        // POST /v2/activate
	RouteBucketing       = "bucketing"       // GET /{envID}/bucketing.json
	RouteEvents          = "events"          // POST / and POST /events: the collector's hits
	RouteAccountSettings = "accountSettings" // GET /{envID}/accountSettings.json
	RouteAnalytics       = "analytics"       // POST /analytics: usage hits
	RouteTroubleshooting = "troubleshooting" // POST /troubleshooting: troubleshooting hits
	RouteContextEvents   = "contextEvents"   // POST /v2/{envID}/events: context events
)

// RecordsPath is the path of the records route: GET answers what the
// handler recorded as JSON, DELETE forgets it (see "Records route" in
// the package documentation). No Flagship route uses it.
const RecordsPath = "/_flagshiptest/records"

// maxBody bounds request bodies (Flagship's SDKs cap a hits batch at
// 2.5 MB).
const maxBody = 8 << 20

// Handler serves the Flagship API of one environment: the Decision API,
// the activation endpoint, the bucketing file and account settings, the
// collector (hits, usage and troubleshooting hits), the context events
// endpoint, and the management API of its account (see the package
// documentation for the routes). It decides with the SDK's bucketing
// engine over the file it serves, validates and records what it
// receives, and can change its data and inject failures at any time.
//
// A Handler is safe for concurrent use. It needs no testing.TB: mount it in
// any server or mux. Build one with [NewHandler].
type Handler struct {
	envID      string
	apiKey     string
	validation Validation
	// trackUnread makes the handler keep the refusals no test read
	// (unread): a Server's, which reports them when the test ends.
	trackUnread bool
	now         func() time.Time
	engine      *bucketing.Engine
	onReceive   func(Receipt) // WithOnReceive; nil: none
	// done is closed by stop: pending fault latencies end at once.
	done     chan struct{}
	stopOnce sync.Once

	mu sync.Mutex
	// What is served.
	content  *content
	panic    bool // SetPanic
	served   []byte
	etag     string
	modified time.Time
	// What was received.
	hits              []Hit
	activations       []Activation
	decisions         []DecisionRequest
	bodies            map[string][][]byte
	bucketingRequests int
	faulted           int
	// records holds everything recorded, every kind, in arrival order;
	// hits, activations and refusals hold their kinds again, for their
	// accessors. seq numbers the records (never reset).
	records  []Record
	refusals []Refusal
	unread   []Refusal // refusals not read yet (trackUnread)
	seq      int
	faults   []pendingFault
	// The management API: the state SDKs get a projection of.
	adm adminState
}

// content is one bucketing file, as set and in panic mode. It is
// immutable.
type content struct {
	base, panicked       []byte
	baseCfg, panickedCfg *bucketing.Config
	// file is the file parsed, a copy of its own for the management state.
	file *bucketing.File
}

// NewHandler returns a handler for the environment envID serving the
// bucketing file of the options (by default one with no campaigns). It
// fails with an error wrapping [ErrInvalidOptions] if envID is empty, if
// both [WithBucketingFile] and [WithCampaigns] are given, or if the file is
// one Flagship would reject (the error then also wraps
// bucketing.ErrInvalidFile).
func NewHandler(envID string, opts ...HandlerOption) (*Handler, error) {
	if envID == "" {
		return nil, fmt.Errorf("%w: empty environment id", ErrInvalidOptions)
	}
	cfg := handlerConfig{now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.fileSet && cfg.campSet {
		return nil, fmt.Errorf("%w: WithBucketingFile and WithCampaigns can't be combined", ErrInvalidOptions)
	}
	var c *content
	var err error
	if cfg.fileSet {
		c, err = prepare(cfg.file)
	} else {
		c, err = prepareCampaigns(cfg.campaigns)
	}
	if err != nil {
		return nil, err
	}
	h := &Handler{
		envID:      envID,
		apiKey:     cfg.apiKey,
		validation: cfg.validation,
		now:        cfg.now,
		engine:     bucketing.NewEngine(bucketing.Options{}),
		onReceive:  cfg.onReceive,
		done:       make(chan struct{}),
		bodies:     map[string][][]byte{},
	}
	h.adm.access = cfg.access.withDefaults()
	h.adm.tokens, h.adm.refresh = map[string]*adminToken{}, map[string]*adminToken{}
	h.mu.Lock()
	h.adoptLocked(c)
	h.mu.Unlock()
	return h, nil
}

// EnvID returns the handler's environment id.
func (h *Handler) EnvID() string { return h.envID }

func prepare(data []byte) (*content, error) {
	file, err := bucketing.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	cfg, err := bucketing.Compile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	c := &content{base: data, panicked: data, baseCfg: cfg, panickedCfg: cfg}
	c.file, _ = bucketing.Parse(data) // parsed above
	if !file.Panic {
		pf := *file
		pf.Panic = true
		if c.panicked, err = marshalFile(&pf); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
		}
		if c.panickedCfg, err = bucketing.ParseConfig(c.panicked); err != nil {
			return nil, fmt.Errorf("%w: panic file: %w", ErrInvalidOptions, err)
		}
	}
	return c, nil
}

func prepareCampaigns(cs []bucketing.Campaign) (*content, error) {
	if cs == nil {
		cs = []bucketing.Campaign{}
	}
	data, err := marshalFile(&bucketing.File{Campaigns: cs})
	if err != nil {
		return nil, fmt.Errorf("%w: campaigns: %w", ErrInvalidOptions, err)
	}
	return prepare(data)
}

// SetBucketingFile makes the handler serve data, a bucketing.json file,
// and decide from it from now on. data is copied. If Flagship would
// reject the file, SetBucketingFile returns an error wrapping
// [ErrInvalidOptions] and bucketing.ErrInvalidFile and the current file is
// kept.
//
// The file's campaigns replace the environment's, in the management API
// too, where they are active (see "Management API" in the package
// documentation); the file is served byte for byte until the API changes
// a campaign.
func (h *Handler) SetBucketingFile(data []byte) error {
	c, err := prepare(bytes.Clone(data))
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adoptLocked(c)
	return nil
}

// SetCampaigns makes the handler serve a bucketing file holding the
// campaigns c, in this order, and decide from it from now on. The
// campaigns are copied (through their JSON form, so numbers in flag values
// and targeting read back as float64, as on the wire). If they can't be
// encoded or Flagship would reject them, it returns an error wrapping
// [ErrInvalidOptions] and the current file is kept; [Server.SetCampaigns]
// fails the test instead.
//
// The campaigns replace the environment's, in the management API too,
// where they are active; those created through the API are gone.
func (h *Handler) SetCampaigns(c ...bucketing.Campaign) error {
	ct, err := prepareCampaigns(c)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adoptLocked(ct)
	return nil
}

// SetPanic turns panic mode on or off. In panic mode the Decision API
// answers {"visitorId":...,"campaigns":[],"panic":true} and the bucketing
// file is served with "panic": true (the current file re-encoded, see
// [Handler.SetCampaigns]). SetPanic(false) can't end a panic declared by
// the bucketing file itself. It is the switch of the management API's
// PATCH …/panic, served at once.
func (h *Handler) SetPanic(on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.adm.panic = on
	h.publishNowLocked()
}

// setContentAtLocked makes c current, published at; Last-Modified and the
// ETag change whenever the served bytes do. h.mu is held.
func (h *Handler) setContentAtLocked(c *content, at time.Time) {
	h.content = c
	served, cfg := c.base, c.baseCfg
	if h.panic {
		served, cfg = c.panicked, c.panickedCfg
	}
	if h.served == nil || !bytes.Equal(served, h.served) {
		sum := sha256.Sum256(served)
		h.served, h.etag = served, `"`+hex.EncodeToString(sum[:16])+`"`
		// Last-Modified has a resolution of one second: keep it
		// increasing so that If-Modified-Since sees every change.
		lm := at.UTC().Truncate(time.Second)
		if !h.modified.IsZero() && !lm.After(h.modified) {
			lm = h.modified.Add(time.Second)
		}
		h.modified = lm
	}
	h.engine.Update(cfg)
}

// Hits returns copies of the hits accepted so far, in arrival order: the
// hits posted to the collector (the items accepted of BATCH envelopes,
// and single hits) and the SEGMENT hits of Decision API calls
// ([Hit.FromDecision]).
func (h *Handler) Hits() []Hit {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Hit, len(h.hits))
	for i := range h.hits {
		out[i] = h.hits[i].clone()
	}
	return out
}

// Activations returns copies of the activations accepted so far, in arrival
// order, those posted to the activation route and those made by Decision
// API calls alike.
func (h *Handler) Activations() []Activation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Activation, len(h.activations))
	for i := range h.activations {
		out[i] = h.activations[i].clone()
	}
	return out
}

// DecisionRequests returns copies of the Decision API calls answered so
// far, in arrival order. Calls refused (400, 401) or faulted are not
// recorded.
func (h *Handler) DecisionRequests() []DecisionRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]DecisionRequest, len(h.decisions))
	for i := range h.decisions {
		out[i] = h.decisions[i].clone()
	}
	return out
}

// BucketingRequests returns the number of requests for the bucketing file
// answered with 200 or 304.
func (h *Handler) BucketingRequests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bucketingRequests
}

// FaultedRequests returns the number of requests a [Fault] applied to.
func (h *Handler) FaultedRequests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.faulted
}

// Bodies returns copies of the bodies of the requests accepted, at least
// in part, on route ([RouteEvents], [RouteActivate], [RouteDecision],
// [RouteAnalytics], [RouteTroubleshooting] or [RouteContextEvents]), in
// arrival order: the exact bytes the client sent, for golden
// comparisons. Other routes have none.
func (h *Handler) Bodies(route string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([][]byte, len(h.bodies[route]))
	for i, b := range h.bodies[route] {
		out[i] = bytes.Clone(b)
	}
	return out
}

// Reset forgets everything received and counted, the management API's
// requests included, and the pending faults. The file served, panic mode
// and the management state (campaigns, projects, tokens...) are kept, and
// so is the numbering of records (Record.Seq goes on), and the refusals a
// [Server] will report if the test never reads them.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hits, h.activations, h.decisions = nil, nil, nil
	h.records, h.refusals = nil, nil
	h.bodies = map[string][][]byte{}
	h.bucketingRequests, h.faulted = 0, 0
	h.faults = nil
	h.adm.requests = nil
}

// stop ends pending fault latencies at once (their requests get no
// response) and makes later ones end at once too: the Server calls it
// before closing, since httptest.Server.Close waits for active requests.
func (h *Handler) stop() {
	h.stopOnce.Do(func() { close(h.done) })
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route, env := classify(r.URL.Path)
	switch route {
	case "":
		writeMessage(w, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	case RouteAdmin, RouteToken:
		h.serveManagement(w, r, route)
		return
	case routeRecords:
		h.serveRecords(w, r)
		return
	case RouteDecision, RouteBucketing, RouteAccountSettings:
		h.publishDue()
	}
	if allow := allowedMethods(route); !slices.Contains(allow, r.Method) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeMessage(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed")
		return
	}
	if f, ok := h.takeFault(route); ok && h.applyFault(w, r, f) {
		return
	}
	switch route {
	case RouteDecision:
		h.serveDecision(w, r, env)
	case RouteActivate:
		h.serveActivate(w, r)
	case RouteBucketing:
		h.serveBucketing(w, r, env)
	case RouteEvents:
		h.serveEvents(w, r)
	case RouteAccountSettings:
		h.serveAccountSettings(w, r, env)
	case RouteAnalytics, RouteTroubleshooting:
		h.serveTelemetry(w, r, route)
	case RouteContextEvents:
		h.serveContextEvent(w, r, env)
	}
}

// routeRecords is the route of RecordsPath (no Fault applies to it).
const routeRecords = "records"

// classify returns the route of path and, for the routes under an
// environment id, the id it names; "" if there is none.
func classify(path string) (route, env string) {
	switch path {
	case "/v2/activate", "/v2/activate/":
		return RouteActivate, ""
	case "/", "/events", "/events/":
		return RouteEvents, ""
	case "/analytics", "/analytics/", "/events/analytics", "/events/analytics/":
		return RouteAnalytics, ""
	case "/troubleshooting", "/troubleshooting/", "/events/troubleshooting", "/events/troubleshooting/":
		return RouteTroubleshooting, ""
	case "/token":
		return RouteToken, ""
	case RecordsPath, RecordsPath + "/":
		return routeRecords, ""
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case parts[0] == "v1" && len(parts) > 1:
		return RouteAdmin, ""
	case len(parts) == 2 && parts[1] == "token" && parts[0] != "":
		return RouteToken, parts[0]
	case len(parts) == 2 && parts[1] == "bucketing.json" && parts[0] != "":
		return RouteBucketing, parts[0]
	case len(parts) == 2 && parts[1] == "accountSettings.json" && parts[0] != "":
		return RouteAccountSettings, parts[0]
	case (len(parts) == 3 || len(parts) == 4 && parts[3] == "") &&
		parts[0] == "v2" && parts[1] != "" && parts[2] == "campaigns":
		return RouteDecision, parts[1]
	case (len(parts) == 3 || len(parts) == 4 && parts[3] == "") &&
		parts[0] == "v2" && parts[1] != "" && parts[2] == "events":
		return RouteContextEvents, parts[1]
	}
	return "", ""
}

func allowedMethods(route string) []string {
	if route == RouteBucketing || route == RouteAccountSettings {
		return []string{http.MethodGet, http.MethodHead}
	}
	return []string{http.MethodPost}
}

// readBody reads a JSON request body of at most maxBody bytes. On failure
// it answers the request and returns false.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, status, msg := checkBody(w, r)
	if status != 0 {
		writeMessage(w, status, msg)
		return nil, false
	}
	return body, true
}

// checkBody reads a JSON request body of at most maxBody bytes. On
// failure it returns the status and message to answer with.
func checkBody(w http.ResponseWriter, r *http.Request) (body []byte, status int, msg string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", mbe.Limit)
	case err != nil:
		return nil, http.StatusBadRequest, "read request body: " + err.Error()
	case !utf8.Valid(body):
		return nil, http.StatusBadRequest, "invalid JSON: invalid UTF-8"
	}
	return body, 0, ""
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, "{\"message\":%q}\n", "encode response: "+err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeMessage answers {"message": msg}, Flagship's error body.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Message string `json:"message"`
	}{msg})
}

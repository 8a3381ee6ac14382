// Package flagshiptest runs a local, in-process Flagship server for tests
// of code that uses the SDK, in the manner of net/http/httptest. It serves
// the Decision API, the activation endpoint, the bucketing file, the
// collector (hits, usage and troubleshooting hits) and the context events
// endpoint of one environment, and the management API (Remote
// Control API) of its account over the same campaigns; it decides with
// the SDK's own bucketing engine, checks and records everything it
// receives, lets tests change its data mid-test and injects failures. It
// never touches the network beyond the loopback interface.
//
// # Usage
//
// [NewServer] starts a [Server] on 127.0.0.1 and closes it when the test
// ends; [Server.Options] points a flagship client at it (its base URL,
// Server.URL, as flagship.Endpoints.Base, a cache directory in the test's
// temporary directory, and fast polling), and [Server.Endpoints] gives
// the endpoints option alone:
//
//	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
//		flagshiptest.Toggle("checkout", map[string]any{"newCheckout": true}),
//		flagshiptest.Campaign("btn",
//			flagshiptest.Variation("blue", 50, map[string]any{"color": "blue"}),
//			flagshiptest.Variation("green", 50, map[string]any{"color": "green"})),
//	))
//	c, err := flagship.New(t.Context(), srv.EnvID(), "key", srv.Options()...)
//	if err != nil {
//		t.Fatal(err)
//	}
//	t.Cleanup(func() { _ = c.Close(context.Background()) })
//	// ... exercise the code under test, then:
//	if err := c.Flush(t.Context()); err != nil { // deliver what the client queued
//		t.Fatal(err)
//	}
//	for _, h := range srv.Hits() {
//		t.Log(h.Type, h.VisitorID, h.Fields)
//	}
//
// [Handler] is the same server without a listener ([NewHandler]): mount it
// in your own mux or httptest.Server and point a client at it with
// [ClientOptions], or run it from the command line with "flagship serve".
// [Campaign], [Toggle] and [Variation] build campaigns in code;
// [WithBucketingFile] serves a real bucketing file instead.
//
// # Routes
//
// All routes are under the handler's root; {envID} is the handler's
// environment id. Errors are answered as Flagship does, with a JSON body
// {"message": "..."}; a message about a field starts with its path, as in
// "h[3].dl: want an absolute URL, got \"checkout\"".
//
//   - POST /v2/{envID}/campaigns: the Decision API (spec §2). The body is
//     parsed as Flagship parses it (protobuf JSON): lowerCamelCase or
//     snake_case names, unknown and duplicate fields refused, booleans
//     that are JSON booleans, null meaning unset, a non-empty visitorId.
//     Another environment id is a 400. The answer is the "normal" response
//     of spec §2.4, or {"visitorId":...,"campaigns":[],"panic":true} in
//     panic mode. Query parameters are recorded; sendContextEvent is
//     honoured, and extras=accountSettings (extras[]= as Flagship's JS SDK
//     sends it) adds "extras": {"accountSettings": ...}, the served file's
//     account settings. As Flagship's server does, a call whose trigger_hit and
//     activate are not false activates every campaign it returns, and a
//     call with a non-empty context, visitor_consent not false and
//     sendContextEvent not "false" records a SEGMENT hit (neither happens
//     in panic mode). A wrong or missing x-api-key is a 401 when
//     [WithAPIKey] is set.
//   - POST /v2/activate: activations (spec §3), single or batch shape,
//     parsed strictly (unknown fields are refused), at both validation
//     levels. cid must be the environment id ("Invalid cid."); a missing
//     cid, vid, caid or vaid is refused with the JSON document of spec
//     §3.1 as the reason. A batch is judged item by item (see "Answers"
//     below); 204 when every activation is accepted.
//   - GET /{envID}/bucketing.json: the current bucketing file (spec §4.1),
//     with a Last-Modified (whole seconds, increased on every change) and
//     a strong ETag; If-None-Match, or else If-Modified-Since, can get a
//     304. Another environment id is a 404. HEAD works too.
//   - GET /{envID}/accountSettings.json: what Flagship's JS SDK reads at
//     start in DECISION_API mode (spec §12): {"accountSettings": {...}},
//     the accountSettings object of the bucketing file served, as it is
//     there ({"enabledXPC":false,"enabled1V1T":false} when the file has
//     none). Another environment id is a 404. HEAD works too.
//   - POST / and POST /events: the collector (spec §7). The body is a
//     BATCH envelope {"cid","ds":"APP","t":"BATCH","qt"?,"h":[...]},
//     recognised by its h member or its t "BATCH", or a single hit posted
//     alone, as Flagship's Go SDK v2 does, which carries its own cid (and
//     ds). The envelope and each hit are checked at the handler's
//     validation level (see "Validation" below) and the hits are judged
//     one by one (see "Answers"); 200 with {} when every hit is accepted.
//   - POST /analytics and POST /troubleshooting (also under /events/):
//     the usage and troubleshooting hits of Flagship's JS SDK. Any JSON is
//     taken: a BATCH envelope's items, an array's elements, or else the
//     body, are each recorded as a [Telemetry]; 200 with {}. Only a body
//     that is not JSON, or an object item with a duplicate key, is
//     refused.
//   - POST /v2/{envID}/events: the context event of Flagship's Go SDK v2
//     in bucketing mode (spec §7.4), {"visitorId" (or "visitor_id"),
//     "type": "CONTEXT", "data": {...}}: a non-empty visitor id, type
//     CONTEXT, data an object or null; Strict refuses other members. 204
//     on success; another environment id is refused.
//   - GET /_flagshiptest/records ([RecordsPath]): what the handler
//     recorded, as JSON (see "Records route" below).
//   - /v1/accounts/{account}/...: the management API (Remote Control API
//     spec §3.1), every route: account_environments (list, get), …/panic,
//     …/users (GET, PUT, DELETE), …/goals, …/campaigns (and …/toggle),
//     …/variation_groups, …/variations, projects (and …/toggle), flags
//     (and flags/usage, always empty), targeting_keys. See "Management
//     API" below.
//   - POST /{account}/token?expires_in=N: tokens of the management API
//     (spec §2.2), for a JSON body with grant_type client_credentials
//     (client_id, client_secret, scope) or refresh_token (client_id,
//     refresh_token). expires_in 0 or absent: a token that never expires.
//     Refusals are OAuth errors, 400 {"error": "invalid_client", ...}.
//   - GET /token?access_token=T: what the token is (spec §2.3); 400 for an
//     unknown, expired or revoked one.
//
// Any other path is a 404 and another method a 405 with an Allow header
// (the self-hosted decision API answers 400 to a wrong method; a 405 tells
// a wrong method apart from a bad body). A trailing slash is accepted on
// the decision, activation, collector, context events and management
// routes.
//
// # Answers
//
// A request of several items (a BATCH envelope's hits, an activation
// batch) is judged item by item, so that one bad item never makes a
// client re-send the good ones (Flagship's JS SDK re-sends a refused
// batch until its hits are 4 hours old):
//
//   - every item accepted: 200 {} (hits), 204 (activations);
//   - some items refused: 207 Multi-Status, with the items accepted
//     recorded and the body
//     {"message": "<the first refusal>", "accepted": 2, "refused": [{"index": 1, "reason": "h[1].dl: ..."}]},
//     whose indexes are those of the items in the request's h (or batch)
//     array; Flagship's SDKs take any 2xx as success, and this SDK's
//     httpsink dead-letters exactly the items refused;
//   - every item refused: 400 {"message": "<the first refusal>"};
//   - a request refused as a whole, whatever its items (malformed JSON,
//     a problem of the envelope, another environment id): 400
//     {"message": ...}; a body over 8 MiB: 413.
//
// A request of one item (a single hit, activation or context event) is
// accepted or refused (400).
//
// # Validation
//
// The handler checks hits at one of two levels, [Strict] (the default of
// [NewHandler] and [NewServer]) or [Compatible] (the default of "flagship
// serve"), set with [WithValidation]. Strict is what this SDK must send,
// for its own tests and for users who want their hits checked; Compatible
// is what Flagship's collector takes from Flagship's own SDKs (spec §12),
// for running them against the handler. Anything Compatible refuses,
// Strict refuses too.
//
//	what                                   Strict                          Compatible
//	-------------------------------------  ------------------------------  -------------------------------
//	body not a JSON object (or a dup key)  request refused                 request refused
//	envelope cid                           required, the env's             optional (else on each hit);
//	                                                                       if given, the env's
//	envelope ds, t, qt                     "APP", "BATCH", int >= 0;       t "BATCH" if given; others
//	                                       ds and t required               ignored
//	envelope's other members (cv...)       request refused                 ignored
//	h                                      required, non-empty array       required array (empty: 200)
//	hit not an object, or with a dup key   refused                         refused
//	t missing or unknown                   refused                         refused
//	t "CAMPAIGN"                           refused                         accepted
//	vid missing, empty or not a string     refused                         refused
//	hit's cid (or envelope's) not the env  refused                         refused
//	single hit without cid                 refused                         refused
//	single hit without ds                  refused                         accepted
//	null for an optional field             refused (but cuid)              accepted
//	cuid ""                                refused                         accepted
//	PAGEVIEW dl relative ("/checkout")     refused (absolute URL)          accepted
//	PAGEVIEW, SCREENVIEW without dl        refused                         accepted
//	dl on another type                     refused                         accepted
//	EVENT without ec                       refused                         accepted
//	ec not "Action Tracking" or            refused                         accepted
//	"User Engagement" (ACTION_TRACKING)
//	EVENT without ea, ea ""                refused                         accepted
//	ev, icn negative or fractional         refused                         accepted
//	tc not 3 letters                       refused                         accepted
//	TRANSACTION without tid or ta,         refused                         accepted
//	ITEM without tid, in or ic
//	SEGMENT s not an object of strings     refused                         accepted
//	a number as a string, or wrong type    refused                         accepted
//	legacy fields v, dr, pt, vp, de, sd,   refused (cst and sn accepted)   accepted
//	je, fl
//	any other unknown field                refused                         accepted, kept in Fields
//
// Both levels check activations alike (spec §3.1, as above) and take any
// usage or troubleshooting hit; a context event's unknown members are
// refused by Strict only.
//
// # Recorded data
//
// [Handler.Hits], [Handler.Activations], [Handler.UsageHits],
// [Handler.TroubleshootingHits], [Handler.ContextEvents],
// [Handler.DecisionRequests] and [Handler.Bodies] return copies of what
// was accepted, in arrival order; the items accepted of a 207 are
// recorded, faulted requests record nothing. [Handler.Refusals] returns
// every item refused, and every request refused as a whole, with its
// route, index, status, reason, the item as received and its visitor id.
// [Handler.Records] returns all of it as one list of [Record]s of every
// kind, numbered in arrival order, and [Handler.RecordsSince] those after
// a number. [Handler.AdminRequests] returns every request of the
// management and token routes, refused and faulted ones included.
// [Handler.BucketingRequests] and [Handler.FaultedRequests] count
// requests. [Handler.Reset] forgets it all. [WithOnReceive] reports each
// record as it is made, refusals included, to a function of yours
// ("flagship serve --verbose" logs them with it).
//
// In a test, the refusals of a [Server] that the test never read with
// [Server.Refusals] fail it when it ends (reading [Server.Records] does
// not count), with one
// t.Errorf listing them with their reasons: a bad hit fails the test
// without stalling the client, which had a 207 or a 400 and went on. A
// test that provokes refusals on purpose reads them. Requests a [Fault]
// answered are not refusals.
//
// # Records route
//
// GET /_flagshiptest/records ([RecordsPath]) answers 200 with the records
// as JSON, for a person or a test in another language:
//
//	{"next": 6,
//	 "hits":            [{"seq":1, "route":"events", "received":"2026-05-01T10:00:00.123Z",
//	                      "type":"PAGEVIEW", "vid":"v1", "cuid":"", "envId":"env",
//	                      "fromDecision":false, "item":{...as received...}}],
//	 "activations":     [{"seq":2, "route":"activate", "received":"...", "vid":"v1", "aid":"",
//	                      "caid":"vg", "vaid":"var", "qt":12, "qa":false, "envId":"env",
//	                      "fromDecision":false, "item":{...}}],
//	 "usage":           [{"seq":3, "route":"analytics", "received":"...", "type":"USAGE", "vid":"...", "item":{...}}],
//	 "troubleshooting": [{"seq":4, "route":"troubleshooting", ...same fields...}],
//	 "contextEvents":   [{"seq":5, "route":"contextEvents", "received":"...", "envId":"env",
//	                      "vid":"v1", "type":"CONTEXT", "data":{...}, "item":{...}}],
//	 "refused":         [{"seq":6, "route":"events", "received":"...", "index":1, "status":207,
//	                      "reason":"h[1].vid: required", "vid":"", "item":{...}}]}
//
// seq numbers the records of every kind in arrival order (a Decision API
// call's activations and SEGMENT hit have route "decision", item null for
// the activations); ?since=N keeps those whose seq is greater than N, and
// next is the seq of the last record made, to pass as since next time.
// The lists are never null. A refused item's index is -1 when its request
// was refused as a whole; its item is then the whole body (a JSON string
// when the body is not JSON, null when it could not be read). DELETE on
// the route forgets everything recorded ([Handler.Reset]) and answers
// 204.
//
// # Management API
//
// The handler's account ([AdminAccess], by default account "acc", client
// "client", secret "secret", see [WithAdminAccess]) has one environment,
// the handler's. Its campaigns are the handler's: what SDKs get, the
// bucketing file and the Decision API's answers, is the projection of
// the active ones (spec §9.5), in creation order, with bucket ranges
// [0, 100], "every visitor" for a variation group without targeting, and
// modification type FLAG unless another is given. A campaign created
// through the API is a draft until switched active; pausing,
// interrupting or deleting it removes it from the file. The environment's
// panic switch (PATCH …/panic {"panic": "on"}) is [Handler.SetPanic]'s.
//
// Campaigns set in code ([WithCampaigns], [Handler.SetCampaigns],
// [WithBucketingFile], [Handler.SetBucketingFile]) replace the
// environment's, those of the API included, and are active campaigns of
// the API with the same ids, targeting and variations, no project and no
// names unless they have some. They are served as set until the API edits
// them: an edit (a PATCH of the campaign, a change to one of its groups or
// variations) must leave a campaign valid for the API (a project,
// variation names, one reference per group, allocations summing to 100),
// and the campaign is then served from its management form, keeping the
// bucket ranges it was set with, but not what that form can't hold (a
// rule's provider, an operator the API does not know). A switch
// (toggle) changes no content. A file's top-level fields stay as set: its
// own "panic" (which the API's switch can't end, see [Handler.SetPanic])
// and its accountSettings.enabled1V1T show on the environment as panic
// and single_assignment. A campaign whose id is empty or repeats an
// earlier one's is served but not managed: the API can't name it.
//
// Calls need "Authorization: Bearer" and a token of the token route:
// missing, unknown, expired or revoked tokens get 401, another account
// 403 (scopes are granted, never checked). Unknown ids, the environment
// included, get 404. Lists are pages (spec §3.3): _page 0 and 1 are the
// first, _max_per_page is 10 by default and within 1..100, and the
// envelope has items, total_count, current_item_count, current_page,
// items_per_page and last_page. Creating answers 201 and the object,
// updating 200 and the object, deleting 204, toggles and panic 200 with
// no body; PUT on a project is a PATCH. A PATCH changes the members it
// has; a sub-collection it has (variation_groups, variations) replaces
// the current one: children with the id of a current one update it, those
// without an id are new, the others are deleted (spec §3.4). Read-only
// members (id, status, created_at, updated_at) are ignored in requests.
// Invalid requests get 400 with {"message": "path: problem; ...",
// "errors": {"path": ["problem"]}}: the rules of the admin package's
// Validate methods, plus the spec's (spec §9.3): integer allocations, a
// project that exists, a description on create, known states, roles and
// goal vocabularies, unique flag names (case-insensitive) and targeting
// key names. A change to a group or variation is checked as a change of
// its campaign and named by its path there.
//
// [Server.AdminClient] returns an admin client of the server;
// [Server.AdminOptions] the options that point one at it. The knobs:
// [Handler.SetAdminRateLimit] (429 with Retry-After),
// [Handler.ExpireAdminTokens], [Handler.RevokeAdminAccess] and
// [Handler.SetAdminAccess], [Handler.SetPublicationDelay] (changes reach
// SDKs later, like a CDN), and [Handler.FailNext] with [RouteAdmin] or
// [RouteToken] for errors and latency. [Handler.AdminRequests] records
// every request of those routes, refused ones included.
//
// # Changing data and injecting failures
//
// [Handler.SetCampaigns], [Handler.SetBucketingFile] and [Handler.SetPanic]
// change what is served and decided from the next request on.
// [Handler.FailNext] makes the next requests of a route fail with a
// status (and Retry-After), a latency or a dropped connection. Handler
// methods return errors wrapping [ErrInvalidOptions]; a [Server]'s
// SetCampaigns and FailNext fail the test instead.
//
// # Caveats
//
// Handler and Server are safe for concurrent use. The package imports no
// assertion library: helpers take a testing.TB.
//
// The management API keeps everything in memory, with no limit but the
// rate limit you set; its ids are random, like Flagship's (20-character
// xids). Scopes, the scheduler, goals and allocation_config are stored
// and echoed, never applied.
//
// Decisions are fresh: there is no assignment history, so trigger_hit and
// activations don't make later decisions sticky. The single-campaign and
// flags routes of the Decision API, the mode parameter and
// exposeAllKeys=false are not served: every variation lists every flag
// key of its group (as with exposeAllKeys=true, which SDKs send).
//
// Strict validation is deliberately strict, to check what the SDK
// sends; Compatible mirrors what Flagship's collector was seen to take
// from Flagship's SDKs (spec §12), not a specification of the collector,
// which may refuse some of it. The records route has no authentication:
// it shows everything received to whoever reaches the handler.
//
// A dropped connection is a hijacked and closed one; where the server
// can't hijack (HTTP/2), the handler panics with http.ErrAbortHandler,
// which net/http turns into a reset stream, so a recovering middleware
// around the Handler would turn it into a 500.
//
// Go's http.Transport silently retries an idempotent request (a GET of the
// bucketing file) dropped on a reused connection, so a single
// [Fault] with Drop on that route may go unnoticed by the client.
package flagshiptest

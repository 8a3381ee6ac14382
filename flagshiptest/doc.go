// Package flagshiptest runs a local, in-process Flagship server for tests
// of code that uses the SDK, in the manner of net/http/httptest. It serves
// the Decision API, the activation endpoint, the bucketing file and the
// hits endpoint of one environment, and the management API (Remote
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
//     panic mode. Query parameters are recorded, and only sendContextEvent
//     is honoured. As Flagship's server does, a call whose trigger_hit and
//     activate are not false activates every campaign it returns, and a
//     call with a non-empty context, visitor_consent not false and
//     sendContextEvent not "false" records a SEGMENT hit (neither happens
//     in panic mode). A wrong or missing x-api-key is a 401 when
//     [WithAPIKey] is set.
//   - POST /v2/activate: activations (spec §3), single or batch shape,
//     parsed strictly (unknown fields are a 400). cid must be the
//     environment id ("Invalid cid."); a missing cid, vid, caid or vaid is
//     a 400 whose message is the JSON document of spec §3.1. 204 on
//     success.
//   - GET /{envID}/bucketing.json: the current bucketing file (spec §4.1),
//     with a Last-Modified (whole seconds, increased on every change) and
//     a strong ETag; If-None-Match, or else If-Modified-Since, can get a
//     304. Another environment id is a 404. HEAD works too.
//   - POST /events: hits (spec §7) in a BATCH envelope
//     {"cid","ds":"APP","t":"BATCH","qt"?,"h":[...]}. The envelope and
//     every item are checked (spec §7.2, §7.3, §7.5) and the whole batch
//     is refused with a 400 naming the first problem if any is invalid;
//     200 with {} on success.
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
// the decision, activation, events and management routes.
//
// # Recorded data
//
// [Handler.Hits], [Handler.Activations], [Handler.DecisionRequests] and
// [Handler.Bodies] return copies of what was accepted, in arrival order;
// refused and faulted requests record nothing. [Handler.AdminRequests]
// returns every request of the management and token routes, refused
// and faulted ones included. [Handler.BucketingRequests]
// and [Handler.FaultedRequests] count requests. [Handler.Reset] forgets it
// all. [WithOnReceive] reports each hit and activation as it is recorded,
// and each request of hits or activations refused with its reason, to a
// function of yours ("flagship serve --verbose" logs them with it).
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
// flags routes of the Decision API, the mode and extras parameters and
// exposeAllKeys=false are not served: every variation lists every flag
// key of its group (as with exposeAllKeys=true, which SDKs send).
//
// Validation is deliberately strict, to check what the SDK sends: hits
// with fields their type doesn't have, a null optional field, an empty
// cuid or a numeric string where a number is expected are refused, although
// Flagship's collector may accept some of them.
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

// Package flagshiptest runs a local, in-process Flagship server for tests
// of code that uses the SDK, in the manner of net/http/httptest. It serves
// the Decision API, the activation endpoint, the bucketing file and the
// hits endpoint of one environment, decides with the SDK's own bucketing
// engine, checks and records everything it receives, lets tests change its
// data mid-test and injects failures. It never touches the network beyond
// the loopback interface.
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
//
// Any other path is a 404 and another method a 405 with an Allow header
// (the self-hosted decision API answers 400 to a wrong method; a 405 tells
// a wrong method apart from a bad body). A trailing slash is accepted on
// the decision, activation and events routes.
//
// # Recorded data
//
// [Handler.Hits], [Handler.Activations], [Handler.DecisionRequests] and
// [Handler.Bodies] return copies of what was accepted, in arrival order;
// refused and faulted requests record nothing. [Handler.BucketingRequests]
// and [Handler.FaultedRequests] count requests. [Handler.Reset] forgets it
// all. [WithOnReceive] reports each hit and activation as it is recorded,
// and each request of hits or activations refused with its reason, to a
// function of yours ("flagship serve --verbose" logs them with it).
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

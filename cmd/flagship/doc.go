// Flagship is the SDK's command-line tool: it decides Flagship campaigns
// locally from a bucketing file, exactly as the SDK's BUCKETING mode does
// and without calling the Decision API; explains why a visitor gets or
// misses each campaign; runs a local Flagship server for manual tests;
// inspects and repairs the SDK's event queue files; and prints its
// versions.
//
// Usage:
//
//	flagship <command> [flags]
//	flagship help [command]
//
// Flags are Go flags: -name and --name are the same. A FILE of "-" is
// standard input, and a FILE ending in ".gz" is read as gzip. The exit
// status is 0 on success, 2 on bad usage or bad input (the message names
// the file and line), and 1 on any other error, such as a queue file
// locked by a running SDK.
//
// # decide
//
//	flagship decide --bucketing FILE --visitors FILE
//	flagship decide --bucketing FILE --visitor ID [--anonymous-id ID] [--decision-group G]
//	                [--context key=value]... [--context-json OBJECT]...
//
// Decide prints one JSON line per visitor, in input order, with the
// campaigns it is assigned to in decision order:
//
//	{"visitorId":"v1","campaigns":[{"campaignId":"…","variationGroupId":"…","variationId":"…"}]}
//
// In panic mode every line has "campaigns":[] and "panic":true. The
// --visitors file has one JSON object per line with "visitorId"
// (required), "context" (an object), "anonymousId" and "decisionGroup";
// other fields are ignored and blank lines skipped. --visitor describes
// one visitor instead: --anonymous-id is the anonymous id of an
// authenticated visitor (experience continuity), --decision-group a group
// whose visitors share allocations, --context sets one attribute (true and
// false are bools, a finite number is a number, anything else a string)
// and --context-json several from a JSON object; both repeat, a later one
// overriding an earlier one.
//
// # explain
//
//	flagship explain --bucketing FILE --visitor ID [--anonymous-id ID] [--decision-group G]
//	                 [--context key=value]... [--context-json OBJECT]...
//
// Explain decides for one visitor and prints, campaign by campaign, the
// variation groups whose targeting was evaluated with each rule's result,
// the visitor's buckets, and the variation assigned or why there is none
// (a failed rule, a bucket out of range, untracked by the allocations,
// "one visitor, one test"). See [bucketing.Engine.Explain].
//
// # serve
//
//	flagship serve [--bucketing FILE] [--addr HOST:PORT] [--env ENV] [--api-key KEY]
//	               [--allow-remote] [--verbose]
//	               [--account ID] [--client-id ID] [--client-secret SECRET]
//
// Serve runs [flagshiptest.Handler] for one environment, deciding from the
// bucketing FILE (without one, from no campaign), until interrupted: the
// Decision API, the activation endpoint, the bucketing file and the hits
// endpoint, checking what it receives as strictly as package flagshiptest
// does, and the management API (Remote Control API) over the same
// campaigns, at URL/v1/accounts/{account}/... with tokens at
// POST URL/{account}/token. Its access is --account, --client-id and
// --client-secret, else $FLAGSHIP_ACCOUNT_ID, $FLAGSHIP_CLIENT_ID and
// $FLAGSHIP_CLIENT_SECRET, else acc, client and secret; the start-up log
// never prints a secret given by flag or variable. The first line of
// standard output is the server's base URL; the routes are listed on
// standard error. --addr defaults to 127.0.0.1:8080 (port 0 picks a free
// port) and must be a loopback address unless --allow-remote is given
// (which also needs a management API secret of your own, not the default).
// --env defaults to flagshiptest's EnvID. --api-key, or else the
// FLAGSHIP_API_KEY environment variable, makes the Decision API require
// that x-api-key. --verbose logs to standard error every request, and
// every hit and activation received, as it is recorded (its type, visitor
// id and main fields) or refused (with the reason the server answers).
//
// # admin
//
//	flagship admin RESOURCE VERB [--env ENV_ID] [--file FILE] [--json]
//	               [--base-url URL] [--auth-url URL] [--timeout D] [ARGS]
//
// Admin manages an account through Flagship's Remote Control API (package
// [github.com/seed27eed597/flagship-go/admin]): list and get environments,
// projects, campaigns, flags, targeting keys, goals and users; create or
// update a campaign from a JSON file, checked before it is sent; switch a
// campaign; turn an environment's panic mode on or off. Credentials come
// from FLAGSHIP_ACCOUNT_ID, FLAGSHIP_CLIENT_ID and FLAGSHIP_CLIENT_SECRET.
// --base-url (with its /v1) points it at another server, such as
// "flagship serve"; "flagship admin -h" lists every command.
//
// # queue
//
//	flagship queue stats   --db FILE [--json]
//	flagship queue peek    --db FILE [--sink NAME] [-n 20] [--json]
//	flagship queue dead    --db FILE [-n 20] [--json]
//	flagship queue replay  --db FILE
//	flagship queue compact --db FILE
//
// Queue works on an SDK's durable event queue file ([eventqueue]; the
// client's {cache dir}/queue.db). Stats prints each sink's backlog (depth,
// bytes, age of the oldest record), the dead letters and the file size.
// Peek prints the records at the head of each backlog (or only --sink's),
// at most -n per backlog. Dead prints the dead letters, oldest first, with
// their sink, time and reason. Replay moves every readable dead letter back
// to the end of its backlog, for the next SDK that opens the file. Compact
// rewrites the file without the space of deleted records.
//
// --json prints one JSON object per line. Every subcommand takes
// --lock-timeout (default 1s): a running SDK holds its file locked, and
// the commands fail with exit status 1 once the timeout has passed. A
// missing --db FILE is an error, never created.
//
// # version
//
//	flagship version [--json]
//
// Version prints the SDK version the tool was built from (sent by the SDK
// in the x-sdk-version header), the Go version and platform, and the
// binary's build information: its module's path and version (a tag when
// installed with "go install ...@version", "(devel)" when built from a
// checkout) and, when built in a git checkout, the commit, its time and
// whether the tree was modified. --json prints one JSON object.
package main

// Package bucketing decides locally, from Flagship's bucketing file, which
// campaigns and variations a visitor gets, exactly as Flagship's own
// decision library (flagship-common GetDecision, used by the Decision API)
// does.
//
// # Parsing and compiling
//
// [Parse] reads a bucketing file the way Flagship's loader does (protobuf
// JSON, unknown fields ignored) and reports anything Flagship would reject
// with a [*ParseError] naming the path, for example
// "campaigns[3].variationGroups[1].variations[0].allocation: not an
// integer". [Compile] turns a [File] into an immutable [Config]: targeting
// strings are lower-cased, semantic versions parsed, allocations accumulated
// and flag maps built once. [ParseConfig] does both.
//
// # Deciding
//
// An [Engine] holds the current Config behind an atomic pointer:
// [Engine.Update] swaps it while decisions run, and [Engine.Decide]
// implements [decision.Decider] with no lock and no allocation beyond its
// result:
//
//	cfg, err := bucketing.ParseConfig(data)
//	if err != nil {
//		return err // wraps ErrInvalidFile; a *ParseError names the path
//	}
//	e := bucketing.NewEngine(bucketing.Options{})
//	e.Update(cfg)
//	d, err := e.Decide(ctx, decision.Request{VisitorID: "user-4242", Context: attrs})
//
// The algorithm, per campaign in file order:
//
//   - the first variation group whose targeting matches (OR of groups, AND
//     of rules, no short circuit: a rule raising an error rejects the group);
//   - "one visitor, one test" for ab campaigns when enabled1V1T is on;
//   - the campaign's bucket ranges against murmur3(visitor id) mod 100 (a
//     campaign without ranges is not served);
//   - the variation: murmur3(variation group id + visitor id) mod 100 against
//     the cumulative allocations; visitors beyond them are untracked. A
//     group whose only variation has 100% takes it without hashing.
//
// Decisions are deterministic: without an assignment store, a visitor with the same
// context gets the same decision on every call and in every process, as
// long as the file does not change.
//
// Each Config also caches, per context key, the results of the rules that
// read it for up to 512 distinct scalar values, so repeated values (country,
// plan, app version, ...) cost one lookup per key rather than one comparison
// per rule. The cache is lock-free for readers and dies with its Config.
//
// # Assignment history
//
// With [Options].Assignments set (an [assignment.Store]), a visitor keeps
// its variation when allocations change, experience continuity reuses the
// anonymous id's assignments, and 1V1T honours activated assignments,
// with Flagship's priorities (decision group, visitor, anonymous id,
// fresh allocation). A decision reads its keys (visitor id, anonymous id,
// decision group) in one Load and saves what changed in one Save; a
// returning visitor whose assignments need no update costs no allocation
// but the result. The store is read on every decision: put an
// [assignment.Cache] in front of one that does I/O.
// [Engine.RecordActivation] records exposures as Flagship's activation
// endpoint does, and [Engine.DecideWith] with TriggerHit as a Decision
// API call with trigger_hit does. A store that cannot be read fails the
// decision with an error wrapping [ErrHistory] (and no campaigns, as
// Flagship does; an assignment.Cache is fail-open by default, answering
// without the store instead); a failed save is only logged.
//
// # Explaining
//
// [Engine.Explain] runs the same code as Decide and records, per campaign
// and variation group, why it was or wasn't chosen: the rule that failed,
// the bucket out of range, the allocation bucket beyond the allocations,
// the 1V1T block, or the chosen variation and its hash bucket.
//
// # Polling
//
// A [Poller] keeps an Engine's Config up to date from the file on
// Flagship's CDN. It starts no goroutine; its owner runs, in order:
//
//	p, err := bucketing.NewPoller(e, bucketing.PollerOptions{URL: url, CachePath: path})
//	_, err = p.LoadCache(ctx) // last good file, if any: decisions work offline
//	_, err = p.Fetch(ctx)     // one conditional GET; the error is the caller's
//	go p.Run(ctx)             // in a goroutine the owner stops and waits for
//
// Requests are conditional (If-None-Match, If-Modified-Since), so an
// unchanged file costs a 304. A download replaces the Config only when it
// is a complete, valid file: a failed request, an error status, a
// truncated or invalid body leave the engine and the cache file as they
// were, and Run retries. Each new file is written to
// [PollerOptions].CachePath atomically, with its validators, so a restart
// without network decides from it. [PollerOptions].OnUpdate and OnError
// report updates and failures to metrics.
//
// Every failed fetch returns a [*FetchError] that names the URL (without
// user information, query or fragment) and the environment id, never a
// header such as the API key, and says why: the status, or the cause
// (DNS, connection refused, timeout, invalid file), for example
//
//	bucketing: fetch https://cdn.flagship.io/ENV/bucketing.json (env ENV): status 404 Not Found
//
// [Poller.Status] reports whether a file was ever installed and the error
// of the last fetch (nil after a success), so that an owner still waiting
// for its first file can say why.
//
// # Retries and logs
//
// Run waits Interval ± Jitter×Interval between polls (60 s ± 10% by
// default). After failed fetches it backs off instead: after n failures
// in a row, counting the owner's Fetch calls, the wait is 1 s doubled n-1
// times, capped at Interval, ± the same Jitter. With the default
// interval a failure at start-up is retried after about 1, 2, 4, 8, 16,
// 32 s, then every 60 s, so a transient failure is over quickly; a
// success brings back the regular wait. The cap means a retry never waits
// longer than a regular poll, and that an Interval of 1 s or less
// retries at every Interval.
//
// However often it polls, a server that keeps failing costs one Warn
// line: Run logs the first failure of each run of failures at Warn, with its
// error, and the others at Debug; the first success after it is logged at
// Info ("bucketing file fetched again after N failed fetches"), whether
// Run or the owner made that fetch. Fetch never logs the error it returns.
//
// # Errors
//
// Branch with [errors.Is]: [ErrInvalidFile] (Parse, Compile, and a
// downloaded or cached file), [ErrNoConfig] (a decision before the first
// Update), [ErrEmptyVisitorID], [ErrHistory], [ErrInvalidOptions]
// (NewPoller), [ErrFetch] and [ErrUnauthorized] (a [*FetchError] whose
// status is the failure, 401 or 403 for ErrUnauthorized) and [ErrCache]
// (the on-disk copy). A *FetchError without an error status wraps its
// cause: context.DeadlineExceeded for a timeout, ErrInvalidFile for a bad
// body.
//
// # Caveats
//
// Engine, Config, Poller and MemoryHistory are safe for concurrent use;
// a File is plain data, which Compile shares with its Config.
//
// Decisions read only what the file holds: third-party provider segments
// are never known locally, so provider rules only match through
// NOT_EXISTS. Modifications.Value maps are shared by every decision and
// must not be modified.
//
// A panic file ("panic": true) is installed and cached like any other;
// Config.Panic reports it and decisions return no campaigns until a file
// without panic replaces it. The cache file is replaced by rename, so
// several processes may share one CachePath (the last writer wins), but a
// crash during a write can leave a "*.tmp" file beside it, which is
// ignored and never removed. Request headers, such as an API key, are
// never written to the cache file nor logged. The poller's own HTTP
// client follows redirects only within the origin (scheme, host and port)
// of the file's URL and fails the fetch with "redirect to another origin
// refused" otherwise; a custom [PollerOptions].HTTPClient must itself
// refuse redirects to other hosts if the headers must not reach them.
//
// The poller's own HTTP client has a transport of its own, whose
// keep-alive connections stay open (two goroutines each) until they have
// been idle for 90 s or [Poller.Close] closes them: call Close once Run
// has returned.
package bucketing

// Package decision holds the decision model shared by the SDK's two modes
// and the client of the Flagship Decision API (DECISION_API mode).
//
// # Model
//
// A [Request] describes a visitor: its id, its optional anonymous id
// (experience continuity) and its context. A [Decision] lists the
// campaigns the visitor is assigned to, in the environment's order, as
// [Assignment] values: a pointer to an immutable [Campaign] (with its
// [VariationGroup] and the chosen [Variation] with its [Modifications],
// flag key to JSON value) and the [Reason] the variation was chosen
// (remote, freshly allocated at a hash bucket, or from the assignment
// history). The Campaign's fields are promoted (a.ID, a.Variation.ID).
// [Modifications.Lookup] reads one flag without allocating; a JSON null
// is set, with a nil value, and means "serve the default". When a later
// campaign sets a key an earlier one set, the later one wins (package
// visitor applies this rule).
//
// A Decision with Panic set means the environment is in panic mode: it has
// no campaigns, and callers serve their defaults and send no activation
// and no hit until a later decision ends the panic.
//
// Campaigns and modification values are shared and must not be modified:
// the bucketing engine returns the same *Campaign to every visitor given
// that variation, which keeps a decision down to one small allocation.
//
// # Decider
//
// [Decider] is the one-method interface both modes implement: [APIClient]
// here, and [github.com/seed27eed597/flagship-go/bucketing.Engine] for
// local decisions. [DeciderFunc] adapts a function, which is handy in
// tests. Implementations are safe for concurrent use.
//
// # Decision API client
//
// [NewAPIClient] builds an [APIClient] from an environment id, an API key
// and [APIOptions], whose zero value is valid:
//
//	c, err := decision.NewAPIClient(envID, apiKey, decision.APIOptions{})
//	if err != nil {
//		return err // wraps decision.ErrInvalidOptions
//	}
//	d, err := c.Decide(ctx, decision.Request{VisitorID: "user-4242"})
//
// Each call is one POST {BaseURL}/{envID}/campaigns?exposeAllKeys=true
// (BaseURL defaults to [DefaultAPIURL]), bounded by ctx and
// APIOptions.Timeout ([DefaultTimeout], 2 s). It asks the server not to
// activate anything (trigger_hit false): activation is the caller's job.
// [APIClient.DecideConsent] also tells the server whether the visitor
// consented to data collection; [APIClient.Decide] assumes consent.
// APIOptions.ContextDefaults fills the context keys a request lacks (the
// SDK's fs_client and fs_version).
//
// Failures are returned, never logged. Callers branch on them with
// [errors.Is] and [errors.As]: [ErrInvalidRequest] (nothing was sent),
// [*APIError] for a non-2xx status ([ErrUnauthorized] matches 401 and 403,
// [ErrForbidden] 403 only), [ErrResponseTooLarge], [ErrBadResponse],
// and the transport error itself, so that errors.Is(err,
// context.DeadlineExceeded) reports a timeout. A panic-mode answer is not
// an error: it is a Decision with Panic set.
//
// [github.com/seed27eed597/flagship-go/flagshiptest] serves a local
// Decision API for tests of this client and of code that uses it.
//
// # Caveats
//
// The client never retries; a caller that wants a second attempt (the
// official Go SDK makes two) makes it, ideally keeping the flags it already
// had meanwhile.
//
// The default HTTP client follows redirects only within the origin
// (scheme, host and port) of BaseURL, so the API key, which travels in the
// x-api-key header, is never forwarded to another host: a redirect
// elsewhere fails the call with an error saying so ("redirect to another
// origin refused"). A 301, 302 or 303 answer is not followed, since it
// would turn the POST into a GET: it is returned as an [*APIError]. A
// client given in APIOptions.HTTPClient follows its own redirect policy.
//
// The default HTTP client has a transport of its own, whose keep-alive
// connections stay open (two goroutines each) until they have been idle
// for 90 s or [APIClient.Close] closes them: call Close when done with the
// client, for example before a goroutine leak check.
//
// Response parsing is lenient: missing fields and a null slug decode as
// empty strings, null campaign entries are skipped and unknown fields are
// ignored. Campaigns are returned even when their ids are empty. A body of
// the wrong shape fails with [ErrBadResponse] and a message naming the
// JSON path and the JSON types, as in `decision: bad response:
// "campaigns[0].variation" must be an object, got a string`.
//
// The API key prints and logs as "REDACTED", and is replaced by REDACTED
// wherever it stands as a whole token in a server message copied into an
// [*APIError] (delimited by characters other than letters, digits, '_'
// and '-'), so that a short key does not garble the words that contain it.
package decision

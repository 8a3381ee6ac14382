// Package admin is a client of Flagship's Remote Control API, the
// management API of Feature Experimentation: environments (read and
// panic), projects, campaigns with their variation groups, variations and
// targeting, the flag and targeting-key catalogs, goals, and the users of
// an environment.
//
// It depends on nothing of the SDK's run time: a program that manages
// campaigns needs no flagship client, and the SDK does not need this
// package.
//
// # Usage
//
// [New] takes the account id and the credentials of an access (Settings >
// Feature Experimentation > Remote Control API in the platform):
//
//	c, err := admin.New(accountID, admin.Credentials{
//		ClientID:     os.Getenv("FLAGSHIP_CLIENT_ID"),
//		ClientSecret: admin.Secret(os.Getenv("FLAGSHIP_CLIENT_SECRET")),
//	})
//	if err != nil {
//		return err
//	}
//	defer c.Close()
//	for cp, err := range c.ListCampaigns(ctx, envID) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(cp.ID, cp.Name, cp.Status)
//	}
//	err = c.SwitchCampaign(ctx, envID, campaignID, admin.StatusPaused)
//
// Lists are iterators ([iter.Seq2]) that fetch pages of 100 as they go;
// [Collect] gathers one into a slice.
//
// The resource types ([Campaign], [Project], [Flag]…) are plain values in
// the API's JSON form (snake_case), safe for concurrent reads; a [Client]
// is safe for concurrent use.
//
// # Authentication
//
// The client asks the token server for a token (OAuth2 client credentials,
// lifetime [DefaultTokenLifetime]) at its first call, keeps it, and asks
// for a new one once 90 % of its lifetime has passed; concurrent calls
// share one token request. When the API refuses a token (401) the client
// asks for a new one and sends the request once more; a second refusal,
// or a token server that refuses the credentials, is an error matching
// [ErrUnauthorized]. The secret and the tokens are [Secret]s: they never
// appear in logs, errors or printed values.
//
// # Retries
//
// A call sends at most RetryPolicy.MaxAttempts requests (5 by default),
// all bounded by its ctx:
//
//   - 429 Too Many Requests is retried for every method: the server
//     refused the request without processing it.
//   - 502, 503 and 504, and transport errors (a connection reset, a
//     timeout), are retried only for idempotent requests: GET, PUT, PATCH
//     and DELETE. A POST, which creates, may have been processed: it is
//     never sent again after such an ambiguous failure, and the error is
//     returned. Only a POST whose connection could not even be opened is
//     sent again.
//   - The wait before a retry is the answer's Retry-After (429 and 503;
//     delta-seconds or an HTTP date, never shortened) or, without one, an
//     exponential backoff with jitter (0.5 s, doubling up to 30 s, each
//     wait then drawn within ±50 %, so at most 45 s). A Retry-After longer than RetryPolicy.MaxRetryWait (60 s by
//     default) is not waited out: the call returns the [*APIError] at once,
//     its RetryAfter set, for the caller to decide.
//   - When the wait would pass ctx's deadline, or ctx ends while waiting,
//     the call returns at once an error that wraps both the last answer
//     (for a 429, errors.Is(err, [ErrRateLimited])) and the context's
//     error (errors.Is(err, context.DeadlineExceeded)).
//   - A DELETE retried after an ambiguous failure that then gets 404 is a
//     success: the first attempt deleted it.
//   - Every other answer (400, 403, 404, 500…) is returned at once.
//
// # Errors
//
// An answer other than 2xx is an [*APIError] with the method, path, status
// and the server's message (capped at 1 KiB). errors.Is matches it with
// [ErrNotFound] (404), [ErrUnauthorized] (401), [ErrForbidden] (403),
// [ErrRateLimited] (429) and [ErrValidation] (400). A value the API would
// refuse is refused before it is sent with [*FieldError]s naming each
// field's path, as in "variation_groups[0].variations[1].allocation";
// they match [ErrValidation] too. A response that is not JSON, or larger
// than [MaxResponseSize], fails the call with an error saying so.
//
// # Caveats
//
// The API has no idempotency keys: after a create failed ambiguously
// (a timeout, a 5xx), list the resources and look for its name before
// creating it again.
//
// Updates are last-writer-wins (no versions nor ETags), and
// [Client.UpdateCampaign] replaces the variation groups: read the
// campaign, change it, update it, and keep the ids of the groups and
// variations to keep.
//
// SDKs see a change only once Flagship publishes the bucketing file
// again and their next poll fetches it.
//
// Where the API's sources disagree, the client accepts every variant:
// pages numbered from 0 or from 1, the users list flat or nested under
// "data", "allocation" for "allocation_step" in rollout steps. Unknown
// response fields are ignored.
package admin

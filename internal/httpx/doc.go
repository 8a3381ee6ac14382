// Package httpx is the SDK's one HTTP policy: the transport the SDK owns,
// the redirect rule, the bounds on what is read of a response, and who
// closes what. The Decision API client (package decision), the bucketing
// poller (package bucketing) and the HTTP sink (package httpsink) all use
// it, so that they behave alike.
//
// # Ownership
//
// [NewClient] makes an *http.Client with a transport of its own
// ([NewTransport]), never http.DefaultTransport: its keep-alive
// connections (two goroutines each) belong to whoever made it, and that
// owner closes them when it is done, with [Client.CloseIdle]. A
// flagship.Client makes one such client in flagship.New, hands it to its
// Decision API client, bucketing poller and HTTP sink as theirs to use but
// not to close, and closes its idle connections in Close once all of them
// have stopped. Used on their own, those packages make one each when the
// caller gives none, and close it in their Close method.
//
// A caller's *http.Client is never closed nor modified: [ClientFor] uses
// it as is. flagship.WithHTTPClient is the one place where the SDK sends
// through a shallow copy of it, made by [GuardRedirects], whose
// CheckRedirect refuses redirects to another origin before it asks the
// caller's CheckRedirect (as flagship has always done).
//
// # Redirects
//
// [CheckRedirect] is the rule of the clients the SDK makes:
//
//   - a redirect to another origin (scheme, host or port; a missing port is
//     the scheme's default) is refused: the request fails with an error
//     wrapping [ErrCrossOriginRedirect] (found with errors.Is) that names
//     both origins. Go copies custom headers such as x-api-key onto a
//     redirected request, so following would hand the API key to a host
//     Flagship did not choose. The refusal is an error rather than the 3xx
//     answer, so that it is reported as what it is;
//   - a redirect within the origin is followed, up to [MaxRedirects],
//     unless following would turn a request with a body into a GET
//     without it (301, 302 and 303 to a POST): then the 3xx answer is
//     returned as it is, since the redirected request would deliver
//     nothing. net/http itself returns a 307 or 308 answer as it is when
//     the body cannot be sent again.
//
// # Bounds
//
// [ReadBody] reads at most a given number of bytes of a body (one more, to
// tell that it is larger) and fails with a [*TooLargeError] rather than
// truncating. [DrainClose] discards at most [DrainLimit] bytes of what is
// left of a body before closing it, so that the connection is reused
// without a huge body holding the caller up.
//
// # Caveats
//
// Errors of this package carry no package prefix: they only reach users
// wrapped by the error of the package that made the request (for example
// "decision: fetch campaigns: Post ...: redirect to another origin
// refused: ..."), which names the source.
//
// A request still running when its owner closes the idle connections
// keeps its connection; the transport closes it when the request ends,
// unless a new request was started on that transport in between.
package httpx

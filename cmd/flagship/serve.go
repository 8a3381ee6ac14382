package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"time"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

const serveUsage = `Usage:
  flagship serve [--bucketing FILE] [--addr HOST:PORT] [--env ENV] [--api-key KEY]
                 [--account ID] [--client-id ID] [--client-secret SECRET]
                 [--strict] [--allow-remote] [--verbose]

Serve runs a local Flagship server for one environment, deciding from the
bucketing FILE (by default, from no campaigns), until interrupted. It serves
the Decision API, the activation endpoint, the bucketing file and account
settings, and the collector (hits, usage and troubleshooting hits), and the
context events endpoint, so that this SDK and Flagship's own SDKs can run
against it.

It checks each hit and activation it receives: by default as Flagship's
collector does for Flagship's own SDKs (relative page URLs, legacy fields
and nulls accepted), with --strict as the flagshiptest package does in Go
tests (what this SDK must send). A batch is judged item by item: the items
accepted are recorded; the others are refused with a reason, and the answer
is 207 with the refused items' indexes and reasons (400 when every item is
refused, or for a malformed request).

Everything received, accepted or refused with its reason, is served as JSON
at URL/_flagshiptest/records (?since=N for the records after the Nth;
DELETE forgets them), and logged with --verbose.

It also serves the management API (Remote Control API) of the account
--account over the same campaigns: at URL/v1/accounts/{account}/..., with
tokens from POST URL/{account}/token for the credentials --client-id and
--client-secret. A campaign created and switched on through it appears in
the bucketing file and the Decision API's answers; environment panic set
through it puts SDKs in panic mode. The FILE's campaigns are active
campaigns there. Point "flagship admin" at it with --base-url URL/v1 and
FLAGSHIP_ACCOUNT_ID, FLAGSHIP_CLIENT_ID and FLAGSHIP_CLIENT_SECRET set to
the same account and credentials, or the Go client with
admin.WithBaseURL(URL + "/v1") and admin.WithAuthURL(URL). The credentials
default to those variables, else to the test credentials acc, client and
secret; a secret given by flag or variable is never printed.

The first line of standard output is the server's base URL; the Go option
and the routes are listed on standard error. Point an SDK at it with the base
URL alone, in Go:

  flagship.WithEndpoints(flagship.Endpoints{Base: URL})

which sets the Decision API (URL/v2), activation (URL/v2/activate), hits
(URL/events) and bucketing file (URL/{env}/bucketing.json) endpoints.

It listens on a loopback address only, unless --allow-remote is given: it
has no authentication beyond --api-key and the management API's
credentials, and records everything it receives. With --allow-remote,
the management API's secret must be your own (--client-secret or
$FLAGSHIP_CLIENT_SECRET), not the well-known default.

Flags:
`

// serveShutdownTimeout bounds the wait for requests in flight at exit.
const serveShutdownTimeout = 5 * time.Second

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serveUsage)
		fs.PrintDefaults()
	}
	var bucketingFile, addr, env, apiKey, account, clientID, clientSecret string
	var allowRemote, verbose, strict bool
	fs.StringVar(&bucketingFile, "bucketing", "", "the bucketing `file` to serve and decide from; - is standard input (default: no campaigns)")
	fs.StringVar(&addr, "addr", "127.0.0.1:8080", "the `address` to listen on; port 0 picks a free port")
	fs.StringVar(&env, "env", flagshiptest.EnvID, "the environment `id`")
	fs.StringVar(&apiKey, "api-key", "", "if set, the Decision API requires this x-api-key `key` (default $FLAGSHIP_API_KEY, which keeps it out of ps and shell history)")
	fs.StringVar(&account, "account", "", "the management API's account `id` (default $FLAGSHIP_ACCOUNT_ID, else "+flagshiptest.DefaultAdminAccountID+")")
	fs.StringVar(&clientID, "client-id", "", "the client `id` the token route accepts (default $FLAGSHIP_CLIENT_ID, else "+flagshiptest.DefaultAdminClientID+")")
	fs.StringVar(&clientSecret, "client-secret", "", "the client `secret` the token route accepts (default $FLAGSHIP_CLIENT_SECRET, which keeps it out of ps and shell history, else "+flagshiptest.DefaultAdminClientSecret+")")
	fs.BoolVar(&strict, "strict", false, "check hits as strictly as the flagshiptest package does (what this SDK must send), instead of as Flagship's collector does for Flagship's own SDKs")
	fs.BoolVar(&allowRemote, "allow-remote", false, "allow listening on a non-loopback address")
	fs.BoolVar(&verbose, "verbose", false, "log every request, and everything received (hits, activations, usage and troubleshooting hits, context events; accepted, or refused with the reason), to standard error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if env == "" {
		return usageError(fs, "--env must not be empty")
	}
	if apiKey == "" {
		apiKey = os.Getenv("FLAGSHIP_API_KEY")
	}
	access, secretFrom := serveAccess(account, clientID, clientSecret)
	if err := checkLoopback(addr, allowRemote); err != nil {
		return usageError(fs, "%v", err)
	}
	if allowRemote && access.Credentials.ClientSecret == "" {
		// Reachable from the network, the management API must not take
		// the well-known default secret: anyone could change campaigns.
		return usageError(fs, "--allow-remote needs a client secret of your own for the management API (--client-secret or $FLAGSHIP_CLIENT_SECRET), not the default %q", flagshiptest.DefaultAdminClientSecret)
	}

	logger := log.New(stderr, "flagship serve: ", 0) // safe for concurrent use
	validation := flagshiptest.Compatible
	if strict {
		validation = flagshiptest.Strict
	}
	opts := []flagshiptest.HandlerOption{flagshiptest.WithAPIKey(apiKey), flagshiptest.WithAdminAccess(access),
		flagshiptest.WithValidation(validation)}
	if bucketingFile != "" {
		data, err := readInput(bucketingFile, stdin)
		if err != nil {
			return err
		}
		opts = append(opts, flagshiptest.WithBucketingFile(data))
	}
	if verbose {
		opts = append(opts, flagshiptest.WithOnReceive(logReceipt(logger)))
	}
	h, err := flagshiptest.NewHandler(env, opts...)
	if err != nil {
		return badInput("%s: %w", displayName(bucketingFile), err)
	}
	access = h.AdminAccess()

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() && !allowRemote {
		ln.Close()
		return badInput("--addr %s resolves to %s, not a loopback address (see --allow-remote)", addr, tcp.IP)
	}
	url := "http://" + ln.Addr().String()
	var handler http.Handler = h
	if verbose {
		handler = logRequests(h, logger)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}

	if _, err := fmt.Fprintln(stdout, url); err != nil {
		ln.Close()
		return fmt.Errorf("write output: %w", err)
	}
	if bucketingFile != "" {
		logger.Printf("environment %s, bucketing file %s", env, displayName(bucketingFile))
	} else {
		logger.Printf("environment %s, no bucketing file: no campaigns until the management API creates some", env)
	}
	logger.Printf("base URL %s; point the Go SDK at it with:", url)
	logger.Printf("  flagship.WithEndpoints(flagship.Endpoints{Base: %q})", url)
	logger.Printf("  Decision API  POST %s/v2/%s/campaigns", url, env)
	logger.Printf("  activation    POST %s/v2/activate", url)
	logger.Printf("  bucketing     GET  %s/%s/bucketing.json", url, env)
	logger.Printf("  account       GET  %s/%s/accountSettings.json", url, env)
	logger.Printf("  hits          POST %s/events (or %s/), checked in %s mode", url, url, validation)
	logger.Printf("  usage         POST %s/analytics, %s/troubleshooting", url, url)
	logger.Printf("  context       POST %s/v2/%s/events", url, env)
	logger.Printf("  records       GET  %s%s (what was received, as JSON)", url, flagshiptest.RecordsPath)
	logger.Printf("  management    %s/v1/accounts/%s/... (flagship admin --base-url %s/v1)", url, access.AccountID, url)
	logger.Printf("  token         POST %s/%s/token (client id %q, client secret %s)", url, access.AccountID, access.Credentials.ClientID, secretFrom)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Printf("shutdown: %v; closing the remaining connections", err)
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Printf("stopped")
	return nil
}

// serveAccess returns the management API's access of the flags, each
// defaulting to its FLAGSHIP_* variable, else to flagshiptest's default,
// and says where the secret comes from, for the start-up log: never the
// secret itself, unless it is the well-known default.
func serveAccess(account, clientID, secret string) (flagshiptest.AdminAccess, string) {
	if account == "" {
		account = os.Getenv("FLAGSHIP_ACCOUNT_ID")
	}
	if clientID == "" {
		clientID = os.Getenv("FLAGSHIP_CLIENT_ID")
	}
	from := "from --client-secret"
	if secret == "" {
		secret, from = os.Getenv("FLAGSHIP_CLIENT_SECRET"), "from $FLAGSHIP_CLIENT_SECRET"
	}
	if secret == "" {
		from = fmt.Sprintf("the default %q", flagshiptest.DefaultAdminClientSecret)
	}
	return flagshiptest.AdminAccess{
		AccountID:   account,
		Credentials: admin.Credentials{ClientID: clientID, ClientSecret: admin.Secret(secret)},
	}, from
}

// checkLoopback refuses an address that is not a loopback IP or
// "localhost" unless allowRemote.
func checkLoopback(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--addr %q is not a loopback address; add --allow-remote to listen on it", addr)
}

// logRequests logs one line per request: method, path, status, duration,
// and the message of an error answer.
func logRequests(next http.Handler, logger *log.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		line := fmt.Sprintf("%s %s %d %v", r.Method, loggedURI(r.URL), rec.status, time.Since(start).Round(time.Microsecond))
		if rec.status >= 400 {
			line += " " + string(bytes.TrimSpace(rec.buf))
		}
		logger.Print(line)
	})
}

// loggedURI returns the request URI of u with the value of an
// access_token query parameter (token introspection) redacted.
func loggedURI(u *neturl.URL) string {
	q := u.Query()
	if !q.Has("access_token") {
		return u.RequestURI()
	}
	q.Set("access_token", "REDACTED")
	c := *u
	c.RawQuery = q.Encode()
	return c.RequestURI()
}

// statusRecorder records the status of a response and the start of an
// error body. It is used by the request's goroutine only.
type statusRecorder struct {
	http.ResponseWriter
	status int
	buf    []byte
}

const maxLoggedBody = 300

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if n := maxLoggedBody - len(s.buf); s.status >= 400 && n > 0 {
		s.buf = append(s.buf, b[:min(n, len(b))]...)
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

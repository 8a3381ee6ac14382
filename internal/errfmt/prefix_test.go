package errfmt_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// sdkPrefix matches the package prefix of an SDK error message: the name
// of one of the SDK's packages, a colon and a space, at the start of a
// word.
var sdkPrefix = regexp.MustCompile(`(?:^|[^a-z])(flagship|flagshiptest|visitor|decision|bucketing|assignment|eventqueue|httpsink|kafkasink|hits|fsredis): `)

// repeatedPrefix returns the first SDK package prefix that err's message
// holds twice on one line (errors.Join puts each error on a line of its
// own), or "".
func repeatedPrefix(err error) string {
	for _, line := range strings.Split(err.Error(), "\n") {
		seen := map[string]bool{}
		for _, m := range sdkPrefix.FindAllStringSubmatch(line, -1) {
			if seen[m[1]] {
				return m[1] + ": "
			}
			seen[m[1]] = true
		}
	}
	return ""
}

// abBucketing is a bucketing file with one A/B test for every visitor:
// deciding it reads the visitor's assignments.
const abBucketing = `{"campaigns":[{"id":"c-ab","type":"ab","bucketRanges":[{"r":[0,100]}],
 "variationGroups":[{"id":"vg-ab","targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
 "variations":[{"id":"a","allocation":50,"modifications":{"type":"FLAG","value":{"color":"red"}}},
               {"id":"b","allocation":50,"modifications":{"type":"FLAG","value":{"color":"blue"}}}]}]}]}`

// TestErrorsNameEachPackageOnce makes a representative set of SDK calls
// fail, in every package and through the layers that wrap each other's
// errors, and checks that no message holds the same package prefix twice
// (as in "visitor: new: visitor: empty visitor id"), while errors.Is
// still finds the sentinel.
func TestErrorsNameEachPackageOnce(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	serve := func(status int, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	apiClient := func(url string) *decision.APIClient {
		c, err := decision.NewAPIClient("env", "key", decision.APIOptions{BaseURL: url})
		require.NoError(t, err)
		t.Cleanup(c.Close)
		return c
	}
	abConfig, err := bucketing.ParseConfig([]byte(abBucketing))
	require.NoError(t, err)
	withCampaign := decision.DeciderFunc(func(_ context.Context, r decision.Request) (decision.Decision, error) {
		return decision.Decision{VisitorID: r.VisitorID, Campaigns: []decision.Assignment{{Campaign: &decision.Campaign{
			ID: "c", VariationGroup: decision.VariationGroup{ID: "vg"},
			Variation: decision.Variation{ID: "var", Modifications: decision.NewModifications("FLAG", map[string]any{"color": "red"})},
		}}}}, nil
	})
	newVisitor := func(cfg visitor.Config, opts ...visitor.Option) *visitor.Visitor {
		if cfg.Decider == nil {
			cfg.Decider = withCampaign
		}
		cfg.EnvID = "env"
		v, err := visitor.New("v-1", nil, cfg, opts...)
		require.NoError(t, err)
		require.NoError(t, v.Synchronize(ctx))
		return v
	}
	accept := acceptAll{}
	inPanic := func() bool { return true }
	closedFile := func() *assignment.File {
		f, err := assignment.OpenFile(filepath.Join(t.TempDir(), "a.db"), assignment.FileOptions{})
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return f
	}
	poller := func(url string, o bucketing.PollerOptions) *bucketing.Poller {
		o.URL = url + "/env/bucketing.json"
		p, err := bucketing.NewPoller(bucketing.NewEngine(bucketing.Options{}), o)
		require.NoError(t, err)
		t.Cleanup(p.Close)
		return p
	}
	writeFile := func(name, data string) string {
		p := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(p, []byte(data), 0o600))
		return p
	}
	lockedQueue := func() string {
		p := filepath.Join(t.TempDir(), "q.db")
		q, err := eventqueue.Open(p, eventqueue.Options{})
		require.NoError(t, err)
		t.Cleanup(func() { _ = q.Close() })
		return p
	}

	tests := []struct {
		name   string
		give   func() error
		wantIs error
	}{
		// decision
		{name: "decision: invalid options", wantIs: decision.ErrInvalidOptions, give: func() error {
			_, err := decision.NewAPIClient("", "key", decision.APIOptions{})
			return err
		}},
		{name: "decision: bad response", wantIs: decision.ErrBadResponse, give: func() error {
			_, err := apiClient(serve(200, `{"campaigns":"x"}`)).Decide(ctx, decision.Request{VisitorID: "v"})
			return err
		}},
		{name: "decision: unauthorized", wantIs: decision.ErrUnauthorized, give: func() error {
			_, err := apiClient(serve(401, `{"message":"bad key"}`)).Decide(ctx, decision.Request{VisitorID: "v"})
			return err
		}},

		// visitor
		{name: "visitor: new, empty id", wantIs: visitor.ErrEmptyID, give: func() error {
			_, err := visitor.New("", nil, visitor.Config{Decider: withCampaign})
			return err
		}},
		{name: "visitor: authenticate, empty id", wantIs: visitor.ErrEmptyID, give: func() error {
			return newVisitor(visitor.Config{}).Authenticate("")
		}},
		{name: "visitor: unauthenticate", wantIs: visitor.ErrNotAuthenticated, give: func() error {
			return newVisitor(visitor.Config{}).Unauthenticate()
		}},
		{name: "visitor: send hit, no tracker", wantIs: visitor.ErrNoTracker, give: func() error {
			return newVisitor(visitor.Config{}).SendHit(ctx, hits.Page{URL: "https://shop.example/"})
		}},
		{name: "visitor: send hit, invalid", wantIs: hits.ErrInvalidHit, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept}).SendHit(ctx, hits.Page{URL: "home"})
		}},
		{name: "visitor: send hit, panic", wantIs: visitor.ErrPanicMode, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept, InPanic: inPanic}).SendHit(ctx, hits.Page{URL: "https://shop.example/"})
		}},
		{name: "visitor: send hit, no consent", wantIs: visitor.ErrNoConsent, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept}, visitor.WithConsent(false)).SendHit(ctx, hits.Page{URL: "https://shop.example/"})
		}},
		{name: "visitor: activate, panic", wantIs: visitor.ErrPanicMode, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept, InPanic: inPanic}).Activate(ctx, "color")
		}},
		{name: "visitor: activate, no consent", wantIs: visitor.ErrNoConsent, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept}, visitor.WithConsent(false)).Activate(ctx, "color")
		}},
		{name: "visitor: activate, no tracker", wantIs: visitor.ErrNoTracker, give: func() error {
			return newVisitor(visitor.Config{}).Activate(ctx, "color")
		}},
		{name: "visitor: consent hit, no tracker", wantIs: visitor.ErrNoTracker, give: func() error {
			return newVisitor(visitor.Config{}).SetConsent(ctx, true)
		}},
		{name: "visitor: set consent, panic", wantIs: visitor.ErrPanicMode, give: func() error {
			return newVisitor(visitor.Config{Tracker: accept, InPanic: inPanic}).SetConsent(ctx, false)
		}},
		{name: "visitor: synchronize, decision error", wantIs: decision.ErrBadResponse, give: func() error {
			v, err := visitor.New("v-1", nil, visitor.Config{Decider: apiClient(serve(200, `[]`))})
			require.NoError(t, err)
			return v.Synchronize(ctx)
		}},
		{name: "visitor: synchronize, history unavailable", wantIs: assignment.ErrClosed, give: func() error {
			e := bucketing.NewEngine(bucketing.Options{Assignments: closedFile()})
			e.Update(abConfig)
			v, err := visitor.New("v-1", nil, visitor.Config{Decider: e})
			require.NoError(t, err)
			return v.Synchronize(ctx)
		}},

		// bucketing
		{name: "bucketing: parse", wantIs: bucketing.ErrInvalidFile, give: func() error {
			_, err := bucketing.ParseConfig([]byte(`{"campaigns":{}}`))
			return err
		}},
		{name: "bucketing: new poller", wantIs: bucketing.ErrInvalidOptions, give: func() error {
			_, err := bucketing.NewPoller(nil, bucketing.PollerOptions{URL: "http://127.0.0.1/env/bucketing.json"})
			return err
		}},
		{name: "bucketing: fetch, invalid file", wantIs: bucketing.ErrInvalidFile, give: func() error {
			_, err := poller(serve(200, `{"campaigns":{}}`), bucketing.PollerOptions{}).Fetch(ctx)
			return err
		}},
		{name: "bucketing: fetch, too large", wantIs: bucketing.ErrInvalidFile, give: func() error {
			_, err := poller(serve(200, abBucketing), bucketing.PollerOptions{MaxFileBytes: 10}).Fetch(ctx)
			return err
		}},
		{name: "bucketing: fetch, status", wantIs: bucketing.ErrFetch, give: func() error {
			_, err := poller(serve(500, ""), bucketing.PollerOptions{}).Fetch(ctx)
			return err
		}},
		{name: "bucketing: load cache, not JSON", wantIs: bucketing.ErrCache, give: func() error {
			p := poller(serve(500, ""), bucketing.PollerOptions{CachePath: writeFile("cache.json", "{")})
			_, err := p.LoadCache(ctx)
			return err
		}},
		{name: "bucketing: load cache, invalid file", wantIs: bucketing.ErrInvalidFile, give: func() error {
			p := poller(serve(500, ""), bucketing.PollerOptions{CachePath: writeFile("cache.json", `{"version":1,"data":{"campaigns":{}}}`)})
			_, err := p.LoadCache(ctx)
			return err
		}},
		{name: "bucketing: write cache", wantIs: bucketing.ErrCache, give: func() error {
			var got error
			p := poller(serve(200, abBucketing), bucketing.PollerOptions{
				CachePath: filepath.Join(writeFile("not-a-dir", ""), "cache.json"),
				OnError:   func(_ context.Context, err error) { got = err },
			})
			_, err := p.Fetch(ctx)
			require.NoError(t, err)
			return got
		}},
		{name: "bucketing: decide, empty visitor id", wantIs: bucketing.ErrEmptyVisitorID, give: func() error {
			e := bucketing.NewEngine(bucketing.Options{})
			e.Update(abConfig)
			_, err := e.Decide(ctx, decision.Request{})
			return err
		}},
		{name: "bucketing: decide, history unavailable", wantIs: bucketing.ErrHistory, give: func() error {
			e := bucketing.NewEngine(bucketing.Options{Assignments: closedFile()})
			e.Update(abConfig)
			_, err := e.Decide(ctx, decision.Request{VisitorID: "v"})
			return err
		}},

		// assignment
		{name: "assignment: cache over a closed store, fail-closed", wantIs: assignment.ErrUnavailable, give: func() error {
			c := assignment.NewCache(closedFile(), assignment.CacheOptions{FailClosed: true})
			t.Cleanup(func() { _ = c.Close() })
			return c.Load(ctx, []string{"v"}, make([]assignment.Assignments, 1))
		}},
		{name: "assignment: save to a closed file", wantIs: assignment.ErrClosed, give: func() error {
			return closedFile().Save(ctx, []assignment.Entry{{Key: "v"}})
		}},
		{name: "assignment: file locked", wantIs: assignment.ErrLocked, give: func() error {
			p := filepath.Join(t.TempDir(), "a.db")
			f, err := assignment.OpenFile(p, assignment.FileOptions{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Close() })
			_, err = assignment.OpenFile(p, assignment.FileOptions{LockTimeout: 10 * time.Millisecond})
			return err
		}},

		// eventqueue
		{name: "eventqueue: not a queue file", wantIs: eventqueue.ErrNotQueueFile, give: func() error {
			p := filepath.Join(t.TempDir(), "other.db")
			db, err := bolt.Open(p, 0o600, nil)
			require.NoError(t, err)
			require.NoError(t, db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("x")); return err }))
			require.NoError(t, db.Close())
			_, err = eventqueue.Open(p, eventqueue.Options{})
			return err
		}},
		{name: "eventqueue: locked", wantIs: eventqueue.ErrQueueLocked, give: func() error {
			_, err := eventqueue.Open(lockedQueue(), eventqueue.Options{LockTimeout: 10 * time.Millisecond})
			return err
		}},
		{name: "eventqueue: compact a locked file", wantIs: eventqueue.ErrQueueLocked, give: func() error {
			_, _, err := eventqueue.Compact(lockedQueue(), 10*time.Millisecond)
			return err
		}},
		{name: "eventqueue: invalid record", wantIs: eventqueue.ErrInvalidRecord, give: func() error {
			q, err := eventqueue.Open(filepath.Join(t.TempDir(), "q.db"), eventqueue.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { _ = q.Close() })
			return q.Enqueue(ctx, hits.Record{})
		}},

		// flagship
		{name: "flagship: invalid config", wantIs: flagship.ErrInvalidConfig, give: func() error {
			_, err := flagship.New(ctx, "", "", flagship.WithCacheDir(dir))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give()
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.wantIs)
			assert.Empty(t, repeatedPrefix(err), "%q names a package twice", err)
		})
	}
}

// acceptAll is a visitor.Tracker that accepts every record.
type acceptAll struct{}

func (acceptAll) Enqueue(context.Context, hits.Record) error { return nil }

func TestRepeatedPrefix(t *testing.T) {
	tests := []struct {
		give string
		want string
	}{
		{give: "visitor: new: visitor: empty visitor id", want: "visitor: "},
		{give: "visitor: new: empty visitor id", want: ""},
		{give: "flagship: download: decision: unauthorized: bucketing: fetch: status 401", want: ""},
		{give: "bucketing: fetch: x\nbucketing: cache: y", want: ""},
		{give: "flagshiptest: invalid options: flagship: x", want: ""},
		{give: `httpsink: events: status 400: {"message":"h[0].dl: required"}`, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, repeatedPrefix(errors.New(tt.give)))
		})
	}
}

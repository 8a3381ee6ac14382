package flagshiptest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// fakeTB is a testing.TB whose Errorf and Cleanup are recorded instead of
// failing or running the real test; the rest is the real test's.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cleanups = append(f.cleanups, fn)
}

// newFakeTB returns a fakeTB of t whose cleanups run when t ends, if the
// test did not run them itself.
func newFakeTB(t *testing.T) *fakeTB {
	f := &fakeTB{TB: t}
	t.Cleanup(func() { f.end() })
	return f
}

// end runs the cleanups, last first, as the testing package does, and
// returns what was reported with Errorf.
func (f *fakeTB) end() []string {
	f.mu.Lock()
	cs := f.cleanups
	f.cleanups = nil
	f.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errors
}

// TestUnreadRefusalsFailTheTest: the refusals a test never read are
// reported when it ends, with their reasons, in one Errorf.
func TestUnreadRefusalsFailTheTest(t *testing.T) {
	tb := newFakeTB(t)
	s := flagshiptest.NewServer(tb)
	got := post(t, s, "/events", batch(validItems[0], `{"t":"PAGEVIEW","vid":"v7","dl":"/checkout"}`))
	require.Equal(t, http.StatusMultiStatus, got.status)
	got = post(t, s, "/v2/activate", `{"cid":"other","vid":"v8","caid":"vg","vaid":"var"}`)
	require.Equal(t, http.StatusBadRequest, got.status)
	assert.Empty(t, tb.errors, "nothing reported before the test ends")

	errs := tb.end()
	require.Len(t, errs, 1)
	assert.Equal(t, `flagshiptest: the server refused 2 item(s) that the test never read with Server.Refusals:
  events, item 1 (status 207): h[1].dl: want an absolute URL, got "/checkout" [vid="v7"]
    {"t":"PAGEVIEW","vid":"v7","dl":"/checkout"}
  activate, item 0 (status 400): Invalid cid. [vid="v8"]
    {"cid":"other","vid":"v8","caid":"vg","vaid":"var"}`, errs[0])
}

// TestReadRefusalsDoNotFailTheTest: refusals read with Server.Refusals
// are expected, those after them are not, and reading Server.Records
// accepts none; faults are no refusals.
func TestReadRefusalsDoNotFailTheTest(t *testing.T) {
	tests := []struct {
		name     string
		give     func(s *flagshiptest.Server)
		wantLast bool // a refusal after the read is reported
		wantAll  bool // every refusal is reported
	}{
		{name: "Refusals", give: func(s *flagshiptest.Server) { s.Refusals() }},
		{name: "refused after the read", give: func(s *flagshiptest.Server) { s.Refusals() }, wantLast: true},
		// Records is read for other reasons: it does not accept refusals.
		{name: "Records", give: func(s *flagshiptest.Server) { s.Records() }, wantAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newFakeTB(t)
			s := flagshiptest.NewServer(tb)
			post(t, s, "/events", batch(`{"t":"PAGEVIEW","vid":"v1","dl":"/a"}`))
			s.Reset() // forgets the records, not what is to report
			post(t, s, "/events", `{"cid":"other","ds":"APP","t":"BATCH","h":[]}`)
			s.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: http.StatusBadRequest})
			post(t, s, "/events", "{}")
			tt.give(s)
			if tt.wantLast {
				post(t, s, "/events", batch(`{"t":"PAGEVIEW","vid":"v2","dl":"/b"}`))
			}
			errs := tb.end()
			if tt.wantAll {
				require.Len(t, errs, 1)
				assert.Contains(t, errs[0], "refused 2 item(s)")
				return
			}
			if !tt.wantLast {
				assert.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1)
			assert.Contains(t, errs[0], "refused 1 item(s)")
			assert.Contains(t, errs[0], `[vid="v2"]`)
		})
	}
}

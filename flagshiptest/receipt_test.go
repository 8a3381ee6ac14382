package flagshiptest_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// receipts collects what WithOnReceive reports, checking that each hit or
// activation reported is already recorded when the hook runs (which also
// shows the handler's lock is not held: Hits would deadlock).
type receipts struct {
	mu   sync.Mutex
	got  []flagshiptest.Receipt
	srv  *flagshiptest.Server
	late []string // receipts reported before being recorded
}

func (r *receipts) add(rc flagshiptest.Receipt) {
	recorded := rc.Hit == nil && rc.Activation == nil
	if rc.Hit != nil {
		for _, h := range r.srv.Hits() {
			recorded = recorded || string(h.Raw) == string(rc.Hit.Raw)
		}
	}
	if rc.Activation != nil {
		for _, a := range r.srv.Activations() {
			recorded = recorded || a.VariationID == rc.Activation.VariationID && a.VisitorID == rc.Activation.VisitorID
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !recorded {
		r.late = append(r.late, rc.Route)
	}
	r.got = append(r.got, rc)
}

func (r *receipts) all() []flagshiptest.Receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]flagshiptest.Receipt(nil), r.got...)
}

func newReceiptServer(t *testing.T, opts ...flagshiptest.HandlerOption) (*flagshiptest.Server, *receipts) {
	t.Helper()
	r := &receipts{}
	r.srv = flagshiptest.NewServer(t, append(opts, flagshiptest.WithOnReceive(r.add))...)
	return r.srv, r
}

func TestWithOnReceive_records(t *testing.T) {
	s, r := newReceiptServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))

	got := post(t, s, "/events", batch(validItems[0], validItems[4]))
	require.Equal(t, http.StatusOK, got.status, got.body)
	// The hook ran before the answer: no waiting needed.
	rs := r.all()
	require.Len(t, rs, 2)
	for i, want := range []string{"PAGEVIEW", "EVENT"} {
		assert.Equal(t, flagshiptest.RouteEvents, rs[i].Route)
		require.NotNil(t, rs[i].Hit)
		assert.Equal(t, want, rs[i].Hit.Type)
		assert.Nil(t, rs[i].Activation)
		assert.False(t, rs[i].Refused())
	}
	assert.Equal(t, "anon-77", rs[0].Hit.VisitorID)
	assert.Equal(t, "https://shop.example/checkout", rs[0].Hit.Fields["dl"])

	got = post(t, s, "/v2/activate", `{"cid":"`+env+`","vid":"v1","aid":"a1","caid":"vg1","vaid":"var1"}`)
	require.Equal(t, http.StatusNoContent, got.status, got.body)
	rs = r.all()
	require.Len(t, rs, 3)
	assert.Equal(t, flagshiptest.RouteActivate, rs[2].Route)
	require.NotNil(t, rs[2].Activation)
	assert.Equal(t, flagshiptest.Activation{EnvID: env, VisitorID: "v1", AnonymousID: "a1", VariationGroupID: "vg1",
		VariationID: "var1", Raw: rs[2].Activation.Raw, Received: rs[2].Activation.Received}, *rs[2].Activation)

	// A Decision API call's side effects: its activations and its
	// context hit.
	got = post(t, s, decisionPath(), `{"visitorId":"user-4242","context":{"plan":"gold"}}`)
	require.Equal(t, http.StatusOK, got.status, got.body)
	rs = r.all()[3:]
	require.Len(t, rs, 3)
	var hits, acts int
	for _, rc := range rs {
		assert.Equal(t, flagshiptest.RouteDecision, rc.Route)
		if rc.Hit != nil {
			hits++
			assert.Equal(t, "SEGMENT", rc.Hit.Type)
			assert.True(t, rc.Hit.FromDecision)
		}
		if rc.Activation != nil {
			acts++
			assert.True(t, rc.Activation.FromDecision)
		}
	}
	assert.Equal(t, 1, hits)
	assert.Equal(t, 2, acts)
	assert.Empty(t, r.late, "reported before being recorded")

	// Receipts are copies: changing them changes nothing recorded.
	rs[0].Hit.Fields["t"] = "changed"
	assert.NotEqual(t, "changed", s.Hits()[0].Fields["t"])
}

func TestWithOnReceive_refusals(t *testing.T) {
	tests := []struct {
		name       string
		givePath   string
		giveBody   string
		wantRoute  string
		wantStatus int
		wantReason string
	}{
		{
			name: "invalid hit", givePath: "/events", giveBody: batch(`{"t":"PAGEVIEW","vid":"v9","dl":"home"}`),
			wantRoute: flagshiptest.RouteEvents, wantStatus: http.StatusBadRequest, wantReason: `h[0].dl: want an absolute URL, got "home"`,
		},
		{
			name: "activation without vaid", givePath: "/v2/activate", giveBody: `{"cid":"` + env + `","vid":"v9","caid":"vg"}`,
			wantRoute: flagshiptest.RouteActivate, wantStatus: http.StatusBadRequest, wantReason: `{"status":"error","errors":{"vaid":"Field is mandatory."}}`,
		},
		{
			name: "activation of another environment", givePath: "/v2/activate", giveBody: `{"cid":"other","vid":"v9","caid":"vg","vaid":"x"}`,
			wantRoute: flagshiptest.RouteActivate, wantStatus: http.StatusBadRequest, wantReason: "Invalid cid.",
		},
		{
			name: "invalid UTF-8", givePath: "/events", giveBody: "{\"cid\":\"\xff\"}",
			wantRoute: flagshiptest.RouteEvents, wantStatus: http.StatusBadRequest, wantReason: "invalid JSON: invalid UTF-8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r := newReceiptServer(t)

			got := post(t, s, tt.givePath, tt.giveBody)
			require.Equal(t, tt.wantStatus, got.status, got.body)
			rs := r.all()
			require.Len(t, rs, 1)
			assert.True(t, rs[0].Refused())
			assert.Equal(t, tt.wantRoute, rs[0].Route)
			assert.Equal(t, tt.wantStatus, rs[0].Status)
			assert.Equal(t, tt.wantReason, rs[0].Reason)
			assert.Nil(t, rs[0].Hit)
			assert.Nil(t, rs[0].Activation)
			require.NotNil(t, rs[0].Refusal)
			assert.Equal(t, flagshiptest.KindRefused, rs[0].Kind)
			assert.Equal(t, tt.wantReason, rs[0].Refusal.Reason)
			assert.Empty(t, s.Hits())
			assert.Empty(t, s.Activations())
			assert.Len(t, s.Refusals(), 1)
		})
	}
}

func TestWithOnReceive_bodyOfRefusal(t *testing.T) {
	s, r := newReceiptServer(t)
	body := batch(`{"t":"PAGEVIEW","vid":"v9","dl":"home"}`)

	post(t, s, "/events", body)
	rs := r.all()
	require.Len(t, rs, 1)
	assert.Equal(t, body, string(rs[0].Body))
	assert.Len(t, s.Refusals(), 1)
}

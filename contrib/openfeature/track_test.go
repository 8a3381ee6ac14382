package fsopenfeature_test

import (
	"bytes"
	"log/slog"
	"math"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// eventHits returns the EVENT hits the server received.
func eventHits(srv *flagshiptest.Server) []flagshiptest.Hit {
	var out []flagshiptest.Hit
	for _, h := range srv.Hits() {
		if h.Type == "EVENT" {
			out = append(out, h)
		}
	}
	return out
}

func TestTrack(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		e.of.Track(t.Context(), "checkout", userCtx("u1", "plan", "gold"),
			openfeature.NewTrackingEventDetails(12.6).Add("label", "basket").Add("currency", "EUR"))
		e.of.Track(t.Context(), "signup", userCtx("u2"), openfeature.TrackingEventDetails{})
		flush(t, e.provider)
		got := eventHits(e.srv)
		require.Len(t, got, 2)
		assert.Equal(t, "u1", got[0].VisitorID)
		assert.Equal(t, "Action Tracking", got[0].Fields["ec"])
		assert.Equal(t, "checkout", got[0].Fields["ea"])
		assert.Equal(t, 13.0, got[0].Fields["ev"]) // rounded
		assert.Equal(t, "basket", got[0].Fields["el"])
		assert.NotContains(t, got[0].Fields, "currency")
		assert.Equal(t, "u2", got[1].VisitorID)
		assert.Equal(t, "signup", got[1].Fields["ea"])
		assert.NotContains(t, got[1].Fields, "ev") // 0 is not sent
		assert.NotContains(t, got[1].Fields, "el")
	})
}

// TestTrackRefused checks that what cannot be tracked is logged on the
// provider's logger and sends nothing.
func TestTrackRefused(t *testing.T) {
	tests := []struct {
		name     string
		giveCtx  openfeature.EvaluationContext
		giveName string
		giveVal  float64
		wantLog  string
	}{
		{name: "no targeting key", giveCtx: openfeature.NewTargetlessEvaluationContext(nil), giveName: "x", wantLog: "no targeting key"},
		{name: "negative value", giveCtx: userCtx("u1"), giveName: "x", giveVal: -1, wantLog: "non-negative integer"},
		{name: "NaN value", giveCtx: userCtx("u1"), giveName: "x", giveVal: math.NaN(), wantLog: "non-negative integer"},
		{name: "infinite value", giveCtx: userCtx("u1"), giveName: "x", giveVal: math.Inf(1), wantLog: "non-negative integer"},
		{name: "empty event name", giveCtx: userCtx("u1"), giveName: "", wantLog: "invalid EVENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := flagshiptest.NewServer(t)
			c := newClient(t, srv, flagship.DecisionAPI)
			var buf bytes.Buffer
			p := fsopenfeature.New(c, fsopenfeature.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
			t.Cleanup(p.Shutdown)
			p.Track(t.Context(), tt.giveName, tt.giveCtx, openfeature.NewTrackingEventDetails(tt.giveVal))
			flush(t, p)
			assert.Empty(t, eventHits(srv))
			assert.Contains(t, buf.String(), "level=ERROR")
			assert.Contains(t, buf.String(), tt.wantLog)
		})
	}
}

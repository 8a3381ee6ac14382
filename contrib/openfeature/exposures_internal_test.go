package fsopenfeature

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// trackerRecorder is a visitor.Tracker keeping the records it is given.
type trackerRecorder struct {
	mu   sync.Mutex
	recs []hits.Record
}

func (r *trackerRecorder) Enqueue(_ context.Context, rec hits.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	return nil
}

func (r *trackerRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// exposedVisitors returns n synchronized visitors assigned a campaign
// setting flag "f", reporting to tr.
func exposedVisitors(t *testing.T, n int, tr visitor.Tracker) []*visitor.Visitor {
	t.Helper()
	camp := &decision.Campaign{ID: "c", Type: "toggle", VariationGroup: decision.VariationGroup{ID: "vg"},
		Variation: decision.Variation{ID: "var", Modifications: decision.NewModifications("FLAG", map[string]any{"f": true})}}
	dec := decision.DeciderFunc(func(_ context.Context, r decision.Request) (decision.Decision, error) {
		return decision.Decision{VisitorID: r.VisitorID, Campaigns: []decision.Assignment{{Campaign: camp}}}, nil
	})
	var vs []*visitor.Visitor
	for i := range n {
		v, err := visitor.New("v"+string(rune('a'+i)), nil, visitor.Config{EnvID: "env", Decider: dec, Tracker: tr})
		require.NoError(t, err)
		require.NoError(t, v.Synchronize(t.Context()))
		vs = append(vs, v)
	}
	return vs
}

// TestExposuresWithoutGoroutine: before the goroutine runs (before Init)
// and after it stopped (Shutdown), and when its channel is full, an
// exposure is activated at once: none is dropped.
func TestExposuresWithoutGoroutine(t *testing.T) {
	tr := &trackerRecorder{}
	vs := exposedVisitors(t, 4, tr)
	e := newExposures(1)
	e.report(t.Context(), vs[0], "f") // not started
	assert.Equal(t, 1, tr.count(), "activated at once before the goroutine runs")

	e.start()
	e.report(t.Context(), vs[1], "f") // fills the channel of 1
	assert.Equal(t, 1, tr.count(), "handed to the goroutine, which does not run yet")
	e.report(t.Context(), vs[2], "f") // channel full
	assert.Equal(t, 2, tr.count(), "activated at once when the channel is full")

	stop := make(chan struct{})
	close(stop)
	e.run(stop) // drains the channel, then refuses
	assert.Equal(t, 3, tr.count(), "what the channel held is activated when the goroutine stops")
	require.NoError(t, e.wait(t.Context()))
	e.report(t.Context(), vs[3], "f")
	assert.Equal(t, 4, tr.count(), "activated at once after the goroutine stopped")
}

// TestExposuresOffTheRequestPath: with the goroutine running, report
// only hands the exposure over; wait returns once it was activated.
func TestExposuresOffTheRequestPath(t *testing.T) {
	tr := &trackerRecorder{}
	vs := exposedVisitors(t, 3, tr)
	e := newExposures(16)
	e.start()
	for _, v := range vs {
		e.report(t.Context(), v, "f")
	}
	assert.Zero(t, tr.count(), "nothing activated on the caller's goroutine")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { defer close(done); e.run(stop) }()
	require.NoError(t, e.wait(t.Context()))
	assert.Equal(t, 3, tr.count())
	close(stop)
	<-done
}

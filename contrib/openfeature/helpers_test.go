package fsopenfeature_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// modes are the two decision modes every end-to-end test runs in.
var modes = []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing}

// forEachMode runs f as a subtest in each mode.
func forEachMode(t *testing.T, f func(t *testing.T, mode flagship.Mode)) {
	t.Helper()
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) { f(t, mode) })
	}
}

// newClient starts a flagship client in mode against srv, closed when
// the test ends.
func newClient(t testing.TB, srv *flagshiptest.Server, mode flagship.Mode, extra ...flagship.Option) *flagship.Client {
	t.Helper()
	opts := append(srv.Options(), flagship.WithMode(mode), flagship.WithLogger(quietLogger()))
	opts = append(opts, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "api-key", opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// quietLogger discards what the SDK logs: the tests cause failures on
// purpose.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// env is a provider on a client against a local server, set on an
// isolated OpenFeature API.
type env struct {
	srv      *flagshiptest.Server
	client   *flagship.Client
	provider *fsopenfeature.Provider
	api      *openfeature.EvaluationAPI
	of       *openfeature.Client
	events   *recorder
}

// newEnv starts a server with campaigns, a client in mode, and a
// provider with o, set and initialized on an isolated API.
func newEnv(t *testing.T, mode flagship.Mode, o fsopenfeature.Options, campaigns ...bucketing.Campaign) *env {
	t.Helper()
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(campaigns...))
	c := newClient(t, srv, mode)
	e := &env{srv: srv, client: c, provider: fsopenfeature.New(c, o)}
	e.api, e.events = newAPI(t)
	require.NoError(t, e.api.SetProviderAndWait(t.Context(), e.provider))
	e.of = e.api.NewClient()
	return e
}

// newAPI returns an isolated OpenFeature API recording its events, shut
// down when the test ends.
func newAPI(t *testing.T) (*openfeature.EvaluationAPI, *recorder) {
	t.Helper()
	api := isolated.NewAPI()
	rec := &recorder{}
	for _, typ := range []openfeature.EventType{openfeature.ProviderReady, openfeature.ProviderError, openfeature.ProviderStale, openfeature.ProviderConfigChange} {
		cb := func(d openfeature.EventDetails) { rec.add(typ, d) }
		api.AddHandler(typ, &cb)
	}
	t.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	return api, rec
}

// event is one event an API handler received.
type event struct {
	Type    openfeature.EventType
	Details openfeature.EventDetails
}

// recorder keeps the events an API's handlers receive. OpenFeature runs
// each handler on a goroutine of its own, so events of quick succession
// may be recorded out of order.
type recorder struct {
	mu     sync.Mutex
	events []event
}

func (r *recorder) add(t openfeature.EventType, d openfeature.EventDetails) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{Type: t, Details: d})
}

func (r *recorder) all() []event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitFor waits until an event recorded after the first skip ones
// satisfies match, and returns it and the number of events recorded up
// to it.
func (r *recorder) waitFor(t *testing.T, skip int, what string, match func(event) bool) (event, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		evs := r.all()
		for i := skip; i < len(evs); i++ {
			if match(evs[i]) {
				return evs[i], i + 1
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no %s event; got %v", what, r.all())
	return event{}, 0
}

func isType(typ openfeature.EventType) func(event) bool {
	return func(e event) bool { return e.Type == typ }
}

// userCtx returns an evaluation context for targeting key id with the
// attribute pairs kv.
func userCtx(id string, kv ...any) openfeature.EvaluationContext {
	attrs := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		attrs[kv[i].(string)] = kv[i+1]
	}
	return openfeature.NewEvaluationContext(id, attrs)
}

// flush delivers to the server what the provider reported and the
// client queued.
func flush(t *testing.T, p *fsopenfeature.Provider) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, p.Flush(ctx))
}

// perTier returns a "perso" campaign whose variation group i targets
// the visitors whose context attribute "n" equals i, for i in [0, n),
// giving them flag "who" = "v-i".
func perTier(n int) bucketing.Campaign {
	c := bucketing.Campaign{ID: "per-n", Type: "perso", BucketRanges: []bucketing.BucketRange{{R: []float64{0, 100}}}}
	for i := range n {
		c.VariationGroups = append(c.VariationGroups, bucketing.VariationGroup{
			ID: fmt.Sprintf("vg-n-%d", i),
			Targeting: bucketing.Targeting{Groups: []bucketing.TargetingGroup{{Rules: []bucketing.Rule{
				{Key: "n", Operator: bucketing.OperatorEquals, Value: float64(i)},
			}}}},
			Variations: []bucketing.Variation{flagshiptest.Variation(fmt.Sprintf("var-n-%d", i), 100, map[string]any{"who": fmt.Sprintf("v-%d", i)})},
		})
	}
	return c
}

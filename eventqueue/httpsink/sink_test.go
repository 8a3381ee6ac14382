package httpsink_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/internal/version"
)

const env = flagshiptest.EnvID

func TestSendMixedBatch(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	clk := newClock(t0.Add(1500 * time.Millisecond))
	s := newSink(t, srv, httpsink.Options{APIKey: testKey, Now: clk.now})

	pg := page(t, env, "https://shop.example/home")
	act1 := activation(t, env, "vg-1")
	ev := newRecord(t, env, "customer-1", "anon-1", t0.Add(time.Second), hits.Event{
		Category: hits.ActionTracking, Action: "add_to_cart", Label: "sku-12", Value: 3,
	})
	act2 := newRecord(t, env, "visitor-2", "", t0, hits.Activation{VariationGroupID: "vg-2", VariationID: "var-b"})
	consent := newRecord(t, env, "visitor-2", "", t0, hits.Consent{Consented: true})

	require.NoError(t, s.Send(t.Context(), queued(pg, act1, ev, act2, consent)))

	assert.Equal(t, [][]byte{eventsBody(t, env, clk.now(), pg, ev, consent)}, srv.Bodies(flagshiptest.RouteEvents))
	assert.Equal(t, [][]byte{activationBody(t, env, clk.now(), act1, act2)}, srv.Bodies(flagshiptest.RouteActivate))

	got := srv.Hits()
	require.Len(t, got, 3)
	assert.Equal(t, "PAGEVIEW", got[0].Type)
	assert.Equal(t, "https://shop.example/home", got[0].Fields["dl"])
	assert.Equal(t, 1500*time.Millisecond, got[0].QueueTime)
	assert.Equal(t, "EVENT", got[1].Type)
	assert.Equal(t, "anon-1", got[1].VisitorID)
	assert.Equal(t, "customer-1", got[1].CustomerID)
	assert.Equal(t, 500*time.Millisecond, got[1].QueueTime)
	assert.Equal(t, "fs_consent", got[2].Fields["ea"])
	assert.Equal(t, "go:true", got[2].Fields["el"])

	acts := srv.Activations()
	require.Len(t, acts, 2)
	assert.Equal(t, flagshiptest.Activation{
		EnvID: env, VisitorID: "customer-1", AnonymousID: "anon-1",
		VariationGroupID: "vg-1", VariationID: "var-vg-1", QueueTime: 1500 * time.Millisecond,
		Raw: acts[0].Raw, Received: acts[0].Received,
	}, acts[0])
	assert.Equal(t, "vg-2", acts[1].VariationGroupID)
	assert.Equal(t, "visitor-2", acts[1].VisitorID)
	assert.Empty(t, acts[1].AnonymousID)
}

func TestSendEmptyBatch(t *testing.T) {
	rec := newRecorder(t, nil)
	s := rec.sink(t, httpsink.Options{})
	require.NoError(t, s.Send(t.Context(), nil))
	require.NoError(t, s.Send(t.Context(), []eventqueue.Record{}))
	assert.Empty(t, rec.received())
}

func TestSendHeaders(t *testing.T) {
	tests := []struct {
		name       string
		giveKey    string
		wantActKey string
		wantHasKey bool
	}{
		{name: "key", giveKey: testKey, wantActKey: testKey, wantHasKey: true},
		{name: "no key", giveKey: "", wantActKey: "", wantHasKey: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, nil)
			s := rec.sink(t, httpsink.Options{APIKey: tt.giveKey})
			require.NoError(t, s.Send(t.Context(), queued(page(t, env, "https://x"), activation(t, env, "vg"))))

			reqs := rec.received()
			require.Len(t, reqs, 2)
			events, act := reqs[0], reqs[1]
			assert.Equal(t, "/events", events.Path)
			assert.Equal(t, "/v2/activate", act.Path)
			for _, r := range reqs {
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
				assert.Equal(t, "flagship-go/"+version.SDK, r.Header.Get("User-Agent"))
				assert.Equal(t, "go", r.Header.Get("x-sdk-client"))
				assert.Equal(t, version.SDK, r.Header.Get("x-sdk-version"))
			}
			assert.NotContains(t, events.Header, "X-Api-Key")
			assert.Equal(t, tt.wantActKey, act.Header.Get("x-api-key"))
			_, has := act.Header["X-Api-Key"]
			assert.Equal(t, tt.wantHasKey, has)
		})
	}
}

func TestSendGroupsByEnvironment(t *testing.T) {
	rec := newRecorder(t, nil)
	clk := newClock(t0)
	s := rec.sink(t, httpsink.Options{Now: clk.now})
	a1, b1, a2 := page(t, "env-a", "https://a/1"), page(t, "env-b", "https://b/1"), page(t, "env-a", "https://a/2")
	actB, actA := activation(t, "env-b", "vg-b"), activation(t, "env-a", "vg-a")
	b2 := page(t, "env-b", "https://b/2")

	require.NoError(t, s.Send(t.Context(), queued(a1, b1, actB, a2, actA, b2)))

	reqs := rec.received()
	require.Len(t, reqs, 4)
	want := []request{
		{Path: "/events", Body: eventsBody(t, "env-a", t0, a1, a2)},
		{Path: "/events", Body: eventsBody(t, "env-b", t0, b1, b2)},
		{Path: "/v2/activate", Body: activationBody(t, "env-b", t0, actB)},
		{Path: "/v2/activate", Body: activationBody(t, "env-a", t0, actA)},
	}
	for i := range want {
		assert.Equal(t, want[i].Path, reqs[i].Path, "request %d", i)
		assert.Equal(t, string(want[i].Body), string(reqs[i].Body), "request %d", i)
	}
}

func TestSendRecomputesQueueTime(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	clk := newClock(t0.Add(2 * time.Second))
	s := newSink(t, srv, httpsink.Options{Now: clk.now})
	batch := queued(page(t, env, "https://x/1"), activation(t, env, "vg"))
	srv.FailNext(1, flagshiptest.Fault{Route: flagshiptest.RouteEvents, Status: 503})

	err := s.Send(t.Context(), batch)
	require.Error(t, err)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Empty(t, srv.Hits())

	clk.add(5 * time.Second)
	require.NoError(t, s.Send(t.Context(), batch))
	got := srv.Hits()
	require.Len(t, got, 1)
	assert.Equal(t, 7*time.Second, got[0].QueueTime)
	acts := srv.Activations()
	require.Len(t, acts, 1)
	assert.Equal(t, 7*time.Second, acts[0].QueueTime)
}

// TestSendSplits checks that bodies stay within MaxBodyBytes, are packed
// greedily, and carry every record once, in order.
func TestSendSplits(t *testing.T) {
	const limit = 2048
	srv := flagshiptest.NewServer(t)
	clk := newClock(t0.Add(time.Minute))
	s := newSink(t, srv, httpsink.Options{MaxBodyBytes: limit, Now: clk.now})

	var recs []hits.Record
	var urls []string
	var acts []hits.Record
	for i := range 60 {
		u := fmt.Sprintf("https://shop.example/%d/%s", i, strings.Repeat("p", i*3))
		urls = append(urls, u)
		recs = append(recs, page(t, env, u))
		if i%3 == 0 {
			recs = append(recs, activation(t, env, fmt.Sprintf("vg-%d-%s", i, strings.Repeat("g", 40))))
			acts = append(acts, recs[len(recs)-1])
		}
	}
	require.NoError(t, s.Send(t.Context(), queued(recs...)))

	for _, route := range []string{flagshiptest.RouteEvents, flagshiptest.RouteActivate} {
		bodies := srv.Bodies(route)
		assert.Greater(t, len(bodies), 1, route)
		for i, b := range bodies {
			assert.LessOrEqual(t, len(b), limit, "%s body %d", route, i)
		}
	}
	got := srv.Hits()
	require.Len(t, got, len(urls))
	for i := range urls {
		assert.Equal(t, urls[i], got[i].Fields["dl"], "hit %d", i)
	}
	gotActs := srv.Activations()
	require.Len(t, gotActs, len(acts))
	for i := range acts {
		assert.Equal(t, fmt.Sprintf("vg-%d-%s", i*3, strings.Repeat("g", 40)), gotActs[i].VariationGroupID)
	}

	// Greedy: each body holds exactly the records hits would pack.
	var pages []hits.Record
	for _, r := range recs {
		if r.Kind() == hits.KindHit {
			pages = append(pages, r)
		}
	}
	var want [][]byte
	for i := 0; i < len(pages); {
		j := i + 1
		for j < len(pages) && len(eventsBody(t, env, clk.now(), pages[i:j+1]...)) <= limit {
			j++
		}
		want = append(want, eventsBody(t, env, clk.now(), pages[i:j]...))
		i = j
	}
	assert.Equal(t, want, srv.Bodies(flagshiptest.RouteEvents))
}

// TestSendSplitsWhenQueueTimeGrows checks the bodies still fit when qt
// gains digits between the sizing of the records and their sending.
func TestSendSplitsWhenQueueTimeGrows(t *testing.T) {
	const limit = 1500
	rec := newRecorder(t, nil)
	var calls int
	var mu sync.Mutex
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= 2 { // the first encoding, then the sizing: qt is 0
			return t0
		}
		return t0.Add(100 * 24 * time.Hour) // 10 digits more per item
	}
	s := rec.sink(t, httpsink.Options{MaxBodyBytes: limit, Now: now})
	var recs []hits.Record
	for i := range 40 {
		recs = append(recs, page(t, env, fmt.Sprintf("https://x/%02d", i)))
	}
	require.NoError(t, s.Send(t.Context(), queued(recs...)))

	var got int
	for i, r := range rec.received() {
		assert.LessOrEqual(t, len(r.Body), limit, "body %d", i)
		got += strings.Count(string(r.Body), `"t":"PAGEVIEW"`)
		assert.Contains(t, string(r.Body), fmt.Sprintf(`"dl":"https://x/%02d"`, got-1))
	}
	assert.Equal(t, len(recs), got)
}

func TestSendRecordTooLarge(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name    string
		giveURL func(fits int) string
		giveNow func(calls int) time.Time
	}{
		{
			name:    "too large from the start",
			giveURL: func(fits int) string { return "https://x/" + strings.Repeat("a", 1500) },
			giveNow: func(int) time.Time { return t0 },
		},
		{
			name:    "too large once qt grows",
			giveURL: func(fits int) string { return "https://x/" + strings.Repeat("a", fits) },
			giveNow: func(calls int) time.Time {
				if calls <= 2 {
					return t0
				}
				return t0.Add(time.Hour)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, nil)
			var mu sync.Mutex
			calls := 0
			now := func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				calls++
				return tt.giveNow(calls)
			}
			s := rec.sink(t, httpsink.Options{MaxBodyBytes: limit, Now: now})
			// fits is the URL length that makes a body of exactly limit bytes at qt 0.
			fits := limit - len(eventsBody(t, env, t0, page(t, env, "https://x/")))
			big := page(t, env, tt.giveURL(fits))
			batch := queued(page(t, env, "https://x/before"), big, page(t, env, "https://x/after"))

			err := s.Send(t.Context(), batch)
			require.Error(t, err)
			assert.True(t, eventqueue.IsPermanent(err), err)
			assert.Contains(t, err.Error(), big.ID().String())
			assert.Contains(t, err.Error(), "exceeds MaxBodyBytes 1024")
			for _, r := range rec.received() {
				assert.NotContains(t, string(r.Body), "aaaa")
			}
		})
	}
}

// TestSendInvalidRecord: the only invalid record a sink can be handed is
// the zero Record (a record is valid by construction: what the sink used
// to refuse, such as fields that are not an object or an unknown kind, is
// now refused by NewRecord or, for stored bytes, by UnmarshalBinary). It
// is refused permanently, naming the record.
func TestSendInvalidRecord(t *testing.T) {
	tests := []struct {
		name string
		give hits.Record
		want string
	}{
		{name: "zero record", give: hits.Record{}, want: "the zero Record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, nil)
			s := rec.sink(t, httpsink.Options{})
			for _, batch := range [][]eventqueue.Record{
				queued(page(t, env, "https://ok"), tt.give),
				queued(tt.give),
				queued(tt.give, activation(t, env, "vg")),
			} {
				err := s.Send(t.Context(), batch)
				require.Error(t, err)
				assert.True(t, eventqueue.IsPermanent(err), err)
				assert.ErrorIs(t, err, hits.ErrInvalidRecord)
				assert.Contains(t, err.Error(), tt.want)
				assert.Contains(t, err.Error(), tt.give.ID().String())
			}
		})
	}
}

func TestSendConcurrent(t *testing.T) {
	srv := flagshiptest.NewServer(t)
	s := newSink(t, srv, httpsink.Options{APIKey: testKey, MaxBodyBytes: 4096})
	const workers, batches, size = 8, 10, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*batches) // one slot per Send: nobody blocks
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				recs := make([]hits.Record, 0, size)
				for i := range size {
					if i%5 == 0 {
						recs = append(recs, activation(t, env, fmt.Sprintf("vg-%d-%d-%d", w, b, i)))
						continue
					}
					recs = append(recs, page(t, env, fmt.Sprintf("https://x/%d/%d/%d", w, b, i)))
				}
				errs <- s.Send(context.Background(), queued(recs...))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Len(t, srv.Hits(), workers*batches*size*4/5)
	assert.Len(t, srv.Activations(), workers*batches*size/5)
}

func TestSendSplitFailsPartway(t *testing.T) {
	var n atomic.Int32
	rec := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	s := rec.sink(t, httpsink.Options{MaxBodyBytes: 1024, Now: newClock(t0).now})
	var recs []hits.Record
	for i := range 20 {
		recs = append(recs, page(t, env, fmt.Sprintf("https://x/%02d/%s", i, strings.Repeat("a", 100))))
	}
	err := s.Send(t.Context(), queued(recs...))
	require.Error(t, err)
	assert.False(t, eventqueue.IsPermanent(err))
	assert.Len(t, rec.received(), 2, "the first failure ends the Send")

	require.NoError(t, s.Send(t.Context(), queued(recs...)))
	reqs := rec.received()
	assert.Equal(t, reqs[0].Body, reqs[2].Body, "the retry sends the first body again")
}

package fsredis_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/assignment"
	fsredis "github.com/seed27eed597/flagship-go/contrib/redis"
)

func TestMergeSemantics(t *testing.T) {
	const (
		act    = `{"VariationID":"old","Activated":true}`
		notAct = `{"VariationID":"old","Activated":false}`
	)
	var (
		oldAct = assignment.Assignment{VariationID: "old", Activated: true}
		oldNot = assignment.Assignment{VariationID: "old"}
		newAct = assignment.Assignment{VariationID: "new", Activated: true}
		newNot = assignment.Assignment{VariationID: "new"}
	)
	tests := []struct {
		name     string
		giveCur  string // stored field value; "" means absent
		giveNext assignment.Assignment
		want     assignment.Assignment
	}{
		{name: "absent, non-activated", giveNext: newNot, want: newNot},
		{name: "absent, activated", giveNext: newAct, want: newAct},
		{name: "non-activated, same non-activated", giveCur: notAct, giveNext: oldNot, want: oldNot},
		{name: "non-activated, same activated", giveCur: notAct, giveNext: oldAct, want: oldAct},
		{name: "non-activated, other non-activated", giveCur: notAct, giveNext: newNot, want: newNot},
		{name: "non-activated, other activated", giveCur: notAct, giveNext: newAct, want: newAct},
		{name: "activated, same non-activated stays activated", giveCur: act, giveNext: oldNot, want: oldAct},
		{name: "activated, same activated", giveCur: act, giveNext: oldAct, want: oldAct},
		{name: "activated, other non-activated replaces", giveCur: act, giveNext: newNot, want: newNot},
		{name: "activated, other activated replaces", giveCur: act, giveNext: newAct, want: newAct},
		// Names matched regardless of case, as encoding/json does.
		{name: "lower-case activated, same non-activated", giveCur: `{"variationId":"old","activated":true}`, giveNext: oldNot, want: oldAct},
		// What Load skips is overwritten.
		{name: "activated without variation", giveCur: `{"Activated":true}`, giveNext: oldNot, want: oldNot},
		{name: "variation not a string", giveCur: `{"VariationID":7,"Activated":true}`, giveNext: oldNot, want: oldNot},
		{name: "activated not a bool", giveCur: `{"VariationID":"old","Activated":"true"}`, giveNext: oldNot, want: oldNot},
		{name: "corrupt", giveCur: `{"VariationID":`, giveNext: oldNot, want: oldNot},
		{name: "not an object", giveCur: `true`, giveNext: oldNot, want: oldNot},
	}
	// The script agrees with the SDK's rule wherever the stored value is
	// one Load decodes.
	for _, tt := range tests {
		cur, had := assignment.Assignment{}, false
		if tt.giveCur != "" {
			var w struct {
				VariationID string
				Activated   bool
			}
			if json.Unmarshal([]byte(tt.giveCur), &w) != nil || w.VariationID == "" {
				continue // skipped by Load: as if absent
			}
			cur, had = assignment.Assignment{VariationID: w.VariationID, Activated: w.Activated}, true
		}
		require.Equal(t, tt.want, assignment.MergeOne(cur, had, tt.giveNext), "assignment.MergeOne disagrees on %q", tt.name)
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			client := b.new(t)
			s, err := fsredis.New(client, "env", fsredis.WithKeyPrefix(""))
			require.NoError(t, err)
			for i, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					key := "v" + strconv.Itoa(i)
					if tt.giveCur != "" {
						require.NoError(t, client.HSet(t.Context(), key, "vg", tt.giveCur).Err())
					}
					require.NoError(t, s.Save(t.Context(), []assignment.Entry{{Key: key, Assignments: assignment.Assignments{"vg": tt.giveNext}}}))
					into := make([]assignment.Assignments, 1)
					require.NoError(t, s.Load(t.Context(), []string{key}, into))
					assert.Equal(t, tt.want, into[0]["vg"])
				})
			}
		})
	}
}

// TestDecisionAPILayoutIsRead reads data laid out by hand as Flagship's
// self-hosted decision API writes it (HSET of JSON values and ts under
// the bare visitor id), and checks that a save keeps its format.
func TestDecisionAPILayoutIsRead(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			client := b.new(t)
			ctx := t.Context()
			require.NoError(t, client.HSet(ctx, "visitor-42",
				"c1k2vg", `{"VariationID":"c1k2var","Activated":true}`,
				"c9vg", `{"VariationID":"c9var","Activated":false}`,
				"ts", "1699999999999").Err())
			s, err := fsredis.New(client, "env", fsredis.WithKeyPrefix(""), fsredis.WithClock(testClock))
			require.NoError(t, err)

			into := make([]assignment.Assignments, 1)
			require.NoError(t, s.Load(ctx, []string{"visitor-42"}, into))
			assert.Equal(t, assignment.Assignments{
				"c1k2vg": {VariationID: "c1k2var", Activated: true},
				"c9vg":   {VariationID: "c9var"},
			}, into[0])

			require.NoError(t, s.Save(ctx, []assignment.Entry{{Key: "visitor-42", Assignments: assignment.Assignments{
				"c9vg": {VariationID: "c9var", Activated: true},
			}}}))
			got, err := client.HGetAll(ctx, "visitor-42").Result()
			require.NoError(t, err)
			assert.Equal(t, map[string]string{
				"c1k2vg": `{"VariationID":"c1k2var","Activated":true}`,
				"c9vg":   `{"VariationID":"c9var","Activated":true}`,
				"ts":     "1700000000123",
			}, got)
		})
	}
}

// TestConcurrentReplicas has two processes' worth of clients save mixed
// activated and non-activated assignments of the same variations for the
// same keys at once, while a reader checks that an activation, once seen,
// never goes away. A merge that read and wrote in two steps would lose
// activations here.
func TestConcurrentReplicas(t *testing.T) {
	srv, _ := newReal(t)
	const (
		replicas = 2
		writers  = 4 // goroutines per replica
		rounds   = 150
		nKeys    = 8
		nGroups  = 6
	)
	keys := make([]string, nKeys)
	for i := range keys {
		keys[i] = "visitor-" + strconv.Itoa(i)
	}
	stores := make([]*fsredis.Store, replicas)
	for i := range stores {
		s, err := fsredis.New(newClient(t, srv.Addr()), "env")
		require.NoError(t, err)
		stores[i] = s
	}

	// activated[key][vg] is set once a save of an activation returned.
	var mu sync.Mutex
	activated := make(map[string]map[string]bool)
	for _, k := range keys {
		activated[k] = make(map[string]bool)
	}

	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, replicas*writers+1) // one per goroutine
	for r, s := range stores {
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(r), uint64(w)))
				for range rounds {
					var entries []assignment.Entry
					var acts [][2]string
					for _, k := range keys {
						if rng.IntN(2) == 0 {
							continue
						}
						as := assignment.Assignments{}
						for g := range nGroups {
							vg := "vg" + strconv.Itoa(g)
							// One variation per group: a different one
							// would replace an activation by design.
							a := assignment.Assignment{
								VariationID: "var-" + k + "-" + vg,
								Activated:   rng.IntN(10) == 0,
							}
							as[vg] = a
							if a.Activated {
								acts = append(acts, [2]string{k, vg})
							}
						}
						entries = append(entries, assignment.Entry{Key: k, Assignments: as})
					}
					if err := s.Save(ctx, entries); err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, a := range acts {
						activated[a[0]][a[1]] = true
					}
					mu.Unlock()
				}
			}()
		}
	}
	// A reader: an activation seen once is seen ever after.
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	rwg.Add(1)
	go func() {
		defer rwg.Done()
		seen := make(map[[2]string]bool)
		into := make([]assignment.Assignments, nKeys)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := stores[0].Load(ctx, keys, into); err != nil {
				errs <- err
				return
			}
			for i, as := range into {
				for vg, a := range as {
					id := [2]string{keys[i], vg}
					if seen[id] && !a.Activated {
						errs <- fmt.Errorf("%s %s: activation lost", keys[i], vg)
						return
					}
					seen[id] = seen[id] || a.Activated
				}
			}
		}
	}()
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	into := make([]assignment.Assignments, nKeys)
	require.NoError(t, stores[1].Load(ctx, keys, into))
	nActivated := 0
	for i, k := range keys {
		for vg := range activated[k] {
			nActivated++
			assert.True(t, into[i][vg].Activated, "%s %s: activation lost", k, vg)
		}
	}
	require.Positive(t, nActivated, "the test saved no activation")
	t.Logf("%d (key, group) activations checked", nActivated)
}

// newClusterClient returns a cluster client of addrs closed by t.Cleanup.
func newClusterClient(t testing.TB, addrs []string) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

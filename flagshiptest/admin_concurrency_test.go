package flagshiptest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/admin"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestAdminConcurrentUse runs management calls, knobs and SDK requests
// at once, for the race detector.
func TestAdminConcurrentUse(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("t", map[string]any{"on": true})))
	tok := token(t, s)
	pid := newProject(t, s, tok)
	const workers, iterations = 4, 15
	okOrGone := []int{http.StatusOK, http.StatusNotFound}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(2)
		go func() { // management
			defer wg.Done()
			for i := range iterations {
				r := api(t, s, tok, http.MethodPost, envPath+"/campaigns", betaToggle(pid))
				if !assert.Equal(t, http.StatusCreated, r.status, r.body) {
					return
				}
				c := decodeBody[admin.Campaign](t, r)
				state := []string{"active", "paused"}[i%2]
				// SetCampaigns, below, may have replaced it: 404 then.
				assert.Contains(t, okOrGone, api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+c.ID+"/toggle", `{"state":"`+state+`"}`).status)
				assert.Equal(t, http.StatusOK, api(t, s, tok, http.MethodPatch, envPath+"/panic", `{"panic":"`+[]string{"on", "off"}[i%2]+`"}`).status)
				assert.Equal(t, http.StatusOK, api(t, s, tok, http.MethodGet, envPath+"/campaigns?_max_per_page=100", "").status)
				assert.Contains(t, okOrGone, api(t, s, tok, http.MethodPatch, envPath+"/campaigns/"+c.ID, `{"name":"w`+fmt.Sprint(w)+`"}`).status)
				_ = s.AdminRequests()
			}
		}()
		go func() { // SDKs
			defer wg.Done()
			for i := range iterations {
				assert.Equal(t, http.StatusOK, post(t, s, decisionPath(), fmt.Sprintf(`{"visitorId":"w%d-%d","context":{"beta":true},"trigger_hit":false}`, w, i)).status)
				assert.Equal(t, http.StatusOK, do(t, s, http.MethodGet, bucketingPath(), "").status)
			}
		}()
	}
	wg.Add(1)
	go func() { // knobs and code
		defer wg.Done()
		for i := range iterations {
			s.SetPublicationDelay(0)
			s.SetCampaigns(flagshiptest.Toggle(fmt.Sprintf("t%d", i), nil))
			s.SetAdminRateLimit(0, 0)
			_ = token(t, s)
			s.SetPanic(false)
		}
	}()
	wg.Wait()
	assert.Equal(t, 1+workers*iterations*5, countRoute(s.AdminRequests(), flagshiptest.RouteAdmin))
}

func countRoute(reqs []flagshiptest.AdminRequest, route string) int {
	n := 0
	for _, r := range reqs {
		if r.Route == route {
			n++
		}
	}
	return n
}

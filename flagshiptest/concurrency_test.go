package flagshiptest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestConcurrentUse(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("t", map[string]any{"on": true})))
	const workers, iterations = 8, 25
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // changes data while requests run
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				s.SetPanic(false)
				return
			default:
			}
			s.SetCampaigns(flagshiptest.Toggle(fmt.Sprintf("t%d", i), map[string]any{"i": i}))
			s.SetPanic(i%2 == 0)
			_ = s.Hits()
			_ = s.Activations()
			_ = s.DecisionRequests()
			_ = s.Bodies(flagshiptest.RouteEvents)
		}
	}()
	var workersWG sync.WaitGroup
	for w := range workers {
		workersWG.Add(1)
		go func() {
			defer workersWG.Done()
			for i := range iterations {
				vid := fmt.Sprintf("w%d-%d", w, i)
				assert.Equal(t, http.StatusOK, post(t, s, decisionPath(), `{"visitorId":"`+vid+`","trigger_hit":false}`).status)
				assert.Equal(t, http.StatusNoContent, post(t, s, "/v2/activate",
					`{"cid":"`+env+`","vid":"`+vid+`","caid":"vg","vaid":"var"}`).status)
				assert.Equal(t, http.StatusOK, post(t, s, "/events", batch(validItems[0], validItems[4])).status)
				assert.Equal(t, http.StatusOK, do(t, s, "GET", bucketingPath(), "").status)
			}
		}()
	}
	workersWG.Wait()
	close(stop)
	wg.Wait()

	const n = workers * iterations
	assert.Len(t, s.DecisionRequests(), n)
	assert.Len(t, s.Activations(), n)
	assert.Len(t, s.Hits(), 2*n)
	assert.Len(t, s.Bodies(flagshiptest.RouteEvents), n)
	assert.Equal(t, n, s.BucketingRequests())
}

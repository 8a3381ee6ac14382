package flagship_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// corruptingTransport empties, in the events bodies it carries, the
// screen name "corrupt": a hit the client found valid reaches the server
// invalid, as a buggy proxy or an older stored record could make it.
type corruptingTransport struct{ next http.RoundTripper }

func (c corruptingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || !strings.HasSuffix(r.URL.Path, "/events") {
		return c.next.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	body = bytes.ReplaceAll(body, []byte(`"dl":"corrupt"`), []byte(`"dl":""`))
	r = r.Clone(r.Context())
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	return c.next.RoundTrip(r)
}

// TestPartialRefusalDeadLettersOnlyTheBadHit is the acceptance test of
// item-by-item judgement, through the client, with its durable and its
// in-memory queue: a batch of four hits, one of which the server refuses,
// is answered 207; the three others are recorded once, the bad one is
// recorded as refused with its reason and dead-lettered by the client,
// and nothing is sent again.
func TestPartialRefusalDeadLettersOnlyTheBadHit(t *testing.T) {
	for _, inMemory := range []bool{false, true} {
		name := "durable"
		if inMemory {
			name = "in memory"
		}
		t.Run(name, func(t *testing.T) {
			srv := abServer(t)
			events := &syncEvents{}
			hc := &http.Client{Timeout: 5 * time.Second, Transport: corruptingTransport{next: srv.Client().Transport}}
			c := newClient(t, srv, flagship.WithHTTPClient(hc), flagship.WithNotifications(events),
				flagship.WithDelivery(flagship.DeliveryOptions{InMemory: inMemory, FlushInterval: time.Hour,
					RetryInitial: time.Millisecond, RetryMax: 10 * time.Millisecond}))
			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			for _, n := range []string{"a", "corrupt", "c", "d"} {
				require.NoError(t, v.SendHit(context.Background(), hits.Screen{Name: n}))
			}
			flush(t, c)

			var got []string
			for _, h := range srv.Hits() {
				got = append(got, h.Fields["dl"].(string))
			}
			assert.Equal(t, []string{"a", "c", "d"}, got, "the others recorded, once each")
			assert.Len(t, srv.Bodies(flagshiptest.RouteEvents), 1, "one request: nothing sent again")
			refused := srv.Refusals()
			require.Len(t, refused, 1)
			assert.Equal(t, 1, refused[0].Index)
			assert.Equal(t, http.StatusMultiStatus, refused[0].Status)
			assert.Equal(t, "h[1].dl: must not be empty", refused[0].Reason)
			assert.Equal(t, "v1", refused[0].VisitorID)

			st := sinkStats(t, c, flagship.SinkHTTPHits)
			assert.EqualValues(t, 3, st.Sent)
			assert.EqualValues(t, 1, st.DeadLettered)
			assert.Zero(t, st.Depth)
			dead := events.of(flagship.NotifyDeadLettered)
			require.Len(t, dead, 1)
			assert.Equal(t, 1, dead[0].N)
			assert.Contains(t, dead[0].Reason, "207")
			assert.Contains(t, dead[0].Reason, "h[1].dl: must not be empty")
		})
	}
}

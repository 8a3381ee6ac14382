package httpsink_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/eventqueue/httpsink"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestMaxRecordSizeIsMaxBodyBytes(t *testing.T) {
	tests := []struct {
		name string
		give int
		want int
	}{
		{name: "default", give: 0, want: httpsink.DefaultMaxBodyBytes},
		{name: "set", give: 4096, want: 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := httpsink.New(httpsink.Options{EventsURL: "http://127.0.0.1/events", ActivateURL: "http://127.0.0.1/activate", MaxBodyBytes: tt.give})
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.MaxRecordSize())
		})
	}
}

// TestRecordAtMaxRecordSizeIsSent: a record whose RecordSize is exactly
// MaxBodyBytes, the largest the queue takes for the Sink, is delivered,
// hours after it was created (a wider queue time): what the queue accepts
// the Sink can send.
func TestRecordAtMaxRecordSizeIsSent(t *testing.T) {
	const limit = 1024
	srv := flagshiptest.NewServer(t)
	now := time.Now()
	s, err := httpsink.New(httpsink.Options{EventsURL: srv.URL + "/events", ActivateURL: srv.URL + "/v2/activate", MaxBodyBytes: limit, Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer s.Close()
	created := now.Add(-3 * time.Hour)
	for _, kind := range []string{"hit", "activation"} {
		t.Run(kind, func(t *testing.T) {
			build := func(n int) hits.Record {
				if kind == "activation" {
					return newRecord(t, srv.EnvID(), "customer-1", "anon-1", created,
						hits.Activation{VariationGroupID: "vg", VariationID: strings.Repeat("v", n)})
				}
				return newRecord(t, srv.EnvID(), "customer-1", "anon-1", created,
					hits.Screen{Name: strings.Repeat("s", n)})
			}
			r := build(1)
			r = build(1 + limit - s.RecordSize(r))
			require.Equal(t, limit, s.RecordSize(r))
			assert.Equal(t, r.WireSize(), s.RecordSize(r))
			require.NoError(t, s.Send(context.Background(), queued(r)))
		})
	}
	assert.Len(t, srv.Hits(), 1)
	assert.Len(t, srv.Activations(), 1)
}

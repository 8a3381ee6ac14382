package httpsink

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

func TestAPIKeyRedacted(t *testing.T) {
	k := apiKey("secret")
	assert.Equal(t, "REDACTED", k.String())
	assert.Equal(t, "REDACTED", fmt.Sprint(k))
	assert.Equal(t, slog.StringValue("REDACTED"), k.LogValue())
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "key", k)
	assert.NotContains(t, logs.String(), "secret")
}

func TestPutScratchBounds(t *testing.T) {
	s, err := New(Options{EventsURL: "http://x", ActivateURL: "http://x"})
	require.NoError(t, err)
	tests := []struct {
		name     string
		give     *scratch
		wantRecs bool
		wantBody bool
	}{
		{
			name:     "small buffers are kept",
			give:     &scratch{recs: make([]hits.Record, 3, 10), idx: make([]int, 10), sizes: make([]int, 10), body: make([]byte, 100)},
			wantRecs: true, wantBody: true,
		},
		{
			name: "large buffers are dropped",
			give: &scratch{
				recs: make([]hits.Record, maxPooledRecs+1), idx: make([]int, maxPooledRecs+1),
				sizes: make([]int, maxPooledRecs+1), body: make([]byte, 2*maxPooledBody),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := hits.NewRecord(uuid.New(), "env", "v", "", time.Now(), hits.Page{URL: "https://x"})
			require.NoError(t, err)
			tt.give.recs[0] = r
			tt.give.groups = append(tt.give.groups, group{env: "env"})
			recs := tt.give.recs
			s.putScratch(tt.give)
			assert.True(t, recs[0].IsZero(), "records are cleared")
			assert.Empty(t, recs[0].EnvID(), "records are cleared")
			assert.Empty(t, tt.give.recs)
			assert.Empty(t, tt.give.groups)
			assert.Equal(t, tt.wantRecs, tt.give.recs != nil)
			assert.Equal(t, tt.wantRecs, tt.give.idx != nil)
			assert.Equal(t, tt.wantRecs, tt.give.sizes != nil)
			assert.Equal(t, tt.wantBody, tt.give.body != nil)
		})
	}
}

func TestPostReusesWrittenBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	s, err := New(Options{EventsURL: srv.URL, ActivateURL: srv.URL})
	require.NoError(t, err)
	defer s.Close()
	sc := &scratch{body: []byte(`{"cid":"env","ds":"APP","t":"BATCH","qt":0,"h":[]}`)}
	require.NoError(t, s.post(t.Context(), sc, eventsEndpoint))
	assert.NotNil(t, sc.body, "the transport reported the body written: it can be reused")
}

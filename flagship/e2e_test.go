package flagship_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

const vectorsDir = "../testdata/vectors/"

// vectorVisitor is one line of the published decision vectors.
type vectorVisitor struct {
	VisitorID string         `json:"visitorId"`
	Context   map[string]any `json:"context"`
	Expected  []struct {
		CampaignID       string `json:"campaignId"`
		VariationGroupID string `json:"variationGroupId"`
		VariationID      string `json:"variationId"`
	} `json:"expected"`
}

func readVectors(t testing.TB, n int) []vectorVisitor {
	t.Helper()
	f, err := os.Open(vectorsDir + "vectors.jsonl.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []vectorVisitor
	for sc.Scan() && len(out) < n {
		var v vectorVisitor
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v))
		out = append(out, v)
	}
	require.NoError(t, sc.Err())
	return out
}

func vectorsFile(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(vectorsDir + "bucketing.json")
	require.NoError(t, err)
	return b
}

// newClient starts a client on srv and closes it at the end of the test.
func newClient(t *testing.T, srv *flagshiptest.Server, opts ...flagship.Option) *flagship.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", append(srv.Options(), opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
	require.NoError(t, c.WaitReady(ctx))
	return c
}

// hangLimit bounds a call a test expects to return: far above what the
// call needs, it turns a hang into a failure without timing the call.
const hangLimit = 30 * time.Second

// returns calls f on a goroutine of its own and returns its error,
// failing t as hung if f has not returned within hangLimit.
func returns(t *testing.T, what string, f func() error) error {
	t.Helper()
	done := make(chan error, 1) // buffered: a hung f's goroutine never blocks on it
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(hangLimit):
		t.Fatalf("%s hung: no return after %v", what, hangLimit)
		return nil
	}
}

// flush delivers what c queued, so that the server has received it.
func flush(t *testing.T, c *flagship.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, c.Flush(ctx))
}

// assignment is what a visitor's flags say about one campaign.
type assignment struct{ Campaign, Group, Variation string }

func assignments(v *visitor.Visitor) map[assignment]bool {
	out := map[assignment]bool{}
	for _, f := range v.Flags() {
		out[assignment{f.Info.CampaignID, f.Info.VariationGroupID, f.Info.VariationID}] = true
	}
	return out
}

// TestModesAgree synchronizes the same visitors in both modes against one
// server and checks they get the same flags, with the metadata of the
// published vectors.
func TestModesAgree(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(vectorsFile(t)))
	api := newClient(t, srv)
	local := newClient(t, srv, flagship.WithMode(flagship.Bucketing))
	ctx := context.Background()
	compared := 0
	for _, vv := range readVectors(t, 400) {
		if !scalarContext(vv.Context) {
			continue // the SDK's context holds strings, numbers and booleans only
		}
		va, err := api.NewVisitor(vv.VisitorID, vv.Context)
		require.NoError(t, err)
		vb, err := local.NewVisitor(vv.VisitorID, vv.Context)
		require.NoError(t, err)
		require.NoError(t, va.Synchronize(ctx))
		require.NoError(t, vb.Synchronize(ctx))
		require.Equal(t, va.Flags(), vb.Flags(), "visitor %s", vv.VisitorID)
		// Every flag comes from a campaign the vectors expect (campaigns
		// without flags are not visible through flags).
		want := map[assignment]bool{}
		for _, e := range vv.Expected {
			want[assignment{e.CampaignID, e.VariationGroupID, e.VariationID}] = true
		}
		for a := range assignments(vb) {
			assert.True(t, want[a], "visitor %s: unexpected %+v", vv.VisitorID, a)
		}
		compared += len(vb.Flags())
	}
	assert.Greater(t, compared, 100, "the comparison must cover flags")
}

func TestConcurrentVisitors(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("t1", map[string]any{"enabled": true}),
	))
	c := newClient(t, srv, flagship.WithMode(flagship.Bucketing))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.NewVisitor("v"+string(rune('a'+i)), visitor.Attributes{"n": i})
			if !assert.NoError(t, err) {
				return
			}
			assert.NoError(t, v.Synchronize(context.Background()))
			assert.True(t, v.Bool("enabled", false))
			assert.NoError(t, v.Activate(context.Background(), "enabled"))
		}()
	}
	wg.Wait()
	flush(t, c)
	assert.Len(t, srv.Activations(), 8)
}

func scalarContext(m map[string]any) bool {
	for _, v := range m {
		switch v.(type) {
		case string, float64, bool:
		default:
			return false
		}
	}
	return true
}

package bucketing_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// vectorsDir holds Flagship's published decision vectors (CI has ../shared).
const vectorsDir = "../../shared/spec/vectors"

type vectorCampaign struct {
	CampaignID       string `json:"campaignId"`
	VariationGroupID string `json:"variationGroupId"`
	VariationID      string `json:"variationId"`
}

type vectorLine struct {
	VisitorID     string           `json:"visitorId"`
	AnonymousID   string           `json:"anonymousId"`
	DecisionGroup string           `json:"decisionGroup"`
	Context       map[string]any   `json:"context"`
	Expected      []vectorCampaign `json:"expected"`
}

func loadVectors(t testing.TB, name string) []vectorLine {
	t.Helper()
	f, err := os.Open(filepath.Join(vectorsDir, name))
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	var out []vectorLine
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var l vectorLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		out = append(out, l)
	}
	require.NoError(t, sc.Err())
	return out
}

func loadEngine(t testing.TB, name string, o bucketing.Options) *bucketing.Engine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vectorsDir, name))
	require.NoError(t, err)
	cfg, err := bucketing.ParseConfig(data)
	require.NoError(t, err)
	e := bucketing.NewEngine(o)
	e.Update(cfg)
	return e
}

func summarize(d decision.Decision) []vectorCampaign {
	out := []vectorCampaign{}
	for _, c := range d.Campaigns {
		out = append(out, vectorCampaign{CampaignID: c.ID, VariationGroupID: c.VariationGroup.ID, VariationID: c.Variation.ID})
	}
	return out
}

func TestVectors(t *testing.T) {
	tests := []struct {
		bucketing, vectors string
		wantLines          int
	}{
		{bucketing: "bucketing.json", vectors: "vectors.jsonl.gz", wantLines: 5000},
		{bucketing: "bucketing_1v1t.json", vectors: "vectors_1v1t.jsonl.gz", wantLines: 1500},
	}
	for _, tt := range tests {
		t.Run(tt.vectors, func(t *testing.T) {
			e := loadEngine(t, tt.bucketing, bucketing.Options{})
			lines := loadVectors(t, tt.vectors)
			require.Len(t, lines, tt.wantLines)
			failures := 0
			for i, l := range lines {
				d, err := e.Decide(context.Background(), decision.Request{
					VisitorID: l.VisitorID, AnonymousID: l.AnonymousID, DecisionGroup: l.DecisionGroup, Context: l.Context,
				})
				require.NoError(t, err)
				want := l.Expected
				if want == nil {
					want = []vectorCampaign{}
				}
				if got := summarize(d); !equalCampaigns(got, want) {
					failures++
					if failures <= 5 {
						t.Errorf("line %d visitor %q:\n got  %v\n want %v", i+1, l.VisitorID, got, want)
					}
				}
			}
			require.Zero(t, failures, "%d of %d visitors differ", failures, len(lines))
		})
	}
}

func equalCampaigns(a, b []vectorCampaign) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

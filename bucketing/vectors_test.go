package bucketing_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// vectorsDir holds a copy of Flagship's published decision vectors
// (shared/spec/vectors of the project's specification).
const vectorsDir = "../testdata/vectors"

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

// TestVectorsChecksums: the copy of the published vectors in testdata is
// intact (SHA256SUMS lists the uncompressed files).
func TestVectorsChecksums(t *testing.T) {
	sums, err := os.ReadFile(filepath.Join(vectorsDir, "SHA256SUMS"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	require.NotEmpty(t, lines)
	for _, line := range lines {
		want, name, ok := strings.Cut(line, "  ")
		require.True(t, ok, line)
		data, err := os.ReadFile(filepath.Join(vectorsDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			gz, err := os.Open(filepath.Join(vectorsDir, name+".gz"))
			require.NoError(t, err)
			zr, err := gzip.NewReader(gz)
			require.NoError(t, err)
			data, err = io.ReadAll(zr)
			require.NoError(t, err)
			require.NoError(t, gz.Close())
		} else {
			require.NoError(t, err)
		}
		got := sha256.Sum256(data)
		require.Equal(t, want, hex.EncodeToString(got[:]), name)
	}
}

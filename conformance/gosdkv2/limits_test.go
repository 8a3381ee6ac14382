package gosdkv2

import (
	"net/http"
	"strings"
	"testing"

	flagshipv2 "github.com/flagship-io/flagship-go-sdk/v2"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/model"
)

// TestBucketingModeSemverFile pins Go SDK v2's SEMVER limit: its protobuf
// enum of targeting operators (flagship-proto v0.0.15) predates SEMVER_*,
// so it cannot parse a bucketing file that uses one anywhere and serves no
// campaign at all in BUCKETING mode, re-downloading the file on every
// synchronization. The server answers every download 200: the file is
// valid (DECISION_API mode decides from it, TestDecisionAPIMode).
func TestBucketingModeSemverFile(t *testing.T) {
	doc := readDoc(t, vectorsFile)
	srv := startServe(t, doc.write(t, "bucketing.json"))

	fs, err := flagshipv2.Start(envID, apiKey, v2Options(srv, true)...)
	if err == nil || !strings.Contains(err.Error(), "SEMVER_") {
		t.Fatalf("Go SDK v2 Start on a file with SEMVER_* operators: error %v, want a parse error naming the operator", err)
	}
	t.Logf("Go SDK v2 Start: %v", err)
	const visitors = 3
	for i := range visitors {
		v, err := fs.NewVisitor(loadVisitors(t, 1)[0].ID, model.Context{"appVersion": "1.2.3", "n": i})
		if err != nil {
			t.Fatal(err)
		}
		if err := v.SynchronizeModifications(); err == nil || !strings.Contains(err.Error(), "SEMVER_") {
			t.Errorf("v2 SynchronizeModifications: error %v, want the parse error again", err)
		}
		if n := len(v.GetAllModifications()); n != 0 {
			t.Errorf("v2 served %d flags from a file it cannot parse", n)
		}
	}
	ex := guard.take()
	downloads := 0
	for _, e := range ex {
		if e.Method != http.MethodGet || e.Path != "/"+envID+"/bucketing.json" || e.Status != http.StatusOK {
			t.Errorf("unexpected request or answer: %s", e.String())
			continue
		}
		downloads++
	}
	// One download at start, one per synchronization (no CONTEXT event:
	// the synchronization fails before).
	if downloads != 1+visitors {
		t.Errorf("bucketing file downloads: %d, want %d", downloads, 1+visitors)
	}
	if recs, ok := srv.records(t); ok {
		if n := len(recs.Hits) + len(recs.Activations) + len(recs.ContextEvents) + len(recs.Refused); n != 0 {
			t.Errorf("%d records, want none", n)
		}
	}
	t.Logf("SEMVER file in BUCKETING mode: %d downloads, all 200, no flags served", downloads)
}

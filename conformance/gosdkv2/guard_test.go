package gosdkv2

import (
	"strings"
	"testing"

	flagshipv2 "github.com/flagship-io/flagship-go-sdk/v2"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/client"
	"github.com/flagship-io/flagship-go-sdk/v2/pkg/model"
)

// TestGuardRefusesFlagshipHosts checks the guard itself: Go SDK v2 left
// with its defaults calls Flagship's hosts (decision.flagship.io,
// cdn.flagship.io), and the guard refuses every such request before it
// leaves the process. The attempts are then forgotten, so that they do not
// fail the test binary as stray requests would.
func TestGuardRefusesFlagshipHosts(t *testing.T) {
	srv := startServe(t, readDoc(t, vectorsFile).write(t, "bucketing.json"))
	before := len(guard.foreignAttempts())
	t.Cleanup(func() { guard.forgetForeign(before) })

	da, err := flagshipv2.Start(envID, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := da.NewVisitor("guard-visitor", model.Context{"plan": "gold"})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.SynchronizeModifications(); err == nil || !strings.Contains(err.Error(), "conformance guard") {
		t.Errorf("v2 with its default Decision API URL: error %v, want the guard's refusal", err)
	}
	if _, err := flagshipv2.Start(envID, apiKey, client.WithBucketing()); err == nil || !strings.Contains(err.Error(), "conformance guard") {
		t.Errorf("v2 with its default bucketing URL: error %v, want the guard's refusal", err)
	}
	// The collector host is rewritten to the local server only.
	if err := da.SendHit("guard-visitor", nil, &model.PageHit{BaseHit: model.BaseHit{DocumentLocation: "https://shop.example/"}}); err != nil {
		t.Errorf("v2 hit through the rewritten collector host: %v", err)
	}

	got := guard.foreignAttempts()[before:]
	want := []string{
		"POST https://decision.flagship.io/v2/" + envID + "/campaigns?exposeAllKeys=true",
		"POST https://decision.flagship.io/v2/" + envID + "/campaigns?exposeAllKeys=true", // v2's retry
		"GET https://cdn.flagship.io/" + envID + "/bucketing.json",
		"GET https://cdn.flagship.io/" + envID + "/bucketing.json",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("refused requests:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	ex := guard.take()
	if len(ex) != 1 || ex[0].Path != "/" || ex[0].Status != 200 || !ex[0].rewrittenF {
		t.Errorf("requests that reached the local server: %v, want the one hit", ex)
	}
	if recs, ok := srv.records(t); ok && len(recs.Hits) != 1 {
		t.Errorf("hits recorded: %d, want 1", len(recs.Hits))
	}
}

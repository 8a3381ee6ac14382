package gosdkv2

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// The published decision vectors: a bucketing file covering every operator,
// list targeting and contexts, kind mismatches, bucket ranges and a
// duplicated campaign id, and 5,000 visitors with their contexts.
var (
	vectorsFile     = filepath.Join("..", "..", "testdata", "vectors", "bucketing.json")
	vectorsVisitors = filepath.Join("..", "..", "testdata", "vectors", "vectors.jsonl.gz")
)

// visitorsPerMode is how many of the published visitors each mode runs.
const visitorsPerMode = 400

type vectorVisitor struct {
	ID      string         `json:"visitorId"`
	Context map[string]any `json:"context"`
}

// loadVisitors returns the first n visitors of the published vectors, in
// file order (deterministic).
func loadVisitors(t *testing.T, n int) []vectorVisitor {
	t.Helper()
	f, err := os.Open(vectorsVisitors)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []vectorVisitor
	for len(out) < n && sc.Scan() {
		var v vectorVisitor
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%s has %d visitors, want at least %d", vectorsVisitors, len(out), n)
	}
	return out
}

// bucketingDoc is a bucketing file as a JSON tree, to derive files from
// the published one.
type bucketingDoc map[string]any

func readDoc(t *testing.T, path string) bucketingDoc {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var doc bucketingDoc
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

func (d bucketingDoc) campaigns() []map[string]any {
	raw, _ := d["campaigns"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, c := range raw {
		out = append(out, c.(map[string]any))
	}
	return out
}

// clone returns a deep copy.
func (d bucketingDoc) clone(t *testing.T) bucketingDoc {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var c bucketingDoc
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// operators returns the targeting operators a campaign uses.
func operators(c map[string]any) []string {
	var ops []string
	vgs, _ := c["variationGroups"].([]any)
	for _, vg := range vgs {
		tg, _ := vg.(map[string]any)["targeting"].(map[string]any)
		groups, _ := tg["targetingGroups"].([]any)
		for _, g := range groups {
			ts, _ := g.(map[string]any)["targetings"].([]any)
			for _, r := range ts {
				if op, ok := r.(map[string]any)["operator"].(string); ok {
					ops = append(ops, op)
				}
			}
		}
	}
	return ops
}

func usesSemver(c map[string]any) bool {
	for _, op := range operators(c) {
		if strings.HasPrefix(op, "SEMVER_") {
			return true
		}
	}
	return false
}

// fullRange reports whether a campaign's bucket ranges are exactly
// [[0,100]], the only ranges under which ignoring them changes nothing.
func fullRange(c map[string]any) bool {
	return reflect.DeepEqual(normalise(c["bucketRanges"]), []any{map[string]any{"r": []any{0.0, 100.0}}})
}

func normalise(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// withoutSemver returns the file less the campaigns using a SEMVER_*
// operator, and their ids.
func (d bucketingDoc) withoutSemver(t *testing.T) (bucketingDoc, []string) {
	c := d.clone(t)
	var kept []any
	var dropped []string
	for _, camp := range c.campaigns() {
		if usesSemver(camp) {
			dropped = append(dropped, camp["id"].(string))
			continue
		}
		kept = append(kept, camp)
	}
	c["campaigns"] = kept
	return c, dropped
}

// rangesIgnored returns the file with every campaign's bucket ranges set to
// [[0,100]]: what Go SDK v2 decides from (it turns bucket allocation off).
func (d bucketingDoc) rangesIgnored(t *testing.T) bucketingDoc {
	c := d.clone(t)
	for _, camp := range c.campaigns() {
		camp["bucketRanges"] = []any{map[string]any{"r": []any{0, 100}}}
	}
	return c
}

// rangedCampaigns returns the ids of the campaigns whose bucket ranges are
// not exactly [[0,100]] (missing ones included).
func (d bucketingDoc) rangedCampaigns() map[string]bool {
	out := map[string]bool{}
	for _, camp := range d.campaigns() {
		if !fullRange(camp) {
			out[camp["id"].(string)] = true
		}
	}
	return out
}

func (d bucketingDoc) bytes(t *testing.T) []byte {
	t.Helper()
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (d bucketingDoc) write(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, d.bytes(t), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// engine is this SDK's bucketing engine on a file.
func engine(t *testing.T, d bucketingDoc) *bucketing.Engine {
	t.Helper()
	cfg, err := bucketing.ParseConfig(d.bytes(t))
	if err != nil {
		t.Fatal(err)
	}
	e := bucketing.NewEngine(bucketing.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.Update(cfg)
	return e
}

// triple is one assigned campaign: campaign, variation group, variation.
type triple struct{ Campaign, Group, Variation string }

// outcome is a decision reduced to what both SDKs expose: the assigned
// campaigns in order and the resulting flags (a later campaign wins a key).
type outcome struct {
	Campaigns []triple
	Flags     map[string]string // key -> canonical JSON value
}

// ours is our engine's decision. With dropNulls, flags whose value is null
// are left out of each campaign before a later campaign wins a key, as Go
// SDK v2 does in BUCKETING mode (flagship-common's response without
// exposeAllKeys).
func ours(t *testing.T, e *bucketing.Engine, id, anonymousID string, ctx map[string]any, dropNulls bool) outcome {
	t.Helper()
	d, err := e.Decide(context.Background(), decision.Request{VisitorID: id, AnonymousID: anonymousID, Context: ctx})
	if err != nil {
		t.Fatalf("our engine, visitor %q: %v", id, err)
	}
	o := outcome{Flags: map[string]string{}}
	for _, a := range d.Campaigns {
		o.Campaigns = append(o.Campaigns, triple{a.ID, a.VariationGroup.ID, a.Variation.ID})
		for k, v := range a.Variation.Modifications.Value {
			if v == nil && dropNulls {
				continue
			}
			o.Flags[k] = jsonString(v)
		}
	}
	return o
}

func jsonString(v any) string {
	b, err := json.Marshal(normalise(v))
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

// diff lists the campaigns on which two outcomes differ (present in one
// only, or with another group or variation), sorted.
func diffCampaigns(a, b []triple) []string {
	am, bm := map[string]triple{}, map[string]triple{}
	for _, x := range a {
		am[x.Campaign] = x
	}
	for _, x := range b {
		bm[x.Campaign] = x
	}
	set := map[string]bool{}
	for k, x := range am {
		if y, ok := bm[k]; !ok || x != y {
			set[k] = true
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			set[k] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

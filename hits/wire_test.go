package hits_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// testNow is the send time of every golden batch.
var testNow = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// golden compares got with testdata/<name>.golden, or rewrites the file
// when -update is set.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./hits -update to create it")
	assert.Equal(t, string(want), string(got))
}

// stamp makes a record of h for visitor/anonymous created age before
// testNow; the n-th record of a test gets a distinct id.
func stamp(t testing.TB, n int, visitor, anonymous string, age time.Duration, h hits.Hit) hits.Record {
	t.Helper()
	id := uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(n)})
	r, err := hits.NewRecord(id, "env_8h3k2", visitor, anonymous, testNow.Add(-age), h)
	require.NoError(t, err)
	return r
}

func allHitTypes(t testing.TB, visitor, anonymous string) []hits.Record {
	t.Helper()
	h := []hits.Hit{
		hits.Page{URL: "https://shop.example/checkout?step=2&coupon=<none>", Common: hits.Common{
			UserIP: "203.0.113.7", ScreenResolution: hits.Resolution(1920, 1080), Language: "fr-fr",
			SessionNumber: 3, SessionTimestamp: 1773500000,
		}},
		hits.Screen{Name: "Checkout \u2192 \"pay\""},
		hits.Transaction{
			ID: "#309830", Affiliation: "purchases", Revenue: 120.5, Shipping: 4.99, Tax: 1e21, Currency: "EUR",
			CouponCode: "SUMMER26", PaymentMethod: "card", ShippingMethod: "express", ItemCount: 3,
			Common: hits.Common{Language: "en-gb"},
		},
		hits.Item{
			TransactionID: "#309830", Name: "ATX2080", Code: "cg_atx_20802020", Price: 0.0000001, Quantity: 2,
			Category: "GPU", Common: hits.Common{UserIP: "2001:db8::1", ScreenResolution: "640x480", Language: "de",
				SessionNumber: 1, SessionTimestamp: 1773499000},
		},
		hits.Event{Category: hits.ActionTracking, Action: "add_to_cart", Label: "sku-12\n\t\u2028", Value: 3},
		hits.Segment{Context: map[string]any{"isVIP": true, "age": 31, "ratio": 1.5, "plan": "pro", "country": "gb"}},
		hits.Consent{Consented: true},
		hits.Consent{Consented: false},
	}
	recs := make([]hits.Record, len(h))
	for i := range h {
		recs[i] = stamp(t, i+1, visitor, anonymous, time.Duration(i+1)*time.Second+500*time.Millisecond, h[i])
	}
	return recs
}

func TestEventsBatchGolden(t *testing.T) {
	tests := []struct {
		name string
		give []hits.Record
	}{
		{name: "events_anonymous", give: allHitTypes(t, "anon-77", "")},
		{name: "events_authenticated", give: allHitTypes(t, "user-4242", "0c5e0a4e-6f39-4f1a-9a43-3b9f3f2d0a11")},
		{name: "events_empty", give: nil},
		{name: "events_escaping", give: []hits.Record{stamp(t, 1, "vis\"itor\\<1>", "", 0, hits.Event{
			Category: hits.UserEngagement, Action: "\x00\x1f\x7f \u00e9\u2029\U0001F600", Label: `</script>&amp;`,
		})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hits.AppendEventsBatch(nil, "env_8h3k2", tt.give, testNow)
			require.NoError(t, err)
			assert.True(t, json.Valid(got), "valid JSON: %s", got)
			golden(t, tt.name, got)
		})
	}
}

func TestActivationBatchGolden(t *testing.T) {
	act := hits.Activation{VariationGroupID: "vg_all", VariationID: "var_blue"}
	tests := []struct {
		name string
		give []hits.Record
	}{
		{name: "activation_with_aid", give: []hits.Record{
			stamp(t, 1, "user-4242", "0c5e0a4e-6f39-4f1a-9a43-3b9f3f2d0a11", 1830*time.Millisecond, act),
		}},
		{name: "activation_without_aid", give: []hits.Record{
			stamp(t, 1, "anon-77", "", 12*time.Millisecond, hits.Activation{VariationGroupID: "vg_t", VariationID: "var_on"}),
		}},
		{name: "activation_mixed", give: []hits.Record{
			stamp(t, 1, "user-4242", "anon-1", time.Hour, act),
			stamp(t, 2, "anon-77", "", 0, act),
			stamp(t, 3, "anon-78", "", -time.Second, act),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hits.AppendActivationBatch(nil, "env_8h3k2", tt.give, testNow)
			require.NoError(t, err)
			assert.True(t, json.Valid(got), "valid JSON: %s", got)
			golden(t, tt.name, got)
		})
	}
}

type eventsBody struct {
	Cid string          `json:"cid"`
	Ds  string          `json:"ds"`
	T   string          `json:"t"`
	Qt  int64           `json:"qt"`
	H   []eventsItemRaw `json:"h"`
}

type eventsItemRaw struct {
	T    string  `json:"t"`
	Vid  string  `json:"vid"`
	Cuid *string `json:"cuid"`
	Qt   int64   `json:"qt"`
	Dl   string  `json:"dl"`
	Ea   string  `json:"ea"`
	El   string  `json:"el"`
}

func decodeEvents(t testing.TB, body []byte) eventsBody {
	t.Helper()
	var got eventsBody
	require.NoError(t, json.Unmarshal(body, &got), "body: %s", body)
	return got
}

func TestEventsBatchVisitorIDs(t *testing.T) {
	customer := "user-4242"
	tests := []struct {
		name     string
		giveVID  string
		giveAnon string
		wantVID  string
		wantCUID *string
	}{
		{name: "anonymous visitor", giveVID: "anon-77", wantVID: "anon-77", wantCUID: nil},
		{name: "authenticated visitor", giveVID: customer, giveAnon: "anon-77", wantVID: "anon-77", wantCUID: &customer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := stamp(t, 1, tt.giveVID, tt.giveAnon, 0, validPage())
			body, err := hits.AppendEventsBatch(nil, "env_8h3k2", []hits.Record{r}, testNow)
			require.NoError(t, err)
			got := decodeEvents(t, body)
			assert.Equal(t, "env_8h3k2", got.Cid)
			assert.Equal(t, "APP", got.Ds)
			assert.Equal(t, "BATCH", got.T)
			require.Len(t, got.H, 1)
			assert.Equal(t, "PAGEVIEW", got.H[0].T)
			assert.Equal(t, tt.wantVID, got.H[0].Vid)
			assert.Equal(t, tt.wantCUID, got.H[0].Cuid)
		})
	}
}

func TestQueueTime(t *testing.T) {
	tests := []struct {
		name    string
		giveAge time.Duration
		want    int64
	}{
		{name: "created now", giveAge: 0, want: 0},
		{name: "created 1500ms ago", giveAge: 1500 * time.Millisecond, want: 1500},
		{name: "sub-millisecond truncated", giveAge: 1499*time.Millisecond + 999*time.Microsecond, want: 1499},
		{name: "created 4h ago", giveAge: 4 * time.Hour, want: 14_400_000},
		{name: "created in the future", giveAge: -time.Minute, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hit := stamp(t, 1, "v", "", tt.giveAge, validPage())
			events, err := hits.AppendEventsBatch(nil, "env_8h3k2", []hits.Record{hit}, testNow)
			require.NoError(t, err)
			got := decodeEvents(t, events)
			require.Len(t, got.H, 1)
			assert.Equal(t, tt.want, got.H[0].Qt)
			assert.Zero(t, got.Qt, "envelope qt")

			act := stamp(t, 1, "v", "", tt.giveAge, hits.Activation{VariationGroupID: "vg", VariationID: "v"})
			body, err := hits.AppendActivationBatch(nil, "env_8h3k2", []hits.Record{act}, testNow)
			require.NoError(t, err)
			var acts struct{ Batch []struct{ Qt int64 } }
			require.NoError(t, json.Unmarshal(body, &acts))
			require.Len(t, acts.Batch, 1)
			assert.Equal(t, tt.want, acts.Batch[0].Qt)
		})
	}
}

func TestQueueTimeRecomputedAtEachCall(t *testing.T) {
	recs := []hits.Record{stamp(t, 1, "v", "", 0, validPage())}
	first, err := hits.AppendEventsBatch(nil, "env_8h3k2", recs, testNow.Add(time.Second))
	require.NoError(t, err)
	retry, err := hits.AppendEventsBatch(nil, "env_8h3k2", recs, testNow.Add(3*time.Second))
	require.NoError(t, err)
	assert.Equal(t, int64(1000), decodeEvents(t, first).H[0].Qt)
	assert.Equal(t, int64(3000), decodeEvents(t, retry).H[0].Qt)
}

func TestAppendKeepsPrefix(t *testing.T) {
	page := stamp(t, 1, "v", "", 0, validPage())
	act := stamp(t, 2, "v", "", 0, hits.Activation{VariationGroupID: "vg", VariationID: "v"})
	events, err := hits.AppendEventsBatch([]byte("prefix:"), "env_8h3k2", []hits.Record{page}, testNow)
	require.NoError(t, err)
	assert.Equal(t, `prefix:{"cid":"env_8h3k2","ds":"APP","t":"BATCH","qt":0,"h":[`+
		`{"t":"PAGEVIEW","vid":"v","cuid":null,"qt":0,"dl":"https://shop.example/checkout"}]}`, string(events))
	acts, err := hits.AppendActivationBatch([]byte("prefix:"), "env_8h3k2", []hits.Record{act}, testNow)
	require.NoError(t, err)
	assert.Equal(t, `prefix:{"cid":"env_8h3k2","batch":[{"vid":"v","caid":"vg","vaid":"v","qt":0}]}`, string(acts))
}

// TestEventsBatchSplicesStoredFields: the fields members are spliced as
// they are stored. NewRecord writes them compact, so the stored forms with
// an empty object and with whitespace are crafted (with a valid checksum)
// and read with UnmarshalBinary.
func TestEventsBatchSplicesStoredFields(t *testing.T) {
	tests := []struct {
		name       string
		giveFields string
		want       string
	}{
		{name: "empty object", giveFields: `{}`, want: `{"t":"PAGEVIEW","vid":"v","cuid":null,"qt":0}`},
		{name: "whitespace", giveFields: "{\"dl\" : \"https://x\" ,\n\"sn\":2}",
			want: `{"t":"PAGEVIEW","vid":"v","cuid":null,"qt":0,"dl" : "https://x" ,` + "\n" + `"sn":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := pageForm()
			f.env, f.vid, f.created, f.fields = "e", "v", testNow.UnixNano(), tt.giveFields
			r := fromForm(t, f)
			assert.Equal(t, tt.giveFields, string(r.Fields()))
			got, err := hits.AppendEventsBatch(nil, "e", []hits.Record{r}, testNow)
			require.NoError(t, err)
			assert.True(t, json.Valid(got))
			assert.Equal(t, `{"cid":"e","ds":"APP","t":"BATCH","qt":0,"h":[`+tt.want+`]}`, string(got))
		})
	}
}

// stampEnv is stamp for environment env.
func stampEnv(t testing.TB, n int, env string, h hits.Hit) hits.Record {
	t.Helper()
	r, err := hits.NewRecord(uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(n)}), env, "v", "", testNow, h)
	require.NoError(t, err)
	return r
}

func TestBatchErrors(t *testing.T) {
	page := stamp(t, 1, "v", "", 0, validPage())
	consent := stamp(t, 2, "v", "", 0, hits.Consent{Consented: true})
	act := stamp(t, 3, "v", "", 0, hits.Activation{VariationGroupID: "vg", VariationID: "v"})
	append2 := func(env string, recs ...hits.Record) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return hits.AppendEventsBatch(b, env, recs, testNow) }
	}
	appendAct := func(env string, recs ...hits.Record) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) { return hits.AppendActivationBatch(b, env, recs, testNow) }
	}
	tests := []struct {
		name    string
		give    func([]byte) ([]byte, error)
		wantErr string
	}{
		{name: "events empty env", give: append2("", page), wantErr: "envID must not be empty"},
		{name: "events activation record", give: append2("env_8h3k2", page, act),
			wantErr: "recs[1]: Kind activation does not belong in an events batch"},
		{name: "events other env", give: append2("env_8h3k2", consent, stampEnv(t, 4, "other", validPage())),
			wantErr: `recs[1]: EnvID "other" is not the batch's "env_8h3k2"`},
		{name: "events zero record", give: append2("env_8h3k2", hits.Record{}), wantErr: "recs[0]: the zero Record"},
		{name: "events zero record after valid ones", give: append2("env_8h3k2", page, consent, hits.Record{}),
			wantErr: "recs[2]: the zero Record"},
		{name: "events invalid UTF-8 env", give: append2(badUTF8), wantErr: "envID must be valid UTF-8"},
		{name: "activation empty env", give: appendAct("", act), wantErr: "envID must not be empty"},
		{name: "activation invalid UTF-8 env", give: appendAct(badUTF8), wantErr: "envID must be valid UTF-8"},
		{name: "activation hit record", give: appendAct("env_8h3k2", act, page),
			wantErr: "recs[1]: Kind hit does not belong in an activation batch"},
		{name: "activation consent record", give: appendAct("env_8h3k2", consent),
			wantErr: "recs[0]: Kind consent does not belong in an activation batch"},
		{name: "activation other env", give: appendAct("other", act), wantErr: `recs[0]: EnvID "env_8h3k2" is not the batch's "other"`},
		{name: "activation zero record", give: appendAct("env_8h3k2", hits.Record{}), wantErr: "recs[0]: the zero Record"},
		{name: "activation zero record after a valid one", give: appendAct("env_8h3k2", act, hits.Record{}),
			wantErr: "recs[1]: the zero Record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := []byte("keep")
			got, err := tt.give(prefix)
			assert.ErrorIs(t, err, hits.ErrInvalidRecord)
			assert.EqualError(t, err, "hits: invalid record: "+tt.wantErr)
			assert.Equal(t, "keep", string(got), "b is returned with its original length")
		})
	}
}

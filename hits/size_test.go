package hits_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// TestWireSize: WireSize is the size of the body that carries the record
// alone, with the widest queue time any later send can have (13 digits),
// and 12 bytes more than the body sent at once (qt 0).
func TestWireSize(t *testing.T) {
	tests := []struct {
		name     string
		giveEnv  string
		giveVid  string
		giveAnon string
		giveHit  hits.Hit
	}{
		{name: "page", giveEnv: "env", giveVid: "v-1", giveHit: validPage()},
		{name: "authenticated event", giveEnv: "env", giveVid: "user-42", giveAnon: "anon-1",
			giveHit: hits.Event{Category: hits.ActionTracking, Action: "checkout", Label: "a\"b\\c", Value: 3}},
		{name: "escapes in every string", giveEnv: "env\u2028", giveVid: "v\x01\"é", giveAnon: "a\t日本",
			giveHit: hits.Transaction{ID: "T<1>&", Affiliation: "shop\n", Revenue: 12.5}},
		{name: "consent", giveEnv: "env", giveVid: "v", giveHit: hits.Consent{Consented: true}},
		{name: "segment", giveEnv: "env", giveVid: "v", giveHit: hits.Segment{Context: map[string]any{"plan": "gold", "age": 31.0, "vip": true}}},
		{name: "activation", giveEnv: "env", giveVid: "v", giveHit: hits.Activation{VariationGroupID: "vg\"1", VariationID: "var"}},
		{name: "authenticated activation", giveEnv: "env", giveVid: "user", giveAnon: "anon\x7f",
			giveHit: hits.Activation{VariationGroupID: "vg", VariationID: "var"}},
		{name: "longest ids", giveEnv: "env", giveVid: strings.Repeat("\x01", hits.MaxVisitorIDBytes), giveAnon: strings.Repeat("é", hits.MaxVisitorIDBytes/2),
			giveHit: hits.Screen{Name: "home"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := hits.NewRecord(testID, tt.giveEnv, tt.giveVid, tt.giveAnon, testCreated, tt.giveHit)
			require.NoError(t, err)
			encode := hits.AppendEventsBatch
			if r.Kind() == hits.KindActivation {
				encode = hits.AppendActivationBatch
			}
			widest, err := encode(nil, tt.giveEnv, []hits.Record{r}, testCreated.Add(math.MaxInt64))
			require.NoError(t, err)
			assert.Contains(t, string(widest), `"qt":9223372036854`)
			now, err := encode(nil, tt.giveEnv, []hits.Record{r}, testCreated)
			require.NoError(t, err)
			assert.Equal(t, len(widest), r.WireSize())
			assert.Equal(t, len(now)+12, r.WireSize())
		})
	}
}

func TestWireSizeZeroRecord(t *testing.T) {
	assert.Zero(t, hits.Record{}.WireSize())
}

// TestNewRecordIDsAtLimit: ids of exactly MaxVisitorIDBytes are taken.
func TestNewRecordIDsAtLimit(t *testing.T) {
	id := strings.Repeat("é", hits.MaxVisitorIDBytes/2)
	r, err := hits.NewRecord(testID, "env", id, id, time.Now(), validPage())
	require.NoError(t, err)
	assert.Equal(t, id, r.VisitorID())
	assert.Equal(t, id, r.AnonymousID())
}

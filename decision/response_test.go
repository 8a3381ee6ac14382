package decision_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/decision"
)

// TestDecide_badResponse checks that a 2xx answer that is not a campaigns
// document fails with ErrBadResponse and a message in the protocol's
// terms: the JSON path and JSON types, never the Go types it is decoded
// into (such as wireResponse.campaigns or []*decision.wireCampaign).
func TestDecide_badResponse(t *testing.T) {
	tests := []struct {
		name     string
		giveBody string
		want     string
	}{
		{
			name: "empty body", giveBody: ``,
			want: `decision: bad response: invalid JSON at byte 0: unexpected end of JSON input`,
		},
		{
			name: "truncated", giveBody: `{"campaigns":[`,
			want: `decision: bad response: invalid JSON at byte 14: unexpected end of JSON input`,
		},
		{
			name: "not json", giveBody: `<html></html>`,
			want: `decision: bad response: invalid JSON at byte 1: invalid character '<' looking for beginning of value`,
		},
		{
			name: "trailing garbage", giveBody: `{"campaigns":[]} x`,
			want: `decision: bad response: invalid JSON at byte 18: invalid character 'x' after top-level value`,
		},
		{
			name: "null", giveBody: `null`,
			want: `decision: bad response: the body must be a JSON object, got null`,
		},
		{
			name: "array", giveBody: `[]`,
			want: `decision: bad response: the body must be a JSON object, got an array`,
		},
		{
			name: "campaigns is a string", giveBody: `{"campaigns":"x"}`,
			want: `decision: bad response: "campaigns" must be an array, got a string`,
		},
		{
			name: "panic is a string", giveBody: `{"campaigns":[],"panic":"yes"}`,
			want: `decision: bad response: "panic" must be a boolean, got a string`,
		},
		{
			name: "campaign is a number", giveBody: `{"campaigns":[null,{"id":"c1"},7]}`,
			want: `decision: bad response: "campaigns[2]" must be an object, got a number`,
		},
		{
			name: "id is a number", giveBody: `{"campaigns":[{"id":7}]}`,
			want: `decision: bad response: "campaigns[0].id" must be a string, got a number`,
		},
		{
			name: "variation is a string", giveBody: `{"campaigns":[{"id":"c1","variation":"v"}]}`,
			want: `decision: bad response: "campaigns[0].variation" must be an object, got a string`,
		},
		{
			name: "reference is a number", giveBody: `{"campaigns":[{"variation":{"reference":1}}]}`,
			want: `decision: bad response: "campaigns[0].variation.reference" must be a boolean, got a number`,
		},
		{
			name: "flag values are an array", giveBody: `{"campaigns":[{},{"variation":{"modifications":{"value":[1]}}}]}`,
			want: `decision: bad response: "campaigns[1].variation.modifications.value" must be an object, got an array`,
		},
		{
			name: "a bad campaign in panic mode", giveBody: `{"campaigns":[true],"panic":true}`,
			want: `decision: bad response: "campaigns[0]" must be an object, got a boolean`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, http.StatusOK, tt.giveBody)
			c := newClient(t, api.URL, decision.APIOptions{})

			got, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			require.ErrorIs(t, err, decision.ErrBadResponse)
			assert.EqualError(t, err, tt.want)
			assert.Zero(t, got)
		})
	}
}

// TestDecide_lenientResponse checks what parsing accepts: null campaign
// entries are skipped, null strings read as "", unknown fields are
// ignored, and a panic answer drops its campaigns.
func TestDecide_lenientResponse(t *testing.T) {
	tests := []struct {
		name     string
		giveBody string
		want     decision.Decision
	}{
		{
			name: "null entries and strings", giveBody: `{"campaigns":[null,{"id":"c1","slug":null,"extra":[1]}],"other":{}}`,
			want: decision.Decision{VisitorID: "v1", Campaigns: []decision.Assignment{{
				Campaign: &decision.Campaign{ID: "c1", Variation: decision.Variation{Modifications: decision.NewModifications("", nil)}},
				Reason:   decision.Reason{Kind: decision.ReasonRemote, Bucket: -1},
			}}},
		},
		{
			name: "panic", giveBody: `{"campaigns":[{"id":"c1"}],"panic":true}`,
			want: decision.Decision{VisitorID: "v1", Panic: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newFakeAPI(t, http.StatusOK, tt.giveBody)
			c := newClient(t, api.URL, decision.APIOptions{})

			got, err := c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestAPIError_keyRedactedAsAToken checks that the API key is removed from
// a server message where it stands as a token, and nowhere else: with a
// one-letter key, the words containing that letter are left whole.
func TestAPIError_keyRedactedAsAToken(t *testing.T) {
	tests := []struct {
		name        string
		giveKey     string
		giveMessage string
		want        string
	}{
		{name: "short key inside words", giveKey: "k", giveMessage: "unknown environment id", want: "unknown environment id"},
		{name: "short key as a word", giveKey: "k", giveMessage: "unknown key k for env", want: "unknown key REDACTED for env"},
		{name: "short key quoted", giveKey: "k", giveMessage: `key "k" is not known`, want: `key "REDACTED" is not known`},
		{name: "short key after =", giveKey: "k", giveMessage: "invalid x-api-key=k.", want: "invalid x-api-key=REDACTED."},
		{name: "the whole message", giveKey: "k", giveMessage: "k", want: "REDACTED"},
		{name: "every occurrence", giveKey: "k", giveMessage: "k, kk, k", want: "REDACTED, kk, REDACTED"},
		{name: "long key", giveKey: testKey, giveMessage: "invalid key " + testKey + ": unknown", want: "invalid key REDACTED: unknown"},
		{name: "short key beside token characters", giveKey: "k", giveMessage: "k_2 k-2 k2 2k", want: "k_2 k-2 k2 2k"},
		{name: "key beside non-ASCII letters", giveKey: "k", giveMessage: "ék k é", want: "ék REDACTED é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]string{"message": tt.giveMessage})
			require.NoError(t, err)
			api := newFakeAPI(t, http.StatusUnauthorized, string(body))
			c, err := decision.NewAPIClient("env_1", tt.giveKey, decision.APIOptions{BaseURL: api.URL})
			require.NoError(t, err)
			t.Cleanup(c.Close)

			_, err = c.Decide(t.Context(), decision.Request{VisitorID: "v1"})
			var apiErr *decision.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.want, apiErr.Message)
		})
	}
}

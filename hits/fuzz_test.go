package hits_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/hits"
)

// FuzzEventsBatch feeds arbitrary strings into the string fields of a Page
// and an Event and into the visitor ids, and checks that every accepted
// hit encodes to valid JSON that decodes back to the same strings.
// Inputs that validation rejects (invalid UTF-8, a URL that does not
// parse, an overlong field) are skipped.
func FuzzEventsBatch(f *testing.F) {
	f.Add("visitor", "", "checkout?a=1&b=2", "add_to_cart", "sku-12")
	f.Add("user-4242", "anon-77", "caf\u00e9/\u2028", "\"quoted\" \\ <tag>", "\x00\x1f\t\n")
	f.Add("\U0001F600", "\u2029", "%zz", "a", "")
	now := time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	f.Fuzz(func(t *testing.T, visitor, anonymous, path, action, label string) {
		page := hits.Page{URL: "https://shop.example/" + path}
		event := hits.Event{Category: hits.ActionTracking, Action: action, Label: label}
		var recs []hits.Record
		for i, h := range []hits.Hit{page, event} {
			r, err := hits.NewRecord(uuid.New(), "env", visitor, anonymous, now.Add(-time.Duration(i)*time.Millisecond), h)
			if err != nil {
				// Only the documented kinds of error.
				assert.True(t, errors.Is(err, hits.ErrInvalidHit) || errors.Is(err, hits.ErrInvalidRecord), "%v", err)
				return
			}
			recs = append(recs, r)
		}
		body, err := hits.AppendEventsBatch(nil, "env", recs, now)
		require.NoError(t, err)
		require.True(t, json.Valid(body), "invalid JSON: %q", body)

		var got struct {
			H []struct {
				T    string  `json:"t"`
				Vid  string  `json:"vid"`
				Cuid *string `json:"cuid"`
				Qt   int64   `json:"qt"`
				Dl   *string `json:"dl"`
				Ea   *string `json:"ea"`
				El   *string `json:"el"`
			} `json:"h"`
		}
		require.NoError(t, json.Unmarshal(body, &got))
		require.Len(t, got.H, 2)
		wantVID, wantCUID := visitor, (*string)(nil)
		if anonymous != "" {
			wantVID, wantCUID = anonymous, &visitor
		}
		for i, it := range got.H {
			assert.Equal(t, wantVID, it.Vid)
			assert.Equal(t, wantCUID, it.Cuid)
			assert.Equal(t, int64(i), it.Qt)
		}
		require.NotNil(t, got.H[0].Dl)
		assert.Equal(t, page.URL, *got.H[0].Dl)
		require.NotNil(t, got.H[1].Ea)
		assert.Equal(t, action, *got.H[1].Ea)
		wantLabel := &label
		if label == "" {
			wantLabel = nil // omitted when empty
		}
		assert.Equal(t, wantLabel, got.H[1].El)
	})
}

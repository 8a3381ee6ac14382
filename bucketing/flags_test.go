package bucketing_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// flagsFile is a file with two campaigns: c1 sets color and size, c2 sets
// size and promo.
func flagsFile(color, promoRule string) string {
	return `{"campaigns":[` +
		`{"id":"c1","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg1",` +
		`"targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},` +
		`"variations":[{"id":"v1","modifications":{"type":"FLAG","value":{"color":"` + color + `","size":1}},"allocation":100}]}]},` +
		`{"id":"c2","type":"toggle","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg2",` +
		`"targeting":{"targetingGroups":[{"targetings":[{"key":"plan","operator":"EQUALS","value":"` + promoRule + `"}]}]},` +
		`"variations":[{"id":"v2","modifications":{"type":"FLAG","value":{"promo":true,"size":2}},"allocation":100}]}]}]}`
}

func TestFlagKeys(t *testing.T) {
	c := mustConfig(t, flagsFile("blue", "gold"))
	assert.Equal(t, []string{"color", "promo", "size"}, c.FlagKeys())
	assert.True(t, c.HasFlag("promo"))
	assert.False(t, c.HasFlag("nope"))
}

// TestChangedFlags: a key changes when a campaign setting it changes in
// any way (value, targeting), and only then.
func TestChangedFlags(t *testing.T) {
	base := mustConfig(t, flagsFile("blue", "gold"))
	assert.Equal(t, []string{"color", "promo", "size"}, bucketing.ChangedFlags(nil, base), "a first file changes every key")
	assert.Empty(t, bucketing.ChangedFlags(base, mustConfig(t, flagsFile("blue", "gold"))), "the same file changes nothing")
	assert.Equal(t, []string{"color", "size"}, bucketing.ChangedFlags(base, mustConfig(t, flagsFile("red", "gold"))),
		"a value of c1 changes the keys c1 sets")
	assert.Equal(t, []string{"promo", "size"}, bucketing.ChangedFlags(base, mustConfig(t, flagsFile("blue", "silver"))),
		"c2's targeting changes the keys c2 sets")
	only := mustConfig(t, strings.Replace(smallFile, `"color"`, `"shade"`, 1))
	assert.Equal(t, []string{"color", "promo", "shade", "size"}, bucketing.ChangedFlags(base, only), "keys gone and keys new")
	assert.Equal(t, []string{"color", "promo", "size"}, bucketing.ChangedFlags(base, nil))
}

// TestStartFetch: every download is bracketed by StartFetch, runs under
// the context it returns, and ends with its status and whether it
// changed the file.
func TestStartFetch(t *testing.T) {
	type key struct{}
	cdn := newCDN(t, []byte(smallFile), "", `"e1"`)
	var results []bucketing.FetchResult
	var underCtx int
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if r.Context().Value(key{}) != nil {
				underCtx++
			}
			return http.DefaultTransport.RoundTrip(r)
		})},
		StartFetch: func(ctx context.Context) (context.Context, func(bucketing.FetchResult)) {
			return context.WithValue(ctx, key{}, true), func(r bucketing.FetchResult) { results = append(results, r) }
		},
	}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	_, err = p.Fetch(t.Context())
	require.NoError(t, err)
	cdn.mu.Lock()
	cdn.status = 503
	cdn.mu.Unlock()
	_, err = p.Fetch(t.Context())
	require.Error(t, err)
	require.Len(t, results, 3)
	assert.Equal(t, bucketing.FetchResult{StatusCode: 200, Changed: true}, results[0])
	assert.Equal(t, bucketing.FetchResult{StatusCode: 304}, results[1])
	assert.Equal(t, 503, results[2].StatusCode)
	assert.ErrorIs(t, results[2].Err, bucketing.ErrFetch)
	assert.Equal(t, 3, underCtx)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

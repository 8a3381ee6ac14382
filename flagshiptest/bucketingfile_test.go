package flagshiptest_test

import (
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBucketingFile(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 300e6, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)), flagshiptest.WithClock(clock.now))
	got := do(t, s, "GET", bucketingPath(), "")
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, specFile, got.body, "served byte for byte")
	assert.Equal(t, "application/json", got.header.Get("Content-Type"))
	assert.Equal(t, "Thu, 01 May 2025 10:00:00 GMT", got.header.Get("Last-Modified"))
	etag := got.header.Get("ETag")
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, etag)

	head := do(t, s, "HEAD", bucketingPath(), "")
	assert.Equal(t, http.StatusOK, head.status)
	assert.Empty(t, head.body)
	assert.Equal(t, etag, head.header.Get("ETag"))

	assert.Equal(t, 2, s.BucketingRequests())
}

func TestBucketingConditional(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)), flagshiptest.WithClock(clock.now))
	first := do(t, s, "GET", bucketingPath(), "")
	lm, etag := first.header.Get("Last-Modified"), first.header.Get("ETag")
	tests := []struct {
		name        string
		giveHeaders []string
		wantStatus  int
	}{
		{name: "If-Modified-Since same", giveHeaders: []string{"If-Modified-Since: " + lm}, wantStatus: 304},
		{name: "If-Modified-Since later", giveHeaders: []string{"If-Modified-Since: Thu, 01 May 2025 11:00:00 GMT"}, wantStatus: 304},
		{name: "If-Modified-Since earlier", giveHeaders: []string{"If-Modified-Since: Thu, 01 May 2025 09:59:59 GMT"}, wantStatus: 200},
		{name: "If-Modified-Since garbage", giveHeaders: []string{"If-Modified-Since: yesterday"}, wantStatus: 200},
		{name: "If-None-Match", giveHeaders: []string{"If-None-Match: " + etag}, wantStatus: 304},
		{name: "If-None-Match weak", giveHeaders: []string{"If-None-Match: W/" + etag}, wantStatus: 304},
		{name: "If-None-Match list", giveHeaders: []string{`If-None-Match: "other", ` + etag}, wantStatus: 304},
		{name: "If-None-Match star", giveHeaders: []string{"If-None-Match: *"}, wantStatus: 304},
		{name: "If-None-Match other", giveHeaders: []string{`If-None-Match: "other"`}, wantStatus: 200},
		{name: "If-None-Match wins", giveHeaders: []string{`If-None-Match: "other"`, "If-Modified-Since: " + lm}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := do(t, s, "GET", bucketingPath(), "", tt.giveHeaders...)
			assert.Equal(t, tt.wantStatus, got.status)
			assert.Equal(t, lm, got.header.Get("Last-Modified"))
			assert.Equal(t, etag, got.header.Get("ETag"))
			if tt.wantStatus == http.StatusNotModified {
				assert.Empty(t, got.body)
			}
		})
	}
	assert.Equal(t, 1+len(tests), s.BucketingRequests())
}

func TestBucketingChanges(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(flagshiptest.Toggle("t1", map[string]any{"on": true})),
		flagshiptest.WithClock(clock.now))
	first := do(t, s, "GET", bucketingPath(), "")
	lm0 := first.header.Get("Last-Modified")

	// A change within the same second still moves Last-Modified.
	s.SetCampaigns(flagshiptest.Toggle("t2", map[string]any{"on": false}))
	second := do(t, s, "GET", bucketingPath(), "", "If-Modified-Since: "+lm0)
	require.Equal(t, http.StatusOK, second.status)
	assert.Equal(t, "Thu, 01 May 2025 10:00:01 GMT", second.header.Get("Last-Modified"))
	assert.NotEqual(t, first.header.Get("ETag"), second.header.Get("ETag"))
	f, err := bucketing.Parse([]byte(second.body))
	require.NoError(t, err)
	require.Len(t, f.Campaigns, 1)
	assert.Equal(t, "t2", f.Campaigns[0].ID)

	// Decisions follow.
	got := post(t, s, decisionPath(), `{"visitorId":"v","trigger_hit":false}`)
	assert.Contains(t, got.body, `"id":"t2"`)
	assert.Contains(t, got.body, `"value":{"on":false}`)

	// The same content changes nothing.
	clock.add(time.Hour)
	s.SetCampaigns(flagshiptest.Toggle("t2", map[string]any{"on": false}))
	third := do(t, s, "GET", bucketingPath(), "")
	assert.Equal(t, second.header.Get("Last-Modified"), third.header.Get("Last-Modified"))
	assert.Equal(t, second.header.Get("ETag"), third.header.Get("ETag"))

	// A later change takes the clock's time.
	require.NoError(t, s.SetBucketingFile([]byte(specFile)))
	fourth := do(t, s, "GET", bucketingPath(), "")
	assert.Equal(t, "Thu, 01 May 2025 11:00:00 GMT", fourth.header.Get("Last-Modified"))
	assert.Equal(t, specFile, fourth.body)
}

func TestBucketingInvalidFileKept(t *testing.T) {
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile([]byte(specFile)))
	before := do(t, s, "GET", bucketingPath(), "")
	err := s.SetBucketingFile([]byte(`{"campaigns":[{"id":"c","variationGroups":[{"id":"vg","variations":[{"id":"v","allocation":33.5}]}]}]}`))
	require.ErrorIs(t, err, flagshiptest.ErrInvalidOptions)
	require.ErrorIs(t, err, bucketing.ErrInvalidFile)
	assert.Contains(t, err.Error(), "campaigns[0].variationGroups[0].variations[0].allocation: not an integer")
	after := do(t, s, "GET", bucketingPath(), "")
	assert.Equal(t, before.body, after.body)
	assert.Equal(t, before.header.Get("Last-Modified"), after.header.Get("Last-Modified"))
}

func TestBucketingPanic(t *testing.T) {
	file, err := os.ReadFile(filepath.Join(vectorsDir, "bucketing.json"))
	require.NoError(t, err)
	clock := &fakeClock{t: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)}
	s := flagshiptest.NewServer(t, flagshiptest.WithBucketingFile(file), flagshiptest.WithClock(clock.now))
	normal := do(t, s, "GET", bucketingPath(), "")

	s.SetPanic(true)
	panicked := do(t, s, "GET", bucketingPath(), "", "If-None-Match: "+normal.header.Get("ETag"))
	require.Equal(t, http.StatusOK, panicked.status)
	assert.NotEqual(t, normal.header.Get("Last-Modified"), panicked.header.Get("Last-Modified"))
	want, err := bucketing.Parse(file)
	require.NoError(t, err)
	want.Panic = true
	got, err := bucketing.Parse([]byte(panicked.body))
	require.NoError(t, err)
	assert.Equal(t, want, got, "the panic file is the same file with panic on")
	assert.Contains(t, panicked.body, `"accountSettings":{`)

	s.SetPanic(false)
	back := do(t, s, "GET", bucketingPath(), "")
	assert.Equal(t, string(file), back.body)
	assert.Equal(t, normal.header.Get("ETag"), back.header.Get("ETag"))
	assert.NotEqual(t, panicked.header.Get("Last-Modified"), back.header.Get("Last-Modified"))
}

func TestBucketingUnknownEnv(t *testing.T) {
	s := flagshiptest.NewServer(t)
	got := do(t, s, "GET", "/env_other/bucketing.json", "")
	assert.Equal(t, http.StatusNotFound, got.status)
	assertMessage(t, got.body, `unknown environment id "env_other"`)
	assert.Equal(t, http.StatusNotFound, do(t, s, "GET", "/bucketing.json", "").status)
	assert.Equal(t, http.StatusNotFound, do(t, s, "GET", "/a/b/bucketing.json", "").status)
	assert.Zero(t, s.BucketingRequests())
}

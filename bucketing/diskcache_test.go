package bucketing_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/decision"
)

// variationOf returns the variation id a visitor gets from e's first
// campaign, or "".
func variationOf(t testing.TB, e *bucketing.Engine) string {
	t.Helper()
	d, err := e.Decide(t.Context(), decision.Request{VisitorID: "visitor-1"})
	require.NoError(t, err)
	if len(d.Campaigns) == 0 {
		return ""
	}
	return d.Campaigns[0].Variation.ID
}

// readCacheFile decodes the cache file at path.
func readCacheFile(t testing.TB, path string) (version int, lastModified, etag string, data json.RawMessage) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var c struct {
		Version      int             `json:"version"`
		LastModified string          `json:"lastModified"`
		ETag         string          `json:"etag"`
		Data         json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &c))
	return c.Version, c.LastModified, c.ETag, c.Data
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestLoadCacheMissing(t *testing.T) {
	tests := []struct {
		name      string
		givePath  string
		wantFound bool
	}{
		{name: "no cache path", givePath: ""},
		{name: "no cache file", givePath: filepath.Join(t.TempDir(), "none", "bucketing.json")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p, e := newPoller(t, nil, bucketing.PollerOptions{URL: "http://127.0.0.1:1/b.json", CachePath: tt.givePath}, rec)
			found, err := p.LoadCache(t.Context())
			require.NoError(t, err)
			assert.Equal(t, tt.wantFound, found)
			assert.Nil(t, e.Config())
			updates, errs := rec.snapshot()
			assert.Empty(t, updates)
			assert.Empty(t, errs)
		})
	}
}

func TestLoadCacheCorrupt(t *testing.T) {
	schemaFail := strings.Replace(smallFile, `"allocation":100`, `"allocation":"abc"`, 1)
	tests := []struct {
		name   string
		give   string
		wantIs []error
	}{
		{name: "empty", give: "", wantIs: []error{bucketing.ErrCache}},
		{name: "truncated", give: `{"version":1,"data":` + smallFile[:40], wantIs: []error{bucketing.ErrCache}},
		{name: "not an object", give: `[1]`, wantIs: []error{bucketing.ErrCache}},
		{name: "no version", give: `{"data":` + smallFile + `}`, wantIs: []error{bucketing.ErrCache}},
		{name: "future version", give: `{"version":2,"data":` + smallFile + `}`, wantIs: []error{bucketing.ErrCache}},
		{name: "no data", give: `{"version":1,"etag":"x"}`, wantIs: []error{bucketing.ErrCache}},
		{name: "null data", give: `{"version":1,"data":null}`, wantIs: []error{bucketing.ErrCache}},
		{name: "data not a file", give: `{"version":1,"data":"x"}`, wantIs: []error{bucketing.ErrCache, bucketing.ErrInvalidFile}},
		{name: "invalid file", give: `{"version":1,"data":` + schemaFail + `}`, wantIs: []error{bucketing.ErrCache, bucketing.ErrInvalidFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bucketing.json")
			require.NoError(t, os.WriteFile(path, []byte(tt.give), 0o600))
			rec := &recorder{}
			p, e := newPoller(t, nil, bucketing.PollerOptions{URL: "http://127.0.0.1:1/b.json", CachePath: path}, rec)
			prev := mustConfig(t, smallFile)
			e.Update(prev)

			found, err := p.LoadCache(t.Context())
			assert.False(t, found)
			for _, target := range tt.wantIs {
				assert.ErrorIs(t, err, target)
			}
			assert.Same(t, prev, e.Config(), "the engine keeps what it had")
			lastModified, etag := p.Validators()
			assert.Empty(t, lastModified+etag)
			updates, _ := rec.snapshot()
			assert.Empty(t, updates)
		})
	}
}

func TestLoadCacheThenNotModified(t *testing.T) {
	checkLeaks(t)
	const lastModified = "Mon, 02 Mar 2026 10:00:00 GMT"
	cdn := newCDN(t, []byte(smallFile), lastModified, `"e1"`)
	path := filepath.Join(t.TempDir(), "bucketing.json")
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)

	// Restart: the validators come back from the cache file.
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, rec)
	found, err := p.LoadCache(t.Context())
	require.NoError(t, err)
	require.True(t, found)
	cfg := e.Config()
	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)
	assert.Equal(t, `"e1"`, cdn.last().Get("If-None-Match"))
	assert.Equal(t, lastModified, cdn.last().Get("If-Modified-Since"))
	assert.Same(t, cfg, e.Config())
	updates, errs := rec.snapshot()
	assert.Empty(t, errs)
	require.Len(t, updates, 1)
	assert.Equal(t, bucketing.Update{Source: bucketing.SourceDisk, Config: cfg, LastModified: lastModified, ETag: `"e1"`, Bytes: len(smallFile)}, updates[0])
}

func TestLoadCacheNeverReplacesDownload(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	path := filepath.Join(t.TempDir(), "bucketing.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"version":1,"data":{"panic":true}}`), 0o600))
	rec := &recorder{}
	p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: filepath.Join(t.TempDir(), "other.json")}, rec)
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	cfg := e.Config()

	p2, err := bucketing.NewPoller(e, bucketing.PollerOptions{URL: cdn.URL(), CachePath: path})
	require.NoError(t, err)
	_, err = p2.Fetch(t.Context())
	require.NoError(t, err)
	found, err := p2.LoadCache(t.Context())
	require.NoError(t, err)
	assert.False(t, found)
	assert.False(t, e.Config().Panic())
	assert.NotSame(t, cfg, e.Config(), "p2 installed its own download")
}

func TestCacheHoldsServedBytes(t *testing.T) {
	checkLeaks(t)
	file := append(vectorsFile(t), "\n"...) // indented, HTML-free JSON, trailing newline
	cdn := newCDN(t, file, "Tue, 03 Mar 2026 10:00:00 GMT", `W/"<&>"`)
	path := filepath.Join(t.TempDir(), "bucketing.json")
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)

	version, lastModified, etag, data := readCacheFile(t, path)
	assert.Equal(t, 1, version)
	assert.Equal(t, "Tue, 03 Mar 2026 10:00:00 GMT", lastModified)
	assert.Equal(t, `W/"<&>"`, etag)
	assert.Equal(t, string(bytes.TrimSpace(file)), string(data))
}

func TestCacheAtomicWrite(t *testing.T) {
	checkLeaks(t)
	v2 := strings.Replace(smallFile, `"id":"v1"`, `"id":"v2"`, 1)
	cdn := newCDN(t, []byte(smallFile), "", `"1"`)
	dir := t.TempDir()
	path := filepath.Join(dir, "bucketing.json")
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, &recorder{})
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"bucketing.json"}, dirNames(t, dir), "no temporary file remains")

	// A crash after writing part of v2's temporary file, before the rename.
	leftover := filepath.Join(dir, "bucketing.json.4242.tmp")
	partial := `{"version":1,"lastModified":"","etag":"\"2\"","data":` + v2[:len(v2)/2]
	require.NoError(t, os.WriteFile(leftover, []byte(partial), 0o600))

	cdn.srv.Close()
	p, e := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, &recorder{})
	found, err := p.LoadCache(t.Context())
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, "v1", variationOf(t, e), "the old cache is intact")

	// The next successful download replaces the cache atomically again.
	cdn2 := newCDN(t, []byte(v2), "", `"2"`)
	p, e = newPoller(t, cdn2, bucketing.PollerOptions{CachePath: path}, &recorder{})
	_, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "v2", variationOf(t, e))
	assert.Equal(t, []string{"bucketing.json", "bucketing.json.4242.tmp"}, dirNames(t, dir))
	_, _, etag, _ := readCacheFile(t, path)
	assert.Equal(t, `"2"`, etag)
}

func TestCacheRewrittenWhenOnlyValidatorsChange(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", `"a"`)
	path := filepath.Join(t.TempDir(), "bucketing.json")
	rec := &recorder{}
	p, _ := newPoller(t, cdn, bucketing.PollerOptions{CachePath: path}, rec)
	_, err := p.Fetch(t.Context())
	require.NoError(t, err)

	cdn.set([]byte(smallFile), "", `"b"`, 0)
	changed, err := p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed, "same bytes, new ETag")
	_, etag := p.Validators()
	assert.Equal(t, `"b"`, etag)
	_, _, etag, _ = readCacheFile(t, path)
	assert.Equal(t, `"b"`, etag)
	updates, _ := rec.snapshot()
	assert.Len(t, updates, 1)
}

func TestCacheWriteFailureKeepsDownload(t *testing.T) {
	checkLeaks(t)
	cdn := newCDN(t, []byte(smallFile), "", "")
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	rec := &recorder{}
	var logs bytes.Buffer
	p, e := newPoller(t, cdn, bucketing.PollerOptions{
		CachePath: filepath.Join(notADir, "bucketing.json"),
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
		Header:    http.Header{"X-Api-Key": {secretKey}},
	}, rec)
	changed, err := p.Fetch(t.Context())
	require.NoError(t, err, "the download is in use; the cache failure goes to OnError")
	assert.True(t, changed)
	assert.NotNil(t, e.Config())
	updates, errs := rec.snapshot()
	assert.Len(t, updates, 1)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], bucketing.ErrCache)
	assert.Contains(t, logs.String(), "level=WARN")
	assert.NotContains(t, logs.String(), secretKey)

	// The write is retried with the next download of the same file.
	require.NoError(t, os.Remove(notADir))
	changed, err = p.Fetch(t.Context())
	require.NoError(t, err)
	assert.False(t, changed)
	_, _, _, data := readCacheFile(t, filepath.Join(notADir, "bucketing.json"))
	assert.Equal(t, smallFile, string(data))
}

package bucketing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/seed27eed597/flagship-go/internal/errfmt"
)

// cacheVersion is the version of the cache file format:
//
//	{"version":1,"lastModified":"...","etag":"...","data":<bucketing file>}
//
// where data holds the downloaded file exactly as served.
const cacheVersion = 1

// cacheOverhead bounds what the cache file holds beyond the bucketing file
// itself (the envelope and the validators).
const cacheOverhead = 1 << 20

// cacheHeader is the envelope of the cache file, written before data.
type cacheHeader struct {
	Version      int    `json:"version"`
	LastModified string `json:"lastModified"`
	ETag         string `json:"etag"`
}

type cacheFile struct {
	cacheHeader
	Data json.RawMessage `json:"data"`
}

// LoadCache installs in the engine the bucketing file kept at CachePath
// by earlier downloads, with its validators, and calls OnUpdate with
// SourceDisk. It reports whether it installed a file.
//
// Without a CachePath, or without a cache file, it returns (false, nil).
// A cache file that cannot be read or decoded, or whose bucketing file is
// invalid, is an error wrapping [ErrCache] (and [ErrInvalidFile] for an
// invalid bucketing file), and nothing is installed; the next successful
// [Poller.Fetch] overwrites it. LoadCache never replaces a file this
// poller downloaded, so it may be called after a failed first Fetch.
// Leftover temporary files of interrupted writes are ignored.
func (p *Poller) LoadCache(ctx context.Context) (bool, error) {
	if p.cachePath == "" {
		return false, nil
	}
	if err := p.acquire(ctx); err != nil {
		return false, fmt.Errorf("bucketing: load cache: %w", err)
	}
	defer p.release()
	if p.fromNetwork {
		return false, nil
	}
	c, err := readCache(p.cachePath, p.maxBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(bytes.TrimSpace(c.Data))
	if p.installed != nil && sum == p.sum && p.engine.Config() == p.installed {
		return false, nil
	}
	cfg, err := ParseConfig(c.Data)
	if err != nil {
		return false, errfmt.Errorf("%w: load %s: %w", ErrCache, p.cachePath, err)
	}
	u := Update{Source: SourceDisk, Config: cfg, LastModified: c.LastModified, ETag: c.ETag, Bytes: len(c.Data)}
	p.install(ctx, sum, &u)
	p.cacheStale = false
	if p.onUpdate != nil {
		p.onUpdate(ctx, u)
	}
	return true, nil
}

// readCache reads and decodes the cache file at path. A missing file is an
// error matching fs.ErrNotExist; anything else wraps ErrCache.
func readCache(path string, maxBytes int64) (cacheFile, error) {
	var c cacheFile
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, err
	}
	if err != nil {
		return c, fmt.Errorf("%w: load: %w", ErrCache, err)
	}
	defer f.Close()
	limit := maxBytes + cacheOverhead
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	switch {
	case err != nil:
		return c, fmt.Errorf("%w: load %s: %w", ErrCache, path, err)
	case int64(len(b)) > limit:
		return c, fmt.Errorf("%w: load %s: more than %d bytes", ErrCache, path, limit)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%w: load %s: %w", ErrCache, path, err)
	}
	if c.Version != cacheVersion {
		return c, fmt.Errorf("%w: load %s: unsupported version %d", ErrCache, path, c.Version)
	}
	if len(c.Data) == 0 || string(c.Data) == "null" {
		return c, fmt.Errorf("%w: load %s: no data", ErrCache, path)
	}
	return c, nil
}

// writeCache replaces the cache file at path atomically: a temporary file
// in the same directory (mode 0600) is written, synced, closed and renamed
// over path, and the directory is synced. A crash at any point leaves
// either the old or the new file at path, plus at worst a temporary file
// that readers ignore.
func writeCache(path string, data []byte, lastModified, etag string) (err error) {
	// Parse is at least as strict as encoding/json, so this only guards
	// the envelope against a future, laxer parser.
	if !json.Valid(data) {
		return fmt.Errorf("%w: write: file is not JSON", ErrCache)
	}
	head, err := json.Marshal(cacheHeader{Version: cacheVersion, LastModified: lastModified, ETag: etag})
	if err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	// The envelope is written by hand so that data is stored as served:
	// encoding/json would compact and re-escape a RawMessage.
	for _, part := range [][]byte{head[:len(head)-1], []byte(`,"data":`), data, []byte("}\n")} {
		if _, err := f.Write(part); err != nil {
			return fmt.Errorf("%w: write: %w", ErrCache, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: write: %w", ErrCache, err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("%w: write: sync directory: %w", ErrCache, err)
	}
	return nil
}

// syncDir makes a rename in dir durable. Windows cannot sync directories
// and does not need to.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

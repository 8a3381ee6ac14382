package flagship

import (
	"fmt"
	"os"
	"path/filepath"
)

// The cache directory holds the SDK's files: the last good bucketing
// file ([Bucketing] mode), the queue file ([QueueFileName]) and the
// default assignment store ([AssignmentsFileName]). Its rule is written
// here and only here:
//
//  1. the directory of [WithCacheDir], if given;
//  2. else {os.UserCacheDir()}/flagship/{envID}: $XDG_CACHE_HOME or
//     $HOME/.cache on Linux, $HOME/Library/Caches on macOS, %LocalAppData%
//     on Windows;
//  3. else none. There is no shared fallback, such as a fixed directory
//     under os.TempDir(), which whoever comes first would own and any
//     other user could fill or pre-create: New fails with an error
//     wrapping [ErrStorage] naming WithCacheDir and
//     [DeliveryOptions].InMemory, unless the client needs no disk.
//
// The directory is created, with mode 0700, only when a file goes in it.

// cacheDirPath returns the cache directory for envID without touching the
// disk, or an error wrapping ErrStorage when there is none.
func (c *config) cacheDirPath(envID string) (string, error) {
	if c.cacheDir != "" {
		return c.cacheDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", storageError("no cache directory", err, hintCacheDir)
	}
	return filepath.Join(base, "flagship", envID), nil
}

// makeCacheDir returns the cache directory for envID, created (mode
// 0700) if missing, or an error wrapping ErrStorage naming the options
// to set.
func (c *config) makeCacheDir(envID string) (string, error) {
	dir, err := c.cacheDirPath(envID)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", storageError("cache directory "+dir, err, hintCacheDir)
	}
	return dir, nil
}

// Hints that end ErrStorage errors: what to set instead.
const (
	hintCacheDir  = "give a writable directory with WithCacheDir, or run without files with DeliveryOptions.InMemory"
	hintQueueFile = "give a writable DeliveryOptions.QueueFile or WithCacheDir, or keep hits in memory with DeliveryOptions.InMemory"
)

// storageError returns an error wrapping ErrStorage and err: what could
// not be used, why, and the options that avoid it.
func storageError(what string, err error, hint string) error {
	return fmt.Errorf("%w: %s: %w; %s", ErrStorage, what, err, hint)
}

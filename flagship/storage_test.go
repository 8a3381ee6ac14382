package flagship_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

// A full disk at start is not simulated here: a loopback test cannot
// fill a file system without privileges (a tmpfs mount) or filling the
// machine's. The code path is the one of an unwritable directory: any
// failure to create the cache directory or to open a file in it wraps
// ErrStorage.

// noHome unsets the user's cache directory: os.UserCacheDir then fails,
// as in a container without $HOME. It returns no option.
func noHome(t *testing.T) []flagship.Option {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	_, err := os.UserCacheDir()
	require.Error(t, err, "the test needs os.UserCacheDir to fail")
	return nil
}

// cacheDirUnderFile returns WithCacheDir with a directory that cannot be
// created, under a regular file: mkdir fails as on a read-only file
// system, even for root.
func cacheDirUnderFile(t *testing.T) []flagship.Option {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	return []flagship.Option{flagship.WithCacheDir(filepath.Join(file, "cache"))}
}

// TestNoDiskFailsWithoutInMemory: without a usable cache directory, New
// fails in both modes with an error wrapping ErrStorage (not
// ErrInvalidConfig) that names the options to set, and leaves nothing
// running.
func TestNoDiskFailsWithoutInMemory(t *testing.T) {
	tests := []struct {
		name     string
		giveMode flagship.Mode
		giveDisk func(*testing.T) []flagship.Option
		wantMsg  string
	}{
		{name: "no HOME, DECISION_API", giveMode: flagship.DecisionAPI, giveDisk: noHome, wantMsg: "$HOME"},
		{name: "no HOME, BUCKETING", giveMode: flagship.Bucketing, giveDisk: noHome, wantMsg: "$HOME"},
		{name: "unwritable cache dir, DECISION_API", giveMode: flagship.DecisionAPI, giveDisk: cacheDirUnderFile, wantMsg: "not a directory"},
		{name: "unwritable cache dir, BUCKETING", giveMode: flagship.Bucketing, giveDisk: cacheDirUnderFile, wantMsg: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			srv := abServer(t)
			opts := append([]flagship.Option{srv.Endpoints(), flagship.WithMode(tt.giveMode)}, tt.giveDisk(t)...)
			c, err := flagship.New(context.Background(), srv.EnvID(), "key", opts...)
			require.ErrorIs(t, err, flagship.ErrStorage)
			assert.NotErrorIs(t, err, flagship.ErrInvalidConfig)
			assert.Nil(t, c)
			for _, want := range []string{tt.wantMsg, "WithCacheDir", "DeliveryOptions.InMemory"} {
				assert.Contains(t, err.Error(), want)
			}
			srv.Close() // before goleak: its connections are the server's
		})
	}
}

// TestUnopenableQueueFileIsStorageError: a DeliveryOptions.QueueFile
// that cannot be created fails New with ErrStorage naming the option.
func TestUnopenableQueueFileIsStorageError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	c, err := flagship.New(context.Background(), "env", "key",
		flagship.WithDelivery(flagship.DeliveryOptions{QueueFile: filepath.Join(file, "queue.db")}))
	require.ErrorIs(t, err, flagship.ErrStorage)
	assert.Nil(t, c)
	assert.Contains(t, err.Error(), "DeliveryOptions.QueueFile")
	assert.Contains(t, err.Error(), "DeliveryOptions.InMemory")
}

// TestInMemoryWithQueueFileIsInvalid: the queue is a file or in memory.
func TestInMemoryWithQueueFileIsInvalid(t *testing.T) {
	_, err := flagship.New(context.Background(), "env", "key",
		flagship.WithDelivery(flagship.DeliveryOptions{InMemory: true, QueueFile: filepath.Join(t.TempDir(), "q.db")}))
	require.ErrorIs(t, err, flagship.ErrInvalidConfig)
	assert.Contains(t, err.Error(), "DeliveryOptions.QueueFile with InMemory")
}

// TestInMemoryStartsWithoutDisk: with DeliveryOptions.InMemory, a client
// without a usable cache directory starts in both modes, decides, and
// delivers its hits and activations to the server; New says once, at
// Warn, that they are not crash-safe (and, in BUCKETING mode, that no
// file is kept).
func TestInMemoryStartsWithoutDisk(t *testing.T) {
	tests := []struct {
		name      string
		giveMode  flagship.Mode
		giveDisk  func(*testing.T) []flagship.Option
		wantWarns []string
	}{
		{name: "no HOME, DECISION_API", giveMode: flagship.DecisionAPI, giveDisk: noHome,
			wantWarns: []string{"kept in memory (DeliveryOptions.InMemory)"}},
		{name: "unwritable cache dir, DECISION_API", giveMode: flagship.DecisionAPI, giveDisk: cacheDirUnderFile,
			wantWarns: []string{"kept in memory (DeliveryOptions.InMemory)"}},
		{name: "no HOME, BUCKETING", giveMode: flagship.Bucketing, giveDisk: noHome,
			wantWarns: []string{"kept in memory (DeliveryOptions.InMemory)", "no usable cache directory"}},
		{name: "unwritable cache dir, BUCKETING", giveMode: flagship.Bucketing, giveDisk: cacheDirUnderFile,
			wantWarns: []string{"kept in memory (DeliveryOptions.InMemory)", "no usable cache directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := abServer(t)
			var logs hookRecords
			opts := append([]flagship.Option{srv.Endpoints(), flagship.WithMode(tt.giveMode),
				flagship.WithBucketing(flagship.BucketingOptions{PollingInterval: flagshiptest.PollingInterval}),
				flagship.WithDelivery(flagship.DeliveryOptions{InMemory: true}),
				flagship.WithLogger(hookLogger(&logs))}, tt.giveDisk(t)...)
			ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
			defer cancel()
			c, err := flagship.New(ctx, srv.EnvID(), "key", opts...)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, c.Close(context.Background())) })
			require.NoError(t, c.WaitReady(ctx))

			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, "green", v.String("btn-color", "blue"))
			require.NoError(t, v.Activate(ctx, "btn-color"))
			require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
			require.NoError(t, c.Flush(ctx))

			screens := 0
			for _, h := range srv.Hits() {
				if h.Type == "SCREENVIEW" && h.VisitorID == "v1" {
					screens++
				}
			}
			assert.Equal(t, 1, screens, "the hit reached the server")
			require.Len(t, srv.Activations(), 1, "the activation reached the server")
			assert.Equal(t, "v1", srv.Activations()[0].VisitorID)
			st := c.QueueStats()
			assert.EqualValues(t, 2, st.Enqueued)
			for _, s := range st.Sinks {
				assert.Zero(t, s.Depth, "sink %s", s.Name)
			}
			for _, want := range tt.wantWarns {
				assert.Len(t, logLines(&logs, slog.LevelWarn, want), 1, "one Warn line %q", want)
			}
		})
	}
}

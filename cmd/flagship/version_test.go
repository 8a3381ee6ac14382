package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/internal/version"
)

func TestVersion(t *testing.T) {
	got := runCLI(t, "", "version")

	require.Equal(t, 0, got.code, got.stderr)
	assert.Empty(t, got.stderr)
	assert.Contains(t, got.stdout, "sdk:       "+version.SDK+"\n")
	assert.Contains(t, got.stdout, "go:        "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+"\n")
}

func TestVersion_json(t *testing.T) {
	got := runCLI(t, "", "version", "--json")

	require.Equal(t, 0, got.code, got.stderr)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &v), got.stdout)
	assert.Equal(t, version.SDK, v["sdk"])
	assert.Equal(t, runtime.Version(), v["go"])
	assert.Equal(t, runtime.GOOS+"/"+runtime.GOARCH, v["platform"])
}

func TestVersion_usage(t *testing.T) {
	got := runCLI(t, "", "version", "extra")

	assert.Equal(t, 2, got.code)
	assert.Contains(t, got.stderr, `flagship version: unexpected argument "extra"`)
}

// TestWriteVersion checks the output for the build information of a
// binary built in a git checkout, installed at a version, and without
// any.
func TestWriteVersion(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name     string
		give     *debug.BuildInfo
		want     string
		wantJSON string
	}{
		{
			name: "built in a modified checkout",
			give: &debug.BuildInfo{
				GoVersion: "go1.24.3",
				Main:      debug.Module{Path: "github.com/seed27eed597/flagship-go", Version: "(devel)"},
				Settings: []debug.BuildSetting{
					{Key: "GOOS", Value: "linux"},
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "d419fd5c0ffee"},
					{Key: "vcs.time", Value: "2026-03-14T15:09:26Z"},
					{Key: "vcs.modified", Value: "true"},
				},
			},
			want: "sdk:       " + version.SDK + "\n" +
				"go:        go1.24.3 " + platform + "\n" +
				"module:    github.com/seed27eed597/flagship-go (devel)\n" +
				"revision:  git d419fd5c0ffee (modified)\n" +
				"committed: 2026-03-14T15:09:26Z\n",
			wantJSON: `{"sdk":"` + version.SDK + `","go":"go1.24.3","platform":"` + platform + `",` +
				`"module":"github.com/seed27eed597/flagship-go","version":"(devel)","vcs":"git",` +
				`"revision":"d419fd5c0ffee","committed":"2026-03-14T15:09:26Z","modified":true}` + "\n",
		},
		{
			name: "installed at a version",
			give: &debug.BuildInfo{
				GoVersion: "go1.25.0",
				Main:      debug.Module{Path: "github.com/seed27eed597/flagship-go", Version: "v0.2.0", Sum: "h1:abc="},
			},
			want: "sdk:       " + version.SDK + "\n" +
				"go:        go1.25.0 " + platform + "\n" +
				"module:    github.com/seed27eed597/flagship-go v0.2.0 h1:abc=\n",
			wantJSON: `{"sdk":"` + version.SDK + `","go":"go1.25.0","platform":"` + platform + `",` +
				`"module":"github.com/seed27eed597/flagship-go","version":"v0.2.0","sum":"h1:abc="}` + "\n",
		},
		{
			name: "no build information",
			give: nil,
			want: "sdk:       " + version.SDK + "\n" +
				"go:        " + runtime.Version() + " " + platform + "\n",
			wantJSON: `{"sdk":"` + version.SDK + `","go":"` + runtime.Version() + `","platform":"` + platform + `"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text, js bytes.Buffer
			require.NoError(t, writeVersion(&text, newVersionInfo(tt.give), false))
			require.NoError(t, writeVersion(&js, newVersionInfo(tt.give), true))
			assert.Equal(t, tt.want, text.String())
			assert.Equal(t, tt.wantJSON, js.String())
		})
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name string
		give map[string]string
		want config
	}{
		{
			name: "defaults",
			give: map[string]string{"FLAGSHIP_ENV_ID": "env", "FLAGSHIP_API_KEY": "key"},
			want: config{envID: "env", apiKey: "key", mode: flagship.DecisionAPI},
		},
		{
			name: "everything",
			give: map[string]string{
				"FLAGSHIP_ENV_ID": "env", "FLAGSHIP_API_KEY": "key", "FLAGSHIP_MODE": "BUCKETING",
				"FLAGSHIP_BASE_URL": "http://127.0.0.1:8080/", "FLAGSHIP_CACHE_DIR": "/tmp/x",
			},
			want: config{envID: "env", apiKey: "key", mode: flagship.Bucketing, baseURL: "http://127.0.0.1:8080", cacheDir: "/tmp/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configFromEnv(func(k string) string { return tt.give[k] })
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestConfigFromEnvErrors(t *testing.T) {
	_, err := configFromEnv(func(k string) string { return map[string]string{"FLAGSHIP_MODE": "edge"}[k] })
	assert.EqualError(t, err, "webshop: FLAGSHIP_ENV_ID is not set\nFLAGSHIP_API_KEY is not set\n"+
		`FLAGSHIP_MODE "edge": want decision_api or bucketing`)
}

// TestSecret checks that the API key never reaches logs or formatted
// output.
func TestSecret(t *testing.T) {
	var buf bytes.Buffer
	key := secret("s3cr3t")
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", slog.Any("key", key))
	assert.Contains(t, buf.String(), "key=REDACTED")
	assert.Equal(t, "REDACTED", fmt.Sprint(key))
}

// TestRun runs the shop as main does, from flags and environment
// variables, against a local Flagship server, and stops it.
func TestRun(t *testing.T) {
	for _, mode := range []string{"decision_api", "bucketing"} {
		t.Run(mode, func(t *testing.T) {
			fs := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(testCampaigns()...))
			env := map[string]string{
				"FLAGSHIP_ENV_ID":    fs.EnvID(),
				"FLAGSHIP_API_KEY":   "key",
				"FLAGSHIP_MODE":      mode,
				"FLAGSHIP_BASE_URL":  fs.URL,
				"FLAGSHIP_CACHE_DIR": t.TempDir(),
			}
			logs := &lockedBuffer{}
			logger := slog.New(slog.NewTextHandler(logs, nil))
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, logger)
			}()

			listening := regexp.MustCompile(`msg="webshop listening" addr=(\S+)`)
			var url string
			require.Eventually(t, func() bool {
				m := listening.FindStringSubmatch(logs.String())
				if m != nil {
					url = m[1]
				}
				return m != nil
			}, 10*time.Second, 5*time.Millisecond, "logs: %s", logs)

			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			req, err := http.NewRequest("GET", url+"/", nil)
			require.NoError(t, err)
			req.Header.Set("User-Agent", mobileUA)
			resp, err := hc.Do(req)
			require.NoError(t, err)
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			assert.Contains(t, string(body), `"cta_color":"orange"`)

			stop()
			require.NoError(t, <-done)
			assert.Equal(t, []string{"PAGEVIEW"}, hitTypes(fs))
			assert.Len(t, fs.Activations(), 1)
			assert.NotContains(t, logs.String(), "level=WARN")
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name     string
		giveArgs []string
		giveEnv  map[string]string
		wantErr  string
	}{
		{name: "unknown flag", giveArgs: []string{"-port", "80"}, wantErr: "flag provided but not defined: -port"},
		{name: "no environment", wantErr: "FLAGSHIP_ENV_ID is not set"},
		{
			name:    "bad base URL",
			giveEnv: map[string]string{"FLAGSHIP_ENV_ID": "env", "FLAGSHIP_API_KEY": "key", "FLAGSHIP_BASE_URL": "ftp://x"},
			wantErr: `invalid config: Endpoints.Base "ftp://x"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"FLAGSHIP_CACHE_DIR": t.TempDir()}
			for k, v := range tt.giveEnv {
				env[k] = v
			}
			logger := slog.New(slog.DiscardHandler)
			err := run(context.Background(), tt.giveArgs, func(k string) string { return env[k] }, logger)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// TestRunListenError checks that the client is closed when the address
// can't be listened on.
func TestRunListenError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	env := map[string]string{
		"FLAGSHIP_ENV_ID": "env", "FLAGSHIP_API_KEY": "key",
		"FLAGSHIP_BASE_URL": "http://127.0.0.1:1", "FLAGSHIP_CACHE_DIR": t.TempDir(),
	}
	err = run(context.Background(), []string{"-addr", l.Addr().String()}, func(k string) string { return env[k] },
		slog.New(slog.DiscardHandler))
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "%v", err)
	// goleak (TestMain) checks that the client's goroutines are gone.
}

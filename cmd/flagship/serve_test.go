package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs "flagship serve args..." until the returned stop is
// called, which returns the exit status. It returns the server's URL.
func startServe(t *testing.T, args ...string) (url string, stderr *lockedBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr = &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), pw, stderr)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve exited with %d before printing its URL: %v\n%s", <-done, err, stderr)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }() // nothing more is expected
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("serve did not stop")
			}
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return strings.TrimSpace(line), stderr, stop
}

func TestServe(t *testing.T) {
	file := filepath.Join(vectorsDir, "bucketing.json")
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	url, stderr, stop := startServe(t, "--bucketing", file, "--addr", "127.0.0.1:0", "--env", "env_local",
		"--api-key", "k_secret", "--verbose")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)

	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	send := func(method, path, body string, headers ...string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, url+path, strings.NewReader(body))
		require.NoError(t, err)
		for _, h := range headers {
			k, v, _ := strings.Cut(h, ": ")
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}

	code, body := send("POST", "/v2/env_local/campaigns", `{"visitorId":"pub-000014","context":{"age":17.5,"isVIP":false,"country":"gb"},"trigger_hit":false}`,
		"x-api-key: k_secret")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `"variationGroupId":"cdbd7rgncqk4bk87lg8d","variationGroupName":`)
	code, body = send("POST", "/v2/env_local/campaigns", `{"visitorId":"v"}`)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.NotContains(t, body, "k_secret")
	code, _ = send("POST", "/v2/activate", `{"cid":"env_local","vid":"v","caid":"vg","vaid":"var"}`)
	assert.Equal(t, http.StatusNoContent, code)
	code, _ = send("POST", "/events", `{"cid":"env_local","ds":"APP","t":"BATCH","h":[{"t":"SCREENVIEW","vid":"v","dl":"home"}]}`)
	assert.Equal(t, http.StatusOK, code)
	// Compatible by default: a relative location is Flagship's SDKs'
	// business, a hit without a visitor id is refused.
	code, _ = send("POST", "/events", `{"cid":"env_local","ds":"APP","t":"BATCH","h":[{"t":"PAGEVIEW","vid":"v","dl":"home"}]}`)
	assert.Equal(t, http.StatusOK, code)
	code, body = send("POST", "/events", `{"cid":"env_local","ds":"APP","t":"BATCH","h":[{"t":"PAGEVIEW","dl":"home"}]}`)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, `h[0].vid: required`)
	code, body = send("GET", "/env_local/bucketing.json", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, string(data), body)

	assert.Equal(t, 0, stop())
	log := stderr.String()
	for _, want := range []string{
		"flagship serve: environment env_local, bucketing file " + file + "\n",
		"flagship serve: base URL " + url + "; point the Go SDK at it with:\n",
		"flagship serve:   flagship.WithEndpoints(flagship.Endpoints{Base: \"" + url + "\"})\n",
		"  Decision API  POST " + url + "/v2/env_local/campaigns\n",
		"  activation    POST " + url + "/v2/activate\n",
		"  bucketing     GET  " + url + "/env_local/bucketing.json\n",
		"  hits          POST " + url + "/events (or " + url + "/), checked in compatible mode\n",
		"  account       GET  " + url + "/env_local/accountSettings.json\n",
		"  usage         POST " + url + "/analytics, " + url + "/troubleshooting\n",
		"  context       POST " + url + "/v2/env_local/events\n",
		"  records       GET  " + url + "/_flagshiptest/records (what was received, as JSON)\n",
		"flagship serve: POST /v2/env_local/campaigns 200 ",
		"flagship serve: POST /v2/env_local/campaigns 401 ",
		"flagship serve: POST /v2/activate 204 ",
		`flagship serve: POST /events 400 `,
		`{"message":"h[0].vid: required"}` + "\n",
		"flagship serve: GET /env_local/bucketing.json 200 ",
		"flagship serve: stopped\n",
	} {
		assert.Contains(t, log, want)
	}
	assert.NotContains(t, log, "k_secret")
}

func TestServeQuiet(t *testing.T) {
	url, stderr, stop := startServe(t, "--bucketing", writeFile(t, "b.json", smallBucketing), "--addr", "127.0.0.1:0")
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url + "/flagshiptest-env/bucketing.json")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 0, stop())
	assert.NotContains(t, stderr.String(), "GET /", "requests are logged with --verbose only")
}

func TestServeErrors(t *testing.T) {
	good := writeFile(t, "bucketing.json", smallBucketing)
	broken := writeFile(t, "broken.json", `{"campaigns":[{"id":"c","bucketRanges":[[0,100]]}]}`)
	nope := filepath.Join(t.TempDir(), "nope.json")
	tests := []struct {
		name       string
		give       []string
		wantStderr string
	}{
		{name: "empty env", give: []string{"--bucketing", good, "--env", ""}, wantStderr: "flagship serve: --env must not be empty"},
		{name: "all interfaces", give: []string{"--bucketing", good, "--addr", ":0"}, wantStderr: `--addr ":0" is not a loopback address; add --allow-remote`},
		{name: "remote", give: []string{"--bucketing", good, "--addr", "0.0.0.0:0"}, wantStderr: `--addr "0.0.0.0:0" is not a loopback address`},
		{name: "host name", give: []string{"--bucketing", good, "--addr", "example.com:80"}, wantStderr: "is not a loopback address"},
		{name: "bad address", give: []string{"--bucketing", good, "--addr", "nope"}, wantStderr: `--addr "nope": address nope: missing port in address`},
		{name: "argument", give: []string{"--bucketing", good, "extra"}, wantStderr: `unexpected argument "extra"`},
		{name: "remote with the default secret", give: []string{"--bucketing", good, "--addr", "0.0.0.0:0", "--allow-remote"},
			wantStderr: "--allow-remote needs a client secret of your own for the management API"},
		{name: "missing file", give: []string{"--bucketing", nope, "--addr", "127.0.0.1:0"}, wantStderr: "flagship: open " + nope + ": no such file or directory"},
		{name: "broken file", give: []string{"--bucketing", broken, "--addr", "127.0.0.1:0"},
			wantStderr: "flagship: " + broken + ": flagshiptest: invalid options: bucketing: invalid file: campaigns[0].bucketRanges[0]: expected an object, got array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runCLI(t, "", append([]string{"serve"}, tt.give...)...)
			assert.Equal(t, 2, got.code)
			assert.Empty(t, got.stdout)
			assert.Contains(t, got.stderr, tt.wantStderr)
		})
	}
}

func TestServeStdin(t *testing.T) {
	// The bucketing file may come from standard input.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--bucketing", "-", "--addr", "127.0.0.1:0"}, strings.NewReader(smallBucketing), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "http://127.0.0.1:"), line)
	cancel()
	assert.Equal(t, 0, <-done)
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		giveAddr        string
		giveAllowRemote bool
		wantOK          bool
	}{
		{giveAddr: "127.0.0.1:8080", wantOK: true},
		{giveAddr: "127.0.0.2:0", wantOK: true},
		{giveAddr: "[::1]:0", wantOK: true},
		{giveAddr: "localhost:0", wantOK: true},
		{giveAddr: ":0"},
		{giveAddr: "0.0.0.0:0"},
		{giveAddr: "192.168.1.10:80"},
		{giveAddr: "[::]:80"},
		{giveAddr: "0.0.0.0:0", giveAllowRemote: true, wantOK: true},
		{giveAddr: "no-port"},
		{giveAddr: "no-port", giveAllowRemote: true},
	}
	for _, tt := range tests {
		t.Run(tt.giveAddr, func(t *testing.T) {
			err := checkLoopback(tt.giveAddr, tt.giveAllowRemote)
			assert.Equal(t, tt.wantOK, err == nil, "%v", err)
		})
	}
}

func TestServeHelp(t *testing.T) {
	got := runCLI(t, "", "help", "serve")
	assert.Equal(t, 0, got.code)
	assert.Contains(t, got.stdout, "flagship serve [--bucketing FILE] [--addr HOST:PORT]")
	assert.Contains(t, got.stdout, "-client-secret")
	assert.Contains(t, got.stdout, "management API")
	assert.Contains(t, got.stdout, "-allow-remote")
	assert.Contains(t, got.stdout, "-strict")
	assert.Contains(t, got.stdout, "/_flagshiptest/records")
	got = runCLI(t, "", "help")
	assert.Contains(t, got.stdout, "  serve     run a local Flagship server")
}

// serveFlagBucketing serves "color": "green" to every visitor.
const serveFlagBucketing = `{"campaigns":[{"id":"c-color","type":"ab","bucketRanges":[{"r":[0,100]}],"variationGroups":[{"id":"vg-color",
 "targeting":{"targetingGroups":[{"targetings":[{"key":"fs_all_users","operator":"EQUALS","value":""}]}]},
 "variations":[{"id":"v-green","allocation":100,"modifications":{"type":"FLAG","value":{"color":"green"}}}]}]}]}`

// TestServeBaseURLDrivesClient points a client at "flagship serve" with
// the base URL it prints and nothing else, in both modes: decisions, the
// bucketing file, activations and hits all reach the server.
func TestServeBaseURLDrivesClient(t *testing.T) {
	for _, mode := range []flagship.Mode{flagship.DecisionAPI, flagship.Bucketing} {
		t.Run(mode.String(), func(t *testing.T) {
			url, stderr, stop := startServe(t, "--bucketing", writeFile(t, "b.json", serveFlagBucketing), "--addr", "127.0.0.1:0", "--verbose")
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := flagship.New(ctx, flagshiptest.EnvID, "key", flagship.WithMode(mode),
				flagship.WithEndpoints(flagship.Endpoints{Base: url}), flagship.WithCacheDir(t.TempDir()))
			require.NoError(t, err)
			require.NoError(t, c.WaitReady(ctx))
			v, err := c.NewVisitor("v1", nil)
			require.NoError(t, err)
			require.NoError(t, v.Synchronize(ctx))
			assert.Equal(t, "green", v.String("color", "blue"))
			require.NoError(t, v.Activate(ctx, "color"))
			require.NoError(t, v.SendHit(ctx, hits.Screen{Name: "home"}))
			require.NoError(t, c.Flush(ctx), "the server accepted every activation and hit")
			require.NoError(t, c.Close(ctx))
			assert.Equal(t, 0, stop())

			log := stderr.String()
			decide := regexp.MustCompile(`flagship serve: POST /v2/` + flagshiptest.EnvID + `/campaigns(\?\S*)? 200 `)
			download := "flagship serve: GET /" + flagshiptest.EnvID + "/bucketing.json 200 "
			assert.Equal(t, mode == flagship.DecisionAPI, decide.MatchString(log), "decisions from the server's Decision API:\n%s", log)
			assert.Equal(t, mode == flagship.Bucketing, strings.Contains(log, download), "the server's bucketing file:\n%s", log)
			assert.Contains(t, log, "flagship serve: POST /v2/activate 204 ")
			assert.Contains(t, log, "flagship serve: POST /events 200 ")
		})
	}
}

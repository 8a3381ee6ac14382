package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// TestServeVerboseLogsHitsAndActivations runs "flagship serve --verbose"
// in-process, posts hits, activations, usage and troubleshooting hits and
// context events, valid and not, and checks that each one is logged as it
// is recorded or refused. The server logs a
// receipt before answering, so the line is there once the POST returns.
func TestServeVerboseLogsHitsAndActivations(t *testing.T) {
	url, stderr, stop := startServe(t, "--bucketing", writeFile(t, "b.json", smallBucketing),
		"--addr", "127.0.0.1:0", "--verbose", "--api-key", "k_secret")
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	post := func(path, body string) int {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("x-api-key", "k_secret")
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode
	}
	env := flagshiptest.EnvID
	tests := []struct {
		name       string
		givePath   string
		giveBody   string
		wantStatus int
		wantLines  []string
	}{
		{
			name:     "hits",
			givePath: "/events",
			giveBody: `{"cid":"` + env + `","ds":"APP","t":"BATCH","h":[` +
				`{"t":"PAGEVIEW","vid":"v1","dl":"https://shop.example/cart"},` +
				`{"t":"EVENT","vid":"anon-1","cuid":"user-1","ec":"Action Tracking","ea":"checkout","ev":3},` +
				`{"t":"TRANSACTION","vid":"v1","tid":"T-1","ta":"shop","tr":12.5,"tc":"EUR"}]}`,
			wantStatus: http.StatusOK,
			wantLines: []string{
				`flagship serve: hit PAGEVIEW accepted: vid="v1" dl="https://shop.example/cart"`,
				`flagship serve: hit EVENT accepted: vid="anon-1" cuid="user-1" ec="Action Tracking" ea="checkout" ev=3`,
				`flagship serve: hit TRANSACTION accepted: vid="v1" tid="T-1" ta="shop" tr=12.5 tc="EUR"`,
			},
		},
		{
			name:       "activation",
			givePath:   "/v2/activate",
			giveBody:   `{"cid":"` + env + `","vid":"v1","aid":"anon-1","caid":"vg-bool","vaid":"v-bool"}`,
			wantStatus: http.StatusNoContent,
			wantLines:  []string{`flagship serve: activation accepted: vid="v1" aid="anon-1" caid="vg-bool" vaid="v-bool"`},
		},
		{
			name:       "refused hit",
			givePath:   "/events",
			giveBody:   `{"cid":"` + env + `","ds":"APP","t":"BATCH","h":[{"t":"PAGEVIEW","vid":"v2","dl":"home"},{"t":"VISIT","vid":"v2"}]}`,
			wantStatus: http.StatusMultiStatus,
			wantLines: []string{
				`flagship serve: hit PAGEVIEW accepted: vid="v2" dl="home"`,
				`flagship serve: hit refused (207 Multi-Status): h[1].t: unknown hit type "VISIT" [vid="v2"]`,
			},
		},
		{
			name:       "refused batch",
			givePath:   "/events",
			giveBody:   `{"cid":"other","ds":"APP","t":"BATCH","h":[{"t":"PAGEVIEW","vid":"v2","dl":"home"}]}`,
			wantStatus: http.StatusBadRequest,
			wantLines:  []string{`flagship serve: hits refused (400 Bad Request): cid: unknown environment id "other" [vid="v2"]`},
		},
		{
			name:       "single hit",
			givePath:   "/",
			giveBody:   `{"cid":"` + env + `","t":"EVENT","vid":"v5","cuid":"v5","ec":"ACTION_TRACKING","ea":"buy","dr":"https://ref.example/"}`,
			wantStatus: http.StatusOK,
			wantLines:  []string{`flagship serve: hit EVENT accepted: vid="v5" cuid="v5" ec="ACTION_TRACKING" ea="buy"`},
		},
		{
			name:       "usage hit",
			givePath:   "/analytics",
			giveBody:   `{"vid":"fs-1","ds":"APP","cid":"` + env + `","t":"USAGE","cv":{"label":"SDK_CONFIG"}}`,
			wantStatus: http.StatusOK,
			wantLines:  []string{`flagship serve: usage hit accepted: t="USAGE" vid="fs-1" label="SDK_CONFIG"`},
		},
		{
			name:       "troubleshooting hit",
			givePath:   "/troubleshooting",
			giveBody:   `{"vid":"v6","t":"TROUBLESHOOTING","cv":{"label":"VISITOR_FETCH_CAMPAIGNS"}}`,
			wantStatus: http.StatusOK,
			wantLines:  []string{`flagship serve: troubleshooting hit accepted: t="TROUBLESHOOTING" vid="v6" label="VISITOR_FETCH_CAMPAIGNS"`},
		},
		{
			name:       "context event",
			givePath:   "/v2/" + env + "/events",
			giveBody:   `{"visitorId":"v7","type":"CONTEXT","data":{"plan":"gold"}}`,
			wantStatus: http.StatusNoContent,
			wantLines:  []string{`flagship serve: context event accepted: vid="v7" data={"plan":"gold"}`},
		},
		{
			name:       "refused context event",
			givePath:   "/v2/" + env + "/events",
			giveBody:   `{"visitorId":"v8","type":"SEGMENT"}`,
			wantStatus: http.StatusBadRequest,
			wantLines:  []string{`flagship serve: context event refused (400 Bad Request): type: want "CONTEXT", got "SEGMENT" [vid="v8"]`},
		},
		{
			name:       "refused activation",
			givePath:   "/v2/activate",
			giveBody:   `{"cid":"` + env + `","vid":"v3","caid":"vg-bool"}`,
			wantStatus: http.StatusBadRequest,
			wantLines:  []string{`flagship serve: activation refused (400 Bad Request): {"status":"error","errors":{"vaid":"Field is mandatory."}} [vid="v3"]`},
		},
		{
			name:       "decision side effects",
			givePath:   "/v2/" + env + "/campaigns",
			giveBody:   `{"visitorId":"v4","context":{"vip":true}}`,
			wantStatus: http.StatusOK,
			wantLines: []string{
				`flagship serve: hit SEGMENT accepted: vid="v4" s={"vip":"true"} (from a Decision API call)`,
				`flagship serve: activation accepted: vid="v4" caid="vg-bool" vaid="v-bool" (from a Decision API call)`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.wantStatus, post(tt.givePath, tt.giveBody))
			log := stderr.String()
			for _, want := range tt.wantLines {
				assert.Contains(t, log, want+"\n")
			}
		})
	}

	assert.Equal(t, 0, stop())
	assert.NotContains(t, stderr.String(), "k_secret")
}

// TestServeQuietLogsNoHits checks that without --verbose nothing received
// is logged.
func TestServeQuietLogsNoHits(t *testing.T) {
	url, stderr, stop := startServe(t, "--bucketing", writeFile(t, "b.json", smallBucketing), "--addr", "127.0.0.1:0")
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, err := client.Post(url+"/v2/activate", "application/json",
		strings.NewReader(`{"cid":"`+flagshiptest.EnvID+`","vid":"v1","caid":"vg","vaid":"var"}`))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	assert.Equal(t, 0, stop())
	assert.NotContains(t, stderr.String(), "activation accepted")
}

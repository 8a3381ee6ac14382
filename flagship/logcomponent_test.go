package flagship_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestLogsOneComponentPerRecord runs a client in BUCKETING mode through
// start, decisions, activation, hits, delivery and Close, with
// JSON logs at Debug, and checks that no record carries a key twice (as
// in "component":"flagship","component":"bucketing"): the client gives
// each package it wires a logger without its own component.
func TestLogsOneComponentPerRecord(t *testing.T) {
	srv := flagshiptest.NewServer(t, flagshiptest.WithCampaigns(
		flagshiptest.Toggle("dark", map[string]any{"dark": true})))
	var logs bytes.Buffer // slog's JSONHandler serializes its writes
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flagship.New(ctx, srv.EnvID(), "test-api-key", append(srv.Options(),
		flagship.WithMode(flagship.Bucketing), flagship.WithLogger(logger))...)
	require.NoError(t, err)
	closed := false
	defer func() {
		if !closed { // a failed test: don't wait for deliveries
			cctx, ccancel := context.WithTimeout(context.Background(), time.Second)
			defer ccancel()
			_ = c.Close(cctx)
		}
	}()
	require.NoError(t, c.WaitReady(ctx))
	v, err := c.NewVisitor("v-1", visitor.Attributes{"plan": "gold"})
	require.NoError(t, err)
	require.NoError(t, v.Synchronize(ctx))
	require.NoError(t, v.Activate(ctx, "dark"))
	require.NoError(t, v.SendHit(ctx, hits.Page{URL: "https://shop.example/"}))
	require.NoError(t, c.Flush(ctx))
	require.NoError(t, c.Close(ctx))
	closed = true

	components := map[string]int{}
	dec := json.NewDecoder(&logs)
	for n := 1; ; n++ {
		var rec json.RawMessage
		if err := dec.Decode(&rec); err == io.EOF {
			break
		} else {
			require.NoError(t, err)
		}
		dup, keys := duplicateKey(t, rec)
		assert.Empty(t, dup, "record %d has the key %q twice: %s", n, dup, rec)
		if comp, ok := keys["component"]; ok {
			components[comp]++
		}
	}
	t.Logf("records per component: %v", components)
	// The test is only worth something if the client and packages it
	// wires did log.
	assert.NotZero(t, components["flagship"], "no record of the client itself")
	assert.NotZero(t, components["eventqueue"]+components["bucketing"]+components["assignment"]+components["assignments"],
		"no record of a package the client wires")
}

// duplicateKey returns the first key that appears twice among the
// top-level members of the JSON object rec, or "", and the string values
// of its members.
func duplicateKey(t *testing.T, rec json.RawMessage) (string, map[string]string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(rec))
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	seen := map[string]string{}
	dup := ""
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		key := tok.(string)
		var val any
		require.NoError(t, dec.Decode(&val))
		if _, ok := seen[key]; ok && dup == "" {
			dup = key
		}
		s, _ := val.(string)
		seen[key] = s
	}
	return dup, seen
}

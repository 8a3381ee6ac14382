package fsopenfeature_test

import (
	"strings"
	"testing"
	"time"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	fsopenfeature "github.com/seed27eed597/flagship-go/contrib/openfeature"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

func TestReadyOnInit(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		ev, _ := e.events.waitFor(t, 0, "PROVIDER_READY", isType(openfeature.ProviderReady))
		assert.Equal(t, fsopenfeature.ProviderName, ev.Details.ProviderName)
		assert.Equal(t, openfeature.ReadyState, e.of.State())
		assert.Equal(t, openfeature.Metadata{Name: fsopenfeature.ProviderName}, e.provider.Metadata())
	})
}

// TestConfigurationChanged checks that a new bucketing file is a
// PROVIDER_CONFIGURATION_CHANGED listing the flags that changed, and
// that the cache is emptied: the same context gets the new value at once.
func TestConfigurationChanged(t *testing.T) {
	// A long TTL: without invalidation the old value would stay.
	e := newEnv(t, flagship.Bucketing, fsopenfeature.Options{CacheTTL: time.Hour}, campaigns()...)
	ec := userCtx("u1")
	require.Equal(t, "green", e.of.String(t.Context(), "color", "blue", ec))
	require.Equal(t, "hello", e.of.String(t.Context(), "title", "", ec))

	changed := campaigns()
	changed[1].VariationGroups[0].Variations[0].Modifications.Value = map[string]any{"color": "red", "size": "xl"}
	e.srv.SetCampaigns(changed...)
	ev, _ := e.events.waitFor(t, 0, "PROVIDER_CONFIGURATION_CHANGED", isType(openfeature.ProviderConfigChange))
	assert.Equal(t, []string{"color", "size"}, ev.Details.FlagChanges)
	assert.Equal(t, fsopenfeature.ProviderName, ev.Details.ProviderName)

	assert.Equal(t, "red", e.of.String(t.Context(), "color", "blue", ec))
	assert.Equal(t, "xl", e.of.String(t.Context(), "size", "", ec))
	assert.Equal(t, "hello", e.of.String(t.Context(), "title", "", ec))
	assert.Equal(t, openfeature.ReadyState, e.of.State())
}

// TestStale checks that failing downloads of the bucketing file make the
// provider STALE, and the next success READY again.
func TestStale(t *testing.T) {
	e := newEnv(t, flagship.Bucketing, fsopenfeature.Options{}, campaigns()...)
	_, n := e.events.waitFor(t, 0, "PROVIDER_READY", isType(openfeature.ProviderReady))
	e.srv.FailNext(3, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 503})
	ev, n := e.events.waitFor(t, n, "PROVIDER_STALE", isType(openfeature.ProviderStale))
	assert.Contains(t, ev.Details.Message, "503")
	// Flags still serve the last good file meanwhile.
	assert.True(t, e.of.Boolean(t.Context(), "enabled", false, userCtx("u-stale")))
	e.events.waitFor(t, n, "PROVIDER_READY", isType(openfeature.ProviderReady))
	require.Eventually(t, func() bool { return e.of.State() == openfeature.ReadyState }, 5*time.Second, 5*time.Millisecond)
	stale := 0
	for _, ev := range e.events.all() {
		if ev.Type == openfeature.ProviderStale {
			stale++
		}
	}
	assert.Equal(t, 1, stale, "one PROVIDER_STALE per run of failures")
}

// TestStaleEndsWithUpdate checks that a new file ends STALE too.
func TestStaleEndsWithUpdate(t *testing.T) {
	e := newEnv(t, flagship.Bucketing, fsopenfeature.Options{}, campaigns()...)
	e.srv.FailNext(2, flagshiptest.Fault{Route: flagshiptest.RouteBucketing, Status: 500})
	_, n := e.events.waitFor(t, 0, "PROVIDER_STALE", isType(openfeature.ProviderStale))
	changed := campaigns()
	changed[0].VariationGroups[0].Variations[0].Modifications.Value = map[string]any{"enabled": false}
	e.srv.SetCampaigns(changed...)
	e.events.waitFor(t, n, "PROVIDER_READY", isType(openfeature.ProviderReady))
	e.events.waitFor(t, n, "PROVIDER_CONFIGURATION_CHANGED", isType(openfeature.ProviderConfigChange))
	require.Eventually(t, func() bool { return e.of.State() == openfeature.ReadyState }, 5*time.Second, 5*time.Millisecond)
}

// TestPanicEvents checks that panic mode starting and ending are each a
// PROVIDER_CONFIGURATION_CHANGED saying so.
func TestPanicEvents(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode flagship.Mode) {
		e := newEnv(t, mode, fsopenfeature.Options{}, campaigns()...)
		e.srv.SetPanic(true)
		if mode == flagship.DecisionAPI {
			// The client learns it from a decision.
			e.of.Boolean(t.Context(), "enabled", false, userCtx("u-panic"))
		}
		ev, n := e.events.waitFor(t, 0, "panic PROVIDER_CONFIGURATION_CHANGED", configChange("panic mode:"))
		assert.Contains(t, ev.Details.Message, "DISABLED")

		e.srv.SetPanic(false)
		if mode == flagship.DecisionAPI {
			e.of.Boolean(t.Context(), "enabled", false, userCtx("u-after"))
		}
		e.events.waitFor(t, n, "panic end PROVIDER_CONFIGURATION_CHANGED", configChange("panic mode ended"))
		assert.Equal(t, openfeature.ReadyState, e.of.State())
	})
}

// configChange matches a PROVIDER_CONFIGURATION_CHANGED whose message
// contains msg.
func configChange(msg string) func(event) bool {
	return func(e event) bool {
		return e.Type == openfeature.ProviderConfigChange && strings.Contains(e.Details.Message, msg)
	}
}

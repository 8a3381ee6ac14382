package flagship_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed27eed597/flagship-go/flagship"
)

// hookRecords collects the records a LogHook hands to its hook.
type hookRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *hookRecords) hook(_ context.Context, r slog.Record) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
}

func (h *hookRecords) all() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.recs...)
}

// withMessage returns the records whose message is msg.
func (h *hookRecords) withMessage(msg string) []slog.Record {
	var out []slog.Record
	for _, r := range h.all() {
		if r.Message == msg {
			out = append(out, r)
		}
	}
	return out
}

// recordMap renders r as slogtest expects a handler's output: built-in
// keys, resolved values, groups as nested maps, empty groups and empty
// attributes dropped, groups with an empty key inlined.
func recordMap(r slog.Record) map[string]any {
	m := map[string]any{slog.LevelKey: r.Level, slog.MessageKey: r.Message}
	if !r.Time.IsZero() {
		m[slog.TimeKey] = r.Time
	}
	r.Attrs(func(a slog.Attr) bool {
		addAttr(m, a)
		return true
	})
	return m
}

func addAttr(m map[string]any, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() != slog.KindGroup {
		m[a.Key] = a.Value.Any()
		return
	}
	dst := m
	if a.Key != "" {
		dst = map[string]any{}
	}
	for _, ga := range a.Value.Group() {
		addAttr(dst, ga)
	}
	if a.Key != "" && len(dst) > 0 {
		m[a.Key] = dst
	}
}

// TestLogHookWithoutNext runs slog's handler conformance tests on the
// records the hook receives (next nil): each record reaches it exactly
// once, with the attributes and groups of With and WithGroup applied.
func TestLogHookWithoutNext(t *testing.T) {
	var cur *hookRecords
	slogtest.Run(t, func(*testing.T) slog.Handler {
		cur = &hookRecords{}
		return flagship.LogHook(nil, cur.hook)
	}, func(t *testing.T) map[string]any {
		recs := cur.all()
		require.Len(t, recs, 1, "the hook receives each record once")
		return recordMap(recs[0])
	})
}

// TestLogHookWithNext runs slog's conformance tests on the next handler
// behind the hook: it still receives each record once, as it would
// without the hook, while the hook receives it once too.
func TestLogHookWithNext(t *testing.T) {
	var (
		buf bytes.Buffer
		cur *hookRecords
	)
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		cur = &hookRecords{}
		return flagship.LogHook(slog.NewJSONHandler(&buf, nil), cur.hook)
	}, func(t *testing.T) map[string]any {
		require.Len(t, cur.all(), 1, "the hook receives each record once")
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		require.Len(t, lines, 1, "next receives each record once")
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
		return m
	})
}

// TestLogHookLevels: without next the hook gets Info and above; with next
// it gets what next is enabled for.
func TestLogHookLevels(t *testing.T) {
	ctx := context.Background()
	var alone hookRecords
	h := flagship.LogHook(nil, alone.hook)
	assert.False(t, h.Enabled(ctx, slog.LevelDebug))
	assert.True(t, h.Enabled(ctx, slog.LevelInfo))
	l := slog.New(h)
	l.Debug("debug")
	l.Warn("warn")
	require.Len(t, alone.all(), 1)
	assert.Equal(t, "warn", alone.all()[0].Message)

	var behind hookRecords
	var buf bytes.Buffer
	l = slog.New(flagship.LogHook(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError}), behind.hook))
	l.Warn("warn")
	l.Error("error")
	require.Len(t, behind.all(), 1)
	assert.Equal(t, "error", behind.all()[0].Message)
	assert.Equal(t, 1, strings.Count(buf.String(), "msg="))
}

// TestLogHookWithClient gives a client a logger whose handler is a
// LogHook: each record the SDK logs reaches the hook exactly once, with
// the SDK's "component" attribute, and the logger's own handler exactly
// once.
func TestLogHookWithClient(t *testing.T) {
	srv := abServer(t)
	var logs syncBuffer
	var got hookRecords
	logger := slog.New(flagship.LogHook(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}), got.hook))
	c, err := flagship.New(t.Context(), srv.EnvID(), "key", append(srv.Options(), flagship.WithLogger(logger))...)
	require.NoError(t, err)
	require.NoError(t, c.Close(context.Background()))

	for _, tt := range []struct {
		msg  string
		want int
	}{
		{msg: "status changed", want: 2}, // READY, then CLOSED
		{msg: "closed", want: 1},
	} {
		msg := tt.msg
		recs := got.withMessage(msg)
		require.Len(t, recs, tt.want, "the hook received %q", msg)
		attrs := map[string]string{}
		recs[0].Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		assert.Equal(t, "flagship", attrs["component"], "%q carries the logger's attributes", msg)
		assert.Equal(t, tt.want, strings.Count(logs.String(), `"msg":"`+msg+`"`), "the logger wrote %q as often", msg)
	}
	assert.Equal(t, len(got.all()), strings.Count(logs.String(), `"msg":`), "the hook and the logger saw the same records")
}

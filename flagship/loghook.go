package flagship

import (
	"context"
	"log/slog"
	"slices"
)

// LogHook returns a [slog.Handler] that calls hook with every record it
// handles, then passes the record to next: the counterpart of the on_log
// hook of Flagship's SDKs, for a logger given to [WithLogger]:
//
//	logger := slog.New(flagship.LogHook(slog.Default().Handler(), onLog))
//	c, err := flagship.New(ctx, envID, apiKey, flagship.WithLogger(logger))
//
// hook receives the records next is enabled for, each once, carrying the
// attributes and groups added with With and WithGroup (such as
// "component"), as a handler would write them. A nil next discards the
// records after hook, which then receives those at [slog.LevelInfo] and
// above (slog.Default's level); give a next handler enabled at another
// level to choose it.
//
// hook is called synchronously, from the goroutine that logs, possibly
// concurrently: it must be safe for concurrent use and return quickly, and
// may keep the record (it is a clone). Panics in it are not recovered.
// The returned handler is safe for concurrent use if next is.
func LogHook(next slog.Handler, hook func(context.Context, slog.Record)) slog.Handler {
	return &logHook{next: next, hook: hook}
}

type logHook struct {
	next slog.Handler // nil: discard
	hook func(context.Context, slog.Record)
	// with holds what WithAttrs and WithGroup added, outermost first.
	with []groupOrAttrs
}

// groupOrAttrs is a group opened by WithGroup, or attributes added by
// WithAttrs.
type groupOrAttrs struct {
	group string
	attrs []slog.Attr
}

func (h *logHook) Enabled(ctx context.Context, l slog.Level) bool {
	if h.next == nil {
		return l >= slog.LevelInfo
	}
	return h.next.Enabled(ctx, l)
}

func (h *logHook) Handle(ctx context.Context, r slog.Record) error {
	if h.hook != nil {
		h.hook(ctx, h.record(r))
	}
	if h.next == nil {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// record returns a copy of r with the attributes and groups of h.with
// applied: r's attributes nested in the groups opened, after the
// attributes added before each group.
func (h *logHook) record(r slog.Record) slog.Record {
	if len(h.with) == 0 {
		return r.Clone()
	}
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	for i := len(h.with) - 1; i >= 0; i-- {
		w := h.with[i]
		if w.group == "" {
			attrs = slices.Concat(w.attrs, attrs)
		} else if len(attrs) > 0 { // slog drops empty groups
			attrs = []slog.Attr{{Key: w.group, Value: slog.GroupValue(attrs...)}}
		}
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(attrs...)
	return out
}

func (h *logHook) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	return h.with1(groupOrAttrs{attrs: slices.Clone(as)}, func(n slog.Handler) slog.Handler { return n.WithAttrs(as) })
}

func (h *logHook) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with1(groupOrAttrs{group: name}, func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
}

func (h *logHook) with1(g groupOrAttrs, next func(slog.Handler) slog.Handler) *logHook {
	out := &logHook{next: h.next, hook: h.hook, with: append(slices.Clip(h.with), g)}
	if h.next != nil {
		out.next = next(h.next)
	}
	return out
}

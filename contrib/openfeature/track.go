package fsopenfeature

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// LabelAttribute is the tracking event detail that Track sends as the
// Event hit's label, when it is a string.
const LabelAttribute = "label"

// Track sends a Flagship EVENT hit for the visitor of evalCtx's targeting
// key: category "Action Tracking", action trackingEventName, value
// details.Value() rounded to the nearest integer (0 is not sent), label
// the string detail [LabelAttribute] if any; other details are not sent.
// It returns once the client's queue took the hit (see
// [visitor.Visitor.SendHit]: fsynced with the default durable queue).
//
// OpenFeature's Track returns nothing, so failures are logged on the
// provider's logger at Error, and nothing is sent: a missing targeting
// key, a value that is negative, not finite or beyond the range of
// int64 (Flagship's event value is a non-negative integer), an invalid
// hit, a visitor without consent, a full or closed queue. In panic mode
// nothing is tracked either (logged at Debug). The evaluation context's
// other attributes are not sent: an Event hit carries none.
func (p *Provider) Track(ctx context.Context, trackingEventName string, evalCtx openfeature.EvaluationContext, details openfeature.TrackingEventDetails) {
	if err := p.track(ctx, trackingEventName, evalCtx, details); err != nil {
		level := slog.LevelError // the event is lost
		if errors.Is(err, visitor.ErrPanicMode) {
			level = slog.LevelDebug // nothing is tracked in panic mode, by design
		}
		p.log.LogAttrs(ctx, level, "track failed", slog.String("event", trackingEventName),
			slog.String("visitor", evalCtx.TargetingKey()), slog.Any("err", err))
	}
}

func (p *Provider) track(ctx context.Context, name string, evalCtx openfeature.EvaluationContext, details openfeature.TrackingEventDetails) error {
	switch {
	case p.client == nil:
		return ErrNoClient
	case p.closed.Load():
		return ErrShutdown
	case evalCtx.TargetingKey() == "":
		return errors.New("fsopenfeature: track: the evaluation context has no targeting key")
	}
	value, err := eventValue(details.Value())
	if err != nil {
		return err
	}
	ev := hits.Event{Category: hits.ActionTracking, Action: name, Value: value}
	if label, ok := details.Attribute(LabelAttribute).(string); ok {
		ev.Label = label
	}
	v, err := p.client.NewVisitor(evalCtx.TargetingKey(), nil)
	if err != nil {
		return fmt.Errorf("fsopenfeature: track: %w", err)
	}
	if err := v.SendHit(ctx, ev); err != nil {
		return fmt.Errorf("fsopenfeature: track: %w", err)
	}
	return nil
}

// eventValue returns f as an Event hit's value: rounded to the nearest
// integer, half away from zero.
func eventValue(f float64) (int64, error) {
	r := math.Round(f)
	if math.IsNaN(r) || r < 0 || r >= math.MaxInt64 {
		return 0, fmt.Errorf("fsopenfeature: track: value %v: want a finite number from 0 to 2^63 (Flagship's event value is a non-negative integer)", f)
	}
	return int64(r), nil
}

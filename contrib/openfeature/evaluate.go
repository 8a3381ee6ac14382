package fsopenfeature

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
	"github.com/seed27eed597/flagship-go/visitor"
)

// BooleanEvaluation resolves a boolean flag: a JSON boolean.
func (p *Provider) BooleanEvaluation(ctx context.Context, flag string, def bool, flat openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	v, d := p.evaluate(ctx, flag, def, flat)
	b, ok := v.(bool)
	if !ok {
		b = def
	}
	return openfeature.BoolResolutionDetail{Value: b, ProviderResolutionDetail: d}
}

// StringEvaluation resolves a string flag: a JSON string.
func (p *Provider) StringEvaluation(ctx context.Context, flag string, def string, flat openfeature.FlattenedContext) openfeature.StringResolutionDetail {
	v, d := p.evaluate(ctx, flag, def, flat)
	s, ok := v.(string)
	if !ok {
		s = def
	}
	return openfeature.StringResolutionDetail{Value: s, ProviderResolutionDetail: d}
}

// FloatEvaluation resolves a number flag: any JSON number.
func (p *Provider) FloatEvaluation(ctx context.Context, flag string, def float64, flat openfeature.FlattenedContext) openfeature.FloatResolutionDetail {
	v, d := p.evaluate(ctx, flag, def, flat)
	f, ok := v.(float64)
	if !ok {
		f = def
	}
	return openfeature.FloatResolutionDetail{Value: f, ProviderResolutionDetail: d}
}

// IntEvaluation resolves an integer flag: a JSON number with an integral
// value within the range of int; any other number is a TYPE_MISMATCH.
func (p *Provider) IntEvaluation(ctx context.Context, flag string, def int64, flat openfeature.FlattenedContext) openfeature.IntResolutionDetail {
	v, d := p.evaluate(ctx, flag, int(def), flat)
	i, ok := v.(int)
	if !ok {
		return openfeature.IntResolutionDetail{Value: def, ProviderResolutionDetail: d}
	}
	return openfeature.IntResolutionDetail{Value: int64(i), ProviderResolutionDetail: d}
}

// ObjectEvaluation resolves an object flag: a JSON object
// (map[string]any) or array ([]any), returned as a copy; any other value
// is a TYPE_MISMATCH.
func (p *Provider) ObjectEvaluation(ctx context.Context, flag string, def any, flat openfeature.FlattenedContext) openfeature.InterfaceResolutionDetail {
	v, d := p.evaluate(ctx, flag, nil, flat)
	switch v.(type) {
	case map[string]any, []any:
		return openfeature.InterfaceResolutionDetail{Value: v, ProviderResolutionDetail: d}
	}
	if d.ResolutionError == (openfeature.ResolutionError{}) && v != nil {
		// A value of another JSON type: Evaluate's nil default takes any.
		d.ResolutionError = openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("flag %q is a %s, not an object or array", flag, jsonType(v)))
		d.Reason = openfeature.ErrorReason
	}
	return openfeature.InterfaceResolutionDetail{Value: def, ProviderResolutionDetail: d}
}

// evaluate resolves flag for the visitor of flat, want being the default
// whose type the value must have (nil accepts any). It returns the value
// served, nil when the caller's default is: an absent or null flag, a
// type mismatch, panic mode or an error.
func (p *Provider) evaluate(ctx context.Context, flag string, want any, flat openfeature.FlattenedContext) (any, openfeature.ProviderResolutionDetail) {
	v, rerr := p.visitorFor(ctx, flat)
	if rerr != nil {
		return nil, openfeature.ProviderResolutionDetail{ResolutionError: *rerr, Reason: openfeature.ErrorReason}
	}
	ev := v.Evaluate(flag, want)
	var d openfeature.ProviderResolutionDetail
	switch ev.Reason {
	case visitor.ReasonFound:
		d.Reason = reasonOf(ev.Info.CampaignType)
		d.Variant = ev.Info.VariationID
		d.FlagMetadata = p.metas.get(ev.Info)
		if want == nil {
			if _, ok := ev.Value.(map[string]any); !ok {
				if _, ok := ev.Value.([]any); !ok {
					// A scalar asked as an object: ObjectEvaluation
					// reports the mismatch; nothing was served.
					return ev.Value, d
				}
			}
		}
		p.activate(ctx, v, flag)
		return ev.Value, d
	case visitor.ReasonNullValue:
		// The variation serves "the default": the visitor sees it.
		d.Reason = openfeature.DefaultReason
		d.Variant = ev.Info.VariationID
		d.FlagMetadata = p.metas.get(ev.Info)
		p.activate(ctx, v, flag)
		return nil, d
	case visitor.ReasonTypeMismatch:
		d.Reason = openfeature.ErrorReason
		d.Variant = ev.Info.VariationID
		d.FlagMetadata = p.metas.get(ev.Info)
		raw := v.Value(flag, nil)
		d.ResolutionError = openfeature.NewTypeMismatchResolutionError(fmt.Sprintf("flag %q is a %s, not a %s", flag, jsonType(raw), wantType(want)))
		return nil, d
	case visitor.ReasonPanic:
		d.Reason = openfeature.DisabledReason
		return nil, d
	case visitor.ReasonNotFound:
		if defined, known := p.client.FlagDefined(flag); known && !defined {
			d.Reason = openfeature.ErrorReason
			d.ResolutionError = openfeature.NewFlagNotFoundResolutionError(fmt.Sprintf("no campaign of the environment sets flag %q", flag))
			return nil, d
		}
		d.Reason = openfeature.DefaultReason
		return nil, d
	}
	// ReasonNotSynchronized: cannot happen after a successful Synchronize.
	d.Reason = openfeature.ErrorReason
	d.ResolutionError = openfeature.NewProviderNotReadyResolutionError("the visitor has no decision")
	return nil, d
}

// reasonOf returns the reason of a value a campaign served: SPLIT for an
// A/B test ("ab"), whose variations are allocated pseudorandomly;
// TARGETING_MATCH for every other type (toggle, perso, deployment...).
func reasonOf(campaignType string) openfeature.Reason {
	if campaignType == "ab" {
		return openfeature.SplitReason
	}
	return openfeature.TargetingMatchReason
}

// activate reports the exposure of flag's variation, unless NoActivation,
// off the request path (see exposures).
func (p *Provider) activate(ctx context.Context, v *visitor.Visitor, flag string) {
	if !p.opts.NoActivation {
		p.exposures.report(ctx, v, flag)
	}
}

// visitorFor returns the synchronized visitor of flat: cached, or made
// and synchronized now.
func (p *Provider) visitorFor(ctx context.Context, flat openfeature.FlattenedContext) (*visitor.Visitor, *openfeature.ResolutionError) {
	if p.client == nil {
		return nil, generalError(ErrNoClient)
	}
	if p.closed.Load() {
		return nil, generalError(ErrShutdown)
	}
	id, rerr := targetingKey(flat)
	if rerr != nil {
		return nil, rerr
	}
	load := func() (*visitor.Visitor, error) {
		v, err := p.client.NewVisitor(id, attributes(flat))
		if err != nil {
			return nil, err
		}
		if err := v.Synchronize(ctx); err != nil {
			return nil, err
		}
		return v, nil
	}
	bp := p.keyBufs.Get().(*[]byte)
	defer p.keyBufs.Put(bp)
	key, ok := appendContextKey((*bp)[:0], id, flat)
	*bp = key
	var v *visitor.Visitor
	var err error
	if ok {
		v, err = p.cache.get(ctx, key, load)
	} else {
		v, err = load() // NewVisitor refuses the value the key could not encode
	}
	if err != nil {
		return nil, resolutionError(err)
	}
	return v, nil
}

// resolutionError maps an error of NewVisitor or Synchronize to its
// OpenFeature error code.
func resolutionError(err error) *openfeature.ResolutionError {
	var e openfeature.ResolutionError
	var attrErr *visitor.AttributeError
	switch {
	case errors.As(err, &attrErr):
		e = openfeature.NewInvalidContextResolutionError(attrErr.Error())
	case errors.Is(err, visitor.ErrInvalidID):
		e = openfeature.NewInvalidContextResolutionError("targeting key: " + err.Error())
	case errors.Is(err, hits.ErrInvalidRecord):
		// The context hit Synchronize owes cannot carry this context.
		e = openfeature.NewInvalidContextResolutionError(err.Error())
	case errors.Is(err, flagship.ErrNotReady):
		e = openfeature.NewProviderNotReadyResolutionError(err.Error())
	case errors.Is(err, decision.ErrBadResponse):
		e = openfeature.NewParseErrorResolutionError(err.Error(), err)
	default:
		e = openfeature.NewGeneralResolutionError(err.Error(), err)
	}
	return &e
}

func generalError(err error) *openfeature.ResolutionError {
	e := openfeature.NewGeneralResolutionError(err.Error(), err)
	return &e
}

// jsonType names the JSON type of a flag value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return fmt.Sprintf("%T", v)
}

// wantType names the type an evaluation wants.
func wantType(want any) string {
	switch want.(type) {
	case int:
		return "whole number within the range of int"
	case float64:
		return "number"
	}
	return jsonType(want)
}

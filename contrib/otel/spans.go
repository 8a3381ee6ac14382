package fsotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/seed27eed597/flagship-go/flagship"
)

// startRemoteDecide starts the span of a Decision API call.
func (o *Observer) startRemoteDecide(ctx context.Context, op flagship.Op) (context.Context, func(flagship.OpResult)) {
	e := o.env(op.EnvID)
	kv := append(append(make([]attribute.KeyValue, 0, 8), e.decideSpan[flagship.DecisionAPI]...), e.urlAttrs(op.URL)...)
	ctx, span := o.tracer.Start(ctx, spanDecide, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(kv...))
	return ctx, func(r flagship.OpResult) {
		set := e.decideOpts(r.Op.Mode)
		if span.IsRecording() {
			span.SetAttributes(keyCampaigns.Int(r.Campaigns), keyPanic.Bool(r.Panic))
			if r.StatusCode != 0 {
				span.SetAttributes(semconv.HTTPResponseStatusCode(r.StatusCode))
			}
		}
		if r.Err != nil {
			t := errorType(r.Err, r.StatusCode)
			set = e.decideFailed(r.Op.Mode.String(), t)
			fail(span, r.Err, t)
		}
		span.End()
		o.m.decisionDuration.Record(context.Background(), r.Duration.Seconds(), set.rec...)
	}
}

// startFetch starts the span of a download of the bucketing file.
func (o *Observer) startFetch(ctx context.Context, op flagship.Op) (context.Context, func(flagship.OpResult)) {
	e := o.env(op.EnvID)
	kv := append(e.attrs(), e.urlAttrs(op.URL)...)
	ctx, span := o.tracer.Start(ctx, spanFetch, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(kv...))
	return ctx, func(r flagship.OpResult) {
		set := e.base
		if span.IsRecording() {
			span.SetAttributes(keyChanged.Bool(r.Changed))
			if r.StatusCode != 0 {
				span.SetAttributes(semconv.HTTPResponseStatusCode(r.StatusCode))
			}
		}
		if r.Err != nil {
			t := errorType(r.Err, r.StatusCode)
			set = e.fetchFailed(t)
			fail(span, r.Err, t)
			// A download cut short by Close is no failure of Flagship's.
			if !errors.Is(r.Err, context.Canceled) {
				o.m.fetchFailures.Add(context.Background(), 1, set.add...)
			}
		}
		span.End()
		o.m.fetchDuration.Record(context.Background(), r.Duration.Seconds(), set.rec...)
	}
}

// startSend starts the span of a send of a batch of records.
func (o *Observer) startSend(ctx context.Context, op flagship.Op) (context.Context, func(flagship.OpResult)) {
	e := o.env(op.EnvID)
	ctx, span := o.tracer.Start(ctx, spanSend, trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(e.attrs(keySink.String(op.Sink), keyRecords.Int(op.N))...))
	return ctx, func(r flagship.OpResult) {
		set := e.sink(r.Op.Sink)
		if r.StatusCode != 0 && span.IsRecording() {
			span.SetAttributes(semconv.HTTPResponseStatusCode(r.StatusCode))
		}
		if r.Err != nil {
			t := errorType(r.Err, r.StatusCode)
			set = e.sendFailed(r.Op.Sink, t)
			fail(span, r.Err, t)
		}
		span.End()
		o.m.sendDuration.Record(context.Background(), r.Duration.Seconds(), set.rec...)
	}
}

// fail marks span as failed with err, of error.type t: the error status,
// error.type, and an exception event as span.RecordError makes, whose
// message is redacted (see redact).
func fail(span trace.Span, err error, t string) {
	if !span.IsRecording() {
		return
	}
	msg := redact(err)
	span.SetAttributes(semconv.ErrorTypeKey.String(t))
	span.AddEvent(semconv.ExceptionEventName, trace.WithAttributes(
		semconv.ExceptionType(exceptionType(err)), semconv.ExceptionMessage(msg)))
	span.SetStatus(codes.Error, msg)
}

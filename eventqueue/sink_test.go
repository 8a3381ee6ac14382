package eventqueue_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/seed27eed597/flagship-go/eventqueue"
)

func TestPermanent(t *testing.T) {
	base := errors.New("400 bad request")
	tests := []struct {
		name string
		give error
		want bool
	}{
		{name: "nil", give: eventqueue.Permanent(nil), want: false},
		{name: "plain", give: base, want: false},
		{name: "marked", give: eventqueue.Permanent(base), want: true},
		{name: "wrapped", give: fmt.Errorf("httpsink: %w", eventqueue.Permanent(base)), want: true},
		{name: "retry after", give: eventqueue.RetryAfter(base, time.Second), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, eventqueue.IsPermanent(tt.give))
		})
	}
	assert.NoError(t, eventqueue.Permanent(nil))
	p := eventqueue.Permanent(base)
	assert.ErrorIs(t, p, base)
	assert.Equal(t, base.Error(), p.Error())
}

func TestSystemic(t *testing.T) {
	base := errors.New("401 revoked key")
	tests := []struct {
		name          string
		give          error
		wantSystemic  bool
		wantPermanent bool
	}{
		{name: "nil", give: eventqueue.Systemic(nil)},
		{name: "plain", give: base},
		{name: "marked", give: eventqueue.Systemic(base), wantSystemic: true},
		{name: "wrapped", give: fmt.Errorf("httpsink: %w", eventqueue.Systemic(base)), wantSystemic: true},
		{name: "retry after", give: eventqueue.RetryAfter(eventqueue.Systemic(base), time.Second), wantSystemic: true},
		{name: "systemic over permanent", give: eventqueue.Systemic(eventqueue.Permanent(base)), wantSystemic: true},
		{name: "permanent over systemic", give: eventqueue.Permanent(eventqueue.Systemic(base)), wantSystemic: true},
		{name: "permanent", give: eventqueue.Permanent(base), wantPermanent: true},
		{name: "a partial entry", give: eventqueue.Partial([]error{nil, eventqueue.Systemic(base)}), wantSystemic: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantSystemic, eventqueue.IsSystemic(tt.give))
			assert.Equal(t, tt.wantPermanent, eventqueue.IsPermanent(tt.give))
		})
	}
	assert.NoError(t, eventqueue.Systemic(nil))
	s := eventqueue.Systemic(base)
	assert.ErrorIs(t, s, base)
	assert.Equal(t, base.Error(), s.Error())
	assert.Equal(t, "destination refused", eventqueue.EventDestinationRefused.String())
}

func TestRetryAfterOf(t *testing.T) {
	base := errors.New("429")
	tests := []struct {
		name   string
		give   error
		want   time.Duration
		wantOK bool
	}{
		{name: "nil", give: eventqueue.RetryAfter(nil, time.Second), wantOK: false},
		{name: "plain", give: base, wantOK: false},
		{name: "asked", give: eventqueue.RetryAfter(base, 3*time.Second), want: 3 * time.Second, wantOK: true},
		{name: "wrapped", give: fmt.Errorf("send: %w", eventqueue.RetryAfter(base, time.Minute)), want: time.Minute, wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := eventqueue.RetryAfterOf(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.NoError(t, eventqueue.RetryAfter(nil, time.Second))
	r := eventqueue.RetryAfter(base, time.Second)
	assert.ErrorIs(t, r, base)
	assert.Equal(t, base.Error(), r.Error())
}

func TestSinkFunc(t *testing.T) {
	var got []eventqueue.Record
	f := eventqueue.SinkFunc(func(_ context.Context, b []eventqueue.Record) error {
		got = b
		return errors.New("boom")
	})
	batch := []eventqueue.Record{{Seq: 1}}
	assert.EqualError(t, f.Send(context.Background(), batch), "boom")
	assert.Equal(t, batch, got)
}

func TestEventKindString(t *testing.T) {
	tests := []struct {
		give eventqueue.EventKind
		want string
	}{
		{give: eventqueue.EventBatchSent, want: "batch sent"},
		{give: eventqueue.EventBatchFailed, want: "batch failed"},
		{give: eventqueue.EventDeadLettered, want: "dead lettered"},
		{give: eventqueue.EventQueueFull, want: "queue full"},
		{give: 0, want: "EventKind(0)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.give.String())
		})
	}
}

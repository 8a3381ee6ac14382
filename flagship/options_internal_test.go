package flagship

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/visitor"
)

// TestOptionStructsZeroValues: the zero value of each options struct is
// valid and resolves every field to its documented default, exactly as
// New without the option does.
func TestOptionStructsZeroValues(t *testing.T) {
	var (
		api DecisionAPIOptions
		b   BucketingOptions
		d   DeliveryOptions
	)
	ep, err := Endpoints{}.resolve()
	if err != nil {
		t.Fatalf("Endpoints{}.resolve(): %v", err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Endpoints.DecisionAPI", ep.DecisionAPI, DefaultDecisionAPIURL},
		{"Endpoints.Activate", ep.Activate, DefaultActivateURL},
		{"Endpoints.Events", ep.Events, DefaultEventsURL},
		{"Endpoints.Bucketing", ep.Bucketing, DefaultBucketingURL},
		{"DecisionAPIOptions.Timeout", api.timeout(), DefaultDecisionTimeout},
		{"BucketingOptions.PollingInterval", b.pollingInterval(), DefaultPollingInterval},
		{"BucketingOptions.FetchTimeout", b.fetchTimeout(), DefaultFetchTimeout},
		{"DeliveryOptions.BatchSize", d.batchSize(), eventqueue.DefaultBatchSize},
		{"DeliveryOptions.FlushInterval", d.flushInterval(), eventqueue.DefaultFlushInterval},
		{"DeliveryOptions.HitTimeout", d.hitTimeout(), DefaultHitTimeout},
		{"DeliveryOptions.MaxAge", d.maxAge(), DefaultHitMaxAge},
		{"DeliveryOptions.RetryInitial", d.retryInitial(), eventqueue.DefaultRetryInitial},
		{"DeliveryOptions.RetryMax", d.retryMax(), eventqueue.DefaultRetryMax},
		{"DeliveryOptions.MaxRecords", d.maxRecords(), eventqueue.DefaultMaxRecords},
		{"DeliveryOptions.MaxBytes", d.maxBytes(), int64(eventqueue.DefaultMaxBytes)},
		{"DeliveryOptions.BufferDelay", d.durability(), eventqueue.Durable},
		{"DeliveryOptions.ContextHitWindow", d.contextHitWindow(), visitor.DefaultContextHitWindow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("zero value resolves to %v, want %v", tt.got, tt.want)
			}
		})
	}

	// The options given zero values leave the configuration as it is
	// without them, and find nothing wrong.
	c := defaultConfig()
	for _, o := range []Option{WithEndpoints(Endpoints{}), WithDecisionAPI(api), WithBucketing(b), WithDelivery(d),
		WithAssignments(AssignmentOptions{})} {
		o.apply(&c)
	}
	if errs := c.check(); len(errs) > 0 {
		t.Errorf("zero options are refused: %v", errs)
	}
	want := defaultConfig()
	if errs := want.check(); len(errs) > 0 {
		t.Fatalf("defaultConfig() is refused: %v", errs)
	}
	if c.endpoints != want.endpoints || c.decisionAPI != want.decisionAPI || c.bucketing != want.bucketing ||
		!reflect.DeepEqual(c.delivery, want.delivery) || !reflect.DeepEqual(c.assignments, want.assignments) {
		t.Errorf("zero options give %+v, no options %+v", c, want)
	}
}

// TestEndpointsResolve checks Base's layout and the overrides.
func TestEndpointsResolve(t *testing.T) {
	tests := []struct {
		name string
		give Endpoints
		want Endpoints
	}{
		{
			name: "zero: Flagship's endpoints",
			want: Endpoints{DecisionAPI: DefaultDecisionAPIURL, Activate: DefaultActivateURL, Events: DefaultEventsURL, Bucketing: DefaultBucketingURL},
		},
		{
			name: "base: the layout of flagship serve and flagshiptest",
			give: Endpoints{Base: "http://127.0.0.1:8080"},
			want: Endpoints{Base: "http://127.0.0.1:8080", DecisionAPI: "http://127.0.0.1:8080/v2", Activate: "http://127.0.0.1:8080/v2/activate",
				Events: "http://127.0.0.1:8080/events", Bucketing: "http://127.0.0.1:8080"},
		},
		{
			name: "base with a path and a trailing slash",
			give: Endpoints{Base: "https://example.com/flagship/"},
			want: Endpoints{Base: "https://example.com/flagship", DecisionAPI: "https://example.com/flagship/v2",
				Activate: "https://example.com/flagship/v2/activate", Events: "https://example.com/flagship/events", Bucketing: "https://example.com/flagship"},
		},
		{
			name: "an override beside base",
			give: Endpoints{Base: "http://127.0.0.1:8080", Events: "https://collector.example/hits"},
			want: Endpoints{Base: "http://127.0.0.1:8080", DecisionAPI: "http://127.0.0.1:8080/v2", Activate: "http://127.0.0.1:8080/v2/activate",
				Events: "https://collector.example/hits", Bucketing: "http://127.0.0.1:8080"},
		},
		{
			name: "an override without base",
			give: Endpoints{DecisionAPI: "https://decision.example/v2"},
			want: Endpoints{DecisionAPI: "https://decision.example/v2", Activate: DefaultActivateURL, Events: DefaultEventsURL, Bucketing: DefaultBucketingURL},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.give.resolve()
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("resolve() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDeliveryOptionsCheckAccepts: the zero value and the limits are
// accepted.
func TestDeliveryOptionsCheckAccepts(t *testing.T) {
	nop := eventqueue.SinkFunc(nil)
	for _, give := range []DeliveryOptions{
		{},
		{BatchSize: 1, MaxRecords: 1, MaxBytes: 1, RetryInitial: time.Minute, RetryMax: time.Minute, BufferDelay: 1},
		{BatchSize: 1000, Sinks: []eventqueue.SinkConfig{{Name: "mine", Sink: nop}}, NoHTTP: true},
	} {
		if errs := give.check(); len(errs) > 0 {
			t.Errorf("%+v: check() = %v, want no error", give, errs)
		}
	}
}

// TestDeliveryOptionsCheckRefuses: each refused value is reported, once,
// naming its field.
func TestDeliveryOptionsCheckRefuses(t *testing.T) {
	nop := eventqueue.SinkFunc(nil)
	tests := []struct {
		name string
		give DeliveryOptions
		want string
	}{
		{name: "batch size too large", give: DeliveryOptions{BatchSize: 1001}, want: "DeliveryOptions.BatchSize 1001: want 1 to 1000"},
		{name: "negative batch size", give: DeliveryOptions{BatchSize: -1}, want: "DeliveryOptions.BatchSize -1"},
		{name: "negative flush interval", give: DeliveryOptions{FlushInterval: -1}, want: "DeliveryOptions.FlushInterval -1ns"},
		{name: "negative hit timeout", give: DeliveryOptions{HitTimeout: -1}, want: "DeliveryOptions.HitTimeout -1ns"},
		{name: "negative max age", give: DeliveryOptions{MaxAge: -time.Hour}, want: "DeliveryOptions.MaxAge -1h0m0s"},
		{name: "negative retry initial", give: DeliveryOptions{RetryInitial: -1}, want: "DeliveryOptions.RetryInitial -1ns"},
		{name: "negative retry max", give: DeliveryOptions{RetryMax: -1}, want: "DeliveryOptions.RetryMax -1ns"},
		{name: "retry max below initial", give: DeliveryOptions{RetryInitial: time.Second, RetryMax: time.Millisecond}, want: "DeliveryOptions.RetryMax 1ms is below RetryInitial 1s"},
		{name: "retry initial above the default max", give: DeliveryOptions{RetryInitial: time.Hour}, want: "DeliveryOptions.RetryMax 1m0s is below RetryInitial 1h0m0s"},
		{name: "negative max records", give: DeliveryOptions{MaxRecords: -1}, want: "DeliveryOptions.MaxRecords -1"},
		{name: "negative max bytes", give: DeliveryOptions{MaxBytes: -1}, want: "DeliveryOptions.MaxBytes -1"},
		{name: "negative buffer delay", give: DeliveryOptions{BufferDelay: -1}, want: "DeliveryOptions.BufferDelay -1ns"},
		{name: "negative context hit window", give: DeliveryOptions{ContextHitWindow: -1}, want: "DeliveryOptions.ContextHitWindow -1ns"},
		{name: "nil sink", give: DeliveryOptions{Sinks: []eventqueue.SinkConfig{{Name: "ok", Sink: nop}, {Name: "k"}}}, want: `DeliveryOptions.Sinks[1] "k": nil Sink`},
		{name: "reserved sink name", give: DeliveryOptions{Sinks: []eventqueue.SinkConfig{{Name: SinkHTTPHits, Sink: nop}}}, want: `DeliveryOptions.Sinks[0]: name "http-hits" is reserved`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := tt.give.check()
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("check() = %v, want one error containing %q", errs, tt.want)
			}
		})
	}
}

package fsotel

import (
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/hits"
)

// opts is one attribute set, as the options of each kind of measurement:
// built once, so that recording a measurement allocates nothing.
type opts struct {
	add []metric.AddOption
	rec []metric.RecordOption
	obs []metric.ObserveOption
}

func newOpts(kv ...attribute.KeyValue) *opts {
	o := metric.WithAttributeSet(attribute.NewSet(kv...))
	return &opts{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}, obs: []metric.ObserveOption{o}}
}

// Indexes of the attribute sets an env builds in advance, for the
// measurements on the request path (decisions, enqueues) and the
// observable callbacks.
const (
	nModes    = 2 // flagship.DecisionAPI, flagship.Bucketing
	nKinds    = 4 // hits.Kind 1 to 3; 0 is invalid
	nStatuses = 4 // flagship.StatusNotReady to StatusClosed
	nBreakers = 3 // assignment.BreakerClosed to BreakerHalfOpen
)

// env holds the attribute sets of one environment: those built in
// advance, and those built on first use (per sink, reason, error type),
// kept in sets. It is safe for concurrent use.
type env struct {
	id string
	kv []attribute.KeyValue // Options.Attributes and flagship.env_id; never modified

	base       *opts
	decide     [nModes]*opts                // flagship.mode
	enqueued   [nKinds]*opts                // flagship.record.kind
	enqueueDur [nKinds][2]*opts             // flagship.record.kind, flagship.queue.async
	status     [nStatuses]*opts             // flagship.status
	breaker    [nBreakers]*opts             // flagship.breaker.state
	lookupHit  *opts                        // flagship.cache.result
	lookupMiss *opts                        //
	storeLoad  *opts                        // flagship.store.operation
	storeSave  *opts                        //
	decideSpan [nModes][]attribute.KeyValue // span attributes without the URL's

	// decisions counts the decisions per mode, every one (the duration
	// histogram samples local ones).
	decisions [nModes]atomic.Int64

	mu   sync.RWMutex
	sets map[setKey]*opts                // built on first use
	urls map[string][]attribute.KeyValue // span attributes of a URL
}

// setKey names an attribute set built on first use.
type setKey struct {
	what setKind
	a, b string
}

type setKind uint8

const (
	setSink         setKind = iota + 1 // a: sink
	setDeadLettered                    // a: sink, b: reason
	setSendFailed                      // a: sink, b: error.type
	setRefused                         // a: record kind, b: refusal reason
	setDecideFailed                    // a: mode, b: error.type
	setFetchFailed                     // b: error.type
	setOther                           // a: key, b: value (an unexpected enum value)
)

func newEnv(id string, extra []attribute.KeyValue) *env {
	kv := append(append(make([]attribute.KeyValue, 0, len(extra)+1), extra...), keyEnvID.String(id))
	e := &env{id: id, kv: kv, sets: map[setKey]*opts{}, urls: map[string][]attribute.KeyValue{}}
	e.base = newOpts(kv...)
	for m := range nModes {
		mode := keyMode.String(flagship.Mode(m).String())
		e.decide[m] = e.with(mode)
		e.decideSpan[m] = append(e.attrs(), mode)
	}
	for k := 1; k < nKinds; k++ {
		kind := keyRecordKind.String(hits.Kind(k).String())
		e.enqueued[k] = e.with(kind)
		e.enqueueDur[k][0] = e.with(kind, keyAsync.Bool(false))
		e.enqueueDur[k][1] = e.with(kind, keyAsync.Bool(true))
	}
	for s := range nStatuses {
		e.status[s] = e.with(keyStatus.String(flagship.Status(s).String()))
	}
	for s := range nBreakers {
		e.breaker[s] = e.with(keyBreakerState.String(assignment.BreakerState(s).String()))
	}
	e.lookupHit, e.lookupMiss = e.with(keyCacheResult.String("hit")), e.with(keyCacheResult.String("miss"))
	e.storeLoad, e.storeSave = e.with(keyStoreOperation.String("load")), e.with(keyStoreOperation.String("save"))
	return e
}

// attrs returns a copy of the env's attributes, to append to.
func (e *env) attrs(more ...attribute.KeyValue) []attribute.KeyValue {
	return append(append(make([]attribute.KeyValue, 0, len(e.kv)+len(more)+4), e.kv...), more...)
}

// with returns the options of the env's attributes and more.
func (e *env) with(more ...attribute.KeyValue) *opts {
	return newOpts(e.attrs(more...)...)
}

// set returns the attribute set k, building it with build on first use.
func (e *env) set(k setKey, build func() *opts) *opts {
	e.mu.RLock()
	o := e.sets[k]
	e.mu.RUnlock()
	if o != nil {
		return o
	}
	o = build()
	e.mu.Lock()
	if prev := e.sets[k]; prev != nil {
		o = prev
	} else {
		e.sets[k] = o
	}
	e.mu.Unlock()
	return o
}

func (e *env) sink(name string) *opts {
	return e.set(setKey{what: setSink, a: name}, func() *opts { return e.with(keySink.String(name)) })
}

func (e *env) deadLettered(sink, reason string) *opts {
	return e.set(setKey{what: setDeadLettered, a: sink, b: reason}, func() *opts {
		return e.with(keySink.String(sink), keyDeadLetterReason.String(reason))
	})
}

func (e *env) sendFailed(sink, errType string) *opts {
	return e.set(setKey{what: setSendFailed, a: sink, b: errType}, func() *opts {
		return e.with(keySink.String(sink), semconv.ErrorTypeKey.String(errType))
	})
}

func (e *env) refused(kind, reason string) *opts {
	return e.set(setKey{what: setRefused, a: kind, b: reason}, func() *opts {
		return e.with(keyRecordKind.String(kind), keyRefusalReason.String(reason))
	})
}

func (e *env) decideFailed(mode, errType string) *opts {
	return e.set(setKey{what: setDecideFailed, a: mode, b: errType}, func() *opts {
		return e.with(keyMode.String(mode), semconv.ErrorTypeKey.String(errType))
	})
}

func (e *env) fetchFailed(errType string) *opts {
	return e.set(setKey{what: setFetchFailed, b: errType}, func() *opts {
		return e.with(semconv.ErrorTypeKey.String(errType))
	})
}

// other returns the set of the env's attributes and k=v, for an enum
// value the sets built in advance do not cover.
func (e *env) other(k attribute.Key, v string) *opts {
	return e.set(setKey{what: setOther, a: string(k), b: v}, func() *opts { return e.with(k.String(v)) })
}

func (e *env) decideOpts(m flagship.Mode) *opts {
	if int(m) < nModes {
		return e.decide[m]
	}
	return e.other(keyMode, m.String())
}

func (e *env) enqueuedOpts(k hits.Kind) *opts {
	if k > 0 && int(k) < nKinds {
		return e.enqueued[k]
	}
	return e.other(keyRecordKind, k.String())
}

func (e *env) enqueueDurOpts(k hits.Kind, async bool) *opts {
	if k > 0 && int(k) < nKinds {
		i := 0
		if async {
			i = 1
		}
		return e.enqueueDur[k][i]
	}
	return e.other(keyRecordKind, k.String())
}

// urlAttrs returns the span attributes of the URL u: url.full,
// server.address and server.port. u has no credentials nor query (see
// flagship.Op).
func (e *env) urlAttrs(u string) []attribute.KeyValue {
	e.mu.RLock()
	kv, ok := e.urls[u]
	e.mu.RUnlock()
	if ok {
		return kv
	}
	if u != "" {
		kv = append(kv, semconv.URLFull(u))
		if p, err := url.Parse(u); err == nil && p.Hostname() != "" {
			kv = append(kv, semconv.ServerAddress(p.Hostname()))
			port := p.Port()
			switch {
			case port == "" && p.Scheme == "https":
				port = "443"
			case port == "" && p.Scheme == "http":
				port = "80"
			}
			if n, err := strconv.Atoi(port); err == nil {
				kv = append(kv, semconv.ServerPort(n))
			}
		}
	}
	e.mu.Lock()
	if len(e.urls) < 16 { // one or two per client: bound it all the same
		e.urls[u] = kv
	}
	e.mu.Unlock()
	return kv
}

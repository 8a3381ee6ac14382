package flagshiptest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Fault describes a failure [Handler.FailNext] injects. A zero field
// leaves that aspect alone, but a Fault must do something: answer a
// Status, Drop the connection, or add Latency.
type Fault struct {
	// Route is the route the fault applies to: [RouteDecision],
	// [RouteActivate], [RouteBucketing], [RouteEvents],
	// [RouteAccountSettings], [RouteAnalytics], [RouteTroubleshooting],
	// [RouteContextEvents], [RouteAdmin] or [RouteToken]; "" means any
	// (the records route, [RecordsPath], is never faulted).
	Route string
	// Status, if not 0, is the status of the answer (200-599), sent
	// instead of serving the request. A 200 with a Body injects a bad
	// response.
	Status int
	// RetryAfter, if positive, is sent with Status as a Retry-After header
	// in whole seconds, rounded up.
	RetryAfter time.Duration
	// Latency delays the answer (or the drop). If the request's context
	// ends first (the client gave up), nothing is answered or recorded. A
	// fault with only a Latency then serves the request normally and
	// records its data.
	Latency time.Duration
	// Drop closes the connection without any response (after Latency), so
	// the client sees an error such as io.EOF or a connection reset.
	Drop bool
	// Body is the body sent with Status, as is (with Content-Type
	// application/json). Empty means no body.
	Body string
}

// faultRoute reports whether a Fault may name route.
func faultRoute(route string) bool {
	switch route {
	case RouteDecision, RouteActivate, RouteBucketing, RouteEvents, RouteAccountSettings,
		RouteAnalytics, RouteTroubleshooting, RouteContextEvents, RouteAdmin, RouteToken:
		return true
	}
	return false
}

type pendingFault struct {
	f Fault
	n int
}

// FailNext makes the next n requests on f.Route fail as f describes
// (requests for an unknown path or with a wrong method don't count).
// Faults queue: each request takes the first pending fault whose route
// matches. A faulted request is counted by [Handler.FaultedRequests] and
// its data is not recorded, unless the fault is only a Latency.
//
// FailNext returns an error wrapping [ErrInvalidOptions] and queues
// nothing if n is negative or f is impossible (unknown route, Status out
// of 200-599, a negative duration, Drop with a Status or Body, a Body
// without a Status, or nothing to do); [Server.FailNext] fails the test
// instead. n == 0 does nothing.
func (h *Handler) FailNext(n int, f Fault) error {
	if err := f.validate(); err != nil {
		return err
	}
	if n < 0 {
		return fmt.Errorf("%w: negative fault count %d", ErrInvalidOptions, n)
	}
	if n == 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = append(h.faults, pendingFault{f: f, n: n})
	return nil
}

func (f *Fault) validate() error {
	var problem string
	switch {
	case f.Route != "" && !faultRoute(f.Route):
		problem = fmt.Sprintf("unknown route %q", f.Route)
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		problem = fmt.Sprintf("status %d not in 200-599", f.Status)
	case f.Latency < 0 || f.RetryAfter < 0:
		problem = "negative duration"
	case f.Drop && (f.Status != 0 || f.Body != ""):
		problem = "Drop can't have a Status or Body"
	case f.Status == 0 && (f.Body != "" || f.RetryAfter != 0):
		problem = "Body and RetryAfter need a Status"
	case f.Status == 0 && !f.Drop && f.Latency == 0:
		problem = "the fault does nothing"
	}
	if problem != "" {
		return fmt.Errorf("%w: fault: %s", ErrInvalidOptions, problem)
	}
	return nil
}

// takeFault takes one use of the first pending fault for route.
func (h *Handler) takeFault(route string) (Fault, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.faults {
		p := &h.faults[i]
		if p.f.Route != "" && p.f.Route != route {
			continue
		}
		f := p.f
		if p.n--; p.n == 0 {
			h.faults = append(h.faults[:i], h.faults[i+1:]...)
		}
		h.faulted++
		return f, true
	}
	return Fault{}, false
}

// applyFault applies f and reports whether it answered the request
// (otherwise the request is to be served normally).
func (h *Handler) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Latency > 0 {
		// net/http notices a client that hangs up only once the request
		// body has been read: read it now, and keep it for serving.
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true // the client is gone
		case <-h.done:
			dropConn(w)
			return true
		}
	}
	switch {
	case f.Drop:
		dropConn(w)
	case f.Status != 0:
		if f.RetryAfter > 0 {
			secs := (f.RetryAfter + time.Second - 1) / time.Second
			w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
		}
		if f.Body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body)) // a client that left is no concern
	default:
		return false
	}
	return true
}

// dropConn closes the connection without a response: hijacked when the
// server allows it, else aborted by http.ErrAbortHandler, which net/http
// turns into a closed connection (HTTP/1) or a reset stream (HTTP/2).
func dropConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

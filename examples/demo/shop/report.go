package shop

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
	"github.com/seed27eed597/flagship-go/visitor"
)

// Report is what a demo run did and saw.
type Report struct {
	Visitors  int
	ServerURL string
	// Simulated is how long the visitors took; Elapsed adds the final
	// flush and Close.
	Simulated, Elapsed time.Duration
	Campaigns          []*CampaignReport
	Purchases          int
	Revenue            float64
	// Queue is the client's queue counters after Close.
	Queue          eventqueue.Stats
	QueueFileBytes int64
	FlushErr       error
	FaultsInjected int
	// ServerHits counts the hits the local server accepted by type;
	// ServerActivations the activations.
	ServerHits        map[string]int
	ServerActivations int

	// sent and received count the records the shop made and the local
	// server accepted, by identity (see hitKey).
	sent, received                 map[string]int
	syncLatencies, decideLatencies []time.Duration
}

// CampaignReport is one campaign's configured allocation and observed
// split.
type CampaignReport struct {
	ID, Name, Type string
	// Eligible counts the visitors whose context matched the campaign's
	// targeting; the split is among them.
	Eligible   int
	Variations []*VariationReport
	// Unallocated is the share of eligible visitors no variation takes
	// (allocations summing to less than 100%): they get the defaults.
	Unallocated *VariationReport
}

// VariationReport is one variation's share.
type VariationReport struct {
	ID, Name  string
	Reference bool
	// Configured is the allocation, in percent of eligible visitors.
	Configured float64
	// Visitors got this variation; Purchases of them bought.
	Visitors, Purchases int
}

// Observed is the variation's share of the campaign's eligible visitors,
// in percent.
func (c *CampaignReport) Observed(v *VariationReport) float64 {
	if c.Eligible == 0 {
		return 0
	}
	return 100 * float64(v.Visitors) / float64(c.Eligible)
}

// Rows returns the variations followed by the unallocated share, if any.
func (c *CampaignReport) Rows() []*VariationReport {
	if c.Unallocated == nil {
		return c.Variations
	}
	return append(c.Variations[:len(c.Variations):len(c.Variations)], c.Unallocated)
}

func newReport(f *bucketing.File, visitors int) *Report {
	r := &Report{Visitors: visitors}
	for _, c := range f.Campaigns {
		cr := &CampaignReport{ID: c.ID, Name: c.Name, Type: c.Type}
		// The demo's campaigns have one variation group each; with more,
		// the allocations of the first are shown.
		var total float64
		if len(c.VariationGroups) > 0 {
			for _, v := range c.VariationGroups[0].Variations {
				cr.Variations = append(cr.Variations, &VariationReport{
					ID: v.ID, Name: v.Name, Reference: v.Reference, Configured: float64(v.Allocation),
				})
				total += float64(v.Allocation)
			}
		}
		if total < 100 {
			cr.Unallocated = &VariationReport{Name: "(no variation: defaults)", Configured: 100 - total}
		}
		r.Campaigns = append(r.Campaigns, cr)
	}
	return r
}

// tally is one worker's counts, merged into the report at the end.
type tally struct {
	campaigns                      map[string]*campaignTally
	sent                           map[string]int
	purchases                      int
	revenue                        float64
	syncLatencies, decideLatencies []time.Duration
}

type campaignTally struct {
	eligible   int
	variations map[string][2]int // visitors, purchases
}

func newTally(r *Report) *tally {
	t := &tally{campaigns: make(map[string]*campaignTally, len(r.Campaigns)), sent: map[string]int{}}
	for _, c := range r.Campaigns {
		t.campaigns[c.ID] = &campaignTally{variations: map[string][2]int{}}
	}
	return t
}

// expect notes a record the shop made.
func (t *tally) expect(key string) { t.sent[key]++ }

// record counts the variations the visitor was served (read back from its
// flags, as a reporting integration would) among the campaigns it was
// eligible for.
func (t *tally) record(v *visitor.Visitor, eligible map[string]bool, purchased bool) {
	if purchased {
		t.purchases++
	}
	served := map[string]string{}
	for _, f := range v.Flags() {
		served[f.Info.CampaignID] = f.Info.VariationID
	}
	for id, ct := range t.campaigns {
		if !eligible[id] {
			continue
		}
		ct.eligible++
		n := ct.variations[served[id]] // "" counts the unallocated
		n[0]++
		if purchased {
			n[1]++
		}
		ct.variations[served[id]] = n
	}
}

func (r *Report) merge(t *tally) {
	r.Purchases += t.purchases
	if r.sent == nil {
		r.sent = map[string]int{}
	}
	for k, n := range t.sent {
		r.sent[k] += n
	}
	r.Revenue += t.revenue
	r.syncLatencies = append(r.syncLatencies, t.syncLatencies...)
	r.decideLatencies = append(r.decideLatencies, t.decideLatencies...)
	for _, c := range r.Campaigns {
		ct := t.campaigns[c.ID]
		c.Eligible += ct.eligible
		for _, v := range c.Rows() {
			n := ct.variations[v.ID]
			v.Visitors += n[0]
			v.Purchases += n[1]
		}
	}
}

func (r *Report) countServer(h *flagshiptest.Handler) {
	r.ServerHits = map[string]int{}
	r.received = map[string]int{}
	for _, hit := range h.Hits() {
		if hit.FromDecision {
			continue
		}
		r.ServerHits[hit.Type]++
		r.received[serverHitKey(hit)]++
	}
	acts := h.Activations()
	r.ServerActivations = len(acts)
	for _, a := range acts {
		r.received[activationKey(a.VisitorID, a.VariationID)]++
	}
}

// serverHitKey is hitKey for a hit the server received.
func serverHitKey(h flagshiptest.Hit) string {
	f := func(name string) string { s, _ := h.Fields[name].(string); return s }
	switch h.Type {
	case "PAGEVIEW":
		return "PAGEVIEW|" + h.VisitorID + "|" + f("dl")
	case "EVENT":
		return "EVENT|" + h.VisitorID + "|" + f("ea") + "|" + f("el")
	case "TRANSACTION":
		return "TRANSACTION|" + h.VisitorID + "|" + f("tid")
	case "ITEM":
		return "ITEM|" + h.VisitorID + "|" + f("tid") + "|" + f("ic")
	case "SEGMENT":
		return segmentKey(h.VisitorID)
	}
	return h.Type + "|" + h.VisitorID
}

// compareRecords describes how the records the server received differ
// from those the shop made: missing ones and duplicates.
func compareRecords(sent, received map[string]int) error {
	var missing, extra int
	var examples []string
	for k, n := range sent {
		if d := n - received[k]; d > 0 {
			missing += d
			if len(examples) < 3 {
				examples = append(examples, "missing "+k)
			}
		}
	}
	for k, n := range received {
		if d := n - sent[k]; d > 0 {
			extra += d
			if len(examples) < 3 {
				examples = append(examples, "unexpected "+k)
			}
		}
	}
	if missing == 0 && extra == 0 {
		return nil
	}
	return fmt.Errorf("the local server's records differ from the shop's: %d missing, %d duplicated or unexpected (%s)",
		missing, extra, strings.Join(examples, "; "))
}

// SyncLatency returns the p-th percentile (0-100) of the first
// Synchronize of each visitor: the local decision plus the durable write
// of its context hit.
func (r *Report) SyncLatency(p float64) time.Duration { return percentile(r.syncLatencies, p) }

// DecisionLatency returns the p-th percentile (0-100) of the checkout's
// Synchronize: a local decision, with nothing to write.
func (r *Report) DecisionLatency(p float64) time.Duration { return percentile(r.decideLatencies, p) }

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// sink returns the named sink's counters (zero if it has none).
func (r *Report) sink(name string) eventqueue.SinkStats {
	for _, s := range r.Queue.Sinks {
		if s.Name == name {
			return s
		}
	}
	return eventqueue.SinkStats{}
}

func totalHits(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// Check returns an error unless every record enqueued was delivered to
// every destination, and the local server received exactly the hits and
// activations the shop made, each once. Extra sinks are expected to take
// every record kind.
func (r *Report) Check() error {
	var errs []error
	if r.FlushErr != nil {
		errs = append(errs, fmt.Errorf("flush: %w", r.FlushErr))
	}
	if r.Queue.RejectedFull > 0 {
		errs = append(errs, fmt.Errorf("%d records refused: queue full", r.Queue.RejectedFull))
	}
	for _, s := range r.Queue.Sinks {
		if !s.Configured {
			continue
		}
		if s.Depth > 0 || s.DeadLettered > 0 {
			errs = append(errs, fmt.Errorf("%s: %d records undelivered, %d dead-lettered", s.Name, s.Depth, s.DeadLettered))
		}
		if s.Sent != r.Queue.Enqueued && s.Name != flagship.SinkHTTPHits && s.Name != flagship.SinkHTTPActivations {
			errs = append(errs, fmt.Errorf("%s: %d records delivered of %d enqueued", s.Name, s.Sent, r.Queue.Enqueued))
		}
	}
	hitsSink := r.sink(flagship.SinkHTTPHits)
	actsSink := r.sink(flagship.SinkHTTPActivations)
	if httpSent := hitsSink.Sent + actsSink.Sent; httpSent != r.Queue.Enqueued {
		errs = append(errs, fmt.Errorf("%s and %s together: %d records delivered of %d enqueued", flagship.SinkHTTPHits, flagship.SinkHTTPActivations, httpSent, r.Queue.Enqueued))
	}
	if got := uint64(totalHits(r.ServerHits)); got != hitsSink.Sent {
		errs = append(errs, fmt.Errorf("local server accepted %d hits, the queue delivered %d", got, hitsSink.Sent))
	}
	if got := uint64(r.ServerActivations); got != actsSink.Sent {
		errs = append(errs, fmt.Errorf("local server accepted %d activations, the queue delivered %d", got, actsSink.Sent))
	}
	if err := compareRecords(r.sent, r.received); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

const barWidth = 30

// bar draws p percent as a bar of barWidth cells, in eighths of a cell.
func bar(p float64) string {
	eighths := int(math.Round(p / 100 * barWidth * 8))
	eighths = min(max(eighths, 0), barWidth*8)
	var b strings.Builder
	b.WriteString(strings.Repeat("█", eighths/8))
	if rem := eighths % 8; rem > 0 {
		b.WriteRune([]rune("▏▎▍▌▋▊▉")[rem-1])
	}
	cells := eighths / 8
	if eighths%8 > 0 {
		cells++
	}
	b.WriteString(strings.Repeat(" ", barWidth-cells))
	return b.String()
}

// Count formats n with thousands separators.
func Count[T ~int | ~int64 | ~uint64](n T) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func duration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// Render writes the report for a person to read.
func (r *Report) Render(w io.Writer) {
	fmt.Fprintf(w, "Flagship Go SDK demo: %s visitors through a shop, BUCKETING mode, local Flagship server at %s\n\n",
		Count(r.Visitors), r.ServerURL)

	fmt.Fprintln(w, "Campaigns: observed split among eligible visitors (bar) beside the configured allocation")
	for _, c := range r.Campaigns {
		fmt.Fprintf(w, "\n  %s (%s): %s eligible visitors (%.1f%%)\n", c.Name, c.Type, Count(c.Eligible),
			100*float64(c.Eligible)/float64(max(r.Visitors, 1)))
		for _, v := range c.Rows() {
			obs := c.Observed(v)
			conv := "-"
			if v.Visitors > 0 {
				conv = fmt.Sprintf("%.1f%%", 100*float64(v.Purchases)/float64(v.Visitors))
			}
			fmt.Fprintf(w, "    %-30s %s %5.1f%%  configured %5.1f%%  Δ %+5.1f  %6s visitors, conversion %s\n",
				trim(v.Name, 30), bar(obs), obs, v.Configured, obs-v.Configured, Count(v.Visitors), conv)
		}
	}

	cents := int64(math.Round(r.Revenue * 100))
	fmt.Fprintf(w, "\nShop: %s purchases (%.1f%% of visitors), revenue %s.%02d EUR\n",
		Count(r.Purchases), 100*float64(r.Purchases)/float64(max(r.Visitors, 1)), Count(cents/100), cents%100)

	fmt.Fprintln(w, "\nDelivery through the durable queue (bbolt file, fsynced before each call returns):")
	fmt.Fprintf(w, "  %-22s %10s %10s %9s %6s %8s\n", "destination", "enqueued", "delivered", "retried", "dead", "waiting")
	for _, s := range r.Queue.Sinks {
		if !s.Configured {
			continue
		}
		fmt.Fprintf(w, "  %-22s %10s %10s %9s %6s %8s\n", s.Name, Count(s.Sent+uint64(s.Depth)+s.DeadLettered),
			Count(s.Sent), Count(s.Retried), Count(s.DeadLettered), Count(s.Depth))
	}
	fmt.Fprintf(w, "  records enqueued: %s, refused (queue full): %s, queue file: %.1f MB\n",
		Count(r.Queue.Enqueued), Count(r.Queue.RejectedFull), float64(r.QueueFileBytes)/1e6)
	if r.FaultsInjected > 0 {
		fmt.Fprintf(w, "  failures injected by the local server: %d (503 on /events, dropped connection on /v2/activate), all retried\n",
			r.FaultsInjected)
	}
	fmt.Fprintf(w, "  local server accepted %s hits (%s) and %s activations\n",
		Count(totalHits(r.ServerHits)), hitBreakdown(r.ServerHits), Count(r.ServerActivations))

	fmt.Fprintln(w, "\nLatency on the request path (wall clock, all workers sharing the CPUs):")
	fmt.Fprintf(w, "  checkout Synchronize (decision, assignments cached): p50 %-9s p99 %s\n",
		duration(r.DecisionLatency(50)), duration(r.DecisionLatency(99)))
	fmt.Fprintf(w, "  first Synchronize (store read, context hit queued):  p50 %-9s p99 %s\n",
		duration(r.SyncLatency(50)), duration(r.SyncLatency(99)))
	fmt.Fprintf(w, "\nTime: %s for the visitors, %s in all (with the final flush).\n",
		duration(r.Simulated), duration(r.Elapsed))
}

func hitBreakdown(m map[string]int) string {
	var parts []string
	for _, t := range []string{"PAGEVIEW", "EVENT", "TRANSACTION", "ITEM", "SEGMENT", "SCREENVIEW"} {
		if m[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", t, Count(m[t])))
		}
	}
	return strings.Join(parts, ", ")
}

func trim(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

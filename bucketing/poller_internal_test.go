package bucketing

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestJitteredWait(t *testing.T) {
	const interval = 60 * time.Second
	tests := []struct {
		name       string
		giveJitter float64
		giveR      float64
		want       time.Duration
	}{
		{name: "r 0 is the lower bound", giveJitter: 0.1, giveR: 0, want: 54 * time.Second},
		{name: "r 0.5 is the interval", giveJitter: 0.1, giveR: 0.5, want: interval},
		{name: "r 1 is the upper bound", giveJitter: 0.1, giveR: 1, want: 66 * time.Second},
		{name: "no jitter", giveJitter: 0, giveR: 0.9, want: interval},
		{name: "negative r clamped", giveJitter: 0.5, giveR: -3, want: 30 * time.Second},
		{name: "r above 1 clamped", giveJitter: 0.5, giveR: 7, want: 90 * time.Second},
		{name: "NaN r clamped", giveJitter: 0.5, giveR: math.NaN(), want: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jitteredWait(interval, tt.giveJitter, tt.giveR); got != tt.want {
				t.Errorf("jitteredWait(%v, %v, %v) = %v, want %v", interval, tt.giveJitter, tt.giveR, got, tt.want)
			}
		})
	}
}

// TestNextWaitBounds checks the waits of Run through the options: injected
// Rand at both ends, the default jitter, and random draws.
func TestNextWaitBounds(t *testing.T) {
	e := NewEngine(Options{})
	newP := func(o PollerOptions) *Poller {
		t.Helper()
		o.URL = "https://cdn.flagship.io/env/bucketing.json"
		p, err := NewPoller(e, o)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	lo := newP(PollerOptions{Interval: time.Second, Jitter: 0.2, Rand: func() float64 { return 0 }})
	if got := lo.nextWait(); got != 800*time.Millisecond {
		t.Errorf("Rand 0: wait %v, want 800ms", got)
	}
	hi := newP(PollerOptions{Interval: time.Second, Jitter: 0.2, Rand: func() float64 { return math.Nextafter(1, 0) }})
	if got := hi.nextWait(); got < 1199*time.Millisecond || got > 1200*time.Millisecond {
		t.Errorf("Rand ~1: wait %v, want just under 1.2s", got)
	}
	def := newP(PollerOptions{Rand: func() float64 { return 0 }})
	if got, want := def.nextWait(), time.Duration(float64(DefaultPollInterval)*(1-DefaultPollJitter)); got != want {
		t.Errorf("defaults: wait %v, want %v", got, want)
	}
	none := newP(PollerOptions{Interval: time.Second, Jitter: -1, Rand: func() float64 { return 0 }})
	if got := none.nextWait(); got != time.Second {
		t.Errorf("negative jitter: wait %v, want 1s", got)
	}
	r := rand.New(rand.NewPCG(1, 2))
	random := newP(PollerOptions{Interval: time.Second, Jitter: 0.1, Rand: r.Float64})
	for range 10000 {
		if got := random.nextWait(); got < 900*time.Millisecond || got > 1100*time.Millisecond {
			t.Fatalf("wait %v outside 1s ± 10%%", got)
		}
	}
	deflt := newP(PollerOptions{Interval: time.Second})
	for range 1000 {
		if got := deflt.nextWait(); got < 900*time.Millisecond || got > 1100*time.Millisecond {
			t.Fatalf("default Rand: wait %v outside 1s ± 10%%", got)
		}
	}
}

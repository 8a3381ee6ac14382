package bucketing

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"path"
	"time"
)

// firstRetryDelay is the mean wait of [Poller.Run] after a first failed
// fetch, when Interval is longer; it doubles with each further failure up
// to Interval.
const firstRetryDelay = time.Second

// PollerStatus is how the fetches of a [Poller] stand, for its owner to
// report (see [Poller.Status]).
type PollerStatus struct {
	// Loaded reports whether the poller has installed a bucketing file,
	// from the cache file or the network, since it was made.
	Loaded bool
	// Err is the error of the last fetch, a [*FetchError]; nil if that
	// fetch succeeded or none has ended yet. A fetch cut short by its
	// caller's ctx does not count.
	Err error
	// Failures is the number of consecutive failed fetches that Err ends,
	// 0 after a success.
	Failures int
	// Checked is when a fetch last succeeded: the file in use was
	// downloaded or confirmed unchanged. Zero before the first success.
	Checked time.Time
}

// Status returns how the poller's fetches stand: whether a file was ever
// installed, and the error of the last fetch with the number of failures
// in a row. It never waits for a fetch in progress; a client that is not
// ready yet can return Status().Err as the reason.
func (p *Poller) Status() PollerStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PollerStatus{Loaded: p.loaded, Err: p.lastErr, Failures: p.failures, Checked: p.checked}
}

// fetchError returns the *FetchError of a fetch that failed with cause
// (nil when the status is the failure), status being 0 if no answer came.
func (p *Poller) fetchError(status int, cause error) *FetchError {
	return &FetchError{URL: p.fileURL, EnvID: p.envID, StatusCode: status, Err: cause}
}

// record updates the status after a fetch that ended with err, ctx
// being live, and logs the end of a run of failures: at Info if Run
// logged its start, at Debug otherwise. The caller holds sem.
func (p *Poller) record(ctx context.Context, err error) {
	p.mu.Lock()
	n, warned := p.failures, p.warned
	if err != nil {
		p.failures++
		p.lastErr = err
	} else {
		p.failures, p.lastErr, p.warned = 0, nil, false
		p.checked = time.Now()
	}
	p.mu.Unlock()
	if err != nil || n == 0 {
		return
	}
	level := slog.LevelDebug
	if warned {
		level = slog.LevelInfo
	}
	p.log.LogAttrs(ctx, level, fmt.Sprintf("bucketing file fetched again after %d failed fetches", n),
		slog.Int("failures", n), slog.String("url", p.fileURL), slog.String("env", p.envID))
}

// logFailure logs a failed fetch of Run, which waits retryIn before the
// next one: at Warn for the first failure of a run of failed fetches, at
// Debug for the others, so that a server that stays down costs one
// Warn line however often it is polled.
func (p *Poller) logFailure(ctx context.Context, err error, retryIn time.Duration) {
	p.mu.Lock()
	n, loaded := p.failures, p.loaded
	first := n > 0 && !p.warned // n == 0: a concurrent Fetch succeeded since
	if first {
		p.warned = true
	}
	p.mu.Unlock()
	attrs := []slog.Attr{slog.Any("err", err), slog.Int("failures", n), slog.Duration("retry_in", retryIn)}
	switch {
	case !first:
		p.log.LogAttrs(ctx, slog.LevelDebug, "bucketing file fetch failed again", attrs...)
	case loaded:
		p.log.LogAttrs(ctx, slog.LevelWarn, "bucketing file fetch failed; keeping the current file", attrs...)
	default:
		p.log.LogAttrs(ctx, slog.LevelWarn, "bucketing file fetch failed; no bucketing file loaded yet", attrs...)
	}
}

// nextWait returns the wait of Run before its next fetch: retryDelay
// for the current number of failures in a row, ± Jitter.
func (p *Poller) nextWait() time.Duration {
	p.mu.Lock()
	n := p.failures
	p.mu.Unlock()
	return jitteredWait(retryDelay(p.interval, n), p.jitter, p.rand())
}

// retryDelay returns the mean wait before the next poll after n failed
// fetches in a row: interval after a success (n <= 0); otherwise
// firstRetryDelay, or interval if shorter, doubled n-1 times and capped
// at interval.
func retryDelay(interval time.Duration, n int) time.Duration {
	if n <= 0 {
		return interval
	}
	d := min(firstRetryDelay, interval)
	for i := 1; i < n && d < interval && d <= math.MaxInt64/2; i++ {
		d *= 2
	}
	return min(d, interval)
}

// sleep waits for d or until ctx is done, and reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// envFromPath returns ENV for a path ending in /ENV/bucketing.json, as
// Flagship's CDN URLs do, and "" otherwise.
func envFromPath(p string) string {
	dir, file := path.Split(p)
	if file != "bucketing.json" {
		return ""
	}
	env := path.Base(path.Clean(dir))
	if env == "/" || env == "." {
		return ""
	}
	return env
}

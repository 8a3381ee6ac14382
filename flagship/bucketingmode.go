package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/internal/version"
	"github.com/seed27eed597/flagship-go/visitor"
)

// bucketingCacheFile is the name of the cached bucketing file in the
// cache directory.
const bucketingCacheFile = "bucketing.json"

// Retry delays while no bucketing file was ever loaded.
const (
	firstRetryDelay = time.Second
	maxRetryDelay   = 30 * time.Second
)

// startBucketing loads the cached file, starts the download-and-poll
// goroutine, and waits for the first data while ctx is live.
func (c *Client) startBucketing(ctx, runCtx context.Context) error {
	cfg := &c.cfg
	dir := cfg.resolveCacheDir(c.envID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: cache directory: %w", ErrInvalidConfig, err)
	}
	if err := c.openAssignments(dir); err != nil {
		return err
	}
	c.startAssignmentWriter(runCtx)
	c.engine = bucketing.NewEngine(bucketing.Options{Assignments: c.assignments, Logger: c.log,
		ContextDefaults: visitor.PredefinedContext()})
	c.decider = c.engine
	h := http.Header{}
	h.Set("x-sdk-client", "go")
	h.Set("x-sdk-version", version.SDK)
	p, err := bucketing.NewPoller(c.engine, bucketing.PollerOptions{
		URL:        strings.TrimSuffix(cfg.bucketingURL, "/") + "/" + c.envID + "/bucketing.json",
		HTTPClient: cfg.httpClient,
		Timeout:    cfg.fetchTimeout,
		Interval:   cfg.pollingInterval,
		CachePath:  filepath.Join(dir, bucketingCacheFile),
		Header:     h,
		Logger:     c.log,
		OnUpdate:   c.onBucketingUpdate,
		OnError: func(ctx context.Context, err error) {
			c.emit(ctx, Event{Kind: EventBucketingFailed, Err: err})
		},
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	c.poller = p
	// Loading the cache is local work: do it even if ctx is already done.
	if _, err := p.LoadCache(context.WithoutCancel(ctx)); err != nil {
		// A corrupt cache is not fatal: the download replaces it.
		c.log.LogAttrs(ctx, slog.LevelWarn, "cached bucketing file unusable", slog.Any("err", err))
		c.emit(ctx, Event{Kind: EventBucketingFailed, Err: err})
	}
	refused := make(chan error, 1) // buffered: the goroutine never waits for New
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.poll(runCtx, refused)
	}()
	if c.Ready() {
		return nil // the cached file serves until the download lands
	}
	select {
	case <-c.ready:
	case err := <-refused:
		return fmt.Errorf("flagship: download bucketing file: %w: %w", ErrUnauthorized, err)
	case <-ctx.Done():
	}
	return nil
}

// poll downloads the file, retrying with growing delays while the client
// has no data, then polls it until ctx ends. A refusal (401, 403) of the
// first download is sent on refused, for New to return it.
func (c *Client) poll(ctx context.Context, refused chan<- error) {
	delay := firstRetryDelay
	for {
		_, err := c.poller.Fetch(ctx)
		if !c.Ready() && errors.Is(err, bucketing.ErrUnauthorized) {
			select {
			case refused <- err: // New returns it, or has returned: keep trying
			default:
			}
		}
		if err == nil || c.Ready() {
			break
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, maxRetryDelay)
	}
	_ = c.poller.Run(ctx) // returns nil when ctx ends
}

func (c *Client) onBucketingUpdate(ctx context.Context, u bucketing.Update) {
	c.emit(ctx, Event{Kind: EventBucketingUpdated, Source: u.Source.String(), N: u.Config.NumCampaigns()})
	if u.Config.Panic() {
		c.setStatus(ctx, StatusPanic)
	} else {
		c.setStatus(ctx, StatusReady)
	}
}

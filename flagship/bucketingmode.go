package flagship

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/internal/version"
	"github.com/seed27eed597/flagship-go/visitor"
)

// bucketingCacheFile is the name of the cached bucketing file in the
// cache directory.
const bucketingCacheFile = "bucketing.json"

// startBucketing loads the cached file and starts the download-and-poll
// goroutine; New then waits for the first data with waitFirstFile.
func (c *Client) startBucketing(ctx, runCtx context.Context) error {
	cfg := &c.cfg
	dir, err := c.bucketingDir(ctx)
	if err != nil {
		return err
	}
	if err := c.openAssignments(ctx, dir); err != nil {
		return err
	}
	c.startAssignmentWriter(runCtx)
	c.engine = bucketing.NewEngine(bucketing.Options{Assignments: c.assignments, Logger: c.logBase.With("component", "bucketing"),
		ContextDefaults: visitor.PredefinedContext()})
	c.decider = c.engine
	h := http.Header{}
	h.Set("x-sdk-client", "go")
	h.Set("x-sdk-version", version.SDK)
	cachePath := ""
	if dir != "" {
		cachePath = filepath.Join(dir, bucketingCacheFile)
	}
	c.refused = make(chan error, 1)
	fileURL := strings.TrimSuffix(cfg.endpoints.Bucketing, "/") + "/" + c.envID + "/bucketing.json"
	c.fileURL = opURL(fileURL)
	watch := &bucketingWatch{c: c}
	p, err := bucketing.NewPoller(c.engine, bucketing.PollerOptions{
		URL:        fileURL,
		EnvID:      c.envID,
		HTTPClient: cfg.httpClient,
		Timeout:    cfg.bucketing.fetchTimeout(),
		Interval:   cfg.bucketing.pollingInterval(),
		CachePath:  cachePath,
		Header:     h,
		Logger:     c.logBase, // the poller adds component=bucketing
		OnUpdate:   c.onBucketingUpdate,
		OnError:    c.onBucketingError,
		StartFetch: watch.startFetch,
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	c.poller = p
	// Loading the cache is local work: do it even if ctx is already done.
	if _, err := p.LoadCache(context.WithoutCancel(ctx)); err != nil {
		// A corrupt cache is not fatal: the download replaces it.
		c.log.LogAttrs(ctx, slog.LevelWarn, "cached bucketing file unusable", slog.Any("err", err))
		c.emit(ctx, Notification{Kind: NotifyBucketingFailed, Err: err})
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		// One download now, then the poller's loop, which retries a
		// failure with backoff (1 s, 2 s, 4 s... up to the interval) and
		// logs the first failure of each run at Warn.
		_, _ = p.Fetch(runCtx) // its error is New's to return (see waitFirstFile)
		_ = p.Run(runCtx)      // returns nil when runCtx ends
	}()
	return nil
}

// bucketingDir returns the cache directory for the bucketing file and the
// assignment file. With DeliveryOptions.InMemory a directory that cannot
// be used is not an error: the client then keeps no file, which it logs
// once, and "" is returned.
func (c *Client) bucketingDir(ctx context.Context) (string, error) {
	dir, err := c.cfg.makeCacheDir(c.envID)
	if err == nil || !c.cfg.delivery.InMemory {
		return dir, err
	}
	c.log.LogAttrs(ctx, slog.LevelWarn, "no usable cache directory: the bucketing file is not cached on disk (a restart needs the network) and assignments are kept in memory",
		slog.Any("err", err))
	return "", nil
}

// onBucketingError reports a failed download or cache write, and hands a
// refusal of the credentials made before the client was ready to New.
func (c *Client) onBucketingError(ctx context.Context, err error) {
	c.emit(ctx, Notification{Kind: NotifyBucketingFailed, Err: err})
	if !c.Ready() && errors.Is(err, bucketing.ErrUnauthorized) {
		select {
		case c.refused <- err: // New returns it, or has returned: the poller keeps trying
		default:
		}
	}
}

// waitFirstFile waits, while ctx is live, until the client has decision
// data. It returns nil once it has, an error wrapping ErrUnauthorized if a
// download was refused first, and an error wrapping ErrNotReady and the
// last download's error if ctx ends first.
func (c *Client) waitFirstFile(ctx context.Context) error {
	if c.Ready() {
		return nil // the cached file serves until the download lands
	}
	select {
	case <-c.ready:
		return nil
	case err := <-c.refused:
		return fmt.Errorf("flagship: download bucketing file: %w: %w", ErrUnauthorized, err)
	case <-ctx.Done():
	}
	if c.Ready() {
		return nil // the file arrived as ctx ended
	}
	select {
	case err := <-c.refused:
		// Refused as ctx ended: the refusal, not the wait, is the answer,
		// whichever case select picked.
		return fmt.Errorf("flagship: download bucketing file: %w: %w", ErrUnauthorized, err)
	default:
	}
	st := c.poller.Status()
	if st.Err != nil {
		return fmt.Errorf("%w: no bucketing file yet when New's context ended (the client keeps downloading it in the background; %d failed downloads): %w",
			ErrNotReady, st.Failures, st.Err)
	}
	return fmt.Errorf("%w: no bucketing file yet when New's context ended (the client keeps downloading it in the background; the first download, bounded by BucketingOptions.FetchTimeout %v, has not ended)",
		ErrNotReady, c.cfg.bucketing.fetchTimeout())
}

// notReady returns the error of a decision made before the first
// bucketing file, err (wrapping bucketing.ErrNoConfig): it wraps
// ErrNotReady and says why, with the last download's error.
func (c *Client) notReady(err error) error {
	if st := c.poller.Status(); st.Err != nil {
		return fmt.Errorf("%w: %w; last download: %w", ErrNotReady, err, st.Err)
	}
	return fmt.Errorf("%w: %w; the first download has not ended", ErrNotReady, err)
}

func (c *Client) onBucketingUpdate(ctx context.Context, u bucketing.Update) {
	c.emit(ctx, Notification{Kind: NotifyBucketingUpdated, Source: u.Source.String(), N: u.Config.NumCampaigns(),
		Keys: bucketing.ChangedFlags(u.Previous, u.Config)})
	if u.Config.Panic() {
		c.setStatus(ctx, StatusPanic)
	} else {
		c.setStatus(ctx, StatusReady)
	}
}

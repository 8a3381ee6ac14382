package main

import (
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"

	"github.com/seed27eed597/flagship-go/bucketing"
	"github.com/seed27eed597/flagship-go/flagship"
	"github.com/seed27eed597/flagship-go/flagshiptest"
)

// localFlagship is a Flagship-compatible server for the environment
// "your_env_id", listening on 127.0.0.1, with a cache directory for the
// client. Its Handler's methods are promoted: Hits, Activations,
// FailNext, ...
type localFlagship struct {
	*flagshiptest.Handler
	srv      *httptest.Server
	cacheDir string
}

// guideCampaigns returns the campaigns the guide reads: a toggle giving
// vip_feature to the visitors whose isVip is vip, and an A/B test giving
// every visitor a menu_order.
func guideCampaigns(vip bool) []bucketing.Campaign {
	vipToggle := flagshiptest.Toggle("vip", map[string]any{"vip_feature": true})
	rule := &vipToggle.VariationGroups[0].Targeting.Groups[0].Rules[0] // fs_all_users == ""
	rule.Key, rule.Value = "isVip", vip
	menu := flagshiptest.Campaign("menu", flagshiptest.Variation("var_menu", 100,
		map[string]any{"menu_order": []any{"deals", "home", "account"}}))
	return []bucketing.Campaign{vipToggle, menu}
}

// startLocalFlagship starts the server with guideCampaigns(true).
func startLocalFlagship() (*localFlagship, error) {
	h, err := flagshiptest.NewHandler("your_env_id",
		flagshiptest.WithAPIKey("your_api_key"),
		flagshiptest.WithCampaigns(guideCampaigns(true)...),
	)
	if err != nil {
		return nil, fmt.Errorf("local server: %w", err)
	}
	dir, err := os.MkdirTemp("", "flagship-quickstart-")
	if err != nil {
		return nil, fmt.Errorf("local server: %w", err)
	}
	// httptest.NewServer listens on 127.0.0.1 only.
	return &localFlagship{Handler: h, srv: httptest.NewServer(h), cacheDir: dir}, nil
}

// Options returns the client options that point a client at the server
// by its base URL, with the server's cache directory.
func (l *localFlagship) Options() []flagship.Option {
	return []flagship.Option{
		flagship.WithEndpoints(flagship.Endpoints{Base: l.srv.URL}),
		flagship.WithCacheDir(l.cacheDir),
	}
}

// Close stops the server and removes the cache directory. Close the
// client first.
func (l *localFlagship) Close() error {
	l.srv.Close()
	if err := os.RemoveAll(l.cacheDir); err != nil {
		return fmt.Errorf("local server: %w", err)
	}
	return nil
}

// report prints the hits and activations the server accepted, in arrival
// order.
func (l *localFlagship) report(w io.Writer) error {
	var errs []error
	printf := func(format string, args ...any) {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			errs = append(errs, err)
		}
	}
	printf("the local Flagship server received:\n")
	for _, h := range l.Hits() {
		printf("  hit %s from %s\n", h.Type, h.VisitorID)
	}
	for _, a := range l.Activations() {
		printf("  activation of %s/%s for %s\n", a.VariationGroupID, a.VariationID, a.VisitorID)
	}
	return errors.Join(errs...)
}

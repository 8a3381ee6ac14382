package flagship

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Endpoints says where the SDK sends its requests. The zero value means
// Flagship's production endpoints ([DefaultDecisionAPIURL],
// [DefaultActivateURL], [DefaultEventsURL], [DefaultBucketingURL]).
//
// Base points every endpoint at one Flagship-compatible server, such as
// "flagship serve" or a flagshiptest.Server, in that server's layout:
//
//	DecisionAPI  {Base}/v2           (POST {Base}/v2/{envID}/campaigns)
//	Activate     {Base}/v2/activate
//	Events       {Base}/events
//	Bucketing    {Base}              (GET {Base}/{envID}/bucketing.json)
//
// Each other field, when not empty, overrides its endpoint, with or
// without Base. Every URL given must be an absolute http or https URL;
// [New] refuses the others with an error naming the field.
type Endpoints struct {
	// Base is the root URL of a Flagship-compatible server, e.g.
	// "http://127.0.0.1:8080"; a trailing slash is ignored, and it may
	// carry no query or fragment. "" means Flagship's own endpoints.
	Base string
	// DecisionAPI is the Decision API base URL, for a self-hosted
	// decision API. "" means {Base}/v2, or [DefaultDecisionAPIURL].
	DecisionAPI string
	// Activate is the activation endpoint. "" means {Base}/v2/activate,
	// or [DefaultActivateURL].
	Activate string
	// Events is the hits (data collection) endpoint. "" means
	// {Base}/events, or [DefaultEventsURL].
	Events string
	// Bucketing is the base URL the bucketing file is fetched from, as
	// {Bucketing}/{envID}/bucketing.json. "" means {Base}, or
	// [DefaultBucketingURL].
	Bucketing string
}

// resolve returns e with every endpoint set: Base's layout or the
// defaults, then the overrides. It reports every URL that is not an
// absolute http or https URL.
func (e Endpoints) resolve() (Endpoints, error) {
	out := Endpoints{
		DecisionAPI: DefaultDecisionAPIURL,
		Activate:    DefaultActivateURL,
		Events:      DefaultEventsURL,
		Bucketing:   DefaultBucketingURL,
	}
	var errs []error
	if e.Base != "" {
		if err := checkURL("Endpoints.Base", e.Base, true); err != nil {
			errs = append(errs, err)
		} else {
			b := strings.TrimSuffix(e.Base, "/")
			out = Endpoints{Base: b, DecisionAPI: b + "/v2", Activate: b + "/v2/activate", Events: b + "/events", Bucketing: b}
		}
	}
	for _, f := range []struct {
		name string
		give string
		set  *string
	}{
		{"Endpoints.DecisionAPI", e.DecisionAPI, &out.DecisionAPI},
		{"Endpoints.Activate", e.Activate, &out.Activate},
		{"Endpoints.Events", e.Events, &out.Events},
		{"Endpoints.Bucketing", e.Bucketing, &out.Bucketing},
	} {
		if f.give == "" {
			continue
		}
		if err := checkURL(f.name, f.give, false); err != nil {
			errs = append(errs, err)
			continue
		}
		*f.set = f.give
	}
	return out, errors.Join(errs...)
}

// checkURL reports a URL that is not an absolute http or https URL (with
// no query or fragment if base), naming field. Credentials in the URL
// are redacted from the error.
func checkURL(field, u string, base bool) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("%s: want an absolute http or https URL: %w", field, errors.Unwrap(err))
	}
	switch {
	case p.Scheme != "http" && p.Scheme != "https" || p.Host == "":
		return fmt.Errorf("%s %q: want an absolute http or https URL", field, p.Redacted())
	case base && (p.RawQuery != "" || p.ForceQuery || p.Fragment != ""):
		return fmt.Errorf("%s %q: want a root URL without query or fragment", field, p.Redacted())
	}
	return nil
}

package flagshiptest

import (
	"bytes"
	"time"

	"github.com/seed27eed597/flagship-go/bucketing"
)

// EnvID is the environment id of every [Server].
const EnvID = "flagshiptest-env"

// A HandlerOption configures a [Handler] in [NewHandler].
type HandlerOption interface{ apply(*handlerConfig) }

type optionFunc func(*handlerConfig)

func (f optionFunc) apply(c *handlerConfig) { f(c) }

type handlerConfig struct {
	file      []byte               // WithBucketingFile
	campaigns []bucketing.Campaign // WithCampaigns
	fileSet   bool
	campSet   bool
	apiKey    string
	now       func() time.Time
	onReceive func(Receipt) // WithOnReceive
	access    AdminAccess   // WithAdminAccess
	// validation is WithValidation's level.
	validation Validation
}

// WithBucketingFile makes the handler serve data, a bucketing.json file,
// and decide from it. The file must be one bucketing.Parse accepts; it is
// served byte for byte. data is copied. Default: a file with no campaigns.
// It can't be combined with [WithCampaigns].
func WithBucketingFile(data []byte) HandlerOption {
	data = bytes.Clone(data)
	return optionFunc(func(c *handlerConfig) { c.file, c.fileSet = data, true })
}

// WithCampaigns makes the handler serve a bucketing file holding the
// campaigns c, in this order, and decide from it. See [Campaign], [Toggle]
// and [Variation] to build them. It can't be combined with
// [WithBucketingFile].
func WithCampaigns(c ...bucketing.Campaign) HandlerOption {
	return optionFunc(func(cfg *handlerConfig) { cfg.campaigns, cfg.campSet = c, true })
}

// WithAPIKey makes the Decision API route require the header
// "x-api-key: key": calls without it, or with another key, get 401 (the
// key is never echoed). The other routes never need a key, as with
// Flagship. Default, or an empty key: no key needed.
func WithAPIKey(key string) HandlerOption {
	return optionFunc(func(c *handlerConfig) { c.apiKey = key })
}

// WithClock sets the clock that stamps received data and the bucketing
// file's Last-Modified. Default [time.Now].
func WithClock(now func() time.Time) HandlerOption {
	return optionFunc(func(c *handlerConfig) {
		if now != nil {
			c.now = now
		}
	})
}

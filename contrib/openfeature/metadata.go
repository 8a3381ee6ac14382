package fsopenfeature

import (
	"sync"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/seed27eed597/flagship-go/visitor"
)

// Flag metadata keys, those of Flagship's JavaScript SDK (IFSFlagMetadata).
const (
	MetaCampaignID         = "campaignId"
	MetaCampaignName       = "campaignName"
	MetaCampaignType       = "campaignType"
	MetaSlug               = "slug"
	MetaVariationGroupID   = "variationGroupId"
	MetaVariationGroupName = "variationGroupName"
	MetaVariationID        = "variationId"
	MetaVariationName      = "variationName"
	MetaIsReference        = "isReference"
)

// metadataCache keeps the flag metadata of each variation, built once:
// OpenFeature copies it before handing it to anyone, so a resolution can
// carry the shared map. It is bounded by the variations of the
// environment and emptied with the decision cache. It is safe for
// concurrent use.
type metadataCache struct {
	mu sync.RWMutex
	m  map[string]metadataEntry // by variation id
}

type metadataEntry struct {
	info visitor.Info
	md   openfeature.FlagMetadata
}

func (c *metadataCache) get(info visitor.Info) openfeature.FlagMetadata {
	c.mu.RLock()
	e, ok := c.m[info.VariationID]
	c.mu.RUnlock()
	if ok && e.info == info {
		return e.md
	}
	md := metadataOf(info)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]metadataEntry)
	}
	c.m[info.VariationID] = metadataEntry{info: info, md: md}
	c.mu.Unlock()
	return md
}

func (c *metadataCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// metadataOf returns the flag metadata of info: the ids, the campaign
// type and whether the variation is the reference always; the names and
// the slug when they are set.
func metadataOf(info visitor.Info) openfeature.FlagMetadata {
	md := openfeature.FlagMetadata{
		MetaCampaignID:       info.CampaignID,
		MetaCampaignType:     info.CampaignType,
		MetaVariationGroupID: info.VariationGroupID,
		MetaVariationID:      info.VariationID,
		MetaIsReference:      info.Reference,
	}
	for k, v := range map[string]string{
		MetaCampaignName:       info.CampaignName,
		MetaSlug:               info.CampaignSlug,
		MetaVariationGroupName: info.VariationGroupName,
		MetaVariationName:      info.VariationName,
	} {
		if v != "" {
			md[k] = v
		}
	}
	return md
}

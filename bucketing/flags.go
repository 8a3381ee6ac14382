package bucketing

import (
	"encoding/json"
	"hash/fnv"
	"slices"
)

// flagPrints returns, for each flag key a campaign of f sets, a
// fingerprint of everything that decides its value: the campaigns that
// set it, in order, with their targeting, allocations and values. Two
// files give a key the same fingerprint when nothing about it changed.
func flagPrints(f *File) map[string]uint64 {
	prints := map[string]uint64{}
	seen := make(map[string]bool, len(f.Campaigns))
	for ci := range f.Campaigns {
		c := &f.Campaigns[ci]
		if seen[c.ID] {
			continue // dropped as a duplicate
		}
		seen[c.ID] = true
		h := fnv.New64a()
		if err := json.NewEncoder(h).Encode(c); err != nil {
			// A value json cannot encode was refused by Parse; a
			// File built in code gets a print of its id only.
			_, _ = h.Write([]byte(c.ID))
		}
		cp := h.Sum64()
		for vi := range c.VariationGroups {
			for _, v := range c.VariationGroups[vi].Variations {
				for k := range v.Modifications.Value {
					prints[k] = prints[k]*1099511628211 ^ cp
				}
			}
		}
	}
	return prints
}

// flags returns the fingerprint of each flag key the configuration's
// campaigns set, computed on first use.
func (c *Config) flags() map[string]uint64 {
	c.flagsOnce.Do(func() {
		c.flagMap = flagPrints(c.file)
		c.file = nil // the compiled campaigns hold what decisions need
	})
	return c.flagMap
}

// HasFlag reports whether a campaign of the configuration sets flag key
// (for some visitors at least).
func (c *Config) HasFlag(key string) bool {
	_, ok := c.flags()[key]
	return ok
}

// FlagKeys returns the keys the campaigns of the configuration set,
// sorted.
func (c *Config) FlagKeys() []string {
	flags := c.flags()
	keys := make([]string, 0, len(flags))
	for k := range flags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ChangedFlags returns, sorted, the flag keys whose definition differs
// between prev and next: a key set in one only, or set by campaigns whose
// targeting, allocations or values changed. A nil prev gives every key of
// next. Panic mode is not a flag's definition: see [Config.Panic].
func ChangedFlags(prev, next *Config) []string {
	var keys []string
	var pf, nf map[string]uint64
	if prev != nil {
		pf = prev.flags()
	}
	if next != nil {
		nf = next.flags()
	}
	if next != nil {
		for k, p := range nf {
			if prev == nil {
				keys = append(keys, k)
			} else if q, ok := pf[k]; !ok || q != p {
				keys = append(keys, k)
			}
		}
	}
	if prev != nil {
		for k := range pf {
			if next == nil {
				keys = append(keys, k)
			} else if _, ok := nf[k]; !ok {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

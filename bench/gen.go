package bench

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/spaolacci/murmur3"
)

// This file is the deterministic generator of bucketing files and visitors
// shared by the differential tests and the benchmarks. Everything is drawn
// from a math/rand/v2 PCG source seeded by the caller, so a (seed, stream)
// pair always yields the same file and the same visitors.
//
// Files are kept as a small model (GenFile) rather than as JSON so that the
// history tests can change allocations and delete variations between
// rounds; GenFile.JSON renders the model, choosing at random (but
// deterministically) among the spellings Flagship's parser accepts.

// GenFile is a generated bucketing file.
type GenFile struct {
	VisitorConsolidation bool
	EnabledXPC           bool
	Enabled1V1T          bool
	Campaigns            []*GenCampaign
	// Spelling is the seed of the cosmetic choices of JSON (field name
	// spellings, number encodings): the same model always renders to the
	// same bytes.
	Spelling uint64
}

// GenCampaign is a generated campaign.
type GenCampaign struct {
	ID, Name string
	// Slug is rendered when HasSlug; a nil Slug then renders as null.
	Slug    *string
	HasSlug bool
	Type    string
	// Ranges is rendered as bucketRanges when HasRanges (possibly empty).
	// A bound is a float64 or a string (protobuf JSON accepts both).
	Ranges    [][]any
	HasRanges bool
	VGs       []*GenVG
}

// GenVG is a generated variation group.
type GenVG struct {
	ID, Name string
	// Targeting nil renders no targeting field; NullTargeting renders null.
	Targeting     *GenTargeting
	NullTargeting bool
	Variations    []*GenVariation
}

// GenTargeting is an OR of groups of ANDed rules.
type GenTargeting struct {
	Groups [][]GenRule
}

// GenRule is one targeting rule. Operator is a JSON value (usually a name,
// sometimes a number). Value is rendered only when HasValue.
type GenRule struct {
	Key         string
	HasKey      bool
	Operator    any
	Value       any
	HasValue    bool
	Provider    string
	HasProvider bool
}

// GenVariation is one variation. Allocation is rendered with the encoding
// AllocEnc: "int" (50), "float" (50.0), "exp" (5e1), "string" ("50"),
// "absent" (only for 0) or "null" (only for 0).
type GenVariation struct {
	ID, Name   string
	Allocation int32
	AllocEnc   string
	Reference  bool
	// ModType is a JSON value (name or number); nil renders no
	// modifications at all.
	ModType  any
	ModValue map[string]any
	HasValue bool
}

// ---------------------------------------------------------------------------
// Pools. Small on purpose, so that targeting keys and values collide with
// context keys and values often enough to exercise every branch.

// contextKeys is the pool of context keys (targeting keys come from it too).
var contextKeys = []string{"age", "country", "plan", "isVIP", "version", "tags", "score", "city", "Age", "ville", "é", "sdk_deviceType"}

var plainStrings = []string{
	"fr", "FR", "Fr", "gb", "de", "Paris", "paris", "PARIS", "par",
	"É", "é", "école", "ÉCOLE", "eco", "ß", "SS", "ss", "straße", "STRASSE",
	"\u212a", "k", "K", "\u212aelvin", "kelvin", "İstanbul", "istanbul", "i̇stanbul", "ſ", "s",
	"gold", "Gold", "GOLD", "silver", "m", "10", "9", "true", "null", "用户", "gold plan",
	"a", "ab", "abc", "z", " gold", "Σίσυφος", "ΣΊΣΥΦΟΣ", "σ", "ς",
}

var semverStrings = []string{
	"1.2.3", "v1.2.3", "1.2", "1", "v1", "v1.2", "1.2.0", "1.2.3-beta.1", "1.2.3-alpha",
	"1.2.3-alpha.1", "1.2.3-rc.10", "1.2.3-rc.9", "1.2.3+build.5", "1.2.3-beta+exp.sha.5114f85",
	"V2.0.0", "1.2.3.4", "latest", "01.2.3", "v", "vv1.0.0", "2.0.0", "10.0.0", "1.10.0",
	"1.9.0", "1.2.3-0", "1.2.3-beta.01", "1.2-beta", "0.0.0", "v0.1.0", "3", "1.2.3-", "1.2.3+",
}

var numbers = []float64{0, 1, -1, 17.5, 18, 42, 100, 3.14159, -0.5, 1e6, 0.1, 99.99, 2, 10}

var modKeys = []string{"color", "size", "enabled", "title", "count", "nested", "Color"}

var campaignTypes = []string{"ab", "ab", "ab", "toggle", "toggle", "perso", "perso", "deployment", "deployment", "AB", "", "flag"}

var operatorNames = []string{
	"LOWER_THAN", "GREATER_THAN_OR_EQUALS", "LOWER_THAN_OR_EQUALS", "EQUALS",
	"NOT_EQUALS", "STARTS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAINS", "GREATER_THAN",
	"EXISTS", "NOT_EXISTS", "SEMVER_EQUALS", "SEMVER_NOT_EQUALS", "SEMVER_GREATER_THAN",
	"SEMVER_LOWER_THAN", "SEMVER_GREATER_THAN_OR_EQUALS", "SEMVER_LOWER_THAN_OR_EQUALS",
}

// realisticOperators are the operators real campaigns mostly use (benchmarks).
var realisticOperators = []string{"EQUALS", "EQUALS", "NOT_EQUALS", "CONTAINS", "GREATER_THAN_OR_EQUALS", "LOWER_THAN", "STARTS_WITH", "SEMVER_GREATER_THAN_OR_EQUALS"}

// ---------------------------------------------------------------------------

// GenOptions tunes the generator.
type GenOptions struct {
	// MinCampaigns, MaxCampaigns bound the number of campaigns.
	MinCampaigns, MaxCampaigns int
	// History makes files suited to assignment-history tests: variation
	// group ids unique across the file (flagship-common saves the visitor
	// and anonymous maps concurrently, so two groups with one id would make
	// the reference nondeterministic), fewer targeting rules and more
	// campaigns that are served.
	History bool
	// EmptyStrings allows the empty string among string values. The
	// reference panics when it meets one in a SEMVER_* comparison.
	EmptyStrings bool
}

// Gen draws files and visitors.
type Gen struct {
	r   *rand.Rand
	opt GenOptions
	// visitorIDs are ids fs_users rules are likely to name.
	visitorIDs []string
	// focusStrings and focusNumbers are small per-file subsets of the
	// pools, drawn most of the time on both the targeting and the context
	// side so that comparisons often succeed.
	focusStrings []string
	focusNumbers []float64
	seq          int
}

// NewGen returns a generator for the PCG stream (seed, stream).
func NewGen(seed, stream uint64, opt GenOptions) *Gen {
	g := &Gen{r: rand.New(rand.NewPCG(seed, stream)), opt: opt}
	if g.opt.MaxCampaigns == 0 {
		g.opt.MinCampaigns, g.opt.MaxCampaigns = 1, 12
	}
	n := 4 + g.r.IntN(6)
	for range n {
		g.visitorIDs = append(g.visitorIDs, g.freshVisitorID())
	}
	for range 4 {
		g.focusStrings = append(g.focusStrings, pick(g, plainStrings), pick(g, semverStrings))
	}
	for range 3 {
		g.focusNumbers = append(g.focusNumbers, pick(g, numbers))
	}
	return g
}

// Rand exposes the generator's source.
func (g *Gen) Rand() *rand.Rand { return g.r }

func (g *Gen) pct(p int) bool { return g.r.IntN(100) < p }

func pick[T any](g *Gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

func (g *Gen) id(prefix string) string {
	g.seq++
	return fmt.Sprintf("%s%d_%x", prefix, g.seq, g.r.Uint32()&0xffff)
}

// freshVisitorID draws a visitor id: ASCII, UUID-like, non-ASCII UTF-8 or
// long. Never empty (the engine rejects empty ids).
func (g *Gen) freshVisitorID() string {
	switch n := g.r.IntN(100); {
	case n < 40:
		return fmt.Sprintf("visitor-%d", g.r.IntN(1_000_000))
	case n < 65:
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(g.r.UintN(256))
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	case n < 85:
		return pick(g, []string{"visitör-", "用户-", "émile-", "\u212a-", "ÉCOLE-", "straße-", "Σ-"}) + strconv.Itoa(g.r.IntN(10000))
	case n < 92:
		return strings.Repeat("long", 50) + strconv.Itoa(g.r.IntN(1000))
	default:
		return pick(g, []string{"V", "a", "FR", "gold", "1.2.3", "aG91c2Vob2xkLTQy", "v1"})
	}
}

// VisitorID draws a visitor id, often one that fs_users rules name.
func (g *Gen) VisitorID() string {
	if g.pct(30) {
		return pick(g, g.visitorIDs)
	}
	return g.freshVisitorID()
}

func (g *Gen) str() string {
	if g.pct(55) {
		return pick(g, g.focusStrings)
	}
	switch n := g.r.IntN(100); {
	case n < 55:
		return pick(g, plainStrings)
	case n < 85:
		return pick(g, semverStrings)
	case n < 93:
		id := pick(g, g.visitorIDs)
		if g.pct(30) {
			id = strings.ToUpper(id)
		}
		return id
	case n < 97 && g.opt.EmptyStrings:
		return ""
	default:
		return pick(g, plainStrings) + pick(g, plainStrings)
	}
}

func (g *Gen) scalar() any {
	switch n := g.r.IntN(100); {
	case n < 55:
		return g.str()
	case n < 80:
		if g.pct(60) {
			return pick(g, g.focusNumbers)
		}
		return pick(g, numbers)
	case n < 93:
		return g.pct(50)
	default:
		return nil
	}
}

// value draws any JSON value; depth bounds nesting.
func (g *Gen) value(depth int) any {
	switch n := g.r.IntN(100); {
	case n < 78 || depth > 1:
		return g.scalar()
	case n < 94:
		return g.list(depth + 1)
	default:
		m := map[string]any{}
		for range g.r.IntN(3) {
			m[pick(g, modKeys)] = g.scalar()
		}
		return m
	}
}

// list draws a list: empty, homogeneous (usual) or mixed, sometimes nested.
func (g *Gen) list(depth int) []any {
	n := g.r.IntN(5)
	out := make([]any, 0, n)
	switch g.r.IntN(10) {
	case 0, 1, 2: // mixed kinds, maybe nested
		for range n {
			out = append(out, g.value(depth))
		}
	default: // one kind
		kind := g.r.IntN(4)
		for range n {
			switch kind {
			case 0, 1:
				out = append(out, g.str())
			case 2:
				out = append(out, pick(g, numbers))
			default:
				out = append(out, g.pct(50))
			}
		}
	}
	return out
}

// Context draws a visitor context of 0-10 keys from the pool.
func (g *Gen) Context() map[string]any {
	n := g.r.IntN(11)
	ctx := make(map[string]any, n)
	for range n {
		k := pick(g, contextKeys)
		if k == "version" && g.pct(60) {
			ctx[k] = pick(g, semverStrings) // SEMVER_* rules favour this key
			continue
		}
		ctx[k] = g.value(0)
	}
	return ctx
}

func (g *Gen) operator() any {
	switch n := g.r.IntN(100); {
	case n < 86:
		return pick(g, operatorNames)
	case n < 89:
		return "NULL"
	case n < 94:
		return pick(g, []string{"equals", "REGEX", "", "Equals", "IN"})
	case n < 98:
		return float64(g.r.IntN(19)) // numeric enum codes
	default:
		return pick(g, []float64{99, -1})
	}
}

func (g *Gen) rule() GenRule {
	r := GenRule{HasKey: true, Operator: g.operator(), HasValue: true}
	switch n := g.r.IntN(100); {
	case n < 70:
		r.Key = pick(g, contextKeys)
	case n < 80:
		r.Key = "fs_users"
	case n < 88:
		r.Key = "fs_all_users"
	case n < 92:
		r.Key = pick(g, []string{"unknown_key", "", "AGE"})
		r.HasKey = r.Key != "" || g.pct(50)
	default:
		r.Key = pick(g, contextKeys)
		r.HasProvider = true
		r.Provider = pick(g, []string{"segment", "", "mixpanel"})
	}
	switch n := g.r.IntN(100); {
	case n < 4:
		r.HasValue = false
	case r.Key == "fs_users" && n < 60:
		if g.pct(70) {
			r.Value = g.str()
			if g.pct(70) {
				r.Value = pick(g, g.visitorIDs)
			}
		} else {
			l := []any{}
			for range 1 + g.r.IntN(3) {
				l = append(l, pick(g, g.visitorIDs))
			}
			r.Value = l
		}
	case r.Key == "fs_all_users" && n < 70:
		r.Operator = "EQUALS"
		r.Value = ""
	default:
		r.Value = g.value(0)
		if op, ok := r.Operator.(string); ok && strings.HasPrefix(op, "SEMVER_") && g.pct(60) {
			r.Value = pick(g, semverStrings)
			if r.Key != "fs_users" && g.pct(60) {
				r.Key = "version"
			}
		}
	}
	return r
}

func (g *Gen) targeting() (*GenTargeting, bool) {
	switch n := g.r.IntN(100); {
	case n < 3:
		return nil, false
	case n < 5:
		return nil, true
	case n < 8:
		return &GenTargeting{}, false // no groups: never matches
	case n < 40 || g.opt.History && n < 70:
		return &GenTargeting{Groups: [][]GenRule{{{Key: "fs_all_users", HasKey: true, Operator: "EQUALS", Value: "", HasValue: true}}}}, false
	}
	t := &GenTargeting{}
	maxGroups, maxRules := 4, 4
	if g.opt.History {
		maxGroups, maxRules = 3, 3
	}
	for range g.r.IntN(maxGroups) {
		grp := []GenRule{}
		for range g.r.IntN(maxRules) {
			grp = append(grp, g.rule())
		}
		t.Groups = append(t.Groups, grp)
	}
	return t, false
}

// Allocations draws n allocations: summing to 100, below, above, with zeros
// or negative.
func (g *Gen) Allocations(n int) []int32 {
	out := make([]int32, n)
	switch m := g.r.IntN(100); {
	case m < 50: // exactly 100
		left := int32(100)
		for i := range n - 1 {
			out[i] = int32(g.r.IntN(int(left) + 1))
			left -= out[i]
		}
		out[n-1] = left
	case m < 68: // below 100
		left := int32(g.r.IntN(100))
		for i := range n {
			out[i] = int32(g.r.IntN(int(left) + 1))
			left -= out[i]
		}
	case m < 78: // above 100
		for i := range out {
			out[i] = int32(30 + g.r.IntN(71))
		}
	case m < 90: // 0/100 and 100/0 shapes
		out[g.r.IntN(n)] = 100
	case m < 97: // anything
		for i := range out {
			out[i] = int32(g.r.IntN(101))
		}
	default: // negative and large
		for i := range out {
			out[i] = pick(g, []int32{-20, -1, 0, 50, 120, 1 << 30})
		}
	}
	return out
}

func (g *Gen) allocEnc(a int32) string {
	switch n := g.r.IntN(100); {
	case n < 88:
		return "int"
	case n < 91:
		return "float"
	case n < 94:
		if a%10 == 0 && a != 0 {
			return "exp"
		}
		return "int"
	case n < 97:
		return "string"
	default:
		if a == 0 {
			return pick(g, []string{"absent", "null"})
		}
		return "int"
	}
}

func (g *Gen) modValue() (map[string]any, bool) {
	if g.pct(5) {
		return nil, false
	}
	m := map[string]any{}
	for range g.r.IntN(4) {
		m[pick(g, modKeys)] = g.value(0)
	}
	return m, true
}

func (g *Gen) modType() any {
	switch n := g.r.IntN(100); {
	case n < 70:
		return "FLAG"
	case n < 80:
		return pick(g, []string{"JSON", "TEXT", "IMAGE", "HTML", "REDIRECT", "TURING_ENGINE", "NULL"})
	case n < 85:
		return "WHATEVER"
	case n < 90:
		return float64(g.r.IntN(8))
	default:
		return nil // no modifications object
	}
}

// hash100 is Flagship's bucket function: murmur3 x86_32 of s, mod 100.
// It is computed here with the same library flagship-common uses, so that
// files can put allocation and bucket boundaries exactly on a visitor.
// (murmur3.Sum32 trips -race's checkptr; the streaming digest, which
// flagship-common uses, does not.)
func hash100(s string) int {
	h := murmur3.New32()
	_, _ = h.Write([]byte(s))
	return int(h.Sum32() % 100)
}

// boundaryAllocations returns allocations for n variations whose
// cumulative sums sit exactly on (or one past) the allocation bucket of
// one of the generator's visitors in variation group vgID, so that the
// strict z < sum comparison is exercised.
func (g *Gen) boundaryAllocations(vgID string, n int) []int32 {
	z := int32(hash100(vgID + pick(g, g.visitorIDs)))
	out := make([]int32, n)
	out[0] = z + int32(g.r.IntN(2)) // z: not chosen; z+1: chosen
	if n > 1 {
		out[1] = 100 - out[0]
	}
	return out
}

// boundaryRanges returns bucket ranges whose bounds sit on (or half a
// bucket around) the bucket of one of the generator's visitors.
func (g *Gen) boundaryRanges() [][]any {
	b := float64(hash100(pick(g, g.visitorIDs)))
	return pick(g, [][][]any{
		{{b, b + 1}},               // contains b
		{{b - 1, b}},               // excludes b
		{{b + 0.5, 100.0}},         // excludes b
		{{b - 0.5, b + 0.5}},       // contains b
		{{0.0, b}, {b + 1, 100.0}}, // excludes b only
		{{b, b}},                   // empty
	})
}

// Variation draws a variation with the given allocation.
func (g *Gen) Variation(alloc int32) *GenVariation {
	v := &GenVariation{ID: g.id("var"), Name: pick(g, []string{"Original", "Blue", "", "Variation É"}), Allocation: alloc}
	v.AllocEnc = g.allocEnc(alloc)
	v.Reference = g.pct(25)
	v.ModType = g.modType()
	v.ModValue, v.HasValue = g.modValue()
	return v
}

func (g *Gen) vg(c *GenCampaign, vgIDs []string) *GenVG {
	vg := &GenVG{ID: g.id("vg"), Name: pick(g, []string{"", "FR adults", "All"})}
	if !g.opt.History && len(vgIDs) > 0 && g.pct(2) {
		vg.ID = pick(g, vgIDs) // same variation group id in two places
	}
	vg.Targeting, vg.NullTargeting = g.targeting()
	n := 1 + g.r.IntN(4)
	if g.pct(25) {
		n = 1 // single variation: exercises the 100% shortcut and cache enabling
	}
	allocs := g.Allocations(n)
	if g.pct(10) {
		allocs = g.boundaryAllocations(vg.ID, n)
	}
	for _, a := range allocs {
		vg.Variations = append(vg.Variations, g.Variation(a))
	}
	if n > 1 && g.pct(2) {
		vg.Variations[1].ID = vg.Variations[0].ID // duplicate variation id
	}
	return vg
}

func (g *Gen) ranges() ([][]any, bool) {
	f := func(x float64) any { return x }
	switch n := g.r.IntN(100); {
	case n < 7 && !g.opt.History:
		return nil, false
	case n < 12 && !g.opt.History:
		return [][]any{}, true
	case n < 60:
		return [][]any{{f(0), f(100)}}, true
	case n < 75:
		a := g.r.IntN(100)
		b := a + g.r.IntN(101-a)
		return [][]any{{f(float64(a)), f(float64(b))}}, true
	case n < 85:
		var out [][]any
		lo := 0
		for range 2 + g.r.IntN(2) {
			a := lo + g.r.IntN(40)
			b := a + g.r.IntN(40)
			out = append(out, []any{f(float64(a)), f(float64(b))})
			lo = b
		}
		return out, true
	case n < 89:
		return g.boundaryRanges(), true
	case n < 93:
		return pick(g, [][][]any{
			{{f(0), f(75.5)}},
			{{f(71), f(71.5)}},
			{{f(33.3), f(66.6)}},
			{{f(0.5), f(99.5)}},
			{{f(10), f(20)}, {f(20.5), f(100)}},
		}), true
	default:
		return pick(g, [][][]any{
			{{f(-10), f(200)}},
			{{f(50), f(10)}},
			{{f(0), f(0)}},
			{{f(0), f(50), f(100)}},
			{{"0", "100"}},
			{{"25", "Infinity"}},
			{{f(0), f(1e-300)}},
		}), true
	}
}

func (g *Gen) campaign(ids []string, vgIDs []string) *GenCampaign {
	c := &GenCampaign{ID: g.id("c"), Name: pick(g, []string{"Home banner", "", "Camp é"}), Type: pick(g, campaignTypes)}
	if len(ids) > 0 && g.pct(4) {
		c.ID = pick(g, ids) // duplicate campaign id: first one wins
	}
	switch n := g.r.IntN(10); {
	case n < 6:
		s := "slug-" + c.ID
		c.Slug, c.HasSlug = &s, true
	case n < 7:
		c.HasSlug = true // null
	}
	c.Ranges, c.HasRanges = g.ranges()
	for range 1 + g.r.IntN(3) {
		vg := g.vg(c, vgIDs)
		vgIDs = append(vgIDs, vg.ID)
		c.VGs = append(c.VGs, vg)
	}
	return c
}

// File draws a file.
func (g *Gen) File() *GenFile {
	f := &GenFile{Spelling: g.r.Uint64()}
	f.Enabled1V1T = g.pct(30)
	f.EnabledXPC = g.pct(25)
	f.VisitorConsolidation = g.pct(15)
	n := g.opt.MinCampaigns + g.r.IntN(g.opt.MaxCampaigns-g.opt.MinCampaigns+1)
	var ids, vgIDs []string
	for range n {
		c := g.campaign(ids, vgIDs)
		ids = append(ids, c.ID)
		for _, vg := range c.VGs {
			vgIDs = append(vgIDs, vg.ID)
		}
		f.Campaigns = append(f.Campaigns, c)
	}
	return f
}

// Mutate changes a file between history rounds the way a campaign manager
// would: new allocations, deleted and added variations, switched account
// settings.
func (g *Gen) Mutate(f *GenFile) {
	f.Spelling = g.r.Uint64()
	if g.pct(20) {
		f.Enabled1V1T = !f.Enabled1V1T
	}
	if g.pct(20) {
		f.EnabledXPC = !f.EnabledXPC
	}
	for _, c := range f.Campaigns {
		for _, vg := range c.VGs {
			switch n := g.r.IntN(100); {
			case n < 35: // new allocations
				allocs := g.Allocations(len(vg.Variations))
				if g.pct(20) {
					allocs = g.boundaryAllocations(vg.ID, len(vg.Variations))
				}
				for i, a := range allocs {
					vg.Variations[i].Allocation = a
					vg.Variations[i].AllocEnc = g.allocEnc(a)
				}
			case n < 55: // delete a variation
				if len(vg.Variations) > 1 {
					i := g.r.IntN(len(vg.Variations))
					vg.Variations = append(vg.Variations[:i:i], vg.Variations[i+1:]...)
				}
			case n < 65: // add a variation
				vg.Variations = append(vg.Variations, g.Variation(int32(g.r.IntN(60))))
			case n < 70: // replace every variation
				vs := vg.Variations
				vg.Variations = nil
				for _, a := range g.Allocations(len(vs)) {
					vg.Variations = append(vg.Variations, g.Variation(a))
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Rendering.

// obj writes a JSON object with fields in insertion order.
type obj struct {
	b     *bytes.Buffer
	first bool
}

func openObj(b *bytes.Buffer) *obj { b.WriteByte('{'); return &obj{b: b, first: true} }

func (o *obj) key(k string) {
	if !o.first {
		o.b.WriteByte(',')
	}
	o.first = false
	writeJSON(o.b, k)
	o.b.WriteByte(':')
}

func (o *obj) val(k string, v any) { o.key(k); writeJSON(o.b, v) }
func (o *obj) raw(k, v string)     { o.key(k); o.b.WriteString(v) }
func (o *obj) close()              { o.b.WriteByte('}') }

func writeJSON(b *bytes.Buffer, v any) {
	enc, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	b.Write(enc)
}

// JSON renders the file. Cosmetic choices (snake_case names, unknown
// fields, allocation encodings) come from f.Spelling.
func (f *GenFile) JSON() []byte {
	r := rand.New(rand.NewPCG(f.Spelling, 7))
	alt := func(camel, snake string) string {
		if r.IntN(10) == 0 {
			return snake
		}
		return camel
	}
	var b bytes.Buffer
	o := openObj(&b)
	o.val("generatedAt", "2025-05-01T10:00:00Z")
	o.val("panic", false)
	if f.VisitorConsolidation || r.IntN(2) == 0 {
		o.val(alt("visitorConsolidation", "visitor_consolidation"), f.VisitorConsolidation)
	}
	o.key("accountSettings")
	a := openObj(&b)
	a.val("enabledXPC", f.EnabledXPC)
	a.val("enabled1V1T", f.Enabled1V1T)
	if r.IntN(5) == 0 {
		a.raw("troubleshooting", `{"startDate":"2025-05-01T00:00:00Z","endDate":"2025-05-02T00:00:00Z","timezone":"Europe/Paris","traffic":40}`)
	}
	if r.IntN(5) == 0 {
		a.val("eaiCollectEnabled", true) // unknown field
	}
	a.close()
	o.key("campaigns")
	b.WriteByte('[')
	for i, c := range f.Campaigns {
		if i > 0 {
			b.WriteByte(',')
		}
		c.render(&b, r, alt)
	}
	b.WriteByte(']')
	o.close()
	return b.Bytes()
}

func (c *GenCampaign) render(b *bytes.Buffer, r *rand.Rand, alt func(string, string) string) {
	o := openObj(b)
	o.val("id", c.ID)
	o.val("name", c.Name)
	o.val("type", c.Type)
	if c.HasSlug {
		if c.Slug == nil {
			o.raw("slug", "null")
		} else {
			o.val("slug", *c.Slug)
		}
	}
	if r.IntN(20) == 0 {
		o.val("customId", "legacy") // deprecated, ignored
	}
	if c.HasRanges {
		o.key(alt("bucketRanges", "bucket_ranges"))
		b.WriteByte('[')
		for i, rg := range c.Ranges {
			if i > 0 {
				b.WriteByte(',')
			}
			ro := openObj(b)
			ro.val("r", rg)
			ro.close()
		}
		b.WriteByte(']')
	}
	o.key(alt("variationGroups", "variation_groups"))
	b.WriteByte('[')
	for i, vg := range c.VGs {
		if i > 0 {
			b.WriteByte(',')
		}
		vg.render(b, r, alt)
	}
	b.WriteByte(']')
	o.close()
}

func (vg *GenVG) render(b *bytes.Buffer, r *rand.Rand, alt func(string, string) string) {
	o := openObj(b)
	o.val("id", vg.ID)
	if vg.Name != "" || r.IntN(2) == 0 {
		o.val("name", vg.Name)
	}
	switch {
	case vg.NullTargeting:
		o.raw("targeting", "null")
	case vg.Targeting != nil:
		o.key("targeting")
		t := openObj(b)
		if len(vg.Targeting.Groups) > 0 || r.IntN(2) == 0 {
			t.key(alt("targetingGroups", "targeting_groups"))
			b.WriteByte('[')
			for i, grp := range vg.Targeting.Groups {
				if i > 0 {
					b.WriteByte(',')
				}
				g := openObj(b)
				if len(grp) > 0 || r.IntN(2) == 0 {
					g.key("targetings")
					b.WriteByte('[')
					for j, rule := range grp {
						if j > 0 {
							b.WriteByte(',')
						}
						ro := openObj(b)
						if rule.HasKey {
							ro.val("key", rule.Key)
						}
						ro.val("operator", rule.Operator)
						if rule.HasValue {
							ro.val("value", rule.Value)
						}
						if rule.HasProvider {
							ro.val("provider", rule.Provider)
						}
						ro.close()
					}
					b.WriteByte(']')
				}
				g.close()
			}
			b.WriteByte(']')
		}
		t.close()
	}
	o.key("variations")
	b.WriteByte('[')
	for i, v := range vg.Variations {
		if i > 0 {
			b.WriteByte(',')
		}
		v.render(b, r, alt)
	}
	b.WriteByte(']')
	o.close()
}

func (v *GenVariation) render(b *bytes.Buffer, r *rand.Rand, alt func(string, string) string) {
	o := openObj(b)
	o.val("id", v.ID)
	o.val("name", v.Name)
	a := strconv.Itoa(int(v.Allocation))
	switch v.AllocEnc {
	case "float":
		o.raw("allocation", a+".0")
	case "exp":
		o.raw("allocation", strconv.Itoa(int(v.Allocation/10))+"e1")
	case "string":
		o.val("allocation", a)
	case "absent":
	case "null":
		o.raw("allocation", "null")
	default:
		o.raw("allocation", a)
	}
	if v.Reference || r.IntN(2) == 0 {
		o.val("reference", v.Reference)
	}
	if v.ModType != nil {
		o.key("modifications")
		m := openObj(b)
		m.val("type", v.ModType)
		if v.HasValue {
			m.val("value", v.ModValue)
		}
		m.close()
	}
	if r.IntN(20) == 0 {
		o.raw(alt("teOptions", "te_options"), `{"contextKeys":{"a":"b"}}`)
	}
	o.close()
}

// ---------------------------------------------------------------------------
// Benchmark files: realistic shapes, every campaign served to everyone in
// range.

// BenchFile draws a file of n campaigns with 1-3 variation groups each,
// 2-4 targeting rules per group on realistic operators and bucket ranges
// [0,100].
func (g *Gen) BenchFile(n int) *GenFile {
	f := &GenFile{Spelling: 1}
	for range n {
		c := &GenCampaign{ID: g.id("c"), Name: "Campaign", Type: pick(g, []string{"ab", "toggle", "perso", "deployment"})}
		s := "slug-" + c.ID
		c.Slug, c.HasSlug = &s, true
		c.Ranges, c.HasRanges = [][]any{{0.0, 100.0}}, true
		for range 1 + g.r.IntN(3) {
			vg := &GenVG{ID: g.id("vg"), Name: "group"}
			// 2-4 rules, in one group (AND) or split over two (OR).
			rules := make([]GenRule, 2+g.r.IntN(3))
			for i := range rules {
				rules[i] = g.benchRule()
			}
			t := &GenTargeting{Groups: [][]GenRule{rules}}
			if g.pct(40) {
				k := 1 + g.r.IntN(len(rules)-1)
				t.Groups = [][]GenRule{rules[:k], rules[k:]}
			}
			vg.Targeting = t
			nv := 1 + g.r.IntN(3)
			left := int32(100)
			for i := range nv {
				a := left / int32(nv-i)
				left -= a
				vg.Variations = append(vg.Variations, &GenVariation{
					ID: g.id("var"), Name: "v", Allocation: a, AllocEnc: "int", Reference: i == 0,
					ModType: "FLAG", ModValue: map[string]any{"color": pick(g, []string{"blue", "red"}), "size": float64(i)}, HasValue: true,
				})
			}
			c.VGs = append(c.VGs, vg)
		}
		f.Campaigns = append(f.Campaigns, c)
	}
	return f
}

func (g *Gen) benchRule() GenRule {
	op := pick(g, realisticOperators)
	r := GenRule{HasKey: true, HasValue: true, Operator: op}
	switch op {
	case "GREATER_THAN_OR_EQUALS", "LOWER_THAN":
		r.Key, r.Value = pick(g, []string{"age", "score"}), float64(10+g.r.IntN(60))
	case "SEMVER_GREATER_THAN_OR_EQUALS":
		r.Key, r.Value = "version", pick(g, []string{"1.2.0", "2.0.0", "1.10.3"})
	case "STARTS_WITH", "CONTAINS":
		r.Key, r.Value = pick(g, []string{"city", "device"}), pick(g, []string{"Par", "lon", "mobile", "ios"})
	default:
		switch g.r.IntN(4) {
		case 0:
			r.Key, r.Value = "country", []any{"fr", "gb", "de", "us"}[:1+g.r.IntN(4)]
		case 1:
			r.Key, r.Value = "plan", pick(g, []string{"gold", "silver", "free"})
		case 2:
			r.Key, r.Value = "isVIP", g.pct(50)
		default:
			r.Key, r.Value = "country", pick(g, []string{"fr", "gb"})
		}
	}
	return r
}

// BenchContext draws an 8-key context for benchmark files.
func (g *Gen) BenchContext() map[string]any {
	return map[string]any{
		"age":     float64(g.r.IntN(80)),
		"country": pick(g, []string{"fr", "FR", "gb", "de", "us", "es"}),
		"plan":    pick(g, []string{"gold", "silver", "free"}),
		"isVIP":   g.pct(30),
		"version": pick(g, []string{"1.0.0", "1.2.3", "2.1.0", "1.10.3"}),
		"score":   float64(g.r.IntN(100)),
		"city":    pick(g, []string{"Paris", "London", "Berlin", "Lyon"}),
		"device":  pick(g, []string{"mobile-ios", "desktop", "mobile-android"}),
	}
}

// DecisionGroupKey is the history key of a decision group.
func DecisionGroupKey(group string) string {
	return base64.StdEncoding.EncodeToString([]byte(group))
}

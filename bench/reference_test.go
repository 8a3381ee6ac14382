package bench

import (
	"fmt"
	"runtime/debug"
	"strings"
	"sync"

	fsdecision "github.com/flagship-io/flagship-common"
	fstargeting "github.com/flagship-io/flagship-common/targeting"
	fsbucketing "github.com/flagship-io/flagship-proto/bucketing"
	"github.com/flagship-io/flagship-proto/decision_response"
	protoTargeting "github.com/flagship-io/flagship-proto/targeting"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/seed27eed597/flagship-go/assignment"
	"github.com/seed27eed597/flagship-go/decision"
)

// This file adapts Flagship's decision library (flagship-common v0.0.21)
// the way Flagship's decision API loader does: the bucketing file is read
// with protojson into the BucketingResponse message and converted to a
// decision.Environment.

func init() {
	// GetDecision logs through logrus at every step; keep it quiet.
	fsdecision.SetLogger(quietLogger{})
}

type quietLogger struct{}

func (quietLogger) Logf(fsdecision.Level, string, ...interface{}) {}
func (quietLogger) SetLevel(fsdecision.Level)                     {}

// refFile is a bucketing file parsed by the reference.
type refFile struct {
	msg *fsbucketing.Bucketing_BucketingResponse
}

func parseRef(data []byte) (*refFile, error) {
	var m fsbucketing.Bucketing_BucketingResponse
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return &refFile{msg: &m}, nil
}

// env builds a fresh Environment. GetDecision mutates its input (it sets
// vg.Campaign and fills missing flag keys into the variations'
// modifications), so every independent use gets its own: the protobuf
// messages are cloned too.
func (f *refFile) env(cacheEnabled bool) fsdecision.Environment {
	m := f.msg
	as := m.GetAccountSettings()
	env := fsdecision.Environment{
		ID:                "env",
		SingleAssignment:  as.GetEnabled1V1T(),
		UseReconciliation: m.GetVisitorConsolidation() || as.GetEnabledXPC(),
		CacheEnabled:      cacheEnabled,
	}
	for _, c := range m.GetCampaigns() {
		camp := &fsdecision.Campaign{ID: c.GetId(), Name: c.GetName(), Type: c.GetType()}
		if c.GetSlug() != nil {
			s := c.GetSlug().GetValue()
			camp.Slug = &s
		}
		for _, br := range c.GetBucketRanges() {
			camp.BucketRanges = append(camp.BucketRanges, append([]float64(nil), br.GetR()...))
		}
		for _, vg := range c.GetVariationGroups() {
			t := vg.GetTargeting()
			if t == nil {
				t = &protoTargeting.Targeting{}
			}
			rvg := &fsdecision.VariationGroup{ID: vg.GetId(), Name: vg.GetName(), Targetings: t}
			for _, v := range vg.GetVariations() {
				var mods *decision_response.Modifications
				if v.GetModifications() != nil {
					mods = cloneMods(v.GetModifications())
				}
				rvg.Variations = append(rvg.Variations, &fsdecision.Variation{
					ID:            v.GetId().GetValue(),
					Name:          v.GetName().GetValue(),
					Allocation:    float32(v.GetAllocation()),
					Modifications: mods,
					Reference:     v.GetReference(),
				})
			}
			camp.VariationGroups = append(camp.VariationGroups, rvg)
		}
		env.Campaigns = append(env.Campaigns, camp)
	}
	return env
}

func cloneMods(m *decision_response.Modifications) *decision_response.Modifications {
	out := &decision_response.Modifications{Type: m.GetType()}
	if m.GetValue() != nil {
		out.Value = &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for k, v := range m.GetValue().GetFields() {
			out.Value.Fields[k] = v
		}
	}
	return out
}

// refContext converts a decision context (JSON-decoded values) to the
// reference's.
func refContext(ctx map[string]any) (*fstargeting.Context, error) {
	c := &fstargeting.Context{Standard: fstargeting.ContextMap{}}
	for k, v := range ctx {
		pv, err := structpb.NewValue(v)
		if err != nil {
			return nil, fmt.Errorf("context %q: %w", k, err)
		}
		c.Standard[k] = pv
	}
	return c, nil
}

// Kinds of reference panics. The reference library crashes on a few
// inputs; those decisions are skipped (not compared) and counted.
const (
	// panicEmptySemver: an empty string on either side of a SEMVER_*
	// comparison (getGoSemver indexes v[0]).
	panicEmptySemver = "empty-semver"
	// panicDeletedNoVisitorEntry: the anonymous-id or decision-group
	// history holds a variation that was deleted while the visitor id has
	// no entry for the group (chooseVariation logs
	// existingAssignment.VariationID with existingAssignment nil).
	panicDeletedNoVisitorEntry = "deleted-variation-without-visitor-entry"
	panicOther                 = "other"
)

// refPanic is a recovered reference panic.
type refPanic struct {
	kind  string
	value any
	stack string
}

func (p *refPanic) Error() string { return fmt.Sprintf("reference panic (%s): %v", p.kind, p.value) }

// refDecide calls GetDecision, turning a panic into a *refPanic.
func refDecide(env fsdecision.Environment, v fsdecision.Visitor, o fsdecision.DecisionOptions, h fsdecision.DecisionHandlers) (resp *decision_response.DecisionResponse, p *refPanic) {
	defer func() {
		if r := recover(); r != nil {
			st := string(debug.Stack())
			kind := panicOther
			switch {
			case strings.Contains(st, "getGoSemver"):
				kind = panicEmptySemver
			case strings.Contains(st, "chooseVariation"):
				kind = panicDeletedNoVisitorEntry
			}
			resp, p = nil, &refPanic{kind: kind, value: r, stack: st}
		}
	}()
	resp, err := fsdecision.GetDecision(v, env, o, h)
	if err != nil {
		panic(fmt.Sprintf("GetDecision returned an error: %v", err))
	}
	return resp, nil
}

// outCampaign is one campaign of a decision in a form both sides convert
// to for comparison.
type outCampaign struct {
	CampaignID, VariationGroupID, VariationID string
	Type, Slug, Name, VGName, VariationName   string
	Reference                                 bool
	ModType                                   string
	Mods                                      map[string]any
}

func (c outCampaign) String() string {
	return fmt.Sprintf("(%s, %s, %s)", c.CampaignID, c.VariationGroupID, c.VariationID)
}

func fromRef(resp *decision_response.DecisionResponse) []outCampaign {
	out := []outCampaign{}
	for _, c := range resp.GetCampaigns() {
		v := c.GetVariation()
		oc := outCampaign{
			CampaignID:       c.GetId().GetValue(),
			VariationGroupID: c.GetVariationGroupId().GetValue(),
			VariationID:      v.GetId().GetValue(),
			Type:             c.GetType().GetValue(),
			Slug:             c.GetSlug().GetValue(),
			Name:             c.GetName().GetValue(),
			VGName:           c.GetVariationGroupName().GetValue(),
			VariationName:    v.GetName().GetValue(),
			Reference:        v.GetReference(),
			ModType:          v.GetModifications().GetType().String(),
			Mods:             v.GetModifications().GetValue().AsMap(),
		}
		out = append(out, oc)
	}
	return out
}

func fromOurs(d decision.Decision) []outCampaign {
	out := []outCampaign{}
	for _, c := range d.Campaigns {
		mods := c.Variation.Modifications.Value
		if mods == nil {
			mods = map[string]any{}
		}
		out = append(out, outCampaign{
			CampaignID:       c.ID,
			VariationGroupID: c.VariationGroup.ID,
			VariationID:      c.Variation.ID,
			Type:             c.Type,
			Slug:             c.Slug,
			Name:             c.Name,
			VGName:           c.VariationGroup.Name,
			VariationName:    c.Variation.Name,
			Reference:        c.Variation.Reference,
			ModType:          c.Variation.Modifications.Type,
			Mods:             mods,
		})
	}
	return out
}

// refHistory is the reference's assignment cache: an in-memory map keyed
// by id (visitor id, anonymous id or base64 decision group) that merges on
// save, as Flagship's decision API caches do. GetDecision calls it from
// several goroutines.
type refHistory struct {
	mu sync.Mutex
	m  map[string]map[string]fsdecision.VisitorCache
}

func newRefHistory() *refHistory {
	return &refHistory{m: map[string]map[string]fsdecision.VisitorCache{}}
}

func (h *refHistory) handlers() fsdecision.DecisionHandlers {
	return fsdecision.DecisionHandlers{
		GetCache: func(_ string, id string) (*fsdecision.VisitorAssignments, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			cur, ok := h.m[id]
			if !ok {
				return nil, nil
			}
			out := &fsdecision.VisitorAssignments{Assignments: map[string]*fsdecision.VisitorCache{}}
			for k, v := range cur {
				out.Assignments[k] = &fsdecision.VisitorCache{VariationID: v.VariationID, Activated: v.Activated}
			}
			return out, nil
		},
		SaveCache: func(_ string, id string, a *fsdecision.VisitorAssignments) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			cur := h.m[id]
			if cur == nil {
				cur = map[string]fsdecision.VisitorCache{}
				h.m[id] = cur
			}
			// The store's merge rule (assignment.MergeOne): an activation of
			// a variation is never lost, whatever writes follow. Flagship's
			// own stores overwrite; the only decisions that differ are those
			// where Flagship forgets an activation (an anonymous id written
			// without XPC, then deciding under that id with 1V1T).
			for k, v := range a.Assignments {
				c, had := cur[k]
				m := assignment.MergeOne(assignment.Assignment{VariationID: c.VariationID, Activated: c.Activated}, had,
					assignment.Assignment{VariationID: v.VariationID, Activated: v.Activated})
				cur[k] = fsdecision.VisitorCache{VariationID: m.VariationID, Activated: m.Activated}
			}
			return nil
		},
	}
}

// snapshot returns the assignments under id in our engine's model.
func (h *refHistory) snapshot(id string) assignment.Assignments {
	h.mu.Lock()
	defer h.mu.Unlock()
	cur, ok := h.m[id]
	if !ok {
		return nil
	}
	out := assignment.Assignments{}
	for k, v := range cur {
		out[k] = assignment.Assignment{VariationID: v.VariationID, Activated: v.Activated}
	}
	return out
}

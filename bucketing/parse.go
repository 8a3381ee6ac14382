package bucketing

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/seed27eed597/flagship-go/decision"
	"github.com/seed27eed597/flagship-go/internal/jsontree"
)

// ParseError reports a malformed bucketing file. Path locates the bad part,
// for example "campaigns[3].variationGroups[1].variations[0].allocation".
type ParseError struct {
	Path string
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Path == "" {
		return "bucketing: invalid file: " + e.Msg
	}
	return "bucketing: invalid file: " + e.Path + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalidFile) true.
func (e *ParseError) Unwrap() error { return ErrInvalidFile }

// Parse parses a bucketing file the way Flagship's own loader (protobuf
// JSON with unknown fields discarded) does: unknown fields are ignored,
// both lowerCamelCase and snake_case names are accepted, unknown operator
// and modification type names read as NULL, and everything else that
// protobuf JSON rejects (wrong types, duplicate fields, fractional or
// out-of-range allocations, invalid UTF-8, ...) makes the whole file
// invalid with a [*ParseError] naming the path.
//
// Parse never panics, whatever the input.
func Parse(data []byte) (*File, error) {
	root, err := jsontree.Parse(data, 0)
	if err != nil {
		var se *jsontree.SyntaxError
		if errors.As(err, &se) {
			return nil, &ParseError{Msg: se.Error()}
		}
		return nil, &ParseError{Msg: err.Error()}
	}
	f := new(File)
	if err := parseFile(&root, f); err != nil {
		return nil, err
	}
	return f, nil
}

// perr returns a ParseError for the current node; callers prefix the path
// on the way up, so nothing is allocated for paths unless parsing fails.
func perr(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// within prefixes err's path with seg, a field name or an "[i]" index.
func within(err error, seg string) error {
	pe, ok := err.(*ParseError)
	if !ok {
		return err
	}
	switch {
	case pe.Path == "":
		pe.Path = seg
	case pe.Path[0] == '[':
		pe.Path = seg + pe.Path
	default:
		pe.Path = seg + "." + pe.Path
	}
	return pe
}

// field names a message field: its JSON (lowerCamelCase) and proto
// (snake_case) names; null leaves it unset unless keepNull.
type field struct {
	json, proto string
	keepNull    bool
}

// message walks an object node like protobuf JSON: known fields by either
// name, duplicates rejected, nulls skipped, unknown fields ignored. set is
// called with the index of the field in fields.
func message(n *jsontree.Node, fields []field, set func(i int, n *jsontree.Node) error) error {
	if n.Kind != jsontree.Object {
		return perr("expected an object, got %s", n.Kind)
	}
	var seen uint64
	for i := range n.Members {
		m := &n.Members[i]
		idx := -1
		for j := range fields {
			if m.Key == fields[j].json || m.Key == fields[j].proto {
				idx = j
				break
			}
		}
		if idx < 0 {
			continue // unknown field: discarded
		}
		f := &fields[idx]
		if seen&(1<<idx) != 0 {
			return within(perr("duplicate field %q", m.Key), f.json)
		}
		seen |= 1 << idx
		if m.Value.Kind == jsontree.Null && !f.keepNull {
			continue
		}
		if err := set(idx, &m.Value); err != nil {
			return within(err, f.json)
		}
	}
	return nil
}

func list(n *jsontree.Node, each func(i int, n *jsontree.Node) error) error {
	if n.Kind != jsontree.Array {
		return perr("expected an array, got %s", n.Kind)
	}
	for i := range n.Items {
		if err := each(i, &n.Items[i]); err != nil {
			return within(err, "["+strconv.Itoa(i)+"]")
		}
	}
	return nil
}

func setString(n *jsontree.Node, dst *string) error {
	if n.Kind != jsontree.String {
		return perr("expected a string, got %s", n.Kind)
	}
	*dst = n.Str
	return nil
}

func setBool(n *jsontree.Node, dst *bool) error {
	if n.Kind != jsontree.Bool {
		return perr("expected a bool, got %s", n.Kind)
	}
	*dst = n.Bool
	return nil
}

func setInt32(n *jsontree.Node, dst *int32) error {
	v, err := parseInt32(n)
	if err != nil {
		return perr("%v", err)
	}
	*dst = v
	return nil
}

func parseFile(n *jsontree.Node, f *File) error {
	fields := []field{
		{json: "generatedAt", proto: "generated_at"},
		{json: "visitorConsolidation", proto: "visitor_consolidation"},
		{json: "panic", proto: "panic"},
		{json: "campaigns", proto: "campaigns"},
		{json: "accountSettings", proto: "accountSettings"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			return setString(n, &f.GeneratedAt)
		case 1:
			return setBool(n, &f.VisitorConsolidation)
		case 2:
			return setBool(n, &f.Panic)
		case 3:
			if n.Kind == jsontree.Array {
				f.Campaigns = make([]Campaign, len(n.Items))
			}
			return list(n, func(i int, n *jsontree.Node) error { return parseCampaign(n, &f.Campaigns[i]) })
		default:
			return parseAccountSettings(n, &f.AccountSettings)
		}
	})
}

func parseAccountSettings(n *jsontree.Node, a *AccountSettings) error {
	fields := []field{
		{json: "enabledXPC", proto: "enabledXPC"},
		{json: "enabled1V1T", proto: "enabled1V1T"},
		{json: "troubleshooting", proto: "troubleshooting"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			return setBool(n, &a.EnabledXPC)
		case 1:
			return setBool(n, &a.Enabled1V1T)
		default:
			return parseTroubleshooting(n)
		}
	})
}

// parseTroubleshooting validates the troubleshooting settings (they only
// drive optional telemetry, but a malformed one makes Flagship reject the
// file).
func parseTroubleshooting(n *jsontree.Node) error {
	fields := []field{
		{json: "startDate", proto: "start_date"},
		{json: "endDate", proto: "end_date"},
		{json: "timezone", proto: "timezone"},
		{json: "traffic", proto: "traffic"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		var tz string
		var traffic int32
		switch i {
		case 0, 1:
			return timestamp(n)
		case 2:
			return setString(n, &tz)
		default:
			return setInt32(n, &traffic)
		}
	})
}

func timestamp(n *jsontree.Node) error {
	if n.Kind != jsontree.String {
		return perr("expected an RFC 3339 timestamp, got %s", n.Kind)
	}
	if _, err := time.Parse(time.RFC3339Nano, n.Str); err != nil {
		return perr("invalid RFC 3339 timestamp %q", n.Str)
	}
	return nil
}

func parseCampaign(n *jsontree.Node, c *Campaign) error {
	fields := []field{
		{json: "id", proto: "id"},
		{json: "name", proto: "name"},
		{json: "customId", proto: "custom_id"},
		{json: "slug", proto: "slug"},
		{json: "type", proto: "type"},
		{json: "variationGroups", proto: "variation_groups"},
		{json: "bucketRanges", proto: "bucket_ranges"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			return setString(n, &c.ID)
		case 1:
			return setString(n, &c.Name)
		case 2:
			var customID string // deprecated alias of slug, validated only
			return setString(n, &customID)
		case 3:
			var slug string
			if err := setString(n, &slug); err != nil {
				return err
			}
			c.Slug = &slug
			return nil
		case 4:
			return setString(n, &c.Type)
		case 5:
			if n.Kind == jsontree.Array {
				c.VariationGroups = make([]VariationGroup, len(n.Items))
			}
			return list(n, func(i int, n *jsontree.Node) error { return parseVariationGroup(n, &c.VariationGroups[i]) })
		default:
			return list(n, func(_ int, n *jsontree.Node) error {
				br, err := parseBucketRange(n)
				if err == nil {
					c.BucketRanges = append(c.BucketRanges, br)
				}
				return err
			})
		}
	})
}

func parseBucketRange(n *jsontree.Node) (BucketRange, error) {
	var br BucketRange
	err := message(n, []field{{json: "r", proto: "r"}}, func(_ int, n *jsontree.Node) error {
		return list(n, func(_ int, n *jsontree.Node) error {
			v, err := parseDouble(n)
			if err != nil {
				return perr("%v", err)
			}
			br.R = append(br.R, v)
			return nil
		})
	})
	if err == nil && len(br.R) < 2 {
		err = within(perr("a bucket range needs two bounds, got %d", len(br.R)), "r")
	}
	return br, err
}

func parseVariationGroup(n *jsontree.Node, vg *VariationGroup) error {
	fields := []field{
		{json: "id", proto: "id"},
		{json: "name", proto: "name"},
		{json: "targeting", proto: "targeting"},
		{json: "variations", proto: "variations"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			return setString(n, &vg.ID)
		case 1:
			return setString(n, &vg.Name)
		case 2:
			return parseTargeting(n, &vg.Targeting)
		default:
			if n.Kind == jsontree.Array {
				vg.Variations = make([]Variation, len(n.Items))
			}
			return list(n, func(i int, n *jsontree.Node) error { return parseVariation(n, &vg.Variations[i]) })
		}
	})
}

func parseTargeting(n *jsontree.Node, t *Targeting) error {
	return message(n, []field{{json: "targetingGroups", proto: "targeting_groups"}}, func(_ int, n *jsontree.Node) error {
		if n.Kind == jsontree.Array {
			t.Groups = make([]TargetingGroup, len(n.Items))
		}
		return list(n, func(i int, n *jsontree.Node) error {
			g := &t.Groups[i]
			return message(n, []field{{json: "targetings", proto: "targetings"}}, func(_ int, n *jsontree.Node) error {
				if n.Kind == jsontree.Array {
					g.Rules = make([]Rule, len(n.Items))
				}
				return list(n, func(i int, n *jsontree.Node) error { return parseRule(n, &g.Rules[i]) })
			})
		})
	})
}

func parseRule(n *jsontree.Node, r *Rule) error {
	r.NoValue = true
	fields := []field{
		{json: "operator", proto: "operator"},
		{json: "key", proto: "key"},
		{json: "value", proto: "value", keepNull: true},
		{json: "provider", proto: "provider"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			switch n.Kind {
			case jsontree.String:
				r.Operator, _ = ParseOperator(n.Str) // unknown name: NULL
				return nil
			case jsontree.Number:
				v, err := parseInt32(n)
				if err != nil {
					return perr("invalid operator: %v", err)
				}
				r.Operator = Operator(v)
				return nil
			default:
				return perr("expected an operator name, got %s", n.Kind)
			}
		case 1:
			return setString(n, &r.Key)
		case 2:
			v, err := n.Interface()
			if err != nil {
				return perr("%v", err)
			}
			r.Value, r.NoValue = v, false
			return nil
		default:
			return setString(n, &r.Provider)
		}
	})
}

func parseVariation(n *jsontree.Node, v *Variation) error {
	v.Modifications.Type = modificationTypes[0]
	fields := []field{
		{json: "id", proto: "id"},
		{json: "name", proto: "name"},
		{json: "allocation", proto: "allocation"},
		{json: "reference", proto: "reference"},
		{json: "modifications", proto: "modifications"},
		{json: "teOptions", proto: "te_options"},
	}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		switch i {
		case 0:
			return setString(n, &v.ID)
		case 1:
			return setString(n, &v.Name)
		case 2:
			return setInt32(n, &v.Allocation)
		case 3:
			return setBool(n, &v.Reference)
		case 4:
			return parseModifications(n, &v.Modifications)
		default:
			return message(n, []field{{json: "contextKeys", proto: "context_keys"}}, func(_ int, n *jsontree.Node) error {
				return stringMap(n)
			})
		}
	})
}

func stringMap(n *jsontree.Node) error {
	if n.Kind != jsontree.Object {
		return perr("expected an object, got %s", n.Kind)
	}
	seen := make(map[string]bool, len(n.Members))
	for i := range n.Members {
		m := &n.Members[i]
		if seen[m.Key] {
			return within(perr("duplicate key"), m.Key)
		}
		seen[m.Key] = true
		if m.Value.Kind != jsontree.String {
			return within(perr("expected a string, got %s", m.Value.Kind), m.Key)
		}
	}
	return nil
}

func parseModifications(n *jsontree.Node, m *decision.Modifications) error {
	fields := []field{{json: "type", proto: "type"}, {json: "value", proto: "value"}}
	return message(n, fields, func(i int, n *jsontree.Node) error {
		if i == 0 {
			switch n.Kind {
			case jsontree.String:
				for _, t := range modificationTypes {
					if t == n.Str {
						m.Type = t
					}
				}
				return nil // unknown name: NULL
			case jsontree.Number:
				v, err := parseInt32(n)
				if err != nil {
					return perr("invalid modification type: %v", err)
				}
				if v >= 0 && int(v) < len(modificationTypes) {
					m.Type = modificationTypes[v]
				}
				return nil
			default:
				return perr("expected a modification type name, got %s", n.Kind)
			}
		}
		if n.Kind != jsontree.Object {
			return perr("expected an object, got %s", n.Kind)
		}
		v, err := n.Interface()
		if err != nil {
			return perr("%v", err)
		}
		m.Value = v.(map[string]any)
		return nil
	})
}

package visitor

import (
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/seed27eed597/flagship-go/decision"
)

// Attributes is a visitor's context: the properties targeting rules read
// (Flagsmith calls them traits). Values are strings, booleans or numbers;
// every Go integer and float type is accepted and stored as float64, the
// JSON number type targeting compares. Anything else is refused with an
// [*AttributeError] naming the key.
type Attributes map[string]any

// Predefined context keys the SDK sets on every visitor (spec §6.6). Keys
// starting with "fs_" are reserved: callers cannot set them.
const (
	KeySDKClient  = "fs_client"
	KeySDKVersion = "fs_version"
	sdkClient     = "go"
	reservedPre   = "fs_"
)

// normalize returns the value targeting sees for v, or an error naming key.
func normalize(key string, v any) (any, error) {
	if key == "" {
		return nil, &AttributeError{Key: key, Reason: "empty key"}
	}
	if strings.HasPrefix(key, reservedPre) {
		return nil, &AttributeError{Key: key, Reason: "keys starting with \"fs_\" are reserved for the SDK"}
	}
	var f float64
	switch x := v.(type) {
	case string, bool:
		return x, nil
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case nil:
		return nil, &AttributeError{Key: key, Reason: "nil value (want a string, number or bool)"}
	default:
		return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("unsupported type %T (want a string, number or bool)", v)}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("number %v is not finite", f)}
	}
	return f, nil
}

// PredefinedContext returns a new map holding the predefined keys and their
// values. A visitor's own context does not hold them: the client hands them
// to its Decider as defaults (bucketing.Options.ContextDefaults,
// decision.APIOptions.ContextDefaults), which keeps every visitor's map
// small. ContextValue and Context report them.
func PredefinedContext() map[string]any {
	return map[string]any{KeySDKClient: sdkClient, KeySDKVersion: decision.SDKVersion}
}

// baseContext returns a new, empty context map.
func baseContext(extra int) map[string]any {
	return make(map[string]any, extra)
}

// merge returns a copy of cur with attrs applied. Invalid attributes are
// skipped and reported in the returned error; the valid ones are applied.
func merge(cur map[string]any, attrs Attributes) (map[string]any, bool, error) {
	next := maps.Clone(cur)
	if next == nil {
		next = baseContext(len(attrs))
	}
	var errs []error
	changed := false
	for k, v := range attrs {
		nv, err := normalize(k, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if old, ok := next[k]; !ok || old != nv {
			changed = true
		}
		next[k] = nv
	}
	return next, changed, joinSorted(errs)
}

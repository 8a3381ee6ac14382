package visitor

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seed27eed597/flagship-go/decision"
)

// Attributes is a visitor's context: the properties targeting rules read
// (Flagsmith calls them traits). Values are taken by their kind, so that
// named types (type Plan string) are accepted like their base type:
//
//   - strings (any type of kind string) are stored as string; they must be
//     valid UTF-8 and at most [MaxContextValueBytes] long;
//   - booleans are stored as bool;
//   - integers of any Go integer type are stored as float64, the JSON
//     number type targeting compares, and must be within
//     ±[MaxContextInteger] (2^53), beyond which a float64 rounds them;
//   - floats are stored as float64 and must be finite;
//   - a [json.Number] is a number, stored as float64 under the same rules.
//
// Keys must be non-empty, valid UTF-8, at most [MaxContextKeyBytes] long,
// and must not start with "fs_". Anything else is refused with an
// [*AttributeError] naming the key. The Decision API request, bucketing
// targeting and the context hit all see the stored value.
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
	switch {
	case key == "":
		return nil, &AttributeError{Key: key, Reason: "empty key"}
	case len(key) > MaxContextKeyBytes:
		return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("key is %d bytes, more than %d", len(key), MaxContextKeyBytes)}
	case !utf8.ValidString(key):
		return nil, &AttributeError{Key: key, Reason: "key is not valid UTF-8"}
	case strings.HasPrefix(key, reservedPre):
		return nil, &AttributeError{Key: key, Reason: "keys starting with \"fs_\" are reserved for the SDK"}
	}
	// The common types first, without reflection; a string or float64 is
	// returned as the interface it came in (boxing it again would allocate).
	switch x := v.(type) {
	case string:
		if err := checkString(key, x); err != nil {
			return nil, err
		}
		return v, nil
	case bool:
		return v, nil
	case float64:
		if err := checkFloat(key, x); err != nil {
			return nil, err
		}
		return v, nil
	case int:
		return normalizeInt(key, int64(x))
	case int64:
		return normalizeInt(key, x)
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("json.Number %q is not a number", truncate(string(x)))}
		}
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return normalizeInt(key, i)
		}
		if !strings.ContainsAny(string(x), ".eE") {
			// An integer beyond int64: it would be rounded too.
			return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("integer %s is beyond ±2^53, where a JSON number rounds it (send it as a string)", truncate(string(x)))}
		}
		return normalizeFloat(key, f)
	case nil:
		return nil, &AttributeError{Key: key, Reason: "nil value (want a string, number or bool)"}
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return normalizeString(key, rv.String())
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return normalizeInt(key, rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u := rv.Uint()
		if u > MaxContextInteger {
			return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("integer %d is beyond ±2^53, where a JSON number rounds it (send it as a string)", u)}
		}
		return float64(u), nil
	case reflect.Float32, reflect.Float64:
		return normalizeFloat(key, rv.Float())
	}
	return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("unsupported type %T (want a string, number or bool)", v)}
}

func normalizeString(key, s string) (any, error) {
	if err := checkString(key, s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkString checks a string value.
func checkString(key, s string) error {
	if len(s) > MaxContextValueBytes {
		return &AttributeError{Key: key, Reason: fmt.Sprintf("value is %d bytes, more than %d", len(s), MaxContextValueBytes)}
	}
	if !utf8.ValidString(s) {
		return &AttributeError{Key: key, Reason: "value is not valid UTF-8"}
	}
	return nil
}

func normalizeInt(key string, i int64) (any, error) {
	if i > MaxContextInteger || i < -MaxContextInteger {
		return nil, &AttributeError{Key: key, Reason: fmt.Sprintf("integer %d is beyond ±2^53, where a JSON number rounds it (send it as a string)", i)}
	}
	return float64(i), nil
}

func normalizeFloat(key string, f float64) (any, error) {
	if err := checkFloat(key, f); err != nil {
		return nil, err
	}
	return f, nil
}

// checkFloat checks a float value.
func checkFloat(key string, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return &AttributeError{Key: key, Reason: fmt.Sprintf("number %v is not finite", f)}
	}
	return nil
}

// truncate cuts s for an error message.
func truncate(s string) string {
	if len(s) > maxKeyInError {
		return s[:maxKeyInError] + "..."
	}
	return s
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

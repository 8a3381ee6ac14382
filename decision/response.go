package decision

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// wireResponse is the body of a 200 answer in mode normal (spec §2.4).
// Missing fields decode as zero values.
type wireResponse struct {
	Campaigns []*wireCampaign `json:"campaigns"`
	Panic     bool            `json:"panic"`
}

// rawResponse is wireResponse with its campaigns left undecoded: a body
// wireResponse refuses is decoded again campaign by campaign, so that the
// error names the campaign at fault.
type rawResponse struct {
	Campaigns []json.RawMessage `json:"campaigns"`
}

// wireCampaign is one entry of "campaigns". Null strings decode as "".
type wireCampaign struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Slug               string `json:"slug"`
	Type               string `json:"type"`
	VariationGroupID   string `json:"variationGroupId"`
	VariationGroupName string `json:"variationGroupName"`
	Variation          struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		Reference     bool   `json:"reference"`
		Modifications struct {
			Type  string         `json:"type"`
			Value map[string]any `json:"value"`
		} `json:"modifications"`
	} `json:"variation"`
}

// parseResponse decodes a campaigns document. It never panics; anything
// but a JSON object of the expected shape is an error wrapping
// ErrBadResponse that says what is wrong in the protocol's terms (see
// badResponse). Null campaign entries are skipped.
func parseResponse(b []byte) (Decision, error) {
	var w *wireResponse
	if err := json.Unmarshal(b, &w); err != nil {
		return Decision{}, responseError(b, err)
	}
	if w == nil {
		return Decision{}, fmt.Errorf("%w: the body must be a JSON object, got null", ErrBadResponse)
	}
	if w.Panic {
		return Decision{Panic: true}, nil
	}
	var d Decision
	for _, wc := range w.Campaigns {
		if wc == nil {
			continue
		}
		d.Campaigns = append(d.Campaigns, Assignment{Campaign: &Campaign{
			ID:             wc.ID,
			Name:           wc.Name,
			Slug:           wc.Slug,
			Type:           wc.Type,
			VariationGroup: VariationGroup{ID: wc.VariationGroupID, Name: wc.VariationGroupName},
			Variation: Variation{
				ID:        wc.Variation.ID,
				Name:      wc.Variation.Name,
				Reference: wc.Variation.Reference,
				Modifications: NewModifications(wc.Variation.Modifications.Type,
					wc.Variation.Modifications.Value),
			},
		}, Reason: Reason{Kind: ReasonRemote, Bucket: -1}})
	}
	return d, nil
}

// responseError returns the error of a body that did not decode with
// err: the error of the first campaign that fails to decode alone, named
// by its index, or else err's, about the body.
func responseError(b []byte, err error) error {
	var raw rawResponse
	if json.Unmarshal(b, &raw) == nil {
		for i, c := range raw.Campaigns {
			var wc *wireCampaign
			if cerr := json.Unmarshal(c, &wc); cerr != nil {
				return badResponse("campaigns["+strconv.Itoa(i)+"]", cerr)
			}
		}
	}
	return badResponse("", err)
}

// badResponse returns the error wrapping ErrBadResponse for err, a
// failure of encoding/json to decode the value at path (a JSON path such
// as "campaigns[2]"; "" for the body). The message speaks the protocol's
// terms, a JSON path and JSON types, such as
//
//	decision: bad response: "campaigns" must be an array, got a string
//
// and never the Go types the SDK decodes into.
func badResponse(path string, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		p := path
		if te.Field != "" {
			p = strings.TrimPrefix(path+"."+te.Field, ".")
		}
		if p == "" {
			return fmt.Errorf("%w: the body must be a JSON object, got %s", ErrBadResponse, jsonKind(te.Value))
		}
		return fmt.Errorf("%w: %q must be %s, got %s", ErrBadResponse, p, wireKind(te.Type), jsonKind(te.Value))
	case errors.As(err, &se):
		return fmt.Errorf("%w: invalid JSON at byte %d: %s", ErrBadResponse, se.Offset, se.Error())
	}
	// Not reached with encoding/json today; its message could name Go types.
	return fmt.Errorf("%w: not a campaigns document", ErrBadResponse)
}

// jsonKind names the kind of JSON value encoding/json reports in an
// UnmarshalTypeError ("string", "number", "number 1e400", "bool", "array",
// "object"), with its article.
func jsonKind(v string) string {
	switch {
	case strings.HasPrefix(v, "number"):
		return "a number"
	case v == "bool":
		return "a boolean"
	case v == "array", v == "object":
		return "an " + v
	case v == "":
		return "another value"
	}
	return "a " + v
}

// wireKind names the JSON value the protocol expects where the SDK
// decodes into a value of type t.
func wireKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another value"
}

package flagshiptest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// The request parsers below read the wire JSON member by member with
// encoding/json, independently of the SDK's own encoders, so that the
// handler is a real check of what the SDK sends.

// member is one member of a JSON object.
type member struct {
	key   string
	value json.RawMessage
}

// members returns the members of the JSON object data, in order. It fails
// on anything but one object (trailing data included) and on duplicate
// keys, which protobuf JSON rejects.
func members(data []byte) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("want a JSON object, got %s", kindOf(bytes.TrimSpace(data)))
	}
	var out []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxError(err)
		}
		key, _ := tok.(string) // object keys are strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, syntaxError(err)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s: duplicate field", key)
		}
		seen[key] = true
		out = append(out, member{key: key, value: raw})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the object")
	}
	return out, nil
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of input")
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// kindOf names the kind of the JSON value raw for messages.
func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a bool"
	case 'n':
		return "null"
	}
	return "a number"
}

func isNull(raw []byte) bool { return string(raw) == "null" }

// fieldError is a problem with one field; path is prefixed on the way up.
type fieldError struct {
	path string
	msg  string
}

func (e *fieldError) Error() string {
	if e.path == "" {
		return e.msg
	}
	return e.path + ": " + e.msg
}

func ferr(path, format string, args ...any) error {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

func wantErr(path, want string, raw []byte) error {
	return ferr(path, "want %s, got %s", want, kindOf(raw))
}

// str decodes a JSON string.
func str(path string, raw []byte) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", wantErr(path, "a string", raw)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", ferr(path, "%v", err)
	}
	return s, nil
}

// nonEmpty decodes a non-empty JSON string.
func nonEmpty(path string, raw []byte) (string, error) {
	s, err := str(path, raw)
	if err == nil && s == "" {
		err = ferr(path, "must not be empty")
	}
	return s, err
}

// boolean decodes a JSON bool (never a string "true").
func boolean(path string, raw []byte) (bool, error) {
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, wantErr(path, "a bool", raw)
}

// number decodes a JSON number.
func number(path string, raw []byte) (float64, error) {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, wantErr(path, "a number", raw)
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, ferr(path, "number %s out of range", raw)
	}
	return f, nil
}

// maxExactInt is the largest integer every JSON decoder reads exactly.
const maxExactInt = 1 << 53

// nonNegInt decodes a JSON number that is a non-negative integer (5 and
// 5.0 both are).
func nonNegInt(path string, raw []byte) (int64, error) {
	f, err := number(path, raw)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < 0 || f > maxExactInt {
		return 0, ferr(path, "want a non-negative integer, got %s", raw)
	}
	return int64(f), nil
}

// integer decodes a JSON number that is an integer.
func integer(path string, raw []byte) (int64, error) {
	f, err := number(path, raw)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > maxExactInt {
		return 0, ferr(path, "want an integer, got %s", raw)
	}
	return int64(f), nil
}

// decodeAny decodes raw as encoding/json does into an any: numbers are
// float64.
func decodeAny(raw []byte) any {
	var v any
	_ = json.Unmarshal(raw, &v) // raw is valid JSON: members checked it
	return v
}

// cloneJSON deep-copies a decoded JSON value.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneObject(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneJSON(e)
		}
		return out
	}
	return v
}

func cloneObject(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		out[k] = cloneJSON(e)
	}
	return out
}

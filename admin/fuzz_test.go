package admin

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeResponse feeds arbitrary bodies to everything that decodes an
// answer of the API: no panic, and an error or a value, never both
// missing.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range []string{
		`{"items":[{"id":"c1","name":"n","variation_groups":[{"variations":[{"allocation":100}]}]}],"total_count":1,"current_page":0,"last_page":0}`,
		`{"items":[{"data":[{"email":"a@x","role":"ADMIN"}]}],"total_count":1}`,
		`[{"id":"p1","name":"one"}]`,
		`{"message":"Validation errors","errors":{"name":["required"]}}`,
		`{"error":"invalid_client","error_description":"bad"}`,
		`{"access_token":"t","expires_in":3600}`,
		`{"periodic_steps":{"allocation":5,"step":1,"step_type":"day"}}`,
		`{"items":null,"total_count":-1}`,
		`[[[[[[[[[[`,
		"\xff\xfe",
		``,
	} {
		f.Add([]byte(s))
	}
	r := request{method: "GET", path: "/v1/accounts/a/x"}
	f.Fuzz(func(t *testing.T, body []byte) {
		if p, err := decodePage(r, body); err == nil {
			for _, it := range p.Items {
				var cp Campaign
				_ = json.Unmarshal(it, &cp)
				if users, err := expandUsers(it); err == nil {
					for _, u := range users {
						var v User
						_ = json.Unmarshal(u, &v)
					}
				}
			}
		}
		var cp Campaign
		_ = decodeJSON(r, body, &cp)
		var ac AllocationConfig
		_ = decodeJSON(r, body, &ac)
		var tr tokenResponse
		_ = decodeJSON(r, body, &tr)
		msg := truncate(serverMessage(body), maxMessage)
		if len(msg) > maxMessage+len("…") {
			t.Fatalf("message of %d bytes, more than %d", len(msg), maxMessage)
		}
		if utf8.Valid(body) && !utf8.ValidString(msg) {
			t.Fatalf("message %q of a valid UTF-8 body is not UTF-8", msg)
		}
		if strings.TrimSpace(string(body)) != "" && msg == "" && !isBlankJSON(body) {
			t.Fatalf("no message from %q", body)
		}
	})
}

// isBlankJSON reports whether body is a JSON value that serverMessage may
// find no message in.
func isBlankJSON(body []byte) bool {
	var v map[string]any
	return json.Unmarshal(body, &v) == nil
}

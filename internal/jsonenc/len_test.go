package jsonenc_test

import (
	"strings"
	"testing"

	"github.com/seed27eed597/flagship-go/internal/jsonenc"
)

func TestStringLen(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{name: "empty", give: ""},
		{name: "ascii", give: "user-4242"},
		{name: "two-byte escapes", give: "a\"b\\c\nd\re\tf\bg\fh"},
		{name: "control bytes", give: "\x00\x01\x1f\x7f"},
		{name: "html characters are not escaped", give: "<a href='x'>&</a>"},
		{name: "multi-byte UTF-8", give: "visitör-42 日本語 🎉"},
		{name: "line and paragraph separators", give: "a\u2028b\u2029c"},
		{name: "invalid UTF-8", give: "a\xffb\xc3(c\xe2\x82"},
		{name: "truncated rune at the end", give: "abc\xf0\x9f\x8e"},
		{name: "long", give: strings.Repeat("é\"\x01", 1000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := len(jsonenc.AppendString(nil, tt.give))
			if got := jsonenc.StringLen(tt.give); got != want {
				t.Errorf("StringLen(%q) = %d, want %d", tt.give, got, want)
			}
			if got := jsonenc.StringLen([]byte(tt.give)); got != want {
				t.Errorf("StringLen([]byte(%q)) = %d, want %d", tt.give, got, want)
			}
		})
	}
}

func FuzzStringLen(f *testing.F) {
	for _, s := range []string{"", "abc", "\x00\"\\", "\u2028é", "\xff\xfe", "日本\xe6\x97"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := jsonenc.StringLen(s), len(jsonenc.AppendString(nil, s)); got != want {
			t.Errorf("StringLen(%q) = %d, want %d", s, got, want)
		}
	})
}
